"""The window every Younium list takes: ModifiedAfter and ModifiedBefore, both exclusive.

Its own module because every store and every record writer filters by it, and none of them should have
to import the dataset that composes them to do so.
"""

from __future__ import annotations

from typing import NamedTuple


class Window(NamedTuple):
    """ModifiedAfter / ModifiedBefore, both exclusive, in ms (None: unbounded)."""

    after: int | None = None
    before: int | None = None

    def contains(self, moment: int) -> bool:
        return (self.after is None or moment > self.after) and (self.before is None or moment < self.before)
