"""Columns and doc endings every Younium table declaration shares."""

from __future__ import annotations

from finsync.tables import Column, Kind, Sensitivity, Wire

P = Sensitivity.PERSONAL

# Shared endings of the column docs.
CALENDAR_DATE = "a calendar date as Younium writes it"
IN_UTC = "in UTC (as Younium sends it, without an offset)"
DOC_CURRENCY = "exact decimal in the invoice's currency"
BASE_CURRENCY = "exact decimal in the base currency"

# Derived: set by finsync when a complete read of the whole list (or, for invoice lines, of their invoice)
# no longer has the row (never removed).
DELETED_AT = Column(
    "deletedAt",
    Kind.TIMESTAMP,
    name="deleted_at",
    wire=Wire.DERIVED,
    doc="When finsync found the record gone upstream (a complete read, or a sweep, no longer has it), in UTC; NULL "
    "while it exists. Rows are never removed; the views leave deleted ones out",
)


def external_ids(what: str) -> tuple[Column, ...]:
    return (
        Column("externalERPId", doc=f"Id of the {what} in the ERP system linked to Younium"),
        Column("externalCRMId", doc=f"Id of the {what} in the CRM system linked to Younium"),
    )


def stamps(what: str) -> tuple[Column, ...]:
    return (
        Column("created", Kind.TIMESTAMP, doc=f"When the {what} was created in Younium, {IN_UTC}"),
        Column("modified", Kind.TIMESTAMP, doc=f"When the {what} was last modified in Younium, {IN_UTC}"),
    )


def version_of(what: str, key: str = "") -> tuple[Column, ...]:
    """The derived columns naming the order version a row was read in: its key (made as `key` says; by
    default the version's id and the row's own) and the version."""
    return (
        Column(
            "key",
            nullable=False,
            wire=Wire.DERIVED,
            doc=f'Key derived by finsync: "{key or f"<order version id>:<{what} id>"}"',
        ),
        Column(
            "orderVersionId",
            nullable=False,
            wire=Wire.DERIVED,
            doc=f"Id of the order version the {what} belongs to, set by finsync; joins subscription_versions.id or "
            "sales_order_versions.id",
        ),
        Column(
            "orderNumber",
            wire=Wire.DERIVED,
            doc="Number of the order, set by finsync (joins subscriptions or sales_orders)",
        ),
    )
