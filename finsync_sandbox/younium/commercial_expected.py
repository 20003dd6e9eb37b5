"""What a correct warehouse derives from a Younium tenant's subscriptions and bookings, computed by
replaying the story's event script (`OrderStore.events`: what each event opened and closed, and how it
was booked), never from the store's records nor from what the routes served.

- `orders`: the latest version of each order not hard-deleted; `order_versions`: every version of them;
  each `{id, orderNumber, version, status, account_id, currency}`;
- `charges`: every charge version of them, `{id, chargeNumber, orderNumber, orderId, chargeType,
  effectiveStartDate, effectiveEndDate (date or None: open), recurringMonthlyAmount,
  recurringMonthlyAmountBase}` (Decimals; a one-off charge's are 0);
- `bookings`: every booking (a booking outlives its order), `{id, orderNumber, orderId, bookingType,
  changeType, accountCategory, classificationType, effectiveDate, cmrr, cmrr_base, one_time_fees,
  one_time_fees_base, term_months}`. The amounts are deltas of the order's CMRR: what the event opened less what it
  closed. That is the sandbox's assumption: the facts only show it for New bookings (§5.5);
- `mrr`: per (account id, "YYYY-MM"), `{base, amount, currency}`: contract-based MRR at the month's last
  day (§3, §11.2): Recurring charge versions with start <= month end <= end (no end: open), of orders
  neither Draft/OrderDraft/Deleted nor hard-deleted; `base` sums `recurringMonthlyAmountBase`, `amount`
  `recurringMonthlyAmount` in the account's `currency`;
- `movements`: per (account id, "YYYY-MM"), base-currency Decimals: `opening` (the previous month's
  closing), `new` (from 0, never had MRR at a month end before), `reactivation` (from 0, had before),
  `churn` (to 0: -opening), `expansion` / `contraction` (both above 0: the difference, up or down) and
  `closing`; opening + the movements = closing, exactly.

- `price_details`, `discounts`, `discount_charges`, `milestones`: the terms each order version holds (of the
  orders not hard-deleted, and of the sales orders), keyed `<order version id>:…` as a warehouse keeping
  them per order version would: each price tier of each charge version the version embeds (the charges
  replayed from the events, their tiers as the event that opened them wrote them down), and the discounts
  (with the charge versions each lists) and milestones the event wrote down as the version's;
- `bookings_by_month`, `deferred_revenue` (per accounting period), `account_cmrr` (per account id:
  `{amount, base, currency}`, what /Accounts says), `current_mrr` (per account id: the current month's
  `mrr` base, which agrees with `account_cmrr`'s base) and `sales_orders`: `younium.revenue_expected`.

Months run from the first month with any order to the tenant's current month (its clock), and every
account that has an order gets every month.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ..kernel.formats import day_of, money
from .dataset import YouniumDataset
from .orders import NO_MRR_STATUSES, RECURRING, Milestone, Opened, OrderDiscount, OrderEvent
from .revenue_expected import account_cmrr, bookings_by_month, deferred_revenue, sales_orders

TERMS = ("price_details", "discounts", "discount_charges", "milestones")
MOVEMENTS = ("opening", "new", "reactivation", "expansion", "contraction", "churn", "closing")


def commercial_expected(dataset: YouniumDataset) -> dict[str, Any]:
    with dataset.lock:
        store = dataset.orders
        gone = {o.order_number for o in store.deleted()}
        events = [e for e in store.events]
        now = dataset.now
    versions: dict[str, list[dict[str, Any]]] = {}
    charges: dict[str, dict[str, Any]] = {}
    bookings: list[dict[str, Any]] = []
    held: dict[str, dict[str, Opened]] = {}  # per order: the charge versions its latest version embeds
    terms: dict[str, list[dict[str, Any]]] = {name: [] for name in TERMS}
    for event in events:
        versions.setdefault(event.order_number, []).append(
            {
                "id": event.version_id,
                "orderNumber": event.order_number,
                "version": event.version,
                "status": event.status,
                "account_id": event.account_id,
                "currency": event.currency,
            }
        )
        delta = _replay(event, charges)
        embedded = held.setdefault(event.order_number, {})
        embedded.update((opened.id, opened) for opened in event.opened)
        _version_terms(
            terms, event.order_number, event.version_id, list(embedded.values()), event.discounts, event.milestones
        )
        for charge_id, _ in event.closed:
            embedded.pop(charge_id, None)  # embedded, closed, in the version that closed it; not after
        if event.booking is not None:
            facts = event.booking
            bookings.append(
                {
                    "id": facts.id,
                    "orderNumber": event.order_number,
                    "orderId": event.version_id,
                    "bookingType": facts.booking_type,
                    "changeType": facts.change_type,
                    "accountCategory": facts.account_category,
                    "classificationType": facts.classification,
                    "effectiveDate": date.fromordinal(event.day),
                    "term_months": event.term_months,
                    **delta,
                }
            )
    sales = _sales_terms(dataset)
    kept = {number: listed for number, listed in versions.items() if number not in gone}
    kept_charges = [c for c in charges.values() if c["orderNumber"] not in gone]
    mrr = _mrr(kept, kept_charges, events, now)
    current = date.fromordinal(day_of(now))
    month = current.strftime("%Y-%m")
    return {
        "orders": [listed[-1] for listed in kept.values()],
        "order_versions": [v for listed in kept.values() for v in listed],
        "charges": [{k: v for k, v in c.items() if k != "account_id"} for c in kept_charges],
        "bookings": bookings,
        "mrr": mrr,
        "movements": movements(mrr),
        "bookings_by_month": bookings_by_month(bookings),
        "deferred_revenue": deferred_revenue(dataset),
        "account_cmrr": account_cmrr(kept_charges, kept, current),
        "current_mrr": {account: row["base"] for (account, m), row in mrr.items() if m == month},
        "sales_orders": sales_orders(dataset),
        **{name: [r for r in rows if r["orderNumber"] not in gone] + sales[name] for name, rows in terms.items()},
    }


def _version_terms(
    terms: dict[str, list[dict[str, Any]]],
    number: str,
    version_id: str,
    embedded: list[Opened],
    discounts: Sequence[OrderDiscount],
    milestones: Sequence[Milestone],
) -> None:
    """The rows of the terms order version `version_id` holds: its charges' tiers, discounts, milestones."""
    at = {"orderVersionId": version_id, "orderNumber": number}
    for charge in embedded:
        for tier in charge.tiers:
            terms["price_details"].append(
                {
                    "key": f"{version_id}:{charge.id}:{tier.tier}",
                    **at,
                    "orderChargeId": charge.id,
                    "chargeNumber": f"OPC-{charge.number:06d}",
                    "tier": tier.tier,
                    "price": money(tier.price),
                    "listPrice": money(tier.price),
                    "description": tier.description,
                    "fromQuantity": Decimal(tier.from_quantity),
                    "toQuantity": Decimal(tier.to_quantity) if tier.to_quantity is not None else None,
                    "priceBase": tier.price_base,
                    "lineDiscountPercent": Decimal(0),
                    "lineDiscountAmount": money(0),
                }
            )
    for discount in discounts:
        terms["discounts"].append(
            {
                "key": f"{version_id}:{discount.id}",
                **at,
                "id": discount.id,
                "orderId": discount.order_version_id,
                "startOn": "AlignToOrder" if discount.start is None else "SpecificeDate",
                "endOn": "AlignToOrder" if discount.end is None else "SpecificeDate",
                "startDate": None if discount.start is None else date.fromordinal(discount.start),
                "endDate": None if discount.end is None else date.fromordinal(discount.end),
                "percent": Decimal(discount.percent),
                "discountType": "Percent",
                "description": discount.description,
                "onSpecificCharges": bool(discount.charge_numbers),
            }
        )
        terms["discount_charges"] += [
            {"key": f"{version_id}:{discount.id}:{c.id}", **at, "orderDiscountId": discount.id, "chargeId": c.id}
            for c in embedded
            if c.number in discount.charge_numbers
        ]
    for milestone in milestones:
        terms["milestones"].append(
            {
                "key": f"{version_id}:{milestone.id}",
                **at,
                "id": milestone.id,
                "orderId": milestone.order_version_id,
                "name": milestone.name,
                "description": milestone.description,
                "milestoneDate": None if milestone.reached is None else date.fromordinal(milestone.reached),
                "plannedDate": date.fromordinal(milestone.planned),
            }
        )


