"""Younium billing and ledger data: invoice batches (with their invoices, groups and logs), invoices and
their lines, accounts and payments; journals with their vouchers and GL lines, accounting periods, the
chart of accounts, currencies and exchange rates."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from typing import Any, cast

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from finsync.http import Records, bounded_map
from finsync.sources.state import SourceState
from finsync.tables import Origin, PiiMode, Table, parse_timestamp, unnested

from .client import CHART_OF_ACCOUNTS_PATH, CURRENCIES_PATH, EXCHANGE_RATES_PATH, JsonObject, YouniumClient
from .ledger import (
    ACCOUNTING_PERIODS,
    ACCOUNTING_TRANSACTION_LINES,
    ACCOUNTING_TRANSACTIONS,
    CHART_OF_ACCOUNTS,
    CURRENCIES,
    EXCHANGE_RATES,
    JOURNALS,
    LEDGER_TABLES,
    line_rows,
    period_rows,
    voucher_rows,
)
from .reads import ByIdReads, ModifiedWindows, sweep_notes, whole_reads_this_run, whole_records
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
    invoice_records,
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
    *LEDGER_TABLES,
)
# Lists a run may read whole (proven complete: payments always, the others when swept or read first), and
# the tables each fills: rows a whole read did not write are marked `deleted_at` after it loaded (never
# removed). `whole_reads_this_run` says which the last run read whole.
WHOLE_READS = {
    "payments": ("payments", "payment_settlements"),
    "invoices": ("invoices", "invoice_lines"),
    "accounts": ("accounts",),
    "invoice_batches": ("invoice_batches",),
    "chart_of_accounts": ("chart_of_accounts",),
    "currencies": ("currencies",),
    "exchange_rates": ("exchange_rates",),
}
# Each invoice a run read is read again by id with all its lines: its lines the read did not write are
# gone (the parent table, the child table and the child's key to it).
COMPLETE_CHILDREN = {"invoice_lines": ("invoices", "invoice_id")}


def younium(settings: YouniumSettings | None = None, sweep: bool = False, **explicit: Any) -> DltSource:
    """The Younium tables: `invoice_batches` (+ `__invoices`, `__batch_groups`), `invoice_batch_log`,
    `invoices`, `invoice_lines`, `accounts`, `payments`, `payment_settlements`, `tenant` and the ledger's
    (`journals`, `accounting_transactions`, `accounting_transaction_lines`, `accounting_periods`,
    `chart_of_accounts`, `currencies`, `exchange_rates`), from `settings` (by default resolved from the
    configuration, with `explicit` values over it).

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
    invoice_rows = reads.records(
        "invoices",
        lambda window: client.invoices(window, invoice_records(pii)),
        by_id=ByIdReads(client.invoice, "invoiceLines", settings.concurrency),
    )
    journal_rows = reads.records(
        "journals", client.journals, by_id=ByIdReads(client.journal, "vouchers", settings.concurrency)
    )
    # What a whole list's rows depend on besides its records: a list read as the last run read it writes
    # nothing, unless finsync, the tables' declarations or the pii mode changed since (or, for currencies,
    # the base currency).
    shape = hashlib.sha256(repr((version("finsync"), pii, TABLES)).encode()).hexdigest()
    whole = functools.partial(whole_records, shape=lambda: shape)
    payment_rows = whole("payments", client.payments)
    base = BaseCurrency(client)
    currencies = whole_records("currencies", lambda e: client.whole(CURRENCIES_PATH, e), lambda: shape + base.code)
    return (
        table_of(INVOICE_BATCHES, batches, pii, batch_rows),
        table_of(INVOICE_BATCH_INVOICES, batches, pii, batch_invoice_rows),
        table_of(INVOICE_BATCH_GROUPS, batches, pii, batch_group_rows),
        INVOICE_BATCH_LOG.shape(batches | invoice_batch_log(client, settings.concurrency), pii),
        table_of(INVOICES, invoice_rows, pii, columns=unnested),
        table_of(INVOICE_LINES, invoice_rows, pii, invoice_line_rows, invoice_line_columns),
        table_of(ACCOUNTS, reads.records("accounts", client.accounts), pii),
        table_of(PAYMENTS, payment_rows, pii),
        table_of(PAYMENT_SETTLEMENTS, payment_rows, pii, settlement_rows),
        TENANT.shape(tenant(client, settings.legal_entity, base), pii),
        table_of(JOURNALS, journal_rows, pii),
        table_of(ACCOUNTING_TRANSACTIONS, journal_rows, pii, voucher_rows),
        table_of(ACCOUNTING_TRANSACTION_LINES, journal_rows, pii, line_rows),
        # Reopening or closing a period does not modify its journals: the headers are read whole each run.
        table_of(ACCOUNTING_PERIODS, whole("journal_details", client.journal_details), pii, period_rows),
        table_of(CHART_OF_ACCOUNTS, whole("chart_of_accounts", lambda e: client.whole(CHART_OF_ACCOUNTS_PATH, e)), pii),
        table_of(CURRENCIES, currencies, pii, base.flag),
        table_of(EXCHANGE_RATES, whole("exchange_rates", lambda e: client.whole(EXCHANGE_RATES_PATH, e)), pii),
    )


