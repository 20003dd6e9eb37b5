"""Younium billing data: invoice batches (with their invoices, groups and logs), invoices and their lines,
accounts and payments."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from finsync import progress
from finsync.http import bounded_map
from finsync.sources.state import cursor, last_read_rows, set_cursor, set_last_read_rows, sweep_due, swept
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
    "COMPLETE_CHILDREN",
    "TABLES",
    "WHOLE_READS",
    "YouniumClient",
    "YouniumSettings",
    "sweep_notes",
    "whole_reads_this_run",
    "younium",
    "younium_client",
]

logger = logging.getLogger(__name__)

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
# Lists a run may read whole (proven complete: payments always, the others when swept or read first), and
# the tables each fills: rows a whole read did not write are marked `deleted_at` after it loaded (never
# removed). `whole_reads_this_run` says which the last run read whole.
WHOLE_READS = {
    "payments": ("payments", "payment_settlements"),
    "invoices": ("invoices", "invoice_lines"),
    "accounts": ("accounts",),
    "invoice_batches": ("invoice_batches",),
}
# The lists a sweep reads whole to find deletions.
SWEPT = ("invoices", "accounts", "invoice_batches")
WHOLE_READ_STATE = "whole_reads"
READ_BY_ID_STATE = "invoices_read_by_id"  # invoice id -> its `modified` when a run last read it whole
# Each invoice a run read is read again by id with all its lines: its lines the read did not write are
# gone (the parent table, the child table and the child's key to it).
COMPLETE_CHILDREN = {"invoice_lines": ("invoices", "invoice_id")}


def younium(settings: YouniumSettings | None = None, sweep: bool = False, **explicit: Any) -> DltSource:
    """The Younium tables: `invoice_batches` (+ `__invoices`, `__batch_groups`), `invoice_batch_log`,
    `invoices`, `invoice_lines`, `accounts`, `payments`, `payment_settlements` and `tenant`, from `settings` (by
    default resolved from the configuration, with `explicit` values over it).

    `sweep` (what `finsync run --sweep` sets) reads invoices, accounts and invoice batches whole now, to
    find what was deleted, whether or not the sweep is due. Nothing is read from Younium here; the
    resources read lazily when the pipeline runs.
    """
    return younium_source(settings or YouniumSettings.from_config(explicit), bool(sweep))


@dlt.source(name="younium", section="younium", max_table_nesting=0)
def younium_source(settings: YouniumSettings, sweep: bool = False) -> Sequence[DltResource]:
    client = younium_client(settings)
    pii = cast(PiiMode, settings.pii)
    reads = ModifiedWindows(
        settings.start(UTC),
        timedelta(minutes=settings.overlap_minutes),
        timedelta(hours=settings.sweep_interval_hours),
        force=sweep,
    )
    batches = reads.records("invoice_batches", client.invoice_batches)
    invoice_rows = reads.records("invoices", client.invoices, complete=complete_invoices(client, settings.concurrency))
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
    merged by id, so the overlap's re-read rows change nothing.

    A sweep reads a list whole instead (from the start date): whatever the warehouse holds that it no
    longer lists is gone upstream, and is marked deleted after the load. It runs every `sweep_every` (and
    whenever `force`d), for the lists in SWEPT; its cost is kept in the state for the run's summary.
    """

    def __init__(self, start: datetime, overlap: timedelta, sweep_every: timedelta, force: bool = False) -> None:
        self.start, self.overlap, self.sweep_every, self.force = start, overlap, sweep_every, force

    def read(
        self, table: str, pages: Callable[[Window], Iterator[list[JsonObject]]], complete: Completer | None = None
    ) -> Iterator[list[JsonObject]]:
        last = cursor(table)
        now = datetime.now(UTC).replace(microsecond=0)
        sweep = table in SWEPT and last is not None and (self.force or sweep_due(table, self.sweep_every, now))
        after = self.start if last is None or sweep else max(self.start, last - self.overlap)
        window = Window(after, now, resumed=last is not None)
        newest, records, requests, started = last, 0, 0, time.monotonic()
        for rows in pages(window):
            stamps = [moment for row in rows if (moment := _modified(row)) is not None]
            if stamps and (newest is None or max(stamps) > newest):
                newest = max(stamps)
            records, requests = records + len(rows), requests + 1
            # Only a window from the start date holds every record's children whole.
            yield complete(rows) if complete and window.after > self.start else rows
        if newest is not None:
            set_cursor(table, min(newest, window.before))
            if complete:
                forget_reads_before(min(newest, window.before) - self.overlap)
        cost = (records, requests, round(time.monotonic() - started, 1))
        whole = window.after == self.start
        record_whole_read(table, whole=whole, sweep_cost=cost if sweep else None)
        if whole and table in SWEPT:
            swept(table, now)  # a first read of everything counts as a sweep
        if sweep:
            logger.info("Younium sweep of %s: %d records in %d requests, %.1f s", table, *cost)

    def records(
        self, table: str, pages: Callable[[Window], Iterator[list[JsonObject]]], *, complete: Completer | None = None
    ) -> DltResource:
        """The records of `table`'s list, read in this closed window when the pipeline runs, as a resource
        that feeds the tables made from them (it is no table itself). `complete` replaces each page of an
        incremental window with complete records (invoices read by id, with all their lines)."""
        return dlt.resource(self.read(table, pages, complete), name=f"{table}_records", selected=False)


