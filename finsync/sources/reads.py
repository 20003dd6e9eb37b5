"""How a source reads its lists, source-neutral: each list declared once (`ListRead`), and one implementation
of the incremental window (`Windows`) for every source.

A list is read in one of two ways:

- in closed windows over its records' change time (`WINDOW`; the fields of its `cursor`, `modified` by
  default): a read covers (its cursor less the overlap, the moment it started), so a record that changes while
  the run reads is left to the next run; its cursor becomes the newest change it read, never past that moment.
  A sweep, when due (every `sweep_every`, or asked for), reads further back: `sweep_back` before the cursor
  (entries back-dated past the overlap), or, for a list `swept` to find deletions, from the start date, whole.
  A first read is whole too.
- whole on every run (`WHOLE`): a list with no change time to read by.

What a whole read implies is declared with the list: the rows of the tables in `marks_deleted` that it did
not write are gone upstream (marked `deleted_at` after the load), and `complete_children` names the child
tables whose rows come whole with each parent written (a child row of such a parent the read did not write
is gone from it). A list whose incremental pages carry only the children that changed is read again by id
(`by_id`), each record whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Literal

import pyarrow as pa

from finsync.tables import Table, records_of, unnested

from .state import ListMemory

UTC = timezone.utc
Reading = Literal["window", "whole"]
WINDOW: Final = "window"
WHOLE: Final = "whole"


@dataclass(frozen=True)
class Window:
    """An incremental read's closed window: records changed after `after` and before `before`. Its end is
    fixed when the read starts, so a record that changes while the run reads is left to the next run."""

    after: datetime
    before: datetime
    resumed: bool = False  # it continues from a cursor: its overlap re-reads records, so it is never empty
    complete: bool = False  # it reads from the start date: every record comes with all its children
    sweep: bool = False  # a sweep: it reads further back than the overlap


@dataclass(frozen=True)
class Windows:
    """Closed windows over a list's change time, from `start` (where reads begin) with `overlap` re-read."""

    start: datetime
    overlap: timedelta
    sweep_every: timedelta
    # A sweep re-reads this far before the cursor; None: it reads from the start date, whole.
    sweep_back: timedelta | None = None
    force: bool = False  # sweep now, due or not

    def open(self, memory: ListMemory, *, sweeps: bool = True, now: datetime | None = None) -> Window:
        """The window of a read starting `now`, from what `memory` says the last one read."""
        now = now or datetime.now(UTC).replace(microsecond=0)
        last = memory.cursor
        sweep = sweeps and last is not None and (self.force or memory.sweep_due(self.sweep_every, now))
        if last is None:
            after = self.start
        elif sweep:
            after = self.start if self.sweep_back is None else max(self.start, last - self.sweep_back)
        else:
            after = max(self.start, last - self.overlap)
        return Window(after, now, resumed=last is not None, complete=after == self.start, sweep=sweep)

    def close(self, memory: ListMemory, window: Window, newest: datetime | None, *, sweeps: bool = True) -> None:
        """Remember what `window` read: its cursor, the newest change read (never past the window's end), and
        when it swept (a first read of everything counts as a sweep)."""
        if newest is not None:
            memory.cursor = min(newest, window.before)
        if sweeps and (window.sweep or window.complete):
            memory.swept(window.before)


@dataclass(frozen=True)
class Feed:
    """A table a list fills, and the rows it makes of a page of the list's records (`columns`: an Arrow table
    of them as the wire nests them -> a table of upstream field names; by default the records' own fields).
    A table whose rows are read per record, with requests of their own (a batch's log), has a `fan_out`
    instead: the dlt transformer (pages of records, the run's reader) -> its tables."""

    table: Table
    columns: Callable[[pa.Table], pa.Table] = unnested
    fan_out: Any = None
    # Records read per record of the list (an order's versions), shared by every feed naming the same one:
    # the dlt transformer (pages of records, the run's reader) -> pages of them, which `columns` is given.
    through: Any = None


@dataclass(frozen=True)
class ById:
    """Records an incremental page lists carry only the `children` that changed: each is read again, whole,
    by `fetch` (client, id) -> the record, or None when it is gone."""

    children: str
    fetch: Callable[[Any, str], dict[str, Any] | None]


@dataclass(frozen=True)
class ListRead:
    """One upstream list, declared once: its records as the wire nests them (`records`, asked when a run
    starts), how it is read (`fetch`: (client, the window or, for a list read whole, whether rows are
    expected, `records`) -> its pages, tables of `records`), the tables it feeds, and what a whole read
    implies."""

    name: str
    how: Reading
    records: Callable[[], pa.Schema]
    fetch: Callable[[Any, Any, pa.Schema], Iterator[pa.Table]]
    feeds: tuple[Feed, ...]
    swept: bool = False  # a sweep reads it whole, to find deletions
    marks_deleted: tuple[str, ...] = ()  # tables whose rows a whole read did not write are marked deleted
    complete_children: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # child: (parent, key to it)
    by_id: ById | None = None
    feature: str | None = None  # read only when the run may read this feature (the tenant's permissions)
    endpoint: str = ""  # the path its pages are read from (what `finsync probe` asks)
    # The fields a window reads by: a record's change time is the latest of them it has (a list whose
    # children's changes move another field than `modified`: an order's `lastUpdated`).
    cursor: tuple[str, ...] = ("modified",)

    @classmethod
    def one_table(
        cls,
        name: str,
        how: Reading,
        fetch: Callable[[Any, Any, pa.Schema], Iterator[pa.Table]],
        table: Table,
        feature: str | None = None,
        endpoint: str = "",
    ) -> ListRead:
        """A list whose records are the rows of one table, which finds its deletions: swept when it is read in
        windows, and what a whole read of it did not write is gone upstream."""
        return cls(
            name,
            how,
            lambda: records_of(table),
            fetch,
            (Feed(table),),
            swept=how == WINDOW,
            marks_deleted=(table.name,),
            feature=feature,
            endpoint=endpoint,
        )


def whole_reads(lists: Sequence[ListRead]) -> dict[str, tuple[str, ...]]:
    """The lists a whole read of which marks what it did not write as deleted, with the tables it marks."""
    return {read.name: read.marks_deleted for read in lists if read.marks_deleted}


def always_whole(lists: Sequence[ListRead]) -> tuple[str, ...]:
    return tuple(read.name for read in lists if read.how == WHOLE)


def complete_children(lists: Sequence[ListRead]) -> dict[str, tuple[str, str]]:
    return {child: parent for read in lists for child, parent in read.complete_children.items()}
