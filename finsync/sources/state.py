"""What a source remembers between runs, in its dlt source state (committed with the rows it describes):
per table, the cursor an incremental read continues from, when the table was last swept, and how many
records the last whole read of a table returned (with a digest of them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import dlt

CURSORS = "cursors"
SWEEPS = "sweeps"
ROWS = "rows_last_read"
DIGESTS = "digest_last_read"


def cursor(table: str) -> datetime | None:
    """Where the last complete read of `table` ended (None before the first one)."""
    value = dlt.current.source_state().get(CURSORS, {}).get(table)
    return datetime.fromisoformat(value) if value else None


def set_cursor(table: str, moment: datetime) -> None:
    dlt.current.source_state().setdefault(CURSORS, {})[table] = moment.isoformat()


def sweep_due(table: str, every: timedelta, now: datetime) -> bool:
    value = dlt.current.source_state().get(SWEEPS, {}).get(table)
    return value is None or now - datetime.fromisoformat(value) >= every


def swept(table: str, moment: datetime) -> None:
    dlt.current.source_state().setdefault(SWEEPS, {})[table] = moment.isoformat()


def last_read_rows(table: str) -> int:
    """How many records the last complete read of a whole-read table returned (0 before the first)."""
    return int(dlt.current.source_state().get(ROWS, {}).get(table, 0))


def last_read_digest(table: str) -> str | None:
    """The digest of what the last complete read of a whole-read table returned, where one was taken."""
    return dlt.current.source_state().get(DIGESTS, {}).get(table)


def set_last_read(table: str, rows: int, digest: str | None = None) -> None:
    """What a complete read of a whole-read table returned: how many records, and their digest if taken."""
    state = dlt.current.source_state()
    state.setdefault(ROWS, {})[table] = rows
    state.setdefault(DIGESTS, {})[table] = digest


def saved_cursors(source_state: dict[str, Any]) -> dict[str, str]:
    """The cursors in a source's state, by table, as text (for `finsync status`)."""
    return {table: str(value) for table, value in source_state.get(CURSORS, {}).items()}
