"""What the commands show while they sync: a live progress line, errors, rows per table."""

from __future__ import annotations

import logging
import os
import traceback
from collections import Counter
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table as RichTable
from rich.text import Text

from finsync.errors import FinsyncError, Interrupted
from finsync.http import redact
from finsync.warehouse.runner import SyncReport, Warehouse, sync

console = Console(stderr=True, soft_wrap=True)
out = Console()


class ProgressView(logging.Handler):
    """Turns the sources' progress log records into one live status line."""

    LABELS = {"page": "pages read", "poll": "exports polled", "batch": "batches loaded"}

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[str] = Counter()
        self.source = ""
        self.live: Live | None = None

    def emit(self, record: logging.LogRecord) -> None:
        kind = getattr(record, "progress", None)
        if kind:
            self.counts[kind] += 1
            if self.live:
                self.live.update(self.render())

    def render(self) -> Text:
        done = ", ".join(f"{self.counts[k]} {label}" for k, label in self.LABELS.items())
        return Text(f"syncing {self.source}: {done}")


def sync_with_progress(
    sources: list[str],
    warehouse: Warehouse,
    full_refresh: bool,
    settings: dict[str, dict[str, Any]],
    *,
    sandbox: bool = False,
) -> int:
    """Sync each source with a live progress line, print rows per table, return the exit code.

    A source that fails does not stop the others, except an interruption, which stops the whole run.
    """
    view = ProgressView()
    logging.getLogger("finsync").addHandler(view)
    logging.getLogger("finsync").setLevel(logging.INFO)
    exit_code = 0
    reports: list[SyncReport] = []
    try:
        for name in sources:
            view.source, view.counts = name, Counter()
            try:
                with Live(view.render(), console=console, transient=True, refresh_per_second=8) as live:
                    view.live = live
                    reports.append(
                        sync(name, warehouse, full_refresh=full_refresh, settings=settings.get(name), sandbox=sandbox)
                    )
            except Interrupted as error:
                print_error(name, error)
                exit_code = error.exit_code
                skipped = sources[sources.index(name) + 1 :]
                if skipped:
                    console.print(f"not started: {', '.join(skipped)}", highlight=False)
                break
            except FinsyncError as error:
                print_error(name, error)
                exit_code = max(exit_code, error.exit_code)
                report = getattr(error, "report", None)
                if report is not None:
                    reports.append(report)  # a source that partly loaded still shows what it loaded
            finally:
                view.live = None
    finally:
        logging.getLogger("finsync").removeHandler(view)
    if reports:
        out.print(summary(reports))
        for report in reports:
            for note in report.notes:
                console.print(f"note ({report.source}): {note}", highlight=False)
    return exit_code


def print_error(source: str | None, error: FinsyncError) -> None:
    """One paragraph; with FINSYNC_DEBUG=1, also the whole chain of errors behind it (redacted)."""
    label = "stopped" if isinstance(error, Interrupted) else "error"
    console.print(f"[red]{label}[/]{f' ({source})' if source else ''}: {error}", highlight=False)
    original = getattr(error, "original", None)
    if os.environ.get("FINSYNC_DEBUG") and original is not None:
        chain = "".join(traceback.format_exception(original))
        console.print(redact(chain), highlight=False, markup=False)


def summary(reports: list[SyncReport]) -> RichTable:
    table = RichTable(title="finsync: rows per table", title_justify="left")
    for column in ("source", "table", "loaded this run", "in warehouse"):
        table.add_column(column, justify="right" if column not in ("source", "table") else "left")
    for report in reports:
        for name in sorted(set(report.table_rows) | set(report.rows_loaded)):
            table.add_row(
                report.source, name, str(report.rows_loaded.get(name, 0)), str(report.table_rows.get(name, 0))
            )
    seconds = sum(r.seconds for r in reports)
    table.caption = f"into {reports[0].warehouse} in {seconds:.1f}s"
    return table
