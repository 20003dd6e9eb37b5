"""`python -m finsync` is the `finsync` command."""

from finsync.pipelines.cli import main

main()
