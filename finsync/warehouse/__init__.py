"""The warehouse side: running a source into DuckDB or PostgreSQL, and reading it back."""

from pathlib import Path

# `finsync run`'s warehouse unless told otherwise (kept here, apart from the modules that import dlt, so the
# command line can show it without loading them).
DEFAULT_DUCKDB_PATH = Path("finsync.duckdb")
