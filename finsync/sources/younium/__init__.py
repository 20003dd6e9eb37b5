"""Younium billing data: invoice batches (with their invoices, groups and logs), invoices and their lines,
accounts and payments."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from finsync.http import bounded_map
from finsync.sources.state import cursor, last_read_rows, set_cursor, set_last_read_rows
from finsync.tables import Origin, PiiMode, Table, parse_timestamp

from .client import JsonObject, Window, YouniumClient
from .schema import (
    ACCOUNTS,
    INVOICE_BATCH_GROUPS,
    INVOICE_BATCH_INVOICES,
    INVOICE_BATCH_LOG,
    INVOICE_BATCHES,
    INVOICE_LINES,
    INVOICES,
    PAYMENT_SETTLEMENTS,
    PAYMENTS,
    TENANT,
    flatten,
)
from .settings import YouniumSettings

__all__ = [
    "TABLES",
    "WHOLE_READS",
    "YouniumClient",
    "YouniumSettings",
    "younium",
    "younium_client",
]

# Younium sends date-times without an offset in UTC.
UTC = timezone.utc
TABLES = (
    INVOICE_BATCHES,
    INVOICE_BATCH_INVOICES,
    INVOICE_BATCH_GROUPS,
    INVOICE_BATCH_LOG,
    INVOICES,
    INVOICE_LINES,
    ACCOUNTS,
    PAYMENTS,
    PAYMENT_SETTLEMENTS,
    TENANT,
)
# Lists read whole on every run (proven complete), and the tables each fills: rows a run did not see are
# marked `deleted_at` after it loaded (never removed).
WHOLE_READS = {"payments": ("payments", "payment_settlements")}


def younium(settings: YouniumSettings | None = None, **explicit: Any) -> DltSource:
    """The Younium tables: `invoice_batches` (+ `__invoices`, `__batch_groups`), `invoice_batch_log`,
    `invoices`, `invoice_lines`, `accounts`, `payments`, `payment_settlements` and `tenant`, from `settings` (by
    default resolved from the configuration, with `explicit` values over it).

    Nothing is read from Younium here; the resources read lazily when the pipeline runs.
    """
    return younium_source(settings or YouniumSettings.from_config(explicit))


@dlt.source(name="younium", section="younium", max_table_nesting=0)
def younium_source(settings: YouniumSettings) -> Sequence[DltResource]:
    client = younium_client(settings)
    pii = cast(PiiMode, settings.pii)
    reads = ModifiedWindows(settings.start(UTC), timedelta(minutes=settings.overlap_minutes))
    batches = reads.records("invoice_batches", client.invoice_batches)
    invoice_rows = reads.records("invoices", client.invoices)
    payment_rows = payment_records(client)
    return (
        table_of(INVOICE_BATCHES, batches, pii, batch_rows),
        table_of(INVOICE_BATCH_INVOICES, batches, pii, batch_invoice_rows),
        table_of(INVOICE_BATCH_GROUPS, batches, pii, batch_group_rows),
        INVOICE_BATCH_LOG.shape(batches | invoice_batch_log(client, settings.concurrency), pii),
        table_of(INVOICES, invoice_rows, pii),
        table_of(INVOICE_LINES, invoice_rows, pii, invoice_line_rows),
        table_of(ACCOUNTS, reads.records("accounts", client.accounts), pii),
        table_of(PAYMENTS, payment_rows, pii),
        table_of(PAYMENT_SETTLEMENTS, payment_rows, pii, settlement_rows),
        TENANT.shape(tenant(client, settings.legal_entity), pii),
    )


def younium_client(settings: YouniumSettings | None = None) -> YouniumClient:
    """A client from the `sources.younium.*` settings: the source's, and the batch-job commands' (which
    pass none, so every setting is read from the configuration)."""
    settings = settings or YouniumSettings.from_config()
    return YouniumClient(
        settings.base_url,
        settings.client_id,
        settings.secret,
        legal_entity=settings.legal_entity,
        api_version=settings.api_version.strip(),
        auth_path=settings.auth_path,
        page_size=settings.page_size,
        concurrency=settings.concurrency,
        sequential=settings.sequential,
        http_settings=settings.http(),
    )


# -- raw records: each list read once, feeding every table made from it -------------------------------


class ModifiedWindows:
    """Closed windows over `modified`: each read covers (its cursor less the overlap, the moment it
    started), and its cursor becomes the newest `modified` it read, never past that moment. Records are
    merged by id, so the overlap's re-read rows change nothing."""

    def __init__(self, start: datetime, overlap: timedelta) -> None:
        self.start, self.overlap = start, overlap

    def read(self, table: str, pages: Callable[[Window], Iterator[list[JsonObject]]]) -> Iterator[list[JsonObject]]:
        last = cursor(table)
        window = Window(
            self.start if last is None else max(self.start, last - self.overlap),
            datetime.now(UTC).replace(microsecond=0),
            resumed=last is not None,
        )
        newest = last
        for rows in pages(window):
            stamps = [moment for row in rows if (moment := _modified(row)) is not None]
            if stamps and (newest is None or max(stamps) > newest):
                newest = max(stamps)
            yield rows
        if newest is not None:
            set_cursor(table, min(newest, window.before))

    def records(self, table: str, pages: Callable[[Window], Iterator[list[JsonObject]]]) -> DltResource:
        """The records of `table`'s list, read in this closed window when the pipeline runs, as a resource
        that feeds the tables made from them (it is no table itself)."""
        return dlt.resource(self.read(table, pages), name=f"{table}_records", selected=False)


