"""The terms an order version carries beside its products and charges, declared once (OrderChargeDetailsResponse,
OrderDiscountsResponse, OrderDiscountsChargeResponse and SubscriptionMilestoneResponse of the API 2.1 spec,
commercial facts §2.6-2.8): each charge version's price details (its tiers), the version's order discounts
and the charges each applies to, and its milestones.

None of them has a timestamp, and neither price details nor discount-charge links have an id: they are read
only inside the order version that embeds them (`/Subscriptions/{orderNumber}/versions`, and the sales
orders' twin) and kept per order version, a subscription's and a sales order's in the same tables (one
schema on the wire). Each key starts with the order version's id, and a version's rows are replaced
whenever it is read again.
"""

from __future__ import annotations

import pyarrow as pa

from finsync.tables import Column, Kind, Table, Wire, list_of, records_of

from .columns import CALENDAR_DATE, version_of

SALES = "exact decimal in the order's (sales) currency"
# A price detail has no id. Its tier is a declared non-null int32, a 0-based index per currency (§2.6), and an
# order charge is priced in its order's one currency: (charge version, tier) names one price detail, and a
# key by tier (not by position) stays the same when a tier before it is removed.
ORDER_CHARGE_PRICE_DETAILS = Table(
    "order_charge_price_details",
    "key",
    (
        *version_of("price detail", "<order version id>:<charge version id>:<tier>"),
        Column(
            "orderChargeId",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Id of the charge version the price detail belongs to, set by finsync; joins order_charges.id",
        ),
        Column("chargeNumber", wire=Wire.DERIVED, doc="Number of that charge (OPC-…), set by finsync"),
        Column(
            "tier",
            Kind.INT,
            wire=Wire.REQUIRED,
            doc="Tier of the price, from 0 (Flat and Quantity charges have tier 0 alone; Volume and Tiered ones "
            "one per quantity band)",
        ),
        Column(
            "price",
            Kind.MONEY,
            doc=f"Price of the tier for the charge's price period, per unit or flat as price_base says; {SALES}",
        ),
        Column(
            "listPrice",
            Kind.MONEY,
            doc=f"List price of the tier (the catalogue's; unrelated to the price, not a discount base); {SALES}",
        ),
        Column("description", doc="Description of the tier"),
        Column("fromQuantity", Kind.RATE, doc="Quantity the tier starts from, exact decimal"),
        Column("toQuantity", Kind.RATE, doc="Quantity the tier goes up to, exact decimal (0 or NULL: no bound)"),
        Column("priceBase", doc="Flat (the price for the whole tier) or PerUnit (the price of each unit)"),
        Column("lineDiscountPercent", Kind.RATE, doc="Line discount of the tier, in percent (10 = 10 %)"),
        Column("lineDiscountAmount", Kind.MONEY, doc=f"Line discount of the tier, as an amount; {SALES}"),
    ),
    replaced_per="order_version_id",
    doc="One price detail (a tier) of a charge version of a Younium order version (products[].charges[]."
    "priceDetails[]); an order version's price details are replaced whenever it is read again",
)

ORDER_DISCOUNTS = Table(
    "order_discounts",
    "key",
    (
        *version_of("order discount", "<order version id>:<discount id>"),
        Column("id", wire=Wire.REQUIRED, doc="Younium's id of the order discount"),
        Column("orderId", doc="Id of the order (version) the discount was given on"),
        # Younium's responses spell it SpecificeDate (its requests SpecificDate): kept as sent.
        Column("startOn", doc="When the discount starts: AlignToOrder, or SpecificeDate (sic, as sent) for start_date"),
        Column("endOn", doc="When the discount ends: AlignToOrder, or SpecificeDate (sic, as sent) for end_date"),
        Column("startDate", Kind.DATE, doc=f"First day of the discount (with start_on SpecificeDate), {CALENDAR_DATE}"),
        Column("endDate", Kind.DATE, doc=f"Last day of the discount (with end_on SpecificeDate), {CALENDAR_DATE}"),
        Column("percent", Kind.RATE, doc="Discount in percent (10 = 10 %), exact decimal"),
        Column("discountType", doc="Percent (the only type Younium has)"),
        Column("description", wire=Wire.OPTIONAL, doc="Description of the discount (a field newer tenants send)"),
        Column(
            "onSpecificCharges",
            Kind.BOOL,
            doc="Whether the discount applies to the charges in order_discount_charges alone (else to the order)",
        ),
    ),
    replaced_per="order_version_id",
    doc="One order discount of a Younium order version (orderDiscounts[]); whether Younium's recurring amounts "
    "and metrics are net of it is not documented. An order version's discounts are replaced whenever it is "
    "read again",
)

ORDER_DISCOUNT_CHARGES = Table(
    "order_discount_charges",
    "key",
    (
        *version_of("discount's charge", "<order version id>:<discount id>:<charge id>"),
        Column("orderDiscountId", doc="Id of the order discount; joins order_discounts.id"),
        Column(
            "chargeId",
            wire=Wire.REQUIRED,
            doc="Id of the charge (version) the discount applies to; joins order_charges.id",
        ),
    ),
    replaced_per="order_version_id",
    doc="One charge an order discount of a Younium order version applies to (orderDiscounts[]."
    "orderProductCharges[]); an order version's rows are replaced whenever it is read again",
)

ORDER_MILESTONES = Table(
    "order_milestones",
    "key",
    (
        *version_of("milestone", "<order version id>:<milestone id>"),
        Column("id", wire=Wire.REQUIRED, doc="Younium's id of the milestone"),
        Column("orderId", doc="Id of the order (version) the milestone belongs to"),
        Column("name", doc="Name of the milestone"),
        Column("description", doc="Description of the milestone"),
        Column(
            "milestoneDate",
            Kind.DATE,
            doc=f"Date the milestone was reached; NULL while it is not (a charge starting on it waits), "
            f"{CALENDAR_DATE}",
        ),
        Column("plannedDate", Kind.DATE, doc=f"Date the milestone is planned for, {CALENDAR_DATE}"),
    ),
    replaced_per="order_version_id",
    doc="One milestone of a Younium order version (milestones[]): charges can start or end on it. An order "
    "version's milestones are replaced whenever it is read again",
)


def charge_lists() -> dict[str, pa.DataType]:
    """The lists an order charge holds, as the wire nests them."""
    return {"priceDetails": list_of(records_of(ORDER_CHARGE_PRICE_DETAILS))}


def version_lists() -> dict[str, pa.DataType]:
    """The lists an order version holds beside its products, as the wire nests them."""
    discounts = records_of(ORDER_DISCOUNTS, orderProductCharges=list_of(records_of(ORDER_DISCOUNT_CHARGES)))
    return {"orderDiscounts": list_of(discounts), "milestones": list_of(records_of(ORDER_MILESTONES))}
