"""`python -m finsync` is the `finsync` command."""

from finsync.cli import main

main()