@dlt.resource(name="payment_records", selected=False)
def payment_records(client: YouniumClient) -> Iterator[list[JsonObject]]:
    """Every payment (they have no modified field to read incrementally by)."""
    before = last_read_rows("payments")
    rows = 0
    for page in client.payments(expect_rows=bool(before)):
        rows += len(page)
        yield page
    set_last_read_rows("payments", rows)


# -- tables: each is its declaration, fed by records and, where the records nest, a function to its rows --


def table_of(
    table: Table,
    records: DltResource,
    pii: PiiMode,
    rows: Callable[[list[JsonObject]], list[JsonObject]] = lambda page: [flatten(record) for record in page],
) -> DltResource:
    """The resource filling `table` from pages of `records`, with every hint from its declaration."""

    def convert(page: list[JsonObject]) -> Iterator[pa.Table]:
        if found := rows(page):
            yield table.from_rows(found, UTC, pii, origin=Origin(f"Younium {table.name}"))

    return table.shape(records | dlt.transformer(convert, name=table.name), pii)


def batch_rows(batches: list[JsonObject]) -> list[JsonObject]:
    return [flatten(batch) | {"invoiceCount": len(batch.get("invoices") or [])} for batch in batches]


def batch_invoice_rows(batches: list[JsonObject]) -> list[JsonObject]:
    """A batch's invoices are replaced with the batch (merge key), as dlt does for nested lists."""
    return [
        flatten(invoice) | {"invoiceBatchId": batch["id"], "key": f"{batch['id']}:{invoice.get('id')}"}
        for batch in batches
        if batch.get("id")
        for invoice in batch.get("invoices") or []
        if isinstance(invoice, dict)
    ]


def batch_group_rows(batches: list[JsonObject]) -> list[JsonObject]:
    return [
        {"invoiceBatchId": batch["id"], "batchGroup": group, "key": f"{batch['id']}:{group}"}
        for batch in batches
        if batch.get("id")
        for group in dict.fromkeys(batch.get("batchGroups") or [])
    ]


def invoice_line_rows(invoices: list[JsonObject]) -> list[JsonObject]:
    """Each invoice's lines, merged by their own id and never replaced as a set: with ModifiedAfter the
    API may leave out the lines that did not change."""
    return [
        flatten(line) | {"invoiceId": invoice.get("id") or line.get("invoiceId")}
        for invoice in invoices
        for line in invoice.get("invoiceLines") or []
        if isinstance(line, dict)
    ]


def settlement_rows(payments: list[JsonObject]) -> list[JsonObject]:
    """A payment's settlements are replaced with the payment (merge key): they come whole, never filtered."""
    return [
        flatten(settlement) | {"paymentId": payment["id"], "position": position, "key": f"{payment['id']}:{position}"}
        for payment in payments
        if payment.get("id")
        for position, settlement in enumerate(payment.get("paymentSettlements") or [], start=1)
        if isinstance(settlement, dict)
    ]


@dlt.resource(name="tenant")
def tenant(client: YouniumClient, legal_entity: str | None) -> Iterator[pa.Table]:
    """The legal entity this dataset holds and its base currency (one request per run)."""
    row = {"key": legal_entity or "-", "legalEntity": legal_entity, "baseCurrency": client.base_currency()}
    yield TENANT.from_rows([row], UTC)


@dlt.transformer(name="invoice_batch_log")
def invoice_batch_log(batches: list[JsonObject], client: YouniumClient, concurrency: int) -> Iterator[pa.Table]:
    """The log of every batch read this run, several batches at a time (one request per batch)."""
    ids = [str(batch["id"]) for batch in batches if batch.get("id")]
    for outcome in bounded_map(client.batch_log, ids, concurrency):
        if outcome.error is not None:
            raise outcome.error
        rows = [_log_row(outcome.item, entry) for entry in outcome.result or []]
        if rows:
            yield INVOICE_BATCH_LOG.from_rows(rows, UTC)


# -- helpers --------------------------------------------------------------------------------------------


def _modified(row: JsonObject) -> datetime | None:
    """A record's `modified` as a UTC datetime; an unreadable one is left for the table's conversion to
    report, with its row and column."""
    try:
        return parse_timestamp(row.get("modified"), UTC)
    except ValueError:
        return None


def _log_row(batch_id: str, entry: JsonObject) -> dict[str, Any]:
    try:
        created: object = parse_timestamp(entry.get("created"), UTC)
    except ValueError:
        created = entry.get("created")  # the table's conversion reports it
    stamp = created.isoformat() if isinstance(created, datetime) else created
    digest = hashlib.sha256(str(entry.get("errorMessage") or "").encode()).hexdigest()[:12]
    parts = (batch_id, entry.get("entityId"), entry.get("reference"), stamp, digest)
    return {**entry, "invoiceBatchId": batch_id, "key": "|".join(str(p or "") for p in parts)}
