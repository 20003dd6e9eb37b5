"""Younium's sales orders: one-off sales (hardware, a workshop) told alongside the subscription story, and
served as the API 2.1 writes a SalesOrder (commercial facts §4).

Why they are here: a sales order shares the versioned order model and the product and charge schemas with
a subscription, but differs where a connector written for subscriptions breaks (§4.2): no term, renewal,
notice or billing-period fields, no order-level metrics, `invoiceBatchGroup` a string rather than an
object, `invoicingCurrency` and `accountsReceivableAccount` of its own, and the statuses OrderDraft, Order,
Delivered, Invoiced, Paid. Its charges are OneOff only, so it never counts in MRR (§3); its fees are the
charges' `oneTimeFees`.

The story: a quarter as many sales orders as subscriptions (none without subscriptions, at least one with
any), each for a subscriber of the story, dated within the seeded history. Each has one version (the API has
no change route for sales orders, §4.1) and one product of one or two OneOff charges. Its status is drawn:
Order (not delivered yet), Delivered, Invoiced or Paid; its charges are Flat (one price detail); about half
have a discount on their first charge, about half a Delivery milestone. A delivered one has its `deliveryDate`
and no `remainingQuantity`; an invoiced (or paid) one was invoiced by the night's run: its charges'
`chargedThroughDate` (the day after delivery) and `modified` moved, the order's `modified` did not, so
ModifiedAfter finds it through its children (§1.2), like a subscription.

Bookings: the facts never show a sales order booked (the booking triggers of §5.2 are a subscription's
lifecycle; CancelledDelivery and AssociatedCharge are only names), so the sandbox books none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..kernel.formats import HOUR, MINUTE, format_day, format_naive_instant, money, start_of_day
from .catalogue import Catalogue
from .catalogue_records import kind_of, product_name
from .order_records import subscription
from .orders import ONE_OFF, Milestone, Order, OrderCharge, OrderDiscount, OrderProduct, OrderStore, OrderVersion
from .pricing_terms import tiers_of
from .seed import RATES_E4, Account, YouniumSeed, to_base

SALES_STATUSES = ("Order", "Delivered", "Invoiced", "Paid")
_INVOICED = frozenset({"Invoiced", "Paid"})
_DELIVERED = frozenset({"Delivered", "Invoiced", "Paid"})
# What a SalesOrderResponse does not have of a SubscriptionResponse (commercial facts §4.2).
_NOT_ON_SALES = (
    "effectiveStartDate", "effectiveEndDate", "cancellationDate", "effectiveChangeDate", "noticePeriodDate",
    "lastRenewalDate", "noticePeriod", "term", "renewalTerm", "isAutoRenewed", "termType", "orderBillingPeriod",
    "setOrderBillingPeriod", "currencyCodeToUseWhenInvoice", "cmrr", "acv", "emrr", "oneTimeFees", "tcv",
)  # fmt: skip


def sales_count(subscriptions: int) -> int:
    """How many sales orders a story of `subscriptions` subscriptions has."""
    return 0 if subscriptions <= 0 else max(1, subscriptions // 4)


def tell_sales_orders(
    seeded: YouniumSeed,
    catalogue: Catalogue,
    store: OrderStore,
    accounts: Sequence[Account],
    count: int,
    first_day: int,
    last_day: int,
) -> None:
    """`count` sales orders for `accounts` (in turn), dated between `first_day` and the day before
    `last_day`, invoiced by the night's run when their status says so."""
    if not accounts or last_day <= first_day:
        return
    offers = [p for p in catalogue.live() if kind_of(p).charge_type == ONE_OFF] or catalogue.live()
    for k in range(count):
        d = seeded.digest(b"sales-order", k)
        day = first_day + int.from_bytes(d[:2], "little") % (last_day - first_day)
        at = start_of_day(day) + 10 * HOUR + d[2] % 240 * MINUTE
        account = accounts[k % len(accounts)]
        number = store.next_order_number()
        status = SALES_STATUSES[d[3] % len(SALES_STATUSES)]
        order = Order(number, account, RATES_E4[account.currency], False, 0, day, day, d, order_type="SalesOrder")
        version = OrderVersion(seeded.uuid(b"order-version", number << 8 | 1), 1, status, at, at, None)
        order.versions.append(version)
        sold = offers[d[4] % len(offers)]
        _, plan, charges = catalogue.numbers(sold)[0]
        product_number, charge_number = store.next_numbers(1, 1 + d[5] % 2)
        product = OrderProduct(
            seeded.uuid(b"order-product", product_number), product_number, product_name(sold),
            seeded.uuid(b"charge-plan", plan), plan, seeded.uuid(b"charge-id", charges[0]), at, at,
        )  # fmt: skip
        order.products.append(product)
        for c in range(1 + d[5] % 2):
            cd = seeded.digest(b"order-charge", charge_number + c)
            units = (1 + cd[2] % 9) * (1000 if account.currency in ("SEK", "NOK") else 100)
            charge = OrderCharge(
                seeded.uuid(b"order-charge-id", (charge_number + c) << 8 | 1), charge_number + c, 1, product, 1,
                version.id, ONE_OFF, "Monthly", units * 100, 0, day, day, at, at,
            )  # fmt: skip
            charge.base = to_base(units * 100, order.rate_e4)
            charge.tiers = tiers_of("Flat", units * 100)
            if status in _INVOICED:
                charge.charged_through = day + 1
                charge.modified = start_of_day(day) + 22 * HOUR
            order.charges.append(charge)
        # A sales order carries the same discounts and milestones as a subscription (the same order schema):
        # some get a discount on their first charge, some a delivery milestone, reached once delivered.
        if d[6] % 2 == 0:
            discount = seeded.uuid(b"sales-discount", number)
            order.discounts.append(OrderDiscount(discount, version.id, 10, None, None, "Volume deal", (charge_number,)))
        if d[7] % 2 == 0:
            reached = day if status in _DELIVERED else None
            order.milestones.append(Milestone(seeded.uuid(b"sales-milestone", number), version.id, "Delivery",
                                              None, reached, day))  # fmt: skip
        store.add_sales(order)


def sales_order(order: Order) -> dict[str, Any]:
    """SalesOrderResponse of the order's latest version: the subscription's shape less what §4.2 says a sales
    order lacks, with its own members, and per-charge delivery fields."""
    record = subscription(order, order.latest.version)
    for name in _NOT_ON_SALES:
        record.pop(name, None)
    status = order.latest.status
    record["orderType"] = "SalesOrder"
    record["invoiceBatchGroup"] = order.account.group.code
    record["invoicingCurrency"] = order.currency
    record["accountsReceivableAccount"] = "1510"
    for product in record["products"]:
        for charge in product["charges"]:
            charge["name"] = product["name"]
            charge["orderedQuantity"] = charge["quantity"]
            charge["remainingQuantity"] = money(0) if status in _DELIVERED else charge["quantity"]
            charge["deliveryDate"] = format_day(order.start) if status in _DELIVERED else None
            charge["revenueRecognitionRule"] = "Recognized on invoice"
    record["lastUpdated"] = format_naive_instant(order.last_updated(order.latest.version))
    return record
