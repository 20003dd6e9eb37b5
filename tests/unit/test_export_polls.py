"""The board of YM export polls: when each running export is asked for its status, so that many exports
share the request budget instead of each polling on its own."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from finsync.errors import BatchReadFailed
from finsync.sources.ym.client import ExportState, ExportStatus
from finsync.sources.ym.polls import FIRST_POLL_DELAY, ExportPolls, Watched, next_poll

INTERVAL = 3.0


def watched(export_id: str, items: int, started: float, asked: float | None = None) -> Watched:
    return Watched(export_id, items, started, started if asked is None else asked)


@pytest.mark.parametrize(
    ("ran", "wait"),
    [(0.0, FIRST_POLL_DELAY), (0.4, FIRST_POLL_DELAY), (4.0, 1.0), (8.0, 2.0), (60.0, INTERVAL)],
)
def test_an_export_alone_is_asked_again_after_a_quarter_of_the_time_it_has_run(ran: float, wait: float) -> None:
    me = watched("e1", 100, started=10.0, asked=10.0 + ran)
    assert next_poll(me, [me], INTERVAL) == pytest.approx(10.0 + ran + wait)


def test_an_export_behind_a_running_one_no_larger_waits_for_it_but_never_longer_than_the_interval() -> None:
    front = watched("e1", 100, started=0.0)
    me = watched("e2", 100, started=0.1)
    assert next_poll(me, [front, me], INTERVAL) == pytest.approx(0.1 + INTERVAL)
    assert next_poll(me, [me], INTERVAL) == pytest.approx(0.1 + FIRST_POLL_DELAY), "once the front one is done"


def test_a_smaller_export_is_not_held_behind_a_larger_one_nor_an_earlier_one_behind_a_later_one() -> None:
    large = watched("e1", 100_000, started=0.0)
    small = watched("e2", 10, started=0.1)
    assert next_poll(small, [large, small], INTERVAL) == pytest.approx(0.1 + FIRST_POLL_DELAY)
    assert next_poll(large, [large, small], INTERVAL) == pytest.approx(FIRST_POLL_DELAY)


class Upstream:
    """Exports that stay WORKING for a number of polls each; every poll recorded in order."""

    def __init__(self, working_polls: dict[str, int]) -> None:
        self.left = dict(working_polls)
        self.asked: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def status(self, export_id: str) -> ExportStatus:
        with self._lock:
            if self.left[export_id] > 0:
                self.left[export_id] -= 1
                self.asked.append((export_id, "WORKING"))
                return ExportStatus(ExportState.WORKING, None)
            self.asked.append((export_id, "COMPLETE"))
            return ExportStatus(ExportState.COMPLETE, f"/files/{export_id}.csv")


def test_exports_queued_behind_a_running_one_are_asked_only_once_it_is_done_then_once_each() -> None:
    upstream = Upstream({"e1": 2, "e2": 0, "e3": 0})
    polls = ExportPolls(upstream.status, poll_interval=30.0, timeout=60.0)

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(polls.until_complete, "e1", 200)
        while not upstream.asked:  # e1 is on the board, and was asked once, before the others start
            time.sleep(0.01)
        others = [pool.submit(polls.until_complete, "e2", 200), pool.submit(polls.until_complete, "e3", 500)]
        uris = [first.result(10), *(other.result(10) for other in others)]

    assert uris == ["/files/e1.csv", "/files/e2.csv", "/files/e3.csv"]
    assert upstream.asked[:3] == [("e1", "WORKING"), ("e1", "WORKING"), ("e1", "COMPLETE")]
    assert sorted(upstream.asked[3:]) == [("e2", "COMPLETE"), ("e3", "COMPLETE")], "one poll each, no waste"


def test_an_export_that_reports_failure_fails_and_releases_those_behind_it() -> None:
    def status(export_id: str) -> ExportStatus:
        return ExportStatus(ExportState.FAILURE if export_id == "e1" else ExportState.COMPLETE, "/f.csv")

    polls = ExportPolls(status, poll_interval=30.0, timeout=60.0)
    with pytest.raises(BatchReadFailed, match="FAILURE for export e1"):
        polls.until_complete("e1", 10)
    assert polls.until_complete("e2", 10) == "/f.csv"
    assert polls._watched == []


def test_an_export_still_running_at_the_timeout_is_given_up_naming_the_setting() -> None:
    now = [0.0]

    def clock() -> float:  # time passes at every look
        now[0] += 0.5
        return now[0]

    polls = ExportPolls(
        lambda _id: ExportStatus(ExportState.WORKING, None), poll_interval=1.0, timeout=5.0, clock=clock
    )
    with pytest.raises(BatchReadFailed, match=r"e1 still not COMPLETE after \d+ polls.*export_timeout"):
        polls.until_complete("e1", 10)
