"""YourMembership (YM) finance data: finance batches, their exported items, and invoice items."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource

from finsync.errors import ConfigurationError
from finsync.sources._columns import PII_MODES, PiiMode
from finsync.sources._settings import require, start_moment, whole_number

from .._http import HttpSettings, bounded_map
from .client import YMClient
from .exports import BatchReader
from .schema import FINANCE_BATCH_ITEMS, FINANCE_BATCHES, INVOICE_ITEMS
from .settings import (
    BATCH_ITEMS_MODES,
    DEFAULT_BASE_URL,
    DEFAULT_BATCH_ITEMS_MODE,
    DEFAULT_DETAILS_PAGE_SIZE,
    DEFAULT_EXPORT_CONCURRENCY,
    DEFAULT_EXPORT_POLL_INTERVAL,
    DEFAULT_EXPORT_STATUS_ROUTE,
    DEFAULT_EXPORT_TIMEOUT,
    DEFAULT_FINANCE_BATCHES_PAGE_SIZE,
    DEFAULT_INVOICE_ITEMS_PAGE_SIZE,
    DEFAULT_OVERLAP_HOURS,
    DEFAULT_PAGE_CONCURRENCY,
    DEFAULT_SERVER_TIMEZONE,
    DEFAULT_SESSION_REFRESH_SECONDS,
    DEFAULT_START_DATE,
)

__all__ = ["YMClient", "failed_batches", "ym"]

logger = logging.getLogger(__name__)

BATCH_STATE = "batches"


@dlt.source(name="ym", section="ym", max_table_nesting=0)
def ym(
    client_id: int = dlt.config.value,
    api_key: str = dlt.secrets.value,
    api_password: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    server_timezone: str = DEFAULT_SERVER_TIMEZONE,
    start_date: str = DEFAULT_START_DATE,
    batch_items_mode: str = DEFAULT_BATCH_ITEMS_MODE,
    export_concurrency: int = DEFAULT_EXPORT_CONCURRENCY,
    export_poll_interval: float = DEFAULT_EXPORT_POLL_INTERVAL,
    export_timeout: float = DEFAULT_EXPORT_TIMEOUT,
    export_status_route: str = DEFAULT_EXPORT_STATUS_ROUTE,
    invoice_items_page_size: int = DEFAULT_INVOICE_ITEMS_PAGE_SIZE,
    finance_batches_page_size: int = DEFAULT_FINANCE_BATCHES_PAGE_SIZE,
    details_page_size: int = DEFAULT_DETAILS_PAGE_SIZE,
    page_concurrency: int = DEFAULT_PAGE_CONCURRENCY,
    overlap_hours: float = DEFAULT_OVERLAP_HOURS,
    pii: str = "mask",
    session_refresh_seconds: float = DEFAULT_SESSION_REFRESH_SECONDS,
    request_timeout: float = 30.0,
    max_attempts: int = 5,
) -> Sequence[DltResource]:
    """The YM tables: `finance_batches`, `finance_batch_items` and `invoice_items`.

    Nothing is read from YM here; the resources read lazily when the pipeline runs.
    """
    zone = _zone(server_timezone)
    client_id = whole_number(client_id, "sources.ym.client_id")
    require(client_id > 0, "sources.ym.client_id", f"must be the positive numeric YM ClientID, not {client_id}")
    require(bool(api_key.strip()), "sources.ym.api_key", "is empty")
    require(bool(api_password.strip()), "sources.ym.api_password", "is empty")
    require(
        base_url.startswith(("http://", "https://")), "sources.ym.base_url", f"must be an http(s) URL, not {base_url!r}"
    )
    require(batch_items_mode in BATCH_ITEMS_MODES, "sources.ym.batch_items_mode", f"must be one of {BATCH_ITEMS_MODES}")
    require(pii in PII_MODES, "sources.ym.pii", f"must be one of {PII_MODES}, not {pii!r}")
    for key, value in (
        ("export_concurrency", export_concurrency),
        ("invoice_items_page_size", invoice_items_page_size),
        ("finance_batches_page_size", finance_batches_page_size),
        ("details_page_size", details_page_size),
        ("page_concurrency", page_concurrency),
        ("max_attempts", max_attempts),
    ):
        require(value >= 1, f"sources.ym.{key}", f"must be at least 1, not {value}")
    for key, number in (("export_timeout", export_timeout), ("request_timeout", request_timeout)):
        require(number > 0, f"sources.ym.{key}", f"must be a positive number of seconds, not {number}")
    start = start_moment(start_date, zone, "sources.ym.start_date")

    client = YMClient(
        base_url,
        client_id,
        api_key,
        api_password,
        http_settings=HttpSettings(timeout=request_timeout, max_attempts=max_attempts),
        session_refresh_seconds=session_refresh_seconds,
        export_status_route=export_status_route,
        page_concurrency=page_concurrency,
    )
    reader = BatchReader(
        client,
        zone,
        pii,  # type: ignore[arg-type]
        mode=batch_items_mode,
        poll_interval=export_poll_interval,
        timeout=export_timeout,
        details_page_size=details_page_size,
    )
    batches = finance_batches(client, zone, _server_local(start, zone), finance_batches_page_size)
    items = invoice_items(
        client,
        zone,
        pii,  # type: ignore[arg-type]
        date_from=_server_local(start, zone),
        page_size=invoice_items_page_size,
        entered=dlt.sources.incremental(
            "line_item_date_entered",
            initial_value=start,
            lag=overlap_hours * 3600,
            on_cursor_value_missing="include",
        ),
    )
    batch_items = batches | finance_batch_items(reader, export_concurrency)
    # Column hints follow the pii mode: a declared column is created even when no row fills it.
    for resource, table in ((batches, FINANCE_BATCHES), (batch_items, FINANCE_BATCH_ITEMS), (items, INVOICE_ITEMS)):
        resource.apply_hints(columns=table.dlt_columns(pii))  # type: ignore[arg-type]
    return batches, batch_items, items


@dlt.resource(
    name="finance_batches",
    write_disposition="merge",
    primary_key="batch_id",
)
def finance_batches(client: YMClient, zone: tzinfo, since: str, page_size: int) -> Iterator[pa.Table]:
    """Batches from the oldest one not yet fully loaded (StartBatchID), so open batches are re-read
    until they close and a batch whose export failed is offered again."""
    anchor = dlt.current.source_state().get(BATCH_STATE, {}).get("anchor")
    listed = client.finance_batches(start_batch_id=anchor, since=since, page_size=page_size)
    if listed:
        yield FINANCE_BATCHES.from_rows(listed, zone)


@dlt.transformer(
    name="finance_batch_items",
    write_disposition="merge",
    primary_key="line_item_id",
)
def finance_batch_items(batches: pa.Table, reader: BatchReader, concurrency: int) -> Iterator[pa.Table]:
    """Items of every closed batch not loaded before, read concurrently.

    A batch is recorded as loaded in the same state commit as its rows, so it is never exported twice;
    a batch whose export fails is recorded as failed, the others still load, and the next run retries it.
    """
    state = dlt.current.source_state().setdefault(BATCH_STATE, {})
    loaded: set[str] = set(state.get("loaded", []))
    listed = batches.select(["batch_id", "closed_date"]).to_pylist()
    todo = [b["batch_id"] for b in listed if b["closed_date"] is not None and b["batch_id"] not in loaded]
    failed: dict[str, str] = {}
    for outcome in bounded_map(reader, todo, concurrency):
        if outcome.error is not None:
            failed[outcome.item] = str(outcome.error)
            logger.warning("YM batch %s could not be read: %s", outcome.item, outcome.error)
            continue
        loaded.add(outcome.item)
        logger.info("YM batch %s: %d items", outcome.item, outcome.result.num_rows, extra={"progress": "batch"})
        if outcome.result.num_rows:
            yield outcome.result
    # Next run starts at the oldest batch still open or not loaded; older ones are done for good.
    pending = [i for i, b in enumerate(listed) if b["closed_date"] is None or b["batch_id"] not in loaded]
    start = pending[0] if pending else len(listed) - 1
    state["anchor"] = listed[start]["batch_id"]
    state["loaded"] = [b["batch_id"] for b in listed[start:] if b["batch_id"] in loaded]
    state["failed"] = failed


@dlt.resource(
    name="invoice_items",
    write_disposition="merge",
    primary_key="line_item_id",
)
def invoice_items(
    client: YMClient,
    zone: tzinfo,
    pii: PiiMode,
    date_from: str,
    page_size: int,
    entered: dlt.sources.incremental[datetime] = dlt.sources.incremental("line_item_date_entered"),
) -> Iterator[pa.Table]:
    """Invoice items by entry date; each run re-reads the overlap window (`lag`) and merges by LineItemID."""
    since = _server_local(entered.start_value, zone)
    for rows in client.invoice_items(date_from=date_from, entered_from=since, page_size=page_size):
        yield INVOICE_ITEMS.from_rows(rows, zone, pii)


def failed_batches(source_state: dict[str, Any]) -> dict[str, str]:
    """Batches the last run could not read, by id, with the reason (from the pipeline's state)."""
    return dict(source_state.get(BATCH_STATE, {}).get("failed", {}))


def _server_local(moment: datetime, zone: tzinfo) -> str:
    """YM takes date-times in its server's zone, without an offset."""
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            "sources.ym.server_timezone",
            f"names no known time zone ({name!r})",
            "Use an IANA name such as America/New_York.",
        ) from None
