"""Younium's revenue schedule items (RevenueScheduleItemResponse, commercial facts §7), declared once, and
the fan-out that reads them.

Younium lists no schedule tenant-wide: only per charge number (`GET /RevenueSchedule/Charge/{chargeNumber}`,
every version's items) or per invoice line. So they are read per charge number, for the Recurring charges of
every order version a window of `subscriptions` read (all of them on a first read or a sweep: the window
is the whole list then), `concurrency` requests at once, each charge's items replacing those held: what an
invoice adds or a change credits moves the charge (its `chargedThroughDate`, its `modified`), so the order
comes back in the window, and its schedule with it. A recognition run moves no order: an item recognised
since its charge was last read still says deferred here, and `analytics.deferred_revenue` takes the
recognition from the ledger's voucher naming the item (`revenueScheduleItemId`), not from the item.
One-off charges (a sales order's) are recognised on invoice and are not read. A charge that answers no
items any more (404, or 400 "could not be found") writes none, so the items it had stay as they were: the
facts know of no way an item is removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from typing import TYPE_CHECKING

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from finsync import progress
from finsync.http import bounded_map
from finsync.sources.state import SourceState
from finsync.tables import Column, Kind, Table, Wire, records_of, unnested

from .columns import CALENDAR_DATE, stamps
from .rows import with_columns

if TYPE_CHECKING:
    from .lists import YouniumRun

AMOUNT = "exact decimal in the charge's (sales) currency"
BASE = "exact decimal in the base currency"


def _amounts(metric: str, name: str, what: str) -> tuple[Column, ...]:
    return (
        Column(f"{metric}.amount", Kind.MONEY, name=name, doc=f"{what} ({metric}.amount); {AMOUNT}"),
        Column(f"{metric}.baseCurrencyAmount", Kind.MONEY, name=f"{name}_base", doc=f"{what}; {BASE}"),
    )


def _line(field: str, name: str, doc: str, kind: Kind = Kind.TEXT) -> Column:
    return Column(f"invoiceLine.{field}", kind, name=name, doc=doc)


REVENUE_SCHEDULE_ITEMS = Table(
    "revenue_schedule_items",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the item (vouchers' revenueScheduleItemId); the table's key"),
        Column(
            "chargeNumber",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Number of the charge (OPC-…) the item was read for, set by finsync; joins order_charges",
        ),
        Column("orderProductCharge.id", name="order_charge_id", doc="Id of the charge version the item is of"),
        Column("orderProductCharge.name", name="charge_name", doc="Name of the charge"),
        *_amounts(
            "deferredRevenue",
            "deferred_revenue",
            "Deferred revenue of the item (whether a movement or a balance is undocumented)",
        ),
        *_amounts(
            "recognizedRevenue",
            "recognized_revenue",
            "Recognised revenue of the item (whether a movement or a balance is undocumented)",
        ),
        Column("deferredRevenue.currencyCode", name="currency", doc="Currency code of the item's amounts"),
        Column("deferredRevenue.baseCurrencyCode", name="base_currency", doc="Base currency code"),
        Column("accountingPeriod.fiscalYear", Kind.INT, name="fiscal_year", doc="Fiscal year of the item's period"),
        Column("accountingPeriod.fiscalPeriod", Kind.INT, name="fiscal_period", doc="The period within its year"),
        Column("accountingPeriod.startDate", Kind.DATE, name="period_start_date", doc="The period's first day"),
        Column("accountingPeriod.endDate", Kind.DATE, name="period_end_date", doc="The period's last day"),
        Column("accountingPeriod.status", name="period_status", doc="Open or Closed, as the item was read"),
        _line("id", "invoice_line_id", "Id of the invoice line the item comes from (invoiceLine.id)"),
        _line("invoiceId", "invoice_id", "Id of that invoice line's invoice"),
        _line(
            "invoiceDate", "invoice_date", f"Date of that invoice: when the item was billed, {CALENDAR_DATE}", Kind.DATE
        ),
        _line("subtotal", "invoice_line_subtotal", f"Subtotal of the whole invoice line; {AMOUNT}", Kind.MONEY),
        _line("servicePeriodStartDate", "service_start_date", f"First day the line bills, {CALENDAR_DATE}", Kind.DATE),
        _line("servicePeriodEndDate", "service_end_date", f"Last day the line bills, {CALENDAR_DATE}", Kind.DATE),
        _line("deferredRevenueAccount", "deferred_revenue_account", "GL account code the line defers revenue on"),
        _line("recognizedRevenueAccount", "recognized_revenue_account", "GL account code it recognises revenue on"),
        *stamps("schedule item"),
    ),
    replaced_per="charge_number",
    doc="One revenue schedule item (an invoice line's share of one accounting period) of a Younium Recurring "
    "charge, from /RevenueSchedule/Charge/{chargeNumber}, read for every charge of the orders a window of "
    "subscriptions read; a charge's items are replaced whenever it is read again",
)

READ = "revenue_schedule_items"


def recurring_charge_numbers(versions: pa.Table) -> list[str]:
    """The charge numbers of the Recurring charges of `versions` (order versions as the wire nests them)."""
    products = pc.list_flatten(versions.column("products").combine_chunks())
    charges = pc.list_flatten(pc.struct_field(products, "charges"))
    recurring = pc.fill_null(pc.equal(pc.struct_field(charges, "chargeType"), "Recurring"), False)
    numbers = pc.struct_field(charges, "chargeNumber").filter(recurring)
    return sorted({str(n) for n in numbers.to_pylist() if n})


@dlt.transformer(name="revenue_schedule_items")
def revenue_schedule(versions: pa.Table, run: YouniumRun) -> Iterator[pa.Table]:
    """Every schedule item of each Recurring charge of `versions`, `concurrency` requests at once; the requests
    are the run summary's fan-out of `revenue_schedule_items`."""
    numbers = recurring_charge_numbers(versions)
    records = run.wire.records(records_of(REVENUE_SCHEDULE_ITEMS))
    census = run.fan_out_census(READ, (READ,), over="subscriptions")
    found = []
    for outcome in bounded_map(lambda n: run.client.revenue_schedule(n, records), numbers, run.concurrency):
        if outcome.error is not None:
            raise outcome.error
        assert outcome.result is not None
        items = unnested(census.take(outcome.result))
        if items.num_rows:
            found.append(with_columns(items, chargeNumber=pa.array([outcome.item] * items.num_rows, pa.string())))
    progress.advance("revenue schedules read", len(numbers))
    SourceState.current().list(READ).fanned_out(len(numbers))
    if found:
        table = pa.concat_tables(found, promote_options="permissive")
        yield REVENUE_SCHEDULE_ITEMS.from_rows(table, timezone.utc)
    run.remember_fan_out(READ)
