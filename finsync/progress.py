"""What a run is doing now, for whoever shows it: activities with their counts (and totals where the upstream
announces one), the dlt step under way, and rows extracted per table.

Sources report through `advance(...)` from any thread; the runner opens one `RunProgress` per source run and
is also dlt's progress collector for it (dlt reports rows per table while extracting, files while
normalizing and jobs while loading). The display reads `snapshot()`s: nothing here prints.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from dlt.common.runtime.collector_base import Collector

# dlt's step names ("Extract ym", "Normalize ym in 1733…", "Load ym in 1733…") -> what the display calls them.
STEPS = {"Extract": "reading", "Normalize": "normalizing", "Load": "loading"}


@dataclass
class Activity:
    """One thing a run does many times: `done` of `total` (None while unknown), since `started`."""

    name: str
    done: int = 0
    total: int | None = None
    started: float = field(default_factory=time.monotonic)
    finished: bool = False

    def eta(self, now: float) -> float | None:
        """Seconds left at the pace so far, where a total is known and enough is done to tell a pace: a tenth of
        it, and at least two. Work done concurrently (batch exports, pages read ahead) finishes in bursts: the
        first one done after most of a read's time would otherwise promise many times the time left."""
        if self.total is None or self.done >= self.total or self.done < max(2, self.total / 10):
            return None
        return (now - self.started) / self.done * (self.total - self.done)


@dataclass(frozen=True)
class Snapshot:
    source: str
    step: str
    elapsed: float
    step_elapsed: float
    activities: tuple[Activity, ...]
    rows: dict[str, int]


class RunProgress(Collector):
    """The progress of one source's run. Thread-safe."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.step = "starting"
        self.started = self.step_started = time.monotonic()
        self._activities: dict[str, Activity] = {}
        self._rows: dict[str, int] = {}
        self.tallies: dict[str, float] = {}  # what the run's HTTP did: requests, 429s, seconds waiting
        self.loaded = False  # this run's load is committed (what is left: the steps after it)
        self._lock = threading.Lock()
        self.changed = threading.Event()  # set at every step change, for displays that log those

    # -- what sources and finsync's own steps report ----------------------------------------------------------

    def advance(self, activity: str, done: int = 1, *, total: int | None = None, more: int = 0) -> None:
        """`done` more of `activity`; `total` when it becomes known, or `more` to add to the total."""
        with self._lock:
            current = self._activities.setdefault(activity, Activity(activity))
            current.done += done
            if total is not None:
                current.total = total
            elif more:
                current.total = (current.total or 0) + more

    def tally(self, name: str, amount: float = 1) -> None:
        with self._lock:
            self.tallies[name] = self.tallies.get(name, 0) + amount

    def enter(self, step: str) -> None:
        with self._lock:
            for activity in self._activities.values():
                activity.finished = True
            self.step, self.step_started = step, time.monotonic()
        self.changed.set()

    def stopped_here(self) -> str:
        """What of the run a stop at this point leaves loaded, and what the next run does about the rest."""
        if self.step == "done":
            return "its run had finished"
        if self.step == "refreshing views":
            return "its data and the steps after the load were committed, but the analytics views were not refreshed"
        if self.loaded:
            return (
                "its data was loaded, but the steps after the load (deletion marks, history versions) were not "
                "committed; the next run does them before it reads anything"
            )
        if self.step == STEPS["Load"]:
            with self._lock:
                jobs = self._activities.get("jobs loaded")
            if jobs and jobs.total and jobs.done >= jobs.total:
                return "every load job had committed; the next run records the load complete before it reads anything"
            done = f"{jobs.done} of {jobs.total} load jobs" if jobs and jobs.total else "none of its load jobs"
            return (
                f"it was loading, and {done} had committed; the next run loads the rest before it reads anything "
                "new, and writes nothing twice"
            )
        if self.step == STEPS["Normalize"]:
            return "nothing of it was loaded yet; what it read is kept, and the next run loads it first"
        return "nothing of it was loaded and no cursor moved"

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        with self._lock:
            activities = tuple(Activity(**vars(a)) for a in self._activities.values())
            return Snapshot(
                self.source, self.step, now - self.started, now - self.step_started, activities, dict(self._rows)
            )

    # -- dlt's collector interface ----------------------------------------------------------------------------

    def update(
        self,
        name: str,
        inc: int = 1,
        total: int | None = None,
        inc_total: int | None = None,
        message: str | None = None,
        label: str | None = None,
    ) -> None:
        if label:
            return
        if self.step == STEPS["Extract"]:
            if name != "Resources" and not name.startswith("_dlt"):  # the others: a table's rows
                with self._lock:
                    self._rows[name] = self._rows.get(name, 0) + inc
            return
        if name in ("Files", "Jobs"):
            self.advance(f"{name.lower()} {self.step.replace('ing', 'ed')}", inc, total=total, more=inc_total or 0)

    def _start(self, step: str) -> None:
        self.enter(STEPS.get(step.split(" ")[0], step))

    def _stop(self) -> None:
        pass


_active: RunProgress | None = None


def start(source: str) -> RunProgress:
    """The progress of the run now starting (one source at a time per process)."""
    global _active
    _active = RunProgress(source)
    return _active


def active() -> RunProgress | None:
    return _active


def advance(activity: str, done: int = 1, *, total: int | None = None, more: int = 0) -> None:
    """Report progress of the run under way (nothing happens outside a run)."""
    if _active is not None:
        _active.advance(activity, done, total=total, more=more)


def tally(name: str, amount: float = 1) -> None:
    """Count `amount` more of `name` for the run under way (nothing happens outside a run)."""
    if _active is not None:
        _active.tally(name, amount)


def describe(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot as plain data (for JSON log lines and tests)."""
    return {
        "source": snapshot.source,
        "step": snapshot.step,
        "elapsed_s": round(snapshot.elapsed, 1),
        "activities": {
            a.name: {"done": a.done, **({"total": a.total} if a.total is not None else {})} for a in snapshot.activities
        },
        "rows": snapshot.rows,
    }
