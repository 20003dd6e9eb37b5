"""From whatever a run raised to the one error that names its root cause and its fix.

dlt wraps what went wrong in a step (`PipelineStepFailed` holding `ResourceExtractionError` holding the
real exception, or a load job's error text), and database drivers word their refusals in their own
way. Here the chain is walked to its innermost exception, and the kinds with a user-side fix become a
`FinsyncError` that says what to change; anything else keeps its real first line. The original stays on
the error (`original`), for `FINSYNC_DEBUG=1` to print whole.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigValueCannotBeCoercedException
from dlt.pipeline.exceptions import PipelineStepFailed

from finsync import progress
from finsync.errors import Busy, ConfigurationError, FinsyncError, Interrupted, SyncError, WarehouseUnusable
from finsync.http import redact
from finsync.sources.settings import missing_setting, wrong_type_setting

if TYPE_CHECKING:
    from .database import Warehouse

_LOCK_HOLDER = re.compile(r"held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def explain(error: BaseException, source: str, warehouse: Warehouse) -> FinsyncError:
    """The one readable error for anything a sync raised: ours as is, dlt's and the drivers' translated."""
    step = getattr(_find(error, PipelineStepFailed), "step", None)
    translated = _translate(error, source, warehouse, step)
    if translated is not error:
        translated.original = error
    return translated


def _translate(error: BaseException, source: str, warehouse: Warehouse, step: str | None) -> FinsyncError:
    interrupted = _find(error, Interrupted)
    if interrupted is not None:
        return Interrupted(interrupted.signum, interruption(interrupted.signum, source, step))
    ours = _find(error, FinsyncError)
    if ours is not None:
        return ours
    missing = _find(error, ConfigFieldMissingException)
    if missing is not None:
        return missing_setting(missing, source)
    wrong_type = _find(error, ConfigValueCannotBeCoercedException)
    if wrong_type is not None:
        return wrong_type_setting(wrong_type, source)
    cause = root_cause(error)
    warehouse_problem = known_warehouse_error(cause, warehouse)
    if warehouse_problem is not None:
        return warehouse_problem
    text = first_line(cause)
    if step == "load":
        return SyncError(
            f"Loading {source} into {warehouse.describe()} failed: {text}. The extracted data is kept, and the "
            "next run loads it before reading anything new; check that the warehouse is reachable and writable."
        )
    return SyncError(
        f"The {source} sync failed: {text}. Nothing of this run was loaded, and the cursors did not move. "
        "If a rerun fails the same way, run it with FINSYNC_DEBUG=1 to see the whole chain of errors."
    )


def interruption(signum: int, source: str, step: str | None) -> str:
    from finsync.errors import signal_name

    run = progress.active()
    if run is not None:
        where = f"while {run.step}: {run.stopped_here()}"
    elif step in ("load", "normalize"):
        where = f"during {step}: its extracted data is kept, and the next run loads it before reading anything new"
    else:
        where = f"during {step or 'its start'}: nothing of this run was loaded and no cursor moved"
    return f"{source} stopped by {signal_name(signum)} {where}. Rerun to resume."


def warehouse_error(error: BaseException, warehouse: Warehouse) -> FinsyncError:
    """A driver's refusal to open the warehouse, as the fix it needs."""
    translated = known_warehouse_error(error, warehouse)
    if translated is None:
        translated = SyncError(f"Cannot open the warehouse {warehouse.describe()}: {first_line(error)}")
        translated.original = error
    return translated


def known_warehouse_error(error: BaseException, warehouse: Warehouse) -> FinsyncError | None:
    """The fix a driver's error names, when it is one this knows (a lock, a bad file, an unreachable server)."""
    translated = _warehouse_error(error, warehouse)
    if translated is not None:
        translated.original = error
    return translated


