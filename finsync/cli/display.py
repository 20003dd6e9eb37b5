"""What the commands show around a sync: its progress, its errors, and what it changed per table."""

from __future__ import annotations

import gc
import os
import traceback
from typing import Any

from rich.markup import escape
from rich.table import Table as RichTable

from finsync.errors import EXIT_TEMPFAIL, Busy, FinsyncError, Interrupted
from finsync.http import redact
from finsync.http.pacing import REQUESTS, THROTTLED, WAITED, WAITED_WALL
from finsync.warehouse.database import check_run_settings, note_spill_dir
from finsync.warehouse.runner import SyncReport, Target, Warehouse, check_warehouse_purpose, sync

from .output import console, emit, mode, out, say
from .progress_view import ProgressDisplay

__all__ = ["print_error", "summary", "sync_with_progress"]


def sync_with_progress(
    targets: list[Target],
    warehouse: Warehouse,
    full_refresh: bool,
    settings: dict[str, dict[str, Any]],
    *,
    sandbox: bool = False,
) -> int:
    """Sync each tenant, showing its progress; print what changed per table; return the exit code.

    A tenant that fails does not stop the others, except an interruption, which stops the whole run.
    Every tenant appears in the summary, one that failed too. `settings` are by tenant label. The exit
    code is `run_exit_code`'s.
    """
    # The modules imported by now (dlt, DuckDB, Arrow: a few hundred thousand objects) live as long as the
    # process: frozen, the collector stops walking them again on each of a run's collections.
    gc.freeze()
    check_run_settings(warehouse)
    check_warehouse_purpose(warehouse, sandbox)
    note_spill_dir(warehouse)
    stopped: FinsyncError | None = None
    errors: list[FinsyncError] = []
    reports: list[SyncReport] = []
    for number, target in enumerate(targets):
        name = target.label
        try:
            with ProgressDisplay(name):
                report = sync(
                    target.source,
                    warehouse,
                    tenant=target.tenant,
                    full_refresh=full_refresh,
                    settings=settings.get(name),
                    sandbox=sandbox,
                )
            reports.append(report)
        except Interrupted as error:
            stopped = error
            print_error(name, error)
            reports.append(failed_report(name, warehouse, error))
            skipped = [t.label for t in targets[number + 1 :]]
            if skipped:
                say(f"not started: {', '.join(skipped)}")
            break
        except FinsyncError as error:
            print_error(name, error)
            errors.append(error)
            reports.append(failed_report(name, warehouse, error))
    if reports:
        if mode.log_format == "json":
            for report in reports:
                emit("info", "summary", f"{report.source}: {outcome(report)}", **summary_fields(report))
        else:
            out.print(summary(reports))
        for report in reports:
            for text in [*report.notes, *politeness(report)]:
                say(f"note ({report.source}): {text}")
        failed = [r.source for r in reports if (r.failed or r.failures) and not r.busy]
        busy = [r.source for r in reports if r.busy]
        if (failed or busy) and len(failed) + len(busy) < len(reports):
            said = [f"failed: {', '.join(failed)}"] if failed else []
            held = "another run or program held what it needs; run again later"
            said += [f"busy: {', '.join(busy)} ({held})"] if busy else []
            say(f"{'; '.join(said)}; the others loaded", event="failed" if failed else "busy")
    if stopped is not None:
        return stopped.exit_code
    return run_exit_code(errors, loaded=len(reports) - len(errors))


def run_exit_code(errors: list[FinsyncError], loaded: int) -> int:
    """0 when every tenant loaded. When the only failures are `Busy` (another run holds a source), 75: the run
    did what it could, and what was held is for a run later (the tenants that were free loaded). Otherwise,
    beside tenants that loaded, 1 (a sync failed) whatever the failures were; with none loaded, the highest
    code of the failures that are not `Busy` (a single tenant's run keeps its own, e.g. 2 for credentials)."""
    if not errors:
        return 0
    others = [error.exit_code for error in errors if not isinstance(error, Busy)]
    if not others:
        return EXIT_TEMPFAIL
    return 1 if loaded else max(others)


def failed_report(source: str, warehouse: Warehouse, error: FinsyncError) -> SyncReport:
    """What the run of a source that failed did: from the sync itself when it got that far."""
    report = getattr(error, "report", None)
    if isinstance(report, SyncReport):
        return report
    return SyncReport(source, warehouse.describe(), failed=True, busy=isinstance(error, Busy))


