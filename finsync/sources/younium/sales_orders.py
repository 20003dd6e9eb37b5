"""Younium's sales orders (orders of type SalesOrder), declared once (SalesOrderResponse of the API 2.1 spec,
commercial facts §4).

A sales order is the same versioned order as a subscription (`orderNumber` stable, each version its own `id`)
with the same products and charges, but it is a one-off sale: no term, renewal, notice or billing-period
fields, no order-level metrics, `invoiceBatchGroup` a string (an object on a subscription), and its own
`invoicingCurrency` and `accountsReceivableAccount`. So its headers get tables of their own
(`sales_orders`, `sales_order_versions`: a shared orders table would hold a dozen columns always NULL for
one kind and a string and an object in one column), while its products, charges, price details, discounts
and milestones go to the same `order_products`, `order_charges` and `order_terms` tables as a subscription's
(one schema on the wire, one declaration, keyed by the order version). It never counts in MRR:
`analytics.mrr` reads the charges of `subscriptions` only.
"""

from __future__ import annotations

import pyarrow as pa

from finsync.tables import EXTRA_FIELDS, Column, Kind, Table, Wire, records_of

from .columns import CALENDAR_DATE, DELETED_AT, stamps
from .order_terms import version_lists
from .orders import LAST_UPDATED, order_header, order_products


def sales_order_columns() -> tuple[Column, ...]:
    """The fields of a sales order version that its tables keep."""
    what = "sales order version"
    return (
        *order_header(
            what,
            "Status of the sales order: OrderDraft, Order, PartiallyDelivered, Delivered, Invoiced, PartiallyPaid or "
            "Paid",
            "SalesOrder (this table)",
        ),
        Column("invoicingCurrency", doc="Currency code the order is invoiced in"),
        Column("orderDate", Kind.DATE, doc=f"Order date (a sales order's only date), {CALENDAR_DATE}"),
        Column("invoiceBatchGroup", doc="Code of the invoice batch group (a string on a sales order)"),
        Column("accountsReceivableAccount", doc="Accounts-receivable GL account code of the order"),
        *stamps(what),
        LAST_UPDATED,
    )


SALES_ORDERS = Table(
    "sales_orders",
    "order_number",
    (
        Column("orderNumber", nullable=False, wire=Wire.OPTIONAL, doc="Number of the order (O-…); the table's key"),
        Column(
            "id",
            nullable=False,
            wire=Wire.REQUIRED,
            doc="Id of the order's latest version; joins sales_order_versions.id",
        ),
        *sales_order_columns(),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One Younium sales order (a one-off sale) as its latest version, from /SalesOrders, merged by order "
    "number; an order a sweep no longer lists (deleted in Younium's UI) gets deleted_at. Its products, "
    "charges, price details, discounts and milestones are in the order_… tables; it never counts in MRR",
)

SALES_ORDER_VERSIONS = Table(
    "sales_order_versions",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the sales order version; the table's key"),
        Column("orderNumber", doc="Number of the order (O-…); joins sales_orders.order_number"),
        *sales_order_columns(),
    ),
    doc="One version of a Younium sales order, from /SalesOrders/{orderNumber}/versions (read for every order "
    "a window lists); merged by the version's id",
)


def sales_version_records() -> pa.Schema:
    return records_of(SALES_ORDER_VERSIONS, products=order_products(), **version_lists())


def sales_order_records() -> pa.Schema:
    return records_of(SALES_ORDERS, products=order_products(), **version_lists())
