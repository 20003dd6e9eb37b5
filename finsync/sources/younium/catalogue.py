"""Younium's product catalogue, declared once: products (ProductResponse of the API 2.1 spec), their charge plans
(ChargePlanResponse), each plan's charges (ChargeResponse) and each charge's prices (PriceDetailsResponse).

Products can be hard-deleted upstream (only while no active order uses them): the list is swept, and what a
whole read no longer has is marked `deleted_at`, a deleted product's plans, charges and prices with it (a
whole read writes every live product's). Plans, charges and prices come nested in their product and are
replaced per product whenever it is read again: one removed from a live product (a price detail removed
through a PATCH, a plan or charge deleted) leaves the table. Whether a window's page trims a product's nested
lists is undocumented, so each product a window lists is read again by id, whole, before it replaces them.

A catalogue charge names its price model `model` and its recognition rule `revenueRecognition`, where an order
charge has `priceModel` and `revenueRecognitionRule`: the columns keep the catalogue's names.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

from finsync.tables import EXTRA_FIELDS, Column, Kind, Table, Wire, list_of, records_of

from .columns import CALENDAR_DATE, DELETED_AT, IN_UTC, external_ids, stamps
from .rows import children, joined, parent_ids, with_columns

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

PRODUCT_ID = Column(
    "productId",
    nullable=False,
    wire=Wire.DERIVED,
    doc="Id of the product it belongs to, set by finsync; joins products.id",
)
# A plan's dates are kept as instants: the one sample known (a plan's effectiveStartDate) carries a time of day
# (2022-09-21T13:22:26.375), which a DATE would drop, and a midnight is kept exactly either way.
PLAN_MOMENT = f"{IN_UTC}; midnight where Younium means a calendar date"

CHARGE_PLANS = Table(
    "charge_plans",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the charge plan; the table's key"),
        PRODUCT_ID,
        Column("chargePlanNumber", doc="Number of the charge plan (CP-…); order_products.charge_plan_number"),
        Column("name", doc="Name of the charge plan"),
        Column("effectiveStartDate", Kind.TIMESTAMP, doc=f"When the plan can first be sold, {PLAN_MOMENT}"),
        Column(
            "endOfNewSalesDate",
            Kind.TIMESTAMP,
            wire=Wire.OPTIONAL,
            doc=f"When the plan stops being sold on new orders, {PLAN_MOMENT}",
        ),
        Column("effectiveEndDate", Kind.TIMESTAMP, wire=Wire.OPTIONAL, doc=f"When the plan ends, {PLAN_MOMENT}"),
        *stamps("charge plan"),
        DELETED_AT,
    ),
    replaced_per="product_id",
    doc="One charge plan of a Younium catalogue product (chargePlans[]); a product's plans are replaced whenever "
    "it is read again",
)

CATALOGUE_CHARGES = Table(
    "catalogue_charges",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the catalogue charge (order_charges.charge_id); the key"),
        PRODUCT_ID,
        Column(
            "chargePlanId",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Id of the charge plan it belongs to, set by finsync; joins charge_plans.id",
        ),
        Column("chargeNumber", doc="Number of the catalogue charge (C-…)"),
        Column("name", doc="Name of the charge"),
        Column("model", doc="Price model: Flat, Quantity, Volume, Tiered or Rated (an order charge's priceModel)"),
        Column("chargeType", doc="OneOff, Recurring, Usage or Measured"),
        Column("unitCode", doc="Unit the charge is sold in"),
        Column("defaultQuantity", Kind.RATE, doc="Quantity an order charge made from it starts with, exact decimal"),
        Column("pricePeriod", doc="Period the price is for: Monthly, Quarterly or Annual"),
        Column("usageRating", doc="How usage is rated: Sum, Max or Average"),
        Column("createInvoiceLinesPerTier", Kind.BOOL, doc="Whether an invoice has a line per price tier"),
        Column("billingDay", doc="None, FirstDayOfMonth, LastDayOfMonth, FromOrder, FromCharge, FromAccount, …"),
        Column("specificBillingDay", Kind.INT, doc="Day of the month billed on, with billingDay SpecificDay"),
        Column("billingPeriod", doc="How often it is invoiced: Monthly, Quarterly, Annual, EndOfTerm or Biannual"),
        Column("periodAlignment", doc="None, AlignToOrder, AlignToCharge, AlignToMonth, AlignToCalendarQuarter, …"),
        Column("billingTiming", doc="InAdvance or InArrears"),
        Column("taxTemplate", doc="Name of the tax template; NULL: the tenant's default"),
        Column("taxIncluded", Kind.BOOL, doc="Whether the prices include tax"),
        Column(
            "revenueRecognition",
            wire=Wire.OPTIONAL,
            doc="Name of the revenue recognition rule (an order charge's revenueRecognitionRule); NULL: the "
            "tenant's default (a field newer tenants send)",
        ),
        Column("deferredRevenueAccount", doc="Code of the deferred revenue account; NULL: the tenant's default"),
        Column("recognizedRevenueAccount", doc="Code of the recognised revenue account; NULL: the tenant's default"),
        *external_ids("charge"),
        *stamps("catalogue charge"),
        DELETED_AT,
    ),
    replaced_per="product_id",
    doc="One charge of a Younium catalogue charge plan (chargePlans[].charges[]): the defaults of the order "
    "charges made from it; a product's charges are replaced whenever it is read again",
)

CATALOGUE_PRICE_DETAILS = Table(
    "catalogue_price_details",
    "key",
    (
        Column(
            "key",
            nullable=False,
            wire=Wire.DERIVED,
            doc='Key derived by finsync: "<charge id>:<currency>:<tier>"',
        ),
        PRODUCT_ID,
        Column(
            "chargeId",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Id of the catalogue charge priced, set by finsync; joins catalogue_charges.id",
        ),
        Column("currency", wire=Wire.REQUIRED, doc="Currency code of the price: a charge has a price per currency"),
        Column(
            "tier",
            Kind.INT,
            wire=Wire.OPTIONAL,
            doc="Tier of the price, from 0 in each currency; where Younium leaves it out (a one-tier price, as "
            "it does), the detail's 0-based position among the charge's prices in that currency, set by finsync",
        ),
        Column("price", Kind.MONEY, wire=Wire.REQUIRED, doc="Price, exact decimal in the detail's currency"),
        Column("fromQuantity", Kind.RATE, wire=Wire.OPTIONAL, doc="Quantity the tier starts at (tiered models)"),
        Column("toQuantity", Kind.RATE, wire=Wire.OPTIONAL, doc="Quantity the tier runs to (tiered models)"),
        Column("priceBase", wire=Wire.OPTIONAL, doc="Flat (the price for the tier) or PerUnit (a unit's price)"),
        Column("description", wire=Wire.OPTIONAL, doc="Description of the price"),
        DELETED_AT,
    ),
    replaced_per="product_id",
    doc="One price of a Younium catalogue charge, per currency and tier (charges[].priceDetails[]); a product's "
    "prices are replaced whenever it is read again",
)


def catalogue_records() -> pa.Schema:
    """A /Products record: a product with its charge plans, their charges and each charge's prices."""
    charges = records_of(CATALOGUE_CHARGES, priceDetails=list_of(records_of(CATALOGUE_PRICE_DETAILS)))
    return records_of(PRODUCTS, chargePlans=list_of(records_of(CHARGE_PLANS, charges=list_of(charges))))


