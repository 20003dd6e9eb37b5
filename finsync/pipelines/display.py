"""What the commands show while they sync: a live progress line, errors, rows per table."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table as RichTable
from rich.text import Text

from finsync.errors import FinsyncError

from .runner import SyncReport, Warehouse, sync

console = Console(stderr=True)
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
    sources: list[str], warehouse: Warehouse, full_refresh: bool, settings: dict[str, dict[str, Any]]
) -> int:
    """Sync each source with a live progress line, print rows per table, return the exit code."""
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
                    reports.append(sync(name, warehouse, full_refresh=full_refresh, settings=settings.get(name)))
            except FinsyncError as error:
                console.print(f"[red]error[/] ({name}): {error}", highlight=False)
                exit_code = max(exit_code, error.exit_code)
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
