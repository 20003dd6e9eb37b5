"""YourMembership (YM) finance data: finance batches, their exported items, and invoice items."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, cast

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from finsync import progress
from finsync.errors import AuthenticationError, Interrupted
from finsync.first_seen import FirstSeen
from finsync.http import bounded_map
from finsync.http.wire import ContractBroken
from finsync.sources.contract import WireSettings
from finsync.sources.reads import Windows
from finsync.sources.state import SourceState
from finsync.tables import Origin, PiiMode

from .client import SYSTEM, YMClient
from .exports import BatchItems, BatchReader, ListedBatch
from .schema import FINANCE_BATCH_ITEMS, FINANCE_BATCHES, INVOICE_ITEMS, TENANT
from .settings import YMSettings

# Rows per table handed to dlt: pages are gathered into tables this large, since dlt's per-table work (its
# hints, a file write) costs the same for 1,000 rows as for 10,000.
BATCH_ROWS = 10_000

__all__ = ["TABLES", "YMClient", "YMSettings", "batch_anchor", "failed_batches", "ym", "ym_client"]

TABLES = (FINANCE_BATCHES, FINANCE_BATCH_ITEMS, INVOICE_ITEMS, TENANT)

logger = logging.getLogger(__name__)


def ym(settings: YMSettings | None = None, sweep: bool = False, **explicit: Any) -> DltSource:
    """The YM tables: `finance_batches`, `finance_batch_items`, `invoice_items` and `tenant`, from `settings`
    (by default resolved from the configuration, with `explicit` values over it).

    `sweep` (what `finsync run --sweep` sets) re-reads `sweep_days` of invoice items now, whether or not
    the sweep is due. Nothing is read from YM here; the resources read lazily when the pipeline runs.
    """
    return ym_source(settings or YMSettings.from_config(explicit), bool(sweep))


@dlt.source(name="ym", section="ym", max_table_nesting=0)
def ym_source(settings: YMSettings, sweep: bool) -> Sequence[DltResource]:
    zone, pii = settings.zone, cast(PiiMode, settings.pii)
    start = settings.start(zone)
    client = ym_client(settings)
    wire = settings.wire()
    reader = BatchReader(
        client,
        zone,
        pii,
        mode=settings.batch_items_mode,
        poll_interval=settings.export_poll_interval,
        timeout=settings.export_timeout,
        details_page_size=settings.details_page_size,
        keep_extras=wire.keep_extras,
    )
    sweeping = InvoiceItemsSweep(
        timedelta(days=settings.sweep_days), timedelta(hours=settings.sweep_interval_hours), sweep
    )
    batches = finance_batches(client, zone, pii, start, settings.finance_batches_page_size, sweeping, wire)
    items = invoice_items(
        client,
        zone,
        pii,
        start=start,
        page_size=settings.invoice_items_page_size,
        overlap=timedelta(hours=settings.overlap_hours),
        sweep=sweeping,
        wire=wire,
    )
    return (
        FINANCE_BATCHES.shape(batches, pii),
        FINANCE_BATCH_ITEMS.shape(batches | finance_batch_items(reader, settings.export_concurrency, wire), pii),
        INVOICE_ITEMS.shape(items, pii),
        TENANT.shape(dlt.resource([tenant_row(settings)], name="tenant"), pii),
    )


def ym_client(settings: YMSettings) -> YMClient:
    """A client from the `sources.ym.*` settings."""
    return YMClient(
        settings.base_url,
        settings.client_id,
        settings.api_key,
        settings.api_password,
        http_settings=settings.http(),
        session_refresh_seconds=settings.session_refresh_seconds,
        export_status_route=settings.export_status_route,
        page_concurrency=settings.page_concurrency,
    )


def tenant_row(settings: YMSettings) -> pa.Table:
    """What the figures depend on that YM does not say: the client's currency, the zone of its times, and
    where reads begin."""
    row = {
        "clientId": settings.client_id,
        "currency": settings.currency,
        "serverTimezone": settings.server_timezone,
        "startDate": settings.start(settings.zone).isoformat(),
    }
    return TENANT.from_rows([row], settings.zone)


@dlt.resource(name="finance_batches")
def finance_batches(
    client: YMClient,
    zone: tzinfo,
    pii: PiiMode,
    start: datetime,
    page_size: int,
    sweep: InvoiceItemsSweep,
    wire: WireSettings,
) -> Iterator[pa.Table]:
    """Batches from the oldest one not yet fully loaded (StartBatchID), so open batches are re-read
    until they close and a batch whose export failed is offered again. A sweep lists every batch since
    the start date instead: a closed batch YM revised since it was loaded (its ItemCount changed) is then
    read again (see `finance_batch_items`)."""
    state = SourceState.current()
    book, memory = state.batches, state.list("finance_batches")
    now = datetime.now(timezone.utc)
    everything = sweep.requested or memory.sweep_due(sweep.every, now)
    anchor = None if everything else book.anchor
    since = _server_local(start, zone)
    records = wire.records(FINANCE_BATCHES.wire_schema(pii))
    listed = client.finance_batches(start_batch_id=anchor, since=since, page_size=page_size, records=records)
    if everything:
        memory.swept(now)
    if anchor and not listed.num_rows:
        # The anchor batch itself is always part of a listing from it: YM no longer knows that id.
        created = book.anchor_created or since
        logger.warning(
            "YM lists no batch from StartBatchID %s (the oldest batch not fully loaded); listing the batches "
            "created since %s instead",
            anchor,
            created,
        )
        listed = client.finance_batches(start_batch_id=None, since=created, page_size=page_size, records=records)
    census = wire.census(SYSTEM, "finance_batches", ("finance_batches", "finance_batch_items"))
    if census.take(listed).num_rows:
        yield FINANCE_BATCHES.from_rows(listed, zone, pii, origin=Origin("YM FinanceBatches"))
    census.remember(memory)


@dlt.transformer(name="finance_batch_items")
def finance_batch_items(
    batches: pa.Table, reader: BatchReader, concurrency: int, wire: WireSettings
) -> Iterator[pa.Table]:
    """Items of every closed batch not loaded before, read concurrently, each proven complete.

    A batch is recorded as loaded in the same state commit as its rows, so it is never exported twice;
    a batch that cannot be read whole is recorded as failed, the others still load, and the next run
    retries it.
    """
    book = SourceState.current().batches
    loaded = book.loaded
    # ItemCount of every batch when it was loaded: a closed batch listed with another count was revised.
    counts = book.counts
    listed = batches.select(["batch_id", "closed_date", "item_count", "create_date_time"]).to_pylist()
    revised = {
        b["batch_id"]: counts[b["batch_id"]]
        for b in listed
        if b["closed_date"] is not None and b["batch_id"] in counts and counts[b["batch_id"]] != b["item_count"]
    }
    for batch_id, before in revised.items():
        now_count = next(b["item_count"] for b in listed if b["batch_id"] == batch_id)
        logger.warning(
            "YM batch %s was revised after it was loaded (ItemCount %s, now %s): it is read again",
            batch_id,
            before,
            now_count,
        )
        loaded.discard(batch_id)
    todo = [
        ListedBatch(b["batch_id"], b["item_count"])
        for b in listed
        if b["closed_date"] is not None and b["batch_id"] not in loaded
    ]
    reading = {t.batch_id for t in todo}
    for b in listed:  # batches loaded before counts were kept: what they hold now is the count to watch
        if b["closed_date"] is not None and b["batch_id"] not in reading:
            counts.setdefault(b["batch_id"], b["item_count"])
    progress.advance("batches read", 0, more=len(todo))
    failed: dict[str, str] = {}
    census = wire.census(SYSTEM, "finance_batch_items", ("finance_batch_items",))
    seen = FirstSeen("line_item_id")  # the load trusts LineItemIDs to be unique (FINANCE_BATCH_ITEMS)
    with tempfile.TemporaryDirectory(prefix="exports-", dir=spool_root()) as spool:
        for outcome in bounded_map(lambda batch: reader(batch, Path(spool)), todo, concurrency):
            batch_id = outcome.item.batch_id
            if isinstance(outcome.error, (AuthenticationError, Interrupted, ContractBroken)):
                raise outcome.error
            if outcome.error is not None:
                failed[batch_id] = str(outcome.error)
                logger.warning("YM batch %s could not be read: %s", batch_id, outcome.error)
                continue
            items = cast(BatchItems, outcome.result)
            census.add(items.census)
            logger.info("YM batch %s: %d items", batch_id, items.rows)
            progress.advance("batches read")
            for table in items.tables():
                yield _once(seen, table, f"YM batch {batch_id} repeats {{}} items of another batch")
            items.discard()
            loaded.add(batch_id)
            counts[batch_id] = int(outcome.item.item_count or 0)
    # Next run starts at the oldest batch still open or not loaded; older ones are done for good.
    pending = [i for i, b in enumerate(listed) if b["closed_date"] is None or b["batch_id"] not in loaded]
    start = pending[0] if pending else len(listed) - 1
    created = listed[start]["create_date_time"]
    book.start_at(listed[start]["batch_id"], _server_local(created, reader.naive_tz) if created else None)
    book.loaded = [b["batch_id"] for b in listed[start:] if b["batch_id"] in loaded]
    book.failed = failed
    census.remember(SourceState.current().list("finance_batch_items"))


class InvoiceItemsSweep:
    """When a run re-reads `days` of invoice items instead of the overlap: on request, or every `every`."""

    def __init__(self, days: timedelta, every: timedelta, requested: bool) -> None:
        self.days, self.every, self.requested = days, every, requested


def _once(seen: FirstSeen, table: pa.Table, repeated: str) -> pa.Table:
    table, dropped = seen.keep(table)
    if dropped:
        logger.warning(repeated.format(dropped) + "; each is loaded once")
    return table


@dlt.resource(name="invoice_items")
def invoice_items(
    client: YMClient,
    zone: tzinfo,
    pii: PiiMode,
    start: datetime,
    page_size: int,
    overlap: timedelta,
    sweep: InvoiceItemsSweep,
    wire: WireSettings,
) -> Iterator[pa.Table]:
    """Invoice items by entry date, from the cursor less the overlap (or, when a sweep is due, less
    `sweep.days`), merged by LineItemID.

    Every row YM returns is loaded, whatever its entry date: finsync filters nothing itself. The cursor
    becomes the newest entry date read, never later than the moment the run started.
    """
    memory = SourceState.current().list("invoice_items")
    # A sweep re-reads the days before the newest entry read: anything entered later is in the overlap anyway.
    windows = Windows(start, overlap, sweep.every, sweep_back=sweep.days, force=sweep.requested)
    window = windows.open(memory)
    since = window.after
    newest = memory.cursor
    requests = rows = 0
    pages = client.invoice_items(
        date_from=_server_local(start, zone),
        entered_from=_server_local(since, zone),
        page_size=page_size,
        records=wire.records(INVOICE_ITEMS.wire_schema(pii)),
    )
    held: list[pa.Table] = []
    # Offset paging repeats an item when items are entered while the list is read (INVOICE_ITEMS is
    # unique per load).
    seen = FirstSeen("line_item_id")
    repeated = "YM InvoiceItems listed {} items twice (the list shifted while it was read)"
    census = wire.census(SYSTEM, "invoice_items", ("invoice_items",))
    for page, records in enumerate(census.pages(pages), start=1):
        table = INVOICE_ITEMS.from_rows(records, zone, pii, origin=Origin(f"YM InvoiceItems page {page}"))
        entered = pc.max(table.column("line_item_date_entered")).as_py()
        if entered is not None and (newest is None or entered > newest):
            newest = entered
        requests, rows = page, rows + table.num_rows
        held.append(table)
        if sum(t.num_rows for t in held) >= BATCH_ROWS:
            yield _once(seen, pa.concat_tables(held), repeated)
            held = []
    if held:
        yield _once(seen, pa.concat_tables(held), repeated)
    windows.close(memory, window, newest)
    census.remember(memory)
    if window.sweep or window.complete:
        logger.info(
            "YM invoice items swept from %s: %d rows in %d pages", since.isoformat(timespec="seconds"), rows, requests
        )


def spool_root() -> Path:
    """Where exports are spooled while read: inside the pipeline's working directory, which only one run at
    a time uses (the warehouse lock), so what a killed run left there is cleared by the next one."""
    root = Path(dlt.current.pipeline().working_dir) / "spool"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


def failed_batches(source_state: dict[str, Any]) -> dict[str, str]:
    """Batches the last run could not read, by id, with the reason (from the pipeline's state)."""
    return SourceState(source_state).batches.failed


def batch_anchor(source_state: dict[str, Any]) -> dict[str, str]:
    """Where the next run starts listing batches: the oldest one not yet fully loaded."""
    anchor = SourceState(source_state).batches.anchor
    return {"finance_batches (StartBatchID)": str(anchor)} if anchor else {}


def _server_local(moment: datetime, zone: tzinfo) -> str:
    """YM takes date-times in its server's zone, without an offset."""
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")