Completer = Callable[[list[JsonObject]], list[JsonObject]]


def record_whole_read(table: str, *, whole: bool, sweep_cost: tuple[int, int, float] | None) -> None:
    """Note in the state whether this run read `table` whole, and what its sweep cost (records, requests,
    seconds): the runner marks what a whole read no longer lists as deleted, and reports the cost."""
    reads = dlt.current.source_state().setdefault(WHOLE_READ_STATE, {})
    reads[table] = {"whole": whole, "sweep": list(sweep_cost) if sweep_cost else None}


def whole_reads_this_run(state: dict[str, Any]) -> set[str]:
    """The lists the last run read whole (payments always are)."""
    return {"payments", *(table for table, read in state.get(WHOLE_READ_STATE, {}).items() if read["whole"])}


def sweep_notes(state: dict[str, Any]) -> list[str]:
    """What the last run's sweep cost, list by list."""
    return [
        f"swept {table} for deletions: {records:,} records in {requests:,} requests, {seconds:.1f} s"
        for table, read in sorted(state.get(WHOLE_READ_STATE, {}).items())
        if read["sweep"]
        for records, requests, seconds in [read["sweep"]]
    ]


def complete_invoices(client: YouniumClient, concurrency: int) -> Completer:
    """Each listed invoice read again by id, several at a time: a listed invoice carries only the lines
    modified within the window, and only a complete set of lines can replace the one the warehouse holds
    (a line removed upstream is then marked deleted). An invoice gone by the time it is read is left out:
    the next sweep marks it deleted.

    An invoice listed again with no change newer than when a run last read it whole (the overlap lists the
    same changes on every run until they are older than it) is already in the warehouse as it is: it is
    neither read again nor written. The state remembers those reads for as long as the overlap can list
    them again.
    """

    def complete(page: list[JsonObject]) -> list[JsonObject]:
        read: dict[str, str] = dlt.current.source_state().setdefault(READ_BY_ID_STATE, {})
        listed = [invoice for invoice in page if invoice.get("id")]
        ids = [str(i["id"]) for i in listed if read.get(str(i["id"])) != _last_change(i)]
        found: dict[str, JsonObject] = {}
        for outcome in bounded_map(client.invoice, ids, concurrency):
            if outcome.error is not None:
                raise outcome.error
            if outcome.result is not None:
                found[outcome.item] = outcome.result
                read[outcome.item] = _last_change(outcome.result)
        progress.advance("invoices read by id", len(ids))
        return [found[i] for i in ids if i in found]

    return complete


def _last_change(invoice: JsonObject) -> str:
    """The newest `modified` of an invoice and the lines it carries (a line may change alone)."""
    stamps = [
        _modified(invoice),
        *(_modified(line) for line in invoice.get("invoiceLines") or [] if isinstance(line, dict)),
    ]
    known = [stamp for stamp in stamps if stamp is not None]
    return max(known).isoformat() if known else ""


def forget_reads_before(moment: datetime) -> None:
    """Drop the remembered by-id reads no window from `moment` on can list again."""
    read: dict[str, str] = dlt.current.source_state().get(READ_BY_ID_STATE, {})
    for invoice_id, changed in list(read.items()):
        if not changed or datetime.fromisoformat(changed) <= moment:
            del read[invoice_id]


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
