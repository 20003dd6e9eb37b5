"""Showing a run's progress while it goes: a live table on a terminal, timestamped lines anywhere else."""

from __future__ import annotations

import threading
import time
from types import TracebackType

from rich.live import Live
from rich.table import Table as RichTable
from rich.text import Text

from finsync import progress
from finsync.progress import Snapshot

from .output import console, emit, mode

# Lines for a scheduler's log: at every step change, and at least this often during a long step.
LOG_EVERY_SECONDS = 10.0


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _count(done: int, total: int | None) -> str:
    return f"{done:,}/{total:,}" if total is not None else f"{done:,}"


def render(snapshot: Snapshot) -> RichTable:
    """One row for the step under way, one per activity (with its total and an ETA where known), and the
    rows read so far per table."""
    now = time.monotonic()
    table = RichTable(title=f"finsync: syncing {snapshot.source}", title_justify="left", expand=False)
    for column in ("what", "done", "elapsed", "left"):
        table.add_column(column, justify="left" if column == "what" else "right")
    spinner = "|/-\\"[int(now * 4) % 4]
    table.add_row(Text(f"{spinner} {snapshot.step}", style="bold"), "", _clock(snapshot.step_elapsed), "")
    for activity in snapshot.activities:
        eta = activity.eta(now)
        table.add_row(
            f"  {activity.name}",
            _count(activity.done, activity.total),
            _clock(now - activity.started),
            "done" if activity.finished else (f"~{_clock(eta)}" if eta is not None else ""),
        )
    for name, rows in sorted(snapshot.rows.items()):
        table.add_row(f"  rows: {name}", f"{rows:,}", "", "")
    table.caption = f"{_clock(snapshot.elapsed)} since the start"
    return table


def line(snapshot: Snapshot) -> str:
    activities = ", ".join(f"{a.name} {_count(a.done, a.total)}" for a in snapshot.activities)
    rows = ", ".join(f"{name} {count:,}" for name, count in sorted(snapshot.rows.items()))
    parts = [f"{snapshot.source} {snapshot.step} ({_clock(snapshot.elapsed)})", activities, rows and f"rows: {rows}"]
    return "; ".join(p for p in parts if p)


class ProgressDisplay:
    """For the run of one source: the live table, or lines every LOG_EVERY_SECONDS and at step changes, or
    nothing under --quiet. A context manager around `sync(...)`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._stop = threading.Event()
        self._live: Live | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ProgressDisplay:
        if mode.quiet:
            return self
        if mode.live:
            self._live = Live(
                Text(f"finsync: syncing {self.source}"),
                console=console,
                get_renderable=self._renderable,
                refresh_per_second=4,
                transient=True,  # replaced by the summary when the run ends
            )
            self._live.__enter__()
        else:
            self._thread = threading.Thread(target=self._log_lines, daemon=True, name="finsync-progress-log")
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._live is not None:
            self._live.__exit__(kind, error, trace)
        if self._thread is not None:
            self._thread.join(timeout=2)
            run = progress.active()
            if run is not None and run.source == self.source:
                snapshot = run.snapshot()
                emit("info", "progress", line(snapshot), **progress.describe(snapshot))

    def _renderable(self) -> RichTable | Text:
        run = progress.active()
        if run is None or run.source != self.source:
            return Text(f"finsync: syncing {self.source}")
        return render(run.snapshot())

    def _log_lines(self) -> None:
        last = 0.0
        while not self._stop.wait(0.2):
            run = progress.active()
            if run is None or run.source != self.source:
                continue
            changed = run.changed.is_set()
            if changed or time.monotonic() - last >= LOG_EVERY_SECONDS:
                run.changed.clear()
                snapshot = run.snapshot()
                emit("info", "progress", line(snapshot), **progress.describe(snapshot))
                last = time.monotonic()
