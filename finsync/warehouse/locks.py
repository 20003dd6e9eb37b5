"""Waiting for PostgreSQL locks without making anyone else wait: a statement of a run that needs a lock a
reader holds (dropping or replacing a view or a table, changing a column) gives up after a lock timeout,
and the step is tried again after a pause that doubles each time.

PostgreSQL queues lock requests: while a `DROP VIEW` waits behind a dashboard's open transaction, every
new query on that view waits behind the `DROP`. A short `lock_timeout` (setting
`warehouse.lock_timeout_seconds`) bounds that wait; between tries, readers go on. Each wait names the
sessions holding locks in finsync's schemas (pid, user, application, since when); when
`warehouse.lock_wait_seconds` have passed, the run stops with exit 75 (temporary), saying which session to
end. DuckDB takes one writer on the whole file instead, which `Warehouse.exclusive` and the driver report.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import dlt

from finsync.errors import Busy
from finsync.http import pause

if TYPE_CHECKING:
    from .database import Warehouse

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_LOCK_TIMEOUT_SECONDS = 2.0
DEFAULT_LOCK_WAIT_SECONDS = 300.0
FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 15.0
LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a statement cancelled by lock_timeout


def lock_timeout_seconds() -> float:
    return float(dlt.config.get("warehouse.lock_timeout_seconds") or DEFAULT_LOCK_TIMEOUT_SECONDS)


def lock_wait_seconds() -> float:
    return float(dlt.config.get("warehouse.lock_wait_seconds") or DEFAULT_LOCK_WAIT_SECONDS)


def session_options() -> str:
    """The libpq `options` every PostgreSQL connection of a run starts with (finsync's own and dlt's)."""
    return f"-clock_timeout={int(lock_timeout_seconds() * 1000)}"  # no space: a DSN writes it as "+"


def patiently(warehouse: Warehouse, doing: str, step: Callable[[], T]) -> T:
    """Run `step` (which commits whole or not at all), again after a pause while PostgreSQL says a lock it
    needs is held by another session; raise `Busy` naming those sessions once the wait is over."""
    if warehouse.kind != "postgres":
        return step()
    started, wait = time.monotonic(), FIRST_PAUSE_SECONDS
    while True:
        try:
            return step()
        except Exception as error:
            if not is_lock_timeout(error):
                raise
        holders = lock_holders(warehouse)
        waited = time.monotonic() - started
        if waited + wait > lock_wait_seconds():
            raise Busy(
                f"{doing.capitalize()} in {warehouse.describe()} waited {waited:.0f} s for a lock another session "
                f"holds: {holders}. Nothing of that step was applied. End that session's transaction (a "
                "dashboard or notebook left in a transaction, `SELECT pg_terminate_backend(<pid>)` as an "
                "administrator), or run again later; warehouse.lock_wait_seconds sets how long a run waits."
            ) from None
        logger.warning(
            "%s waits for a lock held by %s; tries again in %.0f s (readers are not held up meanwhile)",
            doing,
            holders,
            wait,
        )
        pause(wait)
        wait = min(wait * 2, LONGEST_PAUSE_SECONDS)


def is_lock_timeout(error: BaseException) -> bool:
    """Whether PostgreSQL cancelled a statement of `error`'s chain for its lock timeout (also as text, as dlt
    reports a load job's error)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "pgcode", None) == LOCK_NOT_AVAILABLE or "lock timeout" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def lock_holders(warehouse: Warehouse) -> str:
    """The other sessions holding locks on finsync's schemas, oldest transaction first (never their query)."""
    from .database import DATASETS, query

    try:
        with warehouse.connect() as connection:
            rows = query(
                connection,
                """SELECT DISTINCT a.pid, a.usename, a.application_name, a.state, a.xact_start
                FROM pg_locks AS l
                JOIN pg_class AS c ON c.oid = l.relation
                JOIN pg_namespace AS n ON n.oid = c.relnamespace
                JOIN pg_stat_activity AS a ON a.pid = l.pid
                WHERE l.granted AND a.pid <> pg_backend_pid()
                  AND (n.nspname = ANY(%s) OR n.nspname LIKE ANY(%s))
                ORDER BY a.xact_start""",
                (list(DATASETS), [f"{name}\\_%" for name in DATASETS]),
            )
    except Exception as error:  # naming the holder is a courtesy: the wait goes on without it
        return f"a session finsync could not name ({type(error).__name__})"
    return "; ".join(describe(row) for row in rows) or "a session that has since let go"


def describe(row: tuple[Any, ...]) -> str:
    pid, user, application, state, since = row
    began = f"its transaction began {since:%Y-%m-%d %H:%M:%S %Z}".rstrip() if since else "no open transaction"
    return f"PID {pid} (user {user}, application {application or 'unnamed'}, {state or 'state unknown'}; {began})"
