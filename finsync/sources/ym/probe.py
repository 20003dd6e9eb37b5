"""`finsync probe --source ym`: FinanceBatches, a page or two of InvoiceItems, and the smallest closed batch
read end to end both ways a run may read it (the export flow, which settles the export-status route, and
FinanceBatchDetails), see `finsync.sources.probe`; with what YM says of its server's time zone and paging."""

from __future__ import annotations

import functools
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from finsync.http.columnar import ListPage, census_of
from finsync.sources.probe import PAGE_SIZE, EndpointProbe, ProbeReport

from . import _server_local, ym_client
from .client import YMClient
from .exports import BatchReader, ListedBatch
from .schema import FINANCE_BATCHES, INVOICE_ITEMS
from .settings import YMSettings

# InvoiceItems are sampled from those entered in this many recent days.
RECENT_DAYS = 30


def probe(settings: YMSettings, tenant: str) -> ProbeReport:
    """Probe the tenant `settings` name (`tenant`: its label): signs in first, as a run does (a refused
    sign-in raises the run's own error)."""
    client = ym_client(settings)
    report = ProbeReport("YM", tenant)
    try:
        client.sign_in()
        closed: list[ListedBatch] = []
        report.probe("GET FinanceBatches", functools.partial(_batches, client, settings, closed))
        report.probe("GET InvoiceItems", functools.partial(_items, client, settings))
        smallest = min(closed, key=lambda b: b.item_count or 0, default=None)
        exports = settings.batch_items_mode == "export"
        export = functools.partial(_batch, client, settings, smallest, "export")
        report.probe("the export flow (POST FinanceBatches, status, file)", export, exports)
        details = functools.partial(_batch, client, settings, smallest, "details")
        report.probe("GET FinanceBatchDetails", details, not exports)
    finally:
        client.close()
    return report


def _batches(client: YMClient, settings: YMSettings, closed: list[ListedBatch], found: EndpointProbe) -> None:
    records = FINANCE_BATCHES.wire_schema()
    since = _server_local(settings.start(settings.zone), settings.zone)
    pages = []
    for number in (1, 2):
        params = {"PageSize": PAGE_SIZE, "PageNumber": number, "Timestamp": since}
        pages.append(client.call("GET", "FinanceBatches", params=params))
    found.http_status = 200
    listed = [[r for r in page.get("FinanceBatchList") or [] if isinstance(r, dict)] for page in pages]
    table = ListPage("FinanceBatchList", records, endpoint=found.endpoint).census(listed[0])
    if (census := census_of(table)) is not None:
        found.census.add(census)
    ids = [[str(r.get("BatchID")) for r in page] for page in listed]
    found.evidence.append(
        f"page 1 lists {len(ids[0])} batches; page 2 {'repeats them' if ids[1] == ids[0] else 'lists others'} "
        "(YM repeats the whole list on every page: finsync reads until a page adds nothing)"
    )
    found.evidence.append(_server_zone(pages[0], settings))
    closed += [
        ListedBatch(str(r["BatchID"]), int(r["ItemCount"]))
        for r in listed[0]
        if r.get("ClosedDate") and r.get("BatchID") is not None and isinstance(r.get("ItemCount"), int)
    ]


def _server_zone(reply: dict[str, Any], settings: YMSettings) -> str:
    """Whether YM's ServerGmtBias (hours from UTC, where it is sent) agrees with sources.ym.server_timezone."""
    bias = reply.get("ServerGmtBias")
    if bias is None:
        return f"ServerGmtBias is not sent: times without an offset are read in {settings.server_timezone}"
    offset = datetime.now(settings.zone).utcoffset() or timedelta()
    ours = offset.total_seconds() / 3600
    agree = "agrees with" if float(bias) == ours else "DIFFERS from"
    return f"ServerGmtBias {agree} sources.ym.server_timezone ({settings.server_timezone}, now {ours:+g} h)"


def _items(client: YMClient, settings: YMSettings, found: EndpointProbe) -> None:
    """Two pages at most of the items entered in the last days, or (none there) since the start date."""
    start = settings.start(settings.zone)
    recent = max(start, datetime.now(timezone.utc) - timedelta(days=RECENT_DAYS))
    read, what = _sample(client, settings, recent), f"in the last {RECENT_DAYS} days"
    if not read and recent > start:
        read, what = _sample(client, settings, start), "since the start date"
    found.http_status = 200
    for page in read:
        if (census := census_of(page)) is not None:
            found.census.add(census)
    rows = sum(p.num_rows for p in read)
    keys = pa.concat_tables(read).column("LineItemID").to_pylist() if read else []
    found.evidence.append(
        f"{rows} items entered {what} sampled from {len(read)} page(s) of {PAGE_SIZE}; "
        f"{len(keys) - len(set(keys))} listed twice"
    )


def _sample(client: YMClient, settings: YMSettings, since: datetime) -> list[pa.Table]:
    pages = client.invoice_items(
        date_from=_server_local(settings.start(settings.zone), settings.zone),
        entered_from=_server_local(since, settings.zone),
        page_size=PAGE_SIZE,
        records=INVOICE_ITEMS.wire_schema(),
    )
    return [page for _, page in zip(range(2), pages, strict=False)]


def _batch(client: YMClient, settings: YMSettings, batch: ListedBatch | None, mode: str, found: EndpointProbe) -> None:
    """The smallest closed batch read whole, the way `mode` reads it, and proven complete."""
    if batch is None:
        found.evidence.append("not asked: FinanceBatches listed no closed batch")
        return
    reader = BatchReader(
        client,
        settings.zone,
        "mask",
        mode=mode,
        poll_interval=min(settings.export_poll_interval, 1.0),
        timeout=min(settings.export_timeout, 300.0),
        details_page_size=PAGE_SIZE,
    )
    with tempfile.TemporaryDirectory(prefix="finsync-probe-") as spool:
        items = reader(batch, Path(spool))
    found.http_status = 200
    found.announced = batch.item_count
    found.census.add(items.census)
    found.evidence.append(f"batch of {batch.item_count} items read whole: {items.rows} items, as listed")
    if mode == "export":
        found.evidence.append(f"the export status route answers: {settings.export_status_route}")
