"""The commercial figures a correct warehouse derives beyond MRR (commercial facts §11.2), computed by the
sandbox from its own event script and rules, never from what the routes served: bookings by month, the
deferred-revenue roll-forward, each account's CMRR and the sales orders.

Why apart from `younium.commercial_expected`: these replay other scripts (the billings of
`younium.revenue`, the recognition runs, the sales orders) and one module each keeps both short.

- `bookings_by_month(bookings)`: per (month "YYYY-MM" of the booking's `effectiveDate`, bookingType,
  changeType, classificationType, accountCategory): `{cmrr_base, acv_base, tcv_base, one_time_fees_base}`,
  Decimals (ACV = 12 x CMRR, TCV = the order's term (12 for an Evergreen one) x CMRR, as booked);
- `deferred_revenue(dataset)`: per accounting period "YYYY-MM", from the first billing's to the tenant's
  current month: `{opening, billed, recognised, closing}` in the base currency, opening + billed -
  recognised = closing, opening the previous closing. `billed` is what the period's invoice runs put on
  the deferred-revenue account (credits net), `recognised` what its recognition run took off: the
  movement of account 2971 in the ledger;
- `account_cmrr(charges, versions, today)`: per account id `{amount, base, currency}`: the Recurring charge
  versions in force on the tenant's current day (start <= today <= end, no end: open) of its Active
  subscriptions: what /Accounts says as `cmrr`;
- `sales_orders(dataset)`: `{id, orderNumber, status, account_id, one_time_fees, one_time_fees_base}`
  of each sales order (they never count in MRR).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from ..kernel.formats import day_of, money
from .dataset import YouniumDataset
from .gl import month_of, period_name
from .orders import ACTIVE, RECURRING
from .revenue import items_of

BOOKING_SUMS = ("cmrr_base", "acv_base", "tcv_base", "one_time_fees_base")


def bookings_by_month(bookings: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str, str, str], dict[str, Decimal]]:
    rows: dict[tuple[str, str, str, str, str], dict[str, Decimal]] = {}
    for b in bookings:
        key = (
            b["effectiveDate"].strftime("%Y-%m"),
            b["bookingType"],
            b["changeType"],
            b["classificationType"],
            b["accountCategory"],
        )
        row = rows.setdefault(key, dict.fromkeys(BOOKING_SUMS, money(0)))
        row["cmrr_base"] += b["cmrr_base"]
        row["acv_base"] += 12 * b["cmrr_base"]
        row["tcv_base"] += b["term_months"] * b["cmrr_base"]
        row["one_time_fees_base"] += b["one_time_fees_base"]
    return rows


def deferred_revenue(dataset: YouniumDataset) -> dict[str, dict[str, Decimal]]:
    """The roll-forward, replaying every billing through the recognition rule and the runs made."""
    with dataset.lock:
        revenue = dataset.revenue
        billings = list(revenue.billings)
        runs = dict(revenue.runs)
        now = dataset.now
        seeded = dataset.seeded
    if not billings:
        return {}
    billed: dict[int, int] = {}
    recognised: dict[int, int] = {}
    for billing in billings:
        items = items_of(seeded, billing)
        month = month_of(day_of(billing.at))
        billed[month] = billed.get(month, 0) + sum(i.base for i in items)
        for item in items:
            if item.month in runs:
                posted = runs[item.month][1]
                recognised[posted] = recognised.get(posted, 0) + item.base
    rows: dict[str, dict[str, Decimal]] = {}
    closing = 0
    for month in range(min(billed), month_of(day_of(now)) + 1):
        opening = closing
        closing = opening + billed.get(month, 0) - recognised.get(month, 0)
        rows[period_name(month)] = {
            "opening": money(opening),
            "billed": money(billed.get(month, 0)),
            "recognised": money(recognised.get(month, 0)),
            "closing": money(closing),
        }
    return rows


def account_cmrr(
    charges: Iterable[dict[str, Any]], versions: dict[str, list[dict[str, Any]]], today: date
) -> dict[str, dict[str, Any]]:
    latest = {number: listed[-1] for number, listed in versions.items()}
    rows: dict[str, dict[str, Any]] = {}
    for listed in latest.values():
        if listed["status"] == ACTIVE:
            rows.setdefault(
                listed["account_id"], {"amount": money(0), "base": money(0), "currency": listed["currency"]}
            )
    for charge in charges:
        order = latest.get(charge["orderNumber"])
        if order is None or order["status"] != ACTIVE or charge["chargeType"] != RECURRING:
            continue
        end = charge["effectiveEndDate"]
        if charge["effectiveStartDate"] <= today and (end is None or today <= end):
            row = rows[order["account_id"]]
            row["amount"] += charge["recurringMonthlyAmount"]
            row["base"] += charge["recurringMonthlyAmountBase"]
    return rows


def sales_orders(dataset: YouniumDataset) -> list[dict[str, Any]]:
    with dataset.lock:
        return [
            {
                "id": order.latest.id,
                "orderNumber": order.order_number,
                "status": order.latest.status,
                "account_id": order.account.id,
                "one_time_fees": money(sum(c.amount for c in order.charges)),
                "one_time_fees_base": money(sum(c.base for c in order.charges)),
            }
            for order in dataset.orders.sales
        ]
