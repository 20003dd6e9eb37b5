"""The time left a run's display estimates: only once enough of an activity is done to tell its pace."""

from __future__ import annotations

from finsync.progress import Activity


def test_no_estimate_until_a_tenth_is_done_then_the_pace_so_far() -> None:
    # 19 batch exports started together: the first one done after 15 s says nothing of the other 18.
    exports = Activity("batches read", done=1, total=19, started=0.0)
    assert exports.eta(15.0) is None
    exports.done = 2
    assert exports.eta(16.0) == 16.0 / 2 * 17
    pages = Activity("pages", done=5, total=100, started=0.0)
    assert pages.eta(10.0) is None  # 5 of 100: under a tenth
    pages.done = 10
    assert pages.eta(10.0) == 90.0
    assert Activity("unknown total", done=50, started=0.0).eta(10.0) is None
    assert Activity("finished", done=19, total=19, started=0.0).eta(10.0) is None