def _sales_terms(dataset: YouniumDataset) -> dict[str, list[dict[str, Any]]]:
    """The sales orders' terms: one version each, made whole when told (no event script: no bookings)."""
    terms: dict[str, list[dict[str, Any]]] = {name: [] for name in TERMS}
    with dataset.lock:
        for order in dataset.orders.sales:
            version = order.latest
            charges = [
                Opened(c.id, c.number, c.order_version_id, c.charge_type, c.amount, c.base, c.start, c.end, c.tiers)
                for c in order.charges
            ]
            _version_terms(terms, order.order_number, version.id, charges, order.discounts, order.milestones)
    return terms


def _replay(event: OrderEvent, charges: dict[str, dict[str, Any]]) -> dict[str, Decimal]:
    """Bring the event's charge versions into force and close those it closes; its booking's amounts."""
    cmrr = [0, 0]
    fees = [0, 0]
    for opened in event.opened:
        recurring = opened.charge_type == RECURRING
        charges[opened.id] = {
            "id": opened.id,
            "chargeNumber": f"OPC-{opened.number:06d}",
            "orderNumber": event.order_number,
            "orderId": opened.order_version_id,
            "account_id": event.account_id,
            "chargeType": opened.charge_type,
            "effectiveStartDate": date.fromordinal(opened.start),
            "effectiveEndDate": date.fromordinal(opened.end) if opened.end is not None else None,
            "recurringMonthlyAmount": money(opened.amount if recurring else 0),
            "recurringMonthlyAmountBase": money(opened.base if recurring else 0),
        }
        sums = cmrr if recurring else fees
        sums[0] += opened.amount
        sums[1] += opened.base
    for charge_id, end in event.closed:
        charge = charges[charge_id]
        charge["effectiveEndDate"] = date.fromordinal(end)
        if charge["chargeType"] == RECURRING:
            cmrr[0] -= int(charge["recurringMonthlyAmount"] * 100)
            cmrr[1] -= int(charge["recurringMonthlyAmountBase"] * 100)
    return {
        "cmrr": money(cmrr[0]),
        "cmrr_base": money(cmrr[1]),
        "one_time_fees": money(fees[0]),
        "one_time_fees_base": money(fees[1]),
    }


