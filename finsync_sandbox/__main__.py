"""`python -m finsync_sandbox serve …`, the same as `finsync sandbox serve …`."""

from .cli import sandbox_app

sandbox_app(prog_name="python -m finsync_sandbox")
