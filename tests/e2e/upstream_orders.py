"""What the sandbox serves of a Younium legal entity's commercial side, as rows for `upstream.younium_tables`:
its subscriptions and sales orders, their versions and what each version embeds, its bookings and the revenue
schedules of its live subscriptions' Recurring charges, each as its route writes it, with the columns finsync
derives computed by their documented rules."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, NamedTuple

from finsync_sandbox import YouniumTenant
from finsync_sandbox.younium.order_records import booking, subscription
from finsync_sandbox.younium.orders import RECURRING
from finsync_sandbox.younium.revenue_records import schedule_item
from finsync_sandbox.younium.sales_orders import sales_order

from .columns import served


def instant(text: str) -> datetime:
    """A Younium time (UTC, with or without its `Z`) as an aware instant."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=timezone.utc)


# The tables kept per order version (a subscription's and a sales order's), keyed `<order version id>:…`.
VERSIONED = (
    "order_products",
    "order_charges",
    "order_charge_price_details",
    "order_discounts",
    "order_discount_charges",
    "order_milestones",
)


class Commercial(NamedTuple):
    rows: dict[str, list[dict[str, Any]]]
    gone: dict[str, dict[str, frozenset[Any]]]  # table -> {column: values of rows not compared}
    earlier: dict[str, dict[tuple[Any, ...], tuple[dict[str, Any], ...]]]  # table -> Wanted.earlier


def commercial_rows(tenant: YouniumTenant) -> Commercial:
    """The subscriptions, sales orders, their versions and what each version embeds, the bookings and the
    revenue schedules of the live subscriptions' Recurring charges, as their routes serve them. Call with the
    dataset's lock held."""
    dataset = tenant.dataset
    store = dataset.orders
    live = store.live()
    # /Subscriptions and /SalesOrders: each order's latest version; .../versions: every version of each.
    subscriptions = [served(subscription(o, o.latest.version)) for o in live]
    versions = [served(subscription(o, v.version)) for o in live for v in o.versions]
    sales = [served(sales_order(o)) for o in store.sales]
    # A sales order has one version: its versions route answers its record once per version.
    sales_versions = [served(sales_order(o)) for o in store.sales for _ in o.versions]
    totals = tenant.config.younium_booking_totals  # how /Bookings writes a header's amounts
    bookings = [served(booking(b, totals)) for b in store.bookings]
    # Schedules are read per charge number, for the Recurring charges the live subscriptions' versions embed.
    recurring = sorted(
        {
            charge["chargeNumber"]
            for version in versions
            for product in version.get("products", [])
            for charge in product.get("charges", [])
            if charge.get("chargeType") == RECURRING
        }
    )
    schedules = [
        served(schedule_item(dataset, item)) | {"chargeNumber": number}
        for number in recurring
        for item in dataset.revenue.of_charge(int(number.removeprefix("OPC-")))
    ]
    # A recognition run, or a period's closing, modifies no order: an item read before either is held as it
    # was read until its charge's order is read again (finsync.sources.younium.revenue: the ledger's voucher
    # says what was recognised). Read before its recognition, it was all deferred, modified when created; read
    # before its period closed, its period was Open.
    earlier: dict[tuple[Any, ...], tuple[dict[str, Any], ...]] = {}
    for item in schedules:
        recognised = item["recognizedRevenue"]
        unrecognised = {
            "deferred_revenue": recognised["amount"],
            "deferred_revenue_base": recognised["baseCurrencyAmount"],
            "recognized_revenue": Decimal(0),
            "recognized_revenue_base": Decimal(0),
            "modified": instant(item["created"]),
        }
        opened = {"period_status": "Open"}
        closed = item["accountingPeriod"]["status"] != "Open"
        if recognised["amount"] or recognised["baseCurrencyAmount"]:
            earlier[(item["id"],)] = (unrecognised | opened, unrecognised, opened) if closed else (unrecognised,)
        elif closed:
            earlier[(item["id"],)] = (opened,)

    def of(version: dict[str, Any], key: str) -> dict[str, Any]:
        """The derived columns of a row read in order version `version`: its version, its order, its key."""
        return {"orderVersionId": version["id"], "orderNumber": version["orderNumber"], "key": f"{version['id']}:{key}"}

    products, charges, prices, discounts, discount_charges, milestones = [], [], [], [], [], []
    for version in (*versions, *sales_versions):
        for product in version.get("products", []):
            products.append(product | of(version, product["id"]))
            for charge in product.get("charges", []):
                order = {"accountId": version["account"]["id"], "orderCurrency": version["currency"]}
                charges.append(charge | order | of(version, charge["id"]))
                prices += [
                    detail
                    | {"orderChargeId": charge["id"], "chargeNumber": charge["chargeNumber"]}
                    | of(version, f"{charge['id']}:{detail['tier']}")
                    for detail in charge.get("priceDetails", [])
                ]
        for discount in version.get("orderDiscounts", []):
            discounts.append(discount | of(version, discount["id"]))
            discount_charges += [
                link | of(version, f"{discount['id']}:{link['chargeId']}")
                for link in discount.get("orderProductCharges", [])
            ]
        milestones += [m | of(version, m["id"]) for m in version.get("milestones", [])]

    # What the warehouse keeps of a hard-deleted subscription (no route serves it any more): its versions and
    # what they embed, and the schedules of its charges, as they were last read.
    deleted = store.deleted()
    gone_orders = frozenset(o.order_number for o in deleted)
    gone_charges = frozenset(f"OPC-{c.number:06d}" for o in deleted for c in o.charges) - set(recurring)
    by_order = {"order_number": gone_orders}
    tables = Commercial(
        {
            "subscriptions": subscriptions,
            "subscription_versions": versions,
            "sales_orders": sales,
            "sales_order_versions": sales_versions,
            "order_products": products,
            "order_charges": charges,
            "order_charge_price_details": prices,
            "order_discounts": discounts,
            "order_discount_charges": discount_charges,
            "order_milestones": milestones,
            "bookings": bookings,
            "booking_lines": [
                line | {"bookingId": b["id"], "position": i, "key": f"{b['id']}:{i}"}
                for b in bookings
                for i, line in enumerate(b.get("bookingLines", []), start=1)
            ],
            "revenue_schedule_items": schedules,
        },
        {
            **dict.fromkeys(("subscription_versions", *VERSIONED), by_order),
            "revenue_schedule_items": {"charge_number": gone_charges},
        },
        {"revenue_schedule_items": earlier},
    )
    # A table no record makes is never created (a tenant without subscriptions has none of these, one whose
    # orders have no milestones no order_milestones): nothing to compare.
    return tables._replace(rows={table: rows for table, rows in tables.rows.items() if rows})