class BaseCurrency:
    """The tenant's base currency, read once a run (`GET /Currency/BaseCurrency`) when first needed."""

    def __init__(self, client: YouniumClient) -> None:
        self.client, self._code = client, ""

    @property
    def code(self) -> str:
        if not self._code:
            self._code = self.client.base_currency()
        return self._code

    def flag(self, currencies: list[JsonObject]) -> list[JsonObject]:
        return [c | {"isBase": c.get("code") == self.code} for c in currencies]


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


# -- tables: each is its declaration, fed by records and, where the records nest, a function to its rows --
# (rows are JSON objects as Younium nests them, with the fields finsync derives added at their top level)


def table_of(
    table: Table,
    records: DltResource,
    pii: PiiMode,
    rows: Callable[[list[JsonObject]], list[JsonObject]] = lambda page: page,
    columns: Callable[[pa.Table], pa.Table] | None = None,
) -> DltResource:
    """The resource filling `table` from pages of `records`, with every hint from its declaration: `rows`
    makes its rows of JSON objects, `columns` of pages decoded into Arrow (for lists read so)."""

    def convert(page: Records) -> Iterator[pa.Table]:
        origin = Origin(f"Younium {table.name}")
        if isinstance(page, pa.Table):
            if columns is None:
                raise TypeError(f"{table.name} is not made of pages decoded into Arrow")
            if (found := columns(page)).num_rows:
                yield table.from_rows(found, UTC, pii, origin=origin)
        elif found_rows := rows(page):
            yield table.from_records(found_rows, UTC, pii, origin=origin)

    return table.shape(records | dlt.transformer(convert, name=table.name), pii)


def batch_rows(batches: list[JsonObject]) -> list[JsonObject]:
    return [batch | {"invoiceCount": len(batch.get("invoices") or [])} for batch in batches]


def batch_invoice_rows(batches: list[JsonObject]) -> list[JsonObject]:
    """A batch's invoices are replaced with the batch (merge key), as dlt does for nested lists."""
    return [
        invoice | {"invoiceBatchId": batch["id"], "key": f"{batch['id']}:{invoice.get('id')}"}
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
        line | {"invoiceId": invoice.get("id") or line.get("invoiceId")}
        for invoice in invoices
        for line in invoice.get("invoiceLines") or []
        if isinstance(line, dict)
    ]


def invoice_line_columns(invoices: pa.Table) -> pa.Table:
    """`invoice_line_rows` for invoices decoded into Arrow: each line with its invoice's id."""
    lists = invoices.column("invoiceLines").combine_chunks()
    lines = lists.flatten()
    ids = invoices.column("id").combine_chunks().take(pc.list_parent_indices(lists))
    ids = pc.if_else(pc.equal(ids, ""), pa.scalar(None, pa.string()), ids)  # no id: the line's own invoiceId
    valid = pc.is_valid(lines)  # a `null` in the list is no line
    table = unnested(pa.Table.from_struct_array(lines.filter(valid)))
    own = table.schema.get_field_index("invoiceId")
    return table.set_column(own, "invoiceId", pc.coalesce(ids.filter(valid), table.column(own)))


def settlement_rows(payments: list[JsonObject]) -> list[JsonObject]:
    """A payment's settlements are replaced with the payment (merge key): they come whole, never filtered."""
    return [
        settlement | {"paymentId": payment["id"], "position": position, "key": f"{payment['id']}:{position}"}
        for payment in payments
        if payment.get("id")
        for position, settlement in enumerate(payment.get("paymentSettlements") or [], start=1)
        if isinstance(settlement, dict)
    ]


@dlt.resource(name="tenant")
def tenant(client: YouniumClient, legal_entity: str | None, base: BaseCurrency) -> Iterator[pa.Table]:
    """The legal entity this dataset holds and its base currency (written when that changed)."""
    row = {"key": legal_entity or "-", "legalEntity": legal_entity, "baseCurrency": base.code}
    if SourceState.current().tenant_changed(row):
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


def _log_row(batch_id: str, entry: JsonObject) -> dict[str, Any]:
    try:
        created: object = parse_timestamp(entry.get("created"), UTC)
    except ValueError:
        created = entry.get("created")  # the table's conversion reports it
    stamp = created.isoformat() if isinstance(created, datetime) else created
    digest = hashlib.sha256(str(entry.get("errorMessage") or "").encode()).hexdigest()[:12]
    parts = (batch_id, entry.get("entityId"), entry.get("reference"), stamp, digest)
    return {**entry, "invoiceBatchId": batch_id, "key": "|".join(str(p or "") for p in parts)}
