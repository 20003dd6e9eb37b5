"""How the Younium source reads its lists: closed windows over their change time (with sweeps that read a list
whole, to find deletions), records read again by id for their complete children, and lists with no
modified field read whole on every run. Each list is read once and feeds every table made from it; what
a read finds just as an earlier run wrote it is not written again."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from finsync import progress
from finsync.http import JsonObject, Records, bounded_map
from finsync.http.columnar import exact_table
from finsync.sources.reads import ListRead, Window, Windows
from finsync.sources.state import SourceState
from finsync.tables import Kind, Sensitivity, parse_timestamp
from finsync.values import Inexact, convert_array

from .revenue import READ as SCHEDULES

logger = logging.getLogger(__name__)

UTC = timezone.utc
# Records handed to the tables at once: dlt checks a table's hints on every item it is given (about as long
# as converting a page of 100 records), so pages are joined before they are converted.
GATHERED_RECORDS = 2_000
# The longest list read whole that is held back until its read is complete, to tell whether it changed.
UNCHANGED_CHECKED = 20_000


class ByIdReads:
    """Each record an incremental window lists, read again by id, several at a time: a listed record carries
    only the children (`children`: an invoice's lines, a journal's vouchers) modified within the window, and
    only a complete set can replace the one the warehouse holds. A record gone by the time it is read is
    left out: the next sweep marks it deleted.

    A record listed again with no change newer than when a run last read it whole (the overlap lists the
    same changes on every run until they are older than it) is already in the warehouse as it is: it is
    neither read again nor written. The state remembers those reads for as long as the overlap can list
    them again.
    """

    def __init__(self, fetch: Callable[[str], JsonObject | None], children: str, concurrency: int) -> None:
        self.fetch, self.children, self.concurrency = fetch, children, concurrency

    def complete(self, table: str, page: pa.Table) -> pa.Table:
        """The records of `page` not read whole since their last change, each read again by id (a table of
        the page's records)."""
        read = SourceState.current().list(table).read_by_id
        listed = page.select(["id", "modified", self.children]).to_pylist()
        ids = [str(r["id"]) for r in listed if r["id"] and read.get(str(r["id"])) != self.last_change(r)]
        found: dict[str, JsonObject] = {}
        for outcome in bounded_map(self.fetch, ids, self.concurrency):
            if outcome.error is not None:
                raise outcome.error
            if outcome.result is not None:
                found[outcome.item] = outcome.result
                read[outcome.item] = self.last_change(outcome.result)
        progress.advance(f"{table} read by id", len(ids))
        return exact_table([found[i] for i in ids if i in found], page.schema)

    def last_change(self, record: JsonObject) -> str:
        """The newest `modified` of a record and the children it carries (a child may change alone)."""
        children = [c for c in record.get(self.children) or [] if isinstance(c, dict)]
        known = [stamp for stamp in map(modified_of, [record, *children]) if stamp is not None]
        return max(known).isoformat() if known else ""

    def forget_before(self, table: str, moment: datetime) -> None:
        """Drop the remembered reads no window from `moment` on can list again."""
        forget_changed_before(SourceState.current().list(table).read_by_id, moment, lambda c: c)


class Unchanged:
    """Records an incremental window lists again exactly as a run last wrote them (the overlap lists the
    newest records of a list on every run, until they are older than it) are in the warehouse as they are:
    they are not written again, nor is anything read for them (a batch's log). The state remembers a
    digest of each record written for as long as a window can list it again. A whole read (a first one, a
    sweep) writes every record, and remembers only those: what it does not list is marked deleted, and is
    written again if it comes back.
    """

    def begin(self, table: str, *, whole: bool) -> None:
        if whole:
            SourceState.current().list(table).forget_written()

    def new(self, table: str, rows: pa.Table, *, whole: bool, cursor: tuple[str, ...] = ("modified",)) -> pa.Table:
        """The rows of `rows` not written as they are since they last changed (by the list's `cursor`)."""
        written = SourceState.current().list(table).written
        kept = []
        for row in rows.to_pylist():
            digest = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
            record_id = str(row.get("id") or "")
            if record_id and not whole and written.get(record_id, ["", ""])[1] == digest:
                kept.append(False)
                continue
            if record_id:
                changed = changed_at(row, cursor)
                written[record_id] = [changed.isoformat() if changed else "", digest]
            kept.append(True)
        return rows.filter(pa.array(kept, pa.bool_()))

    def forget_before(self, table: str, moment: datetime) -> None:
        """Drop the digests of records no window from `moment` on can list again."""
        forget_changed_before(SourceState.current().list(table).written, moment, lambda w: w[0])


def forget_changed_before(remembered: dict[str, Any], moment: datetime, changed: Callable[[Any], str]) -> None:
    """Drop the entries whose record last changed (`changed` of the entry: ISO text, "" unknown) by `moment`."""
    for record_id, entry in list(remembered.items()):
        when = changed(entry)
        if not when or datetime.fromisoformat(when) <= moment:
            del remembered[record_id]


class ModifiedWindows:
    """Lists read in closed windows over their cursor (`ListRead.cursor`, `modified` unless declared
    otherwise; `Windows`), merged by id, so the overlap's re-read rows
    change nothing. A sweep reads a list whole instead (from the start date), for the lists `swept`:
    whatever the warehouse holds that it no longer lists is gone upstream, and is marked deleted after the
    load. Its cost is kept in the state for the run's summary."""

    def __init__(self, windows: Windows) -> None:
        self.windows = windows
        self.unchanged = Unchanged()

    def read(
        self, listed: ListRead, pages: Callable[[Window], Iterator[Records]], by_id: ByIdReads | None = None
    ) -> Iterator[Records]:
        table = listed.name
        memory = SourceState.current().list(table)
        window = self.windows.open(memory, sweeps=listed.swept)
        newest, records, requests, started = memory.cursor, 0, 0, time.monotonic()

        def counted(found: Iterator[Records]) -> Iterator[Records]:
            nonlocal newest, records, requests
            for page in found:
                latest = newest_modified(page, listed.cursor)
                if latest is not None and (newest is None or latest > newest):
                    newest = latest
                records, requests = records + len(page), requests + 1
                yield page

        whole = window.complete
        # Said before the first page (and again at the end, with the sweep's cost): a fan-out over this list's
        # records is read whole when the list is, and remembers so as it goes.
        memory.read_this_run(whole=whole, sweep_cost=None)
        if by_id is None:
            self.unchanged.begin(table, whole=whole)
        for rows in gathered(counted(pages(window))):
            if by_id is not None and whole:
                yield rows  # only a window from the start date holds every record's children whole
            elif by_id is not None:
                yield by_id.complete(table, rows)
            elif (kept := self.unchanged.new(table, rows, whole=whole, cursor=listed.cursor)).num_rows:
                yield kept
        self.windows.close(memory, window, newest, sweeps=listed.swept)
        if newest is not None:
            (by_id or self.unchanged).forget_before(table, min(newest, window.before) - self.windows.overlap)
        cost = (records, requests, round(time.monotonic() - started, 1))
        memory.read_this_run(whole=whole, sweep_cost=cost if window.sweep else None)
        if window.sweep:
            logger.info("Younium sweep of %s: %d records in %d requests, %.1f s", table, *cost)


def gathered(pages: Iterable[Records]) -> Iterator[Records]:
    """Pages joined into batches of at least GATHERED_RECORDS records (the last may be shorter); a page read
    value by value whose fields came as text (`exact_table`) is joined only with pages of its kind."""
    held: list[pa.Table] = []
    for page in pages:
        if held and (page.schema != held[0].schema or sum(t.num_rows for t in held) >= GATHERED_RECORDS):
            yield pa.concat_tables(held)
            held = []
        held.append(page)
    if held:
        yield pa.concat_tables(held)


def whole_records(
    table: str, pages: Callable[[bool], Iterator[Records]], shape: Callable[[], str]
) -> Iterator[Records]:
    """Every record of a list with no modified field to read incrementally by, in pages.

    A list read just as the last run read it (the same records, into tables of the same `shape`: what
    they depend on besides the records, asked when the read starts) writes nothing: its rows are in the
    warehouse as they are. Lists up to UNCHANGED_CHECKED records are held back until the read is complete,
    to tell; longer ones are written as they come.
    """

    memory = SourceState.current().list(table)
    before, last_digest = memory.last_whole_read
    digest: Any = hashlib.sha256(shape().encode())
    held: list[Records] = []
    rows = 0
    for records in gathered(pages(bool(before))):
        rows += len(records)
        if digest is None:
            yield records
            continue
        digest.update(json.dumps(records.to_pylist(), sort_keys=True, default=str).encode())
        held.append(records)
        if rows > UNCHANGED_CHECKED:
            yield from held
            digest, held = None, []
    found = digest.hexdigest() if digest is not None else None
    if found is None or found != last_digest:
        yield from held
    memory.whole_read(rows, found)


def whole_reads_this_run(state: dict[str, Any], always: tuple[str, ...]) -> set[str]:
    """The lists the last run read whole (those with no modified field, `always`, always are)."""
    return {*always, *SourceState(state).read_whole()}


def sweep_notes(state: dict[str, Any]) -> list[str]:
    """What the last run's sweep cost, list by list, and the requests a list's records fanned out to."""
    found = SourceState(state)
    return [
        *(
            f"swept {table} for deletions: {records:,} records in {requests:,} requests, {seconds:.1f} s"
            for table, (records, requests, seconds) in found.sweep_costs().items()
        ),
        *(
            f"read further for each of the {table} listed, one request each: {requests:,} requests"
            if table != SCHEDULES
            else f"read the revenue schedule of each Recurring charge of the orders listed: {requests:,} requests"
            for table, requests in found.fan_out_costs().items()
        ),
    ]


def newest_modified(page: Records, cursor: tuple[str, ...] = ("modified",)) -> datetime | None:
    """The newest readable change time of a page's records: the latest of the `cursor` fields they have
    (`modified` by default; an order's `lastUpdated` or `modified`, whichever is later)."""
    found = [moment for field in cursor if field in page.column_names if (moment := _newest(page, field))]
    return max(found) if found else None


def _newest(page: Records, field: str) -> datetime | None:
    try:
        stamps = convert_array(Kind.TIMESTAMP, Sensitivity.NONE, page.column(field), UTC)
        newest: datetime | None = pc.max(stamps).as_py()
        return newest
    except (Inexact, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    known = [moment for row in page.select([field]).to_pylist() if (moment := modified_of(row, field)) is not None]
    return max(known) if known else None


def changed_at(row: JsonObject, cursor: tuple[str, ...]) -> datetime | None:
    """When a record last changed: the latest of its `cursor` fields it has readable."""
    found = [moment for field in cursor if (moment := modified_of(row, field)) is not None]
    return max(found) if found else None


def modified_of(row: JsonObject, field: str = "modified") -> datetime | None:
    """A record's `modified` (or another change time) as a UTC datetime; an unreadable one is left for the
    table's conversion to report, with its row and column."""
    try:
        return parse_timestamp(row.get(field), UTC)
    except ValueError:
        return None
