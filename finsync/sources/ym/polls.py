"""When each running export is asked for its status: one board for all of a run's exports, so that their
polls share the request budget instead of each export sleeping and asking on its own.

YM gives no way to ask about many exports at once, and every poll is a request against the same budget
as the starts and downloads that make progress. Two rules keep polls few without making anyone wait long:

- **Cadence**: an export is asked again after a quarter of the time it has run so far (at least
  `FIRST_POLL_DELAY`, at most `poll_interval`): a small export is seen finished within moments, and a
  long one is noticed at most a quarter late, with a handful of polls.
- **Queue**: an export started after another still running, with at least as many items, is presumably
  still running too: it is not asked until that one has finished (but never left unasked for more than
  `poll_interval`). Exports of a run mostly finish in the order they started, so when one finishes the
  next is asked at once, and only the export at the front of the queue spends polls while it works.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from finsync.errors import BatchReadFailed
from finsync.http.stop import STOP_CHECK_SECONDS, raise_if_stopping

from .client import ExportState, ExportStatus

logger = logging.getLogger(__name__)

FIRST_POLL_DELAY = 0.25


@dataclass
class Watched:
    """A running export on the board: what the board knows of it."""

    export_id: str
    items: int
    started: float
    asked: float  # when it was last asked (its start, before the first poll)


def next_poll(me: Watched, watched: Sequence[Watched], poll_interval: float) -> float:
    """The moment `me` is next asked about, given every export of the run still running (in start order)."""
    ran = me.asked - me.started
    own = me.asked + min(poll_interval, max(FIRST_POLL_DELAY, ran / 4))
    for other in watched:
        if other is me:
            break
        if other.items <= me.items:
            return max(own, me.asked + poll_interval)
    return own


class ExportPolls:
    """Polls the exports of one run on one board; `until_complete` is called from each export's thread."""

    def __init__(
        self,
        status: Callable[[str], ExportStatus],
        poll_interval: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._status = status
        self._poll_interval = poll_interval
        self._timeout = timeout
        self._clock = clock
        self._watched: list[Watched] = []
        self._changed = threading.Condition()

    def until_complete(self, export_id: str, items: int) -> str:
        """Ask about `export_id` when its turn comes until it is COMPLETE; return its file's URI. Raise on
        FAILURE, or once `timeout` has passed since it was started."""
        now = self._clock()
        me = Watched(export_id, items, now, now)
        with self._changed:
            self._watched.append(me)
        try:
            polls = 0
            while True:
                self._wait_for_turn(me, polls)
                status = self._status(export_id)
                polls += 1
                logger.info("YM export %s: %s", export_id, status.state.name)
                if status.state is ExportState.FAILURE:
                    raise BatchReadFailed(f"YM reported FAILURE for export {export_id}")
                if status.state is ExportState.COMPLETE and status.uri:
                    return status.uri
                with self._changed:
                    me.asked = self._clock()
        finally:
            with self._changed:
                self._watched.remove(me)
                self._changed.notify_all()

    def _wait_for_turn(self, me: Watched, polls: int) -> None:
        deadline = me.started + self._timeout
        with self._changed:
            while True:
                raise_if_stopping()
                now = self._clock()
                due = next_poll(me, self._watched, self._poll_interval)
                if max(due, now) > deadline:
                    raise BatchReadFailed(
                        f"export {me.export_id} still not COMPLETE after {polls} polls; gave up after "
                        f"{self._timeout:.0f}s (sources.ym.export_timeout). It is retried next run."
                    )
                if due <= now:
                    return
                # Woken early when an export ahead finishes: its followers are asked at once.
                self._changed.wait(min(due - now, STOP_CHECK_SECONDS))