def plan_rows(products: pa.Table) -> pa.Table:
    """Each product's charge plans, with the product's id."""
    found = children(products, "chargePlans")
    return with_columns(found.rows, productId=parent_ids(products, found))


def catalogue_charge_rows(products: pa.Table) -> pa.Table:
    """Each charge of each product's plans, with the plan's and the product's ids."""
    plans = plan_rows(products)
    found = children(plans, "charges")
    product = plans.column("productId").combine_chunks().take(found.parent)
    return with_columns(found.rows, productId=product, chargePlanId=parent_ids(plans, found))


def catalogue_price_rows(products: pa.Table) -> pa.Table:
    """Each price of each catalogue charge, keyed by the charge, its currency and its tier. Tiers count from 0
    in each currency (and Flat and Quantity prices have the one tier 0), so a tier left out is the detail's
    0-based position among the charge's prices in its currency: 0 for the one-tier prices Younium sends
    without one, and still one key per price should a tiered charge's come without them."""
    charges = catalogue_charge_rows(products)
    found = children(charges, "priceDetails")
    charge = parent_ids(charges, found)
    rows = found.rows
    seen: Counter[tuple[object, object]] = Counter()
    positions = []
    for pair in zip(charge.to_pylist(), rows.column("currency").to_pylist(), strict=True):
        positions.append(seen[pair])
        seen[pair] += 1
    sent = rows.column("tier").combine_chunks() if "tier" in rows.column_names else pa.nulls(rows.num_rows)
    tier = pc.coalesce(pc.cast(sent, pa.int64()), pa.array(positions, pa.int64()))
    product = charges.column("productId").combine_chunks().take(found.parent)
    key = joined(charge, ":", rows.column("currency"), ":", tier)
    return with_columns(rows, productId=product, chargeId=charge, tier=tier, key=key)
