"""The sandbox's subscription story in the warehouse: every order, version, charge (and its price tiers), discount,
milestone and booking the story holds, and its MRR and movements per customer-month, computed by the sandbox
from its story's events (not from what it serves)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from finsync.warehouse.database import Warehouse
from finsync_sandbox import SandboxServer

from .conftest import query

MOVEMENTS = ("opening", "new", "reactivation", "expansion", "contraction", "churn", "closing")
COLUMNS = ", ".join(f"{m}_mrr_base" for m in MOVEMENTS)
# The terms each order version holds (the sandbox's expected rows by name), compared field by field.
TERMS = {
    "order_charge_price_details": "price_details",
    "order_discounts": "discounts",
    "order_discount_charges": "discount_charges",
    "order_milestones": "milestones",
}


def assert_matches_story(warehouse: Warehouse, server: SandboxServer) -> None:
    """Every order, version, charge (and its price tiers), discount, milestone and booking the story holds, and its
    MRR and movements per customer-month."""
    expected = server.sandbox.younium.commercial_expected()
    live = "deleted_at IS NULL"
    orders = query(warehouse, f"SELECT order_number, id, version, status, account_id, currency "
                              f"FROM younium.subscriptions WHERE {live}")  # fmt: skip
    assert sorted(orders) == sorted(
        (o["orderNumber"], o["id"], o["version"], o["status"], o["account_id"], o["currency"])
        for o in expected["orders"]
    )
    numbers = {o["orderNumber"] for o in expected["orders"]}
    versions = {(n, i) for n, i in query(warehouse, "SELECT order_number, id FROM younium.subscription_versions")}
    assert {v for v in versions if v[0] in numbers} == {(v["orderNumber"], v["id"]) for v in expected["order_versions"]}
    charges = query(
        warehouse,
        "SELECT DISTINCT id, charge_number, order_number, charge_type, effective_start_date, effective_end_date, "
        # A one-off charge has no recurring amount (left out on the wire); the story counts it as 0.
        "COALESCE(recurring_monthly_amount, 0), COALESCE(recurring_monthly_amount_base, 0) "
        "FROM younium.order_charges",
    )
    assert {c for c in charges if c[2] in numbers} == {
        (c["id"], c["chargeNumber"], c["orderNumber"], c["chargeType"], c["effectiveStartDate"],
         c["effectiveEndDate"], c["recurringMonthlyAmount"], c["recurringMonthlyAmountBase"])
        for c in expected["charges"]
    }  # fmt: skip
    # Price details, discounts and milestones: every row of every version, subscriptions' and sales orders'.
    orders = numbers | {o["orderNumber"] for o in expected["sales_orders"]}
    for table, name in TERMS.items():
        fields = list(expected[name][0]) if expected[name] else ["key", "orderVersionId", "orderNumber"]
        columns = ", ".join(re.sub(r"(?<!^)([A-Z])", r"_\1", f).lower() for f in fields)
        held = [r for r in query(warehouse, f"SELECT {columns} FROM younium.{table}") if r[2] in orders]
        assert Counter(held) == Counter(tuple(r[f] for f in fields) for r in expected[name]), table
    bookings = query(
        warehouse,
        "SELECT id, order_number, booking_type, change_type, account_category, classification_type, "
        "CAST(effective_date AS DATE), cmrr, cmrr_base, one_time_fees, one_time_fees_base FROM younium.bookings "
        f"WHERE {live}",
    )
    assert sorted(bookings) == sorted(
        (b["id"], b["orderNumber"], b["bookingType"], b["changeType"], b["accountCategory"],
         b["classificationType"], b["effectiveDate"], b["cmrr"], b["cmrr_base"], b["one_time_fees"],
         b["one_time_fees_base"])
        for b in expected["bookings"]
    )  # fmt: skip

    # MRR per customer and month end, over the months the story has told (the views go on to this month).
    last = max(month for _, month in expected["mrr"])
    mrr = {
        (customer, f"{month:%Y-%m}"): (amount, base, currency)
        for customer, month, amount, base, currency in query(
            warehouse, "SELECT customer_id, month, mrr, mrr_base, currency FROM analytics.mrr"
        )
        if f"{month:%Y-%m}" <= last
    }
    for key, figure in expected["mrr"].items():
        amount, base, currency = mrr.get(key, (Decimal(0), Decimal(0), figure["currency"]))
        assert (amount, base) == (figure["amount"], figure["base"]), key
        assert not base or currency == figure["currency"], key
    assert not {k for k, (_, base, _) in mrr.items() if base and k not in expected["mrr"]}
    movements = {
        (customer, f"{month:%Y-%m}"): tuple(figures)
        for customer, month, *figures in query(
            warehouse, f"SELECT customer_id, month, {COLUMNS} FROM analytics.mrr_movements"
        )
        if f"{month:%Y-%m}" <= last
    }
    for key, figure in expected["movements"].items():
        told = tuple(figure[m] for m in MOVEMENTS)
        # The view starts a customer's rows at their first charge; the story at its first order of all.
        assert movements.get(key, (Decimal(0),) * len(MOVEMENTS)) == told, key
    assert set(movements) <= set(expected["movements"])
