"""Younium's usage, declared once (UsageResponse of the API 2.1 spec): the quantities consumed on Usage
charges, imported into Younium and rated and invoiced from there. Usage is billed in arrears: a record is
`processed` (and carries its `ratedPrice`) once it was invoiced. Usage is no part of MRR.

`fromDate` and `toDate` are kept as timestamps, not dates: the spec declares them date-times (as it does
every calendar date, sent as a midnight), but a usage record is a measurement that an import may date to
the time of day, which a DATE would silently drop. A usage record can be hard-deleted upstream (DELETE
/Usage/{id}): the list is swept, and a record a whole read no longer has is marked `deleted_at`.
"""

from __future__ import annotations

from finsync.tables import EXTRA_FIELDS, Column, Kind, Table, Wire

from .columns import DELETED_AT, IN_UTC, stamps

USAGE = Table(
    "usage",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the usage record; the table's key"),
        Column("description", doc="Description of the usage record"),
        Column(
            "fromDate",
            Kind.TIMESTAMP,
            wire=Wire.REQUIRED,
            doc=f"Start of the period the usage was measured over, {IN_UTC} (a calendar day arrives as midnight)",
        ),
        Column(
            "toDate",
            Kind.TIMESTAMP,
            doc=f"End of the period the usage was measured over; NULL for a single moment, {IN_UTC}",
        ),
        Column("quantity", Kind.RATE, wire=Wire.REQUIRED, doc="Quantity used, exact decimal, in `unit`"),
        Column("unit", doc="Code of the unit of measure the quantity is in"),
        Column("source", doc="Where the usage came from, as the import named it"),
        Column("account.id", name="account_id", doc="Id of the customer's account (account.id); joins accounts.id"),
        Column("account.accountNumber", name="account_number", doc="Number of the customer's account"),
        Column("account.name", name="account_name", doc="Name of the customer's account (account.name)"),
        Column("order.id", name="order_id", doc="Id of the order (version) the usage is for (order.id)"),
        Column(
            "order.orderNumber", name="order_number", doc="Number of the order (O-…); joins subscriptions.order_number"
        ),
        Column("product.id", name="product_id", doc="Id of the order product the usage is for (product.id)"),
        Column(
            "product.productNumber",
            name="product_number",
            doc="Number of the order product (OP-…, not the catalogue's P-…)",
        ),
        Column("charge.id", name="charge_id", doc="Id of the Usage charge the usage is rated on (charge.id)"),
        Column("charge.chargeNumber", name="charge_number", doc="Number of that charge (OPC-…)"),
        Column("importDate", Kind.TIMESTAMP, doc=f"When the usage was imported into Younium, {IN_UTC}"),
        Column("processed", Kind.BOOL, doc="Whether Younium has processed (rated and invoiced) the usage"),
        Column(
            "ratedPrice",
            Kind.MONEY,
            wire=Wire.OPTIONAL,
            doc="What the usage was rated at, exact decimal in ratedPriceCurrencyCode; NULL until it is rated",
        ),
        Column(
            "ratedPriceCurrencyCode",
            wire=Wire.OPTIONAL,
            doc="Currency code of ratedPrice; NULL until the usage is rated",
        ),
        *stamps("usage record"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One Younium usage record (a quantity consumed on a Usage charge), from /Usage; merged by id, as usage is "
    "re-rated; a record a sweep no longer lists (hard-deleted) gets deleted_at",
    history="modified",
)
