"""Every list the Younium source reads, declared once (`finsync.sources.reads.ListRead`): how it is read, the
tables it feeds, what a whole read of it implies. A list is read in closed windows over its change time when it
has one (`modified`, or the fields of its `cursor`; with a sweep, for the lists `swept`, to find deletions), else
whole on every run; rows a whole read did not write are marked `deleted_at` after it loaded (never removed).
Adding a list is a declaration here, the client method that pages it, and its table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from finsync.http import JsonObject, bounded_map
from finsync.sources.contract import ListCensus, WireSettings
from finsync.sources.reads import WHOLE, WINDOW, ById, Feed, ListRead
from finsync.sources.state import SourceState
from finsync.tables import list_of, parse_timestamp, records_of

from .catalogue import (
    CATALOGUE_CHARGES,
    CATALOGUE_PRICE_DETAILS,
    CHARGE_PLANS,
    PRODUCTS,
    catalogue_charge_rows,
    catalogue_price_rows,
    catalogue_records,
    plan_rows,
)
from .client import (
    ACCOUNTS_PATH,
    BOOKINGS_PATH,
    CHART_OF_ACCOUNTS_PATH,
    CURRENCIES_PATH,
    EXCHANGE_RATES_PATH,
    INVOICE_BATCHES_PATH,
    INVOICES_PATH,
    JOURNAL_DETAILS_PATH,
    JOURNALS_PATH,
    OMITS_NULLS,
    PAYMENTS_PATH,
    PRODUCTS_PATH,
    SALES_ORDERS_PATH,
    SUBSCRIPTIONS_PATH,
    SYSTEM,
    USAGE_PATH,
    YouniumClient,
)
from .features import LEDGER_FEATURE, PAYMENTS_FEATURE, SUBSCRIPTIONS_FEATURE, USAGE_FEATURE, Permissions
from .ledger import (
    ACCOUNTING_PERIODS,
    ACCOUNTING_TRANSACTION_LINES,
    ACCOUNTING_TRANSACTIONS,
    CHART_OF_ACCOUNTS,
    CURRENCIES,
    EXCHANGE_RATES,
    JOURNALS,
    line_rows,
    period_rows,
    voucher_rows,
)
from .order_rows import (
    booking_line_rows,
    charge_rows,
    discount_charge_rows,
    discount_rows,
    milestone_rows,
    price_detail_rows,
    product_rows,
    sales_order_versions,
    subscription_rows,
    subscription_versions,
    version_rows,
)
from .order_terms import ORDER_CHARGE_PRICE_DETAILS, ORDER_DISCOUNT_CHARGES, ORDER_DISCOUNTS, ORDER_MILESTONES
from .orders import (
    BOOKING_LINES,
    BOOKINGS,
    ORDER_CHARGES,
    ORDER_PRODUCTS,
    SUBSCRIPTION_VERSIONS,
    SUBSCRIPTIONS,
    booking_records,
    subscription_records,
)
from .revenue import REVENUE_SCHEDULE_ITEMS, revenue_schedule
from .rows import (
    batch_group_rows,
    batch_invoice_rows,
    batch_rows,
    invoice_line_columns,
    settlement_rows,
    with_columns,
)
from .sales_orders import SALES_ORDER_VERSIONS, SALES_ORDERS, sales_order_records
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
    invoice_records,
)
from .usage import USAGE

UTC = timezone.utc


@dataclass
class YouniumRun:
    """What the lists are read with in one run: the client, how many requests a fan-out sends at once, and
    what the tenant lets it read (`Permissions`: the features, the base currency)."""

    client: YouniumClient
    concurrency: int
    permissions: Permissions
    wire: WireSettings = field(default_factory=WireSettings)
    fan_outs: dict[str, tuple[ListCensus, str]] = field(default_factory=dict)  # name: (its census, its list)

    def fan_out_census(self, name: str, tables: tuple[str, ...], over: str) -> ListCensus:
        """The one census of fan-out `name` this run, over the records of list `over`: a fan-out is read in
        several calls (one per batch of its parents), and what each remembers must be all it read so far, not
        its own batch alone."""
        census = self.wire.census(SYSTEM, name, tables, omits_nulls=OMITS_NULLS)
        return self.fan_outs.setdefault(name, (census, over))[0]

    def remember_fan_out(self, name: str) -> None:
        """What fan-out `name` read so far, for the steps after the load: read whole when its list is (every
        parent read, so every record of the fan-out), which lets a field a whole read no longer finds be
        flagged at once (`finsync.warehouse.upstream`)."""
        census, over = self.fan_outs[name]
        state = SourceState.current()
        census.remember(state.list(name), whole=state.list(over).read_whole_this_run)

    def currencies(self, again: bool, records: pa.Schema) -> Iterator[pa.Table]:
        """The currencies, the base currency flagged (so a change of it is a change of the list); unknown
        when the base currency is."""
        base = self.permissions.base_currency
        for page in self.client.whole(CURRENCIES_PATH, again, records):
            flagged = pc.equal(page.column("code"), base) if base else pa.nulls(page.num_rows, pa.bool_())
            yield with_columns(page, isBase=flagged)


@dlt.transformer(name="invoice_batch_log")
def invoice_batch_log(batches: pa.Table, run: YouniumRun) -> Iterator[pa.Table]:
    """The log of every batch read this run, several batches at a time (one request per batch)."""
    ids = [str(batch_id) for batch_id in batches.column("id").to_pylist() if batch_id]
    records = records_of(INVOICE_BATCH_LOG)
    census = run.fan_out_census("invoice_batch_log", (INVOICE_BATCH_LOG.name,), over="invoice_batches")
    for outcome in bounded_map(lambda batch: run.client.batch_log(batch, records), ids, run.concurrency):
        if outcome.error is not None:
            raise outcome.error
        log: pa.Table = census.take(outcome.result)
        rows = [batch_log_row(outcome.item, entry) for entry in log.to_pylist()]
        if rows:
            yield INVOICE_BATCH_LOG.from_rows(rows, UTC)
    run.remember_fan_out("invoice_batch_log")


def batch_log_row(batch_id: str, entry: JsonObject) -> dict[str, Any]:
    try:
        created: object = parse_timestamp(entry.get("created"), UTC)
    except ValueError:
        created = entry.get("created")  # the table's conversion reports it
    stamp = created.isoformat() if isinstance(created, datetime) else created
    digest = hashlib.sha256(str(entry.get("errorMessage") or "").encode()).hexdigest()[:12]
    parts = (batch_id, entry.get("entityId"), entry.get("reference"), stamp, digest)
    return {**entry, "invoiceBatchId": batch_id, "key": "|".join(str(p or "") for p in parts)}


def embedded_in(versions: Any) -> tuple[Feed, ...]:
    """The tables of what an order version embeds (its products, charges, price details, discounts and
    milestones), fed through the fan-out `versions` reads them with: a subscription's and a sales order's
    share them, keyed by the order version."""
    return (
        Feed(ORDER_PRODUCTS, product_rows, through=versions),
        Feed(ORDER_CHARGES, charge_rows, through=versions),
        Feed(ORDER_CHARGE_PRICE_DETAILS, price_detail_rows, through=versions),
        Feed(ORDER_DISCOUNTS, discount_rows, through=versions),
        Feed(ORDER_DISCOUNT_CHARGES, discount_charge_rows, through=versions),
        Feed(ORDER_MILESTONES, milestone_rows, through=versions),
    )


LEDGER = LEDGER_FEATURE.name
SUBSCRIPTIONS_NAME = SUBSCRIPTIONS_FEATURE.name
LISTS = (
    ListRead(
        "invoice_batches",
        WINDOW,
        lambda: records_of(
            INVOICE_BATCHES,
            invoices=list_of(records_of(INVOICE_BATCH_INVOICES)),
            batchGroups=pa.list_(pa.string()),
        ),
        lambda run, window, records: run.client.invoice_batches(window, records),
        (
            Feed(INVOICE_BATCHES, batch_rows),
            Feed(INVOICE_BATCH_INVOICES, batch_invoice_rows),
            Feed(INVOICE_BATCH_GROUPS, batch_group_rows),
            Feed(INVOICE_BATCH_LOG, fan_out=invoice_batch_log),
        ),
        swept=True,
        marks_deleted=("invoice_batches",),
        endpoint=INVOICE_BATCHES_PATH,
    ),
    ListRead(
        "invoices",
        WINDOW,
        invoice_records,
        lambda run, window, records: run.client.invoices(window, records),
        (Feed(INVOICES), Feed(INVOICE_LINES, invoice_line_columns)),
        swept=True,
        marks_deleted=("invoices", "invoice_lines"),
        # Each invoice a window lists is read again by id with all its lines: those it did not write are gone.
        complete_children={"invoice_lines": ("invoices", "invoice_id")},
        by_id=ById("invoiceLines", lambda run, invoice_id: run.client.invoice(invoice_id)),
        endpoint=INVOICES_PATH,
    ),
    ListRead.one_table(
        "accounts",
        WINDOW,
        lambda run, window, records: run.client.accounts(window, records),
        ACCOUNTS,
        endpoint=ACCOUNTS_PATH,
    ),
    # Whether a window's page trims a product's plans, charges and prices is undocumented: each product a
    # window lists is read again by id, whole, before they replace the product's. A whole read writes every
    # live product's, so those of a product deleted upstream are marked with it.
    ListRead(
        "products",
        WINDOW,
        catalogue_records,
        lambda run, window, records: run.client.products(window, records),
        (
            Feed(PRODUCTS),
            Feed(CHARGE_PLANS, plan_rows),
            Feed(CATALOGUE_CHARGES, catalogue_charge_rows),
            Feed(CATALOGUE_PRICE_DETAILS, catalogue_price_rows),
        ),
        swept=True,
        marks_deleted=("products", CHARGE_PLANS.name, CATALOGUE_CHARGES.name, CATALOGUE_PRICE_DETAILS.name),
        by_id=ById("chargePlans", lambda run, product_id: run.client.product(product_id)),
        endpoint=PRODUCTS_PATH,
    ),
    ListRead(
        "journals",
        WINDOW,
        lambda: records_of(
            JOURNALS,
            vouchers=list_of(
                records_of(ACCOUNTING_TRANSACTIONS, transactions=list_of(records_of(ACCOUNTING_TRANSACTION_LINES)))
            ),
        ),
        lambda run, window, records: run.client.journals(window, records),
        (Feed(JOURNALS), Feed(ACCOUNTING_TRANSACTIONS, voucher_rows), Feed(ACCOUNTING_TRANSACTION_LINES, line_rows)),
        by_id=ById("vouchers", lambda run, journal_id: run.client.journal(journal_id)),
        feature=LEDGER,
        endpoint=JOURNALS_PATH,
    ),
    ListRead(
        "payments",
        WHOLE,
        lambda: records_of(PAYMENTS, paymentSettlements=list_of(records_of(PAYMENT_SETTLEMENTS))),
        lambda run, again, records: run.client.payments(again, records),
        (Feed(PAYMENTS), Feed(PAYMENT_SETTLEMENTS, settlement_rows)),
        marks_deleted=("payments", "payment_settlements"),
        feature=PAYMENTS_FEATURE.name,
        endpoint=PAYMENTS_PATH,
    ),
    # Reopening or closing a period modifies none of its journals: the headers are read whole each run.
    ListRead(
        "journal_details",
        WHOLE,
        lambda: pa.schema([("id", pa.string()), ("accountingPeriod", pa.struct(list(records_of(ACCOUNTING_PERIODS))))]),
        lambda run, again, records: run.client.journal_details(again, records),
        (Feed(ACCOUNTING_PERIODS, period_rows),),
        feature=LEDGER,
        endpoint=JOURNAL_DETAILS_PATH,
    ),
    ListRead.one_table(
        "chart_of_accounts",
        WHOLE,
        lambda run, again, records: run.client.whole(CHART_OF_ACCOUNTS_PATH, again, records),
        CHART_OF_ACCOUNTS,
        LEDGER,
        CHART_OF_ACCOUNTS_PATH,
    ),
    ListRead.one_table(
        "currencies",
        WHOLE,
        lambda run, again, records: run.currencies(again, records),
        CURRENCIES,
        LEDGER,
        CURRENCIES_PATH,
    ),
    ListRead.one_table(
        "exchange_rates",
        WHOLE,
        lambda run, again, records: run.client.whole(EXCHANGE_RATES_PATH, again, records),
        EXCHANGE_RATES,
        LEDGER,
        EXCHANGE_RATES_PATH,
    ),
    # A change of an order's charge moves its `lastUpdated`, not its `modified` (and `lastUpdated` is
    # nullable): the window reads by the later of the two. Orders can be hard-deleted: a sweep finds them.
    ListRead(
        "subscriptions",
        WINDOW,
        subscription_records,
        lambda run, window, records: run.client.subscriptions(window, records),
        (
            Feed(SUBSCRIPTIONS, subscription_rows),
            Feed(SUBSCRIPTION_VERSIONS, version_rows, through=subscription_versions),
            *embedded_in(subscription_versions),
            Feed(REVENUE_SCHEDULE_ITEMS, fan_out=revenue_schedule, through=subscription_versions),
        ),
        swept=True,
        marks_deleted=("subscriptions",),
        feature=SUBSCRIPTIONS_NAME,
        endpoint=SUBSCRIPTIONS_PATH,
        cursor=("lastUpdated", "modified"),
    ),
    # A sales order is read as a subscription is (it is the same versioned order): its products, charges,
    # price details, discounts and milestones share their tables, keyed by the order version.
    ListRead(
        "sales_orders",
        WINDOW,
        sales_order_records,
        lambda run, window, records: run.client.sales_orders(window, records),
        (
            Feed(SALES_ORDERS, subscription_rows),
            Feed(SALES_ORDER_VERSIONS, version_rows, through=sales_order_versions),
            *embedded_in(sales_order_versions),
        ),
        swept=True,
        marks_deleted=("sales_orders",),
        feature=SUBSCRIPTIONS_NAME,
        endpoint=SALES_ORDERS_PATH,
        cursor=("lastUpdated", "modified"),
    ),
    # Bookings are edited upstream (merged), and whether a window's page trims a booking's lines is
    # undocumented: each booking a window lists is read again by id, whole.
    ListRead(
        "bookings",
        WINDOW,
        booking_records,
        lambda run, window, records: run.client.bookings(window, records),
        (Feed(BOOKINGS), Feed(BOOKING_LINES, booking_line_rows)),
        swept=True,
        marks_deleted=("bookings",),
        by_id=ById("bookingLines", lambda run, booking_id: run.client.booking(booking_id)),
        feature=SUBSCRIPTIONS_NAME,
        endpoint=BOOKINGS_PATH,
    ),
    # Usage is re-rated and invoiced upstream (merged), and hard-deleted (DELETE /Usage/{id}): a sweep finds
    # what a window cannot. Its ModifiedAfter tests the record alone, which embeds nothing that changes apart.
    ListRead.one_table(
        "usage",
        WINDOW,
        lambda run, window, records: run.client.usage(window, records),
        USAGE,
        USAGE_FEATURE.name,
        USAGE_PATH,
    ),
)