def _warehouse_error(error: BaseException, warehouse: Warehouse) -> FinsyncError | None:
    kind = type(error).__name__
    text = redact(str(error)).strip()
    lowered = text.lower()
    if warehouse.kind == "duckdb" and "duckdb" in type(error).__module__:
        if "OutOfMemory" in kind:
            from .database import duckdb_settings

            return ConfigurationError(
                "warehouse.duckdb_memory_limit",
                f"({duckdb_settings()['memory_limit']}) was not enough for DuckDB to load this data",
                "Raise it (e.g. WAREHOUSE__DUCKDB_MEMORY_LIMIT=1GB): the extracted data is kept, and the next run "
                "loads it first.",
            )
        holder = _LOCK_HOLDER.search(text)
        if "lock" in lowered and holder and runs_finsync(int(holder["pid"])):
            return Busy(
                f"The DuckDB file {warehouse.duckdb_path} is in use by another finsync run (process "
                f"{holder['pid']}): DuckDB lets one program write a file at a time, and that run holds it while it "
                "loads. Nothing was done: run again once it has finished (a scheduler may simply retry later)."
            )
        if "lock" in lowered and holder:
            return Busy(
                f"The DuckDB file {warehouse.duckdb_path} is open in another program ({holder['program']}, process "
                f"{holder['pid']}); DuckDB lets one program write a file at a time, and none read it meanwhile. "
                "Close that program (a notebook, a BI tool, the duckdb CLI), or point readers at a copy, then run "
                "again."
            )
        if "not a valid duckdb" in lowered or "unable to open" in lowered or "cannot open" in lowered:
            return WarehouseUnusable(
                f"--duckdb-path {warehouse.duckdb_path}: DuckDB cannot open it ({first_line(error)}); choose "
                "another path or move that file away."
            )
    if warehouse.kind == "postgres" and kind in ("OperationalError", "InterfaceError"):
        try:
            where = warehouse.masked_dsn()
        except ConfigurationError:
            where = "the configured server"
        if "does not exist" in lowered and "database" in lowered:
            problem = "is reachable, but that database does not exist: create it, or name an existing one"
        elif any(
            word in lowered
            for word in ("password authentication failed", "no password supplied", "authentication failed", "role")
        ):
            problem = (
                "refused the login: check the user and password (or PGPASSWORD / ~/.pgpass); the server's "
                f"answer was: {first_line(error)}"
            )
        else:
            problem = f"cannot be reached ({first_line(error)}): check the host and port, and that it is running"
        return WarehouseUnusable(
            f"PostgreSQL at {where} {problem}. Set DESTINATION__POSTGRES__CREDENTIALS (or "
            "destination.postgres.credentials in .dlt/secrets.toml) to a working postgresql://user[:password]@host:port/db."
        )
    return None


def runs_finsync(pid: int) -> bool:
    """Whether process `pid` is a finsync command (`finsync …`, `python -m finsync …`), as far as the system
    says (Linux's /proc; elsewhere no process is taken for one)."""
    try:
        argv = [os.path.basename(arg) for arg in Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")]
    except (OSError, UnicodeDecodeError):
        return False
    # The program or the script it runs is named finsync, or Python runs the module: `duckdb finsync.duckdb`
    # names the file, not the program.
    return "finsync" in argv[:2] or any(pair == ("-m", "finsync") for pair in itertools.pairwise(argv))


def root_cause(error: BaseException) -> BaseException:
    """The innermost exception of a chain (dlt's step and extraction wrappers, causes, contexts)."""
    seen: set[int] = set()
    current = error
    while id(current) not in seen:
        seen.add(id(current))
        nested = getattr(current, "exception", None)
        inner = nested if isinstance(nested, BaseException) else current.__cause__ or current.__context__
        if inner is None:
            break
        current = inner
    return current


def first_line(error: BaseException) -> str:
    """`Kind: the first non-empty line of its message`, redacted."""
    lines = [line.strip() for line in redact(str(error)).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0][:400]}" if lines else type(error).__name__


E = TypeVar("E", bound=BaseException)


def _find(error: BaseException | None, kind: type[E]) -> E | None:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, kind):
            return error
        nested = getattr(error, "exception", None)
        if isinstance(nested, BaseException) and isinstance(nested, kind):
            return nested
        error = error.__cause__ or error.__context__ or (nested if isinstance(nested, BaseException) else None)
    return None
