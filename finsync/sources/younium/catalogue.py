"""Younium's product catalogue, declared once: products (ProductResponse of the API 2.1 spec). Products can be
hard-deleted upstream (only while no active order uses them): the list is swept, and a product a whole read
no longer has is marked `deleted_at`."""

from __future__ import annotations

from finsync.tables import EXTRA_FIELDS, Column, Kind, Table, Wire

from .columns import CALENDAR_DATE, DELETED_AT, external_ids, stamps

PRODUCTS = Table(
    "products",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the product; the table's key"),
        Column("productNumber", doc="Number of the product, as Younium shows it (P-…)"),
        Column("name", doc="Name of the product"),
        Column("productType", doc="Simple, MultipleCharges, MultipleChargePlans or Full: its plans and charges"),
        Column("category", doc="Category of the product"),
        Column("activationDate", Kind.DATE, doc=f"First day the product can be sold, {CALENDAR_DATE}"),
        Column(
            "endOfNewSalesDate",
            Kind.DATE,
            wire=Wire.OPTIONAL,
            doc=f"Last day the product can be sold on a new order, {CALENDAR_DATE}",
        ),
        Column(
            "endOfRenewalDate",
            Kind.DATE,
            wire=Wire.OPTIONAL,
            doc=f"Last day an order with the product can renew, {CALENDAR_DATE}",
        ),
        Column("endOfLifeDate", Kind.DATE, wire=Wire.OPTIONAL, doc=f"Last day of the product's life, {CALENDAR_DATE}"),
        Column("isFrameworkProduct", Kind.BOOL, doc="Whether the product is a framework product"),
        Column("legalEntityId", doc="Id of the legal entity the product belongs to"),
        *external_ids("product"),
        *stamps("product"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One product of the Younium catalogue, from /Products",
    history="modified",
)