def _months(first: date, last: date) -> list[tuple[str, date]]:
    """("YYYY-MM", the month's last day) of every month from `first`'s to `last`'s."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        following = date(year + month // 12, month % 12 + 1, 1)
        months.append((f"{year:04d}-{month:02d}", date.fromordinal(following.toordinal() - 1)))
        year, month = following.year, following.month
    return months


def _mrr(
    versions: dict[str, list[dict[str, Any]]], charges: list[dict[str, Any]], events: list[OrderEvent], now: int
) -> dict[tuple[str, str], dict[str, Any]]:
    if not events:
        return {}
    months = _months(date.fromordinal(min(e.day for e in events)), date.fromordinal(day_of(now)))
    currency = {v["account_id"]: v["currency"] for listed in versions.values() for v in listed}
    counted = {number for number, listed in versions.items() if listed[-1]["status"] not in NO_MRR_STATUSES}
    rows = {
        (account, month): {"base": money(0), "amount": money(0), "currency": currency[account]}
        for account in currency
        for month, _ in months
    }
    for charge in charges:
        if charge["chargeType"] != RECURRING or charge["orderNumber"] not in counted:
            continue
        start, end = charge["effectiveStartDate"], charge["effectiveEndDate"]
        for month, last_day in months:
            if start <= last_day and (end is None or last_day <= end):
                row = rows[(charge["account_id"], month)]
                row["base"] += charge["recurringMonthlyAmountBase"]
                row["amount"] += charge["recurringMonthlyAmount"]
    return rows


def movements(mrr: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], dict[str, Decimal]]:
    """Each account-month's MRR movements (base currency), from the month-end MRR of it and the month before."""
    rows: dict[tuple[str, str], dict[str, Decimal]] = {}
    for account in sorted({a for a, _ in mrr}):
        opening, had = money(0), False
        for month in sorted(m for a, m in mrr if a == account):
            closing = mrr[(account, month)]["base"]
            row = dict.fromkeys(MOVEMENTS, money(0))
            row["opening"], row["closing"] = opening, closing
            if opening == 0 and closing > 0:
                row["reactivation" if had else "new"] = closing
            elif opening > 0 and closing == 0:
                row["churn"] = -opening
            elif opening > 0 and closing > 0:
                row["expansion" if closing > opening else "contraction"] = closing - opening
            rows[(account, month)] = row
            had = had or closing > 0
            opening = closing
    return rows


def commercial_summary(dataset: YouniumDataset) -> dict[str, Any]:
    """The figures above as `expected()` states them (JSON: decimal strings): counts, deleted order ids,
    the booked CMRR, the total MRR per month, the sales orders' count and the deferred-revenue
    roll-forward per accounting period, in the base currency."""
    figures = commercial_expected(dataset)
    with dataset.lock:
        deleted = sorted(v.id for o in dataset.orders.deleted() for v in o.versions)
    totals: dict[str, Decimal] = {}
    for (_, month), row in figures["mrr"].items():
        totals[month] = totals.get(month, money(0)) + row["base"]
    return {
        "subscriptions": {
            "rows": len(figures["orders"]),
            "versions": len(figures["order_versions"]),
            "charges": len(figures["charges"]),
            "deleted": deleted,
        },
        "bookings": {
            "rows": len(figures["bookings"]),
            "cmrr_base": str(sum((b["cmrr_base"] for b in figures["bookings"]), money(0))),
        },
        "mrr": {month: str(total) for month, total in sorted(totals.items())},
        "sales_orders": {"rows": len(figures["sales_orders"])},
        "deferred_revenue": {
            period: {name: str(amount) for name, amount in row.items()}
            for period, row in figures["deferred_revenue"].items()
        },
    }