def print_error(source: str | None, error: FinsyncError) -> None:
    """One paragraph; with FINSYNC_DEBUG=1, also the whole chain of errors behind it (redacted)."""
    label = "stopped" if isinstance(error, Interrupted) else "error"
    if mode.log_format == "json":
        emit("error", label, str(error), source=source, exit_code=error.exit_code)
    else:
        # The message is text, never markup: `[sources.ym]` in it is a TOML table to show, not a style.
        message = escape(f"{f' ({source})' if source else ''}: {redact(str(error))}")
        console.print(f"[red]{label}[/]{message}", highlight=False)
    original = getattr(error, "original", None)
    if os.environ.get("FINSYNC_DEBUG") and original is not None:
        chain = "".join(traceback.format_exception(original))
        console.print(redact(chain), highlight=False, markup=False)


def politeness(report: SyncReport) -> list[str]:
    """What the upstream's rate limit cost the run, when it cost anything."""
    throttled, waited = int(report.http.get(THROTTLED, 0)), report.http.get(WAITED, 0.0)
    wall = report.http.get(WAITED_WALL, 0.0)
    if not throttled and wall < 1:
        return []
    return [
        f"{counted(int(report.http.get(REQUESTS, 0)), 'request')}, {throttled:,} answered 429 or 503 (slow down); "
        f"for {wall:.1f}s of the run a request was waiting to be sent ({waited:.1f}s summed over the threads that "
        "waited), held by the request-rate cap, the cap on requests in flight or the upstream's Retry-After"
    ]


def counted(number: int, thing: str) -> str:
    """`1 request`, `2 requests`."""
    return f"{number:,} {thing}{'' if number == 1 else 's'}"


def outcome(report: SyncReport) -> str:
    if report.busy:
        held = "another run or program holds what it needs (see the error above)"
        return f"busy: {report.left or 'nothing of this run was loaded'}; {held}"
    if report.failed:
        return f"failed: {report.left or 'nothing of this run was loaded'} (see the error above)"
    if report.failures:
        return f"partly loaded: {len(report.failures)} part(s) could not be read (see the error above)"
    return f"loaded in {report.seconds:.1f}s"


def summary_fields(report: SyncReport) -> dict[str, Any]:
    tables = sorted(set(report.table_rows) | set(report.rows_loaded))
    return {
        "source": report.source,
        "outcome": "busy" if report.busy else "failed" if report.failed else "partial" if report.failures else "loaded",
        "seconds": round(report.seconds, 1),
        "http": {
            "requests": int(report.http.get(REQUESTS, 0)),
            "throttled": int(report.http.get(THROTTLED, 0)),
            "seconds_waiting": round(report.http.get(WAITED, 0.0), 1),
            "seconds_with_a_request_waiting": round(report.http.get(WAITED_WALL, 0.0), 1),
        },
        "tables": {
            t: {
                "read": report.rows_loaded.get(t, 0),
                "new": report.new_rows(t),
                "in_warehouse": report.table_rows.get(t, 0),
            }
            for t in tables
        },
    }


def summary(reports: list[SyncReport]) -> RichTable:
    """Per table: rows read this run, rows new to the warehouse (a rerun that changed nothing shows 0), rows
    in the warehouse; a source that failed says so."""
    table = RichTable(title="finsync: what this run changed", title_justify="left")
    for column in ("source", "table", "read this run", "new", "in warehouse"):
        table.add_column(column, justify="left" if column in ("source", "table") else "right")
    for report in reports:
        tables = sorted(set(report.table_rows) | set(report.rows_loaded))
        if report.failed or not tables:
            table.add_row(report.source, outcome(report), "", "", "")
            continue
        for name in tables:
            read, new, held = report.rows_loaded.get(name, 0), report.new_rows(name), report.table_rows.get(name, 0)
            table.add_row(report.source, name, f"{read:,}", f"{new:,}", f"{held:,}")
        if report.failures:
            table.add_row(report.source, outcome(report), "", "", "")
    seconds = sum(r.seconds for r in reports)
    table.caption = f"into {reports[0].warehouse} in {seconds:.1f}s"
    return table
