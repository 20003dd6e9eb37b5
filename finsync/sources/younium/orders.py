"""Younium's subscriptions (orders of type Subscription) and bookings, declared once (SubscriptionResponse,
OrderProductResponse, OrderProductChargeResponse, BookingResponse and BookingLineResponse of the API 2.1 spec).

An order is versioned: every change makes a new order version (its own `id`), while `orderNumber` (O-…) stays;
its charges are versioned too (`chargeNumber` OPC-… stays, each charge version has its own `id`). Metrics come
as `CurrencyAmount` objects (`{amount, currencyCode, currencyConversionDate, baseCurrencyAmount,
baseCurrencyCode}`) on orders, products, charges and booking lines, but as `{amount, amountInBaseCurrency}` on
a booking's header. Money is exact decimal; calendar dates (sent as midnight without an offset) are DATE.
"""

from __future__ import annotations

import pyarrow as pa

from finsync.tables import EXTRA_FIELDS, Column, Kind, Table, Wire, list_of, records_of

from .columns import CALENDAR_DATE, DELETED_AT, IN_UTC, stamps, version_of
from .order_terms import charge_lists, version_lists

SALES = "exact decimal in the order's (sales) currency"
BASE = "exact decimal in the base currency, converted by Younium at its conversion date"
ACCOUNT = "exact decimal in the account's currency"
METRICS = {
    "cmrr": "CMRR, the monthly recurring amount Younium counts as current",
    "acv": "ACV, the annual contract value",
    "tcv": "TCV, the total contract value",
    "emrr": "EMRR, Younium's expected monthly recurring amount (definition not published)",
    "oneTimeFees": "one-time (OneOff) fees",
}
# Bookings alone carry FMRR (commercial facts §5.3), on their header and on each line.
FMRR = "FMRR (not defined by Younium; 0 on new bookings)"


def currency_amounts(of: str, names: tuple[str, ...] = tuple(METRICS), *, currency: bool = True) -> tuple[Column, ...]:
    """Each metric (a CurrencyAmount) as its amount and base amount, with the currency codes of the first (the
    base currency's alone, with `currency` false: an order names its own currency)."""
    columns: list[Column] = []
    for metric in names:
        name = "one_time_fees" if metric == "oneTimeFees" else metric
        what = f"{METRICS.get(metric, FMRR)} of the {of}"
        columns += [
            Column(f"{metric}.amount", Kind.MONEY, name=name, doc=f"{what} ({metric}.amount); {SALES}"),
            Column(f"{metric}.baseCurrencyAmount", Kind.MONEY, name=f"{name}_base", doc=f"{what}; {BASE}"),
        ]
    first = names[0]
    if currency:
        columns.append(
            Column(f"{first}.currencyCode", name="currency", doc=f"Currency code of the {of}'s amounts ({first})")
        )
    columns.append(
        Column(f"{first}.baseCurrencyCode", name="base_currency", doc=f"Base currency code ({first}.baseCurrencyCode)")
    )
    return tuple(columns)


def account_metrics() -> tuple[Column, ...]:
    """An account's metrics (facts §2.9, §9.1): CurrencyAmounts Younium keeps over the account's orders, in the
    account's currency with their base twin. Optional on the wire: a tenant (or a sandbox) without orders sends
    none, and they are NULL then."""
    columns: list[Column] = []
    for metric in METRICS:
        name = "one_time_fees" if metric == "oneTimeFees" else metric
        what = f"{METRICS[metric]} of the account's orders"
        columns += [
            Column(f"{metric}.amount", Kind.MONEY, name=name, wire=Wire.OPTIONAL, doc=f"{what}; {ACCOUNT}"),
            Column(
                f"{metric}.baseCurrencyAmount",
                Kind.MONEY,
                name=f"{name}_base",
                wire=Wire.OPTIONAL,
                doc=f"{what}; {BASE}",
            ),
        ]
    return tuple(columns)


def order_header(what: str, statuses: str, order_type: str) -> tuple[Column, ...]:
    """The fields every order version has, a subscription's and a sales order's: its version, status, type,
    customer and currency (`statuses` and `order_type` say what the table's orders hold)."""
    return (
        Column("version", Kind.INT, wire=Wire.REQUIRED, doc=f"Version number of the {what}, from 1"),
        Column("isLastVersion", Kind.BOOL, doc=f"Whether the {what} is the order's latest version"),
        Column("status", doc=statuses),
        Column("orderType", doc=order_type),
        Column("description", doc="Description of the order"),
        Column("account.id", name="account_id", doc="Id of the customer's account (account.id); joins accounts.id"),
        Column("account.accountNumber", name="account_number", doc="Number of the customer's account"),
        Column("account.name", name="account_name", doc="Name of the customer's account (account.name)"),
        Column("invoiceAccount.id", name="invoice_account_id", doc="Id of the account invoiced for the order"),
        Column("currency", doc="Currency code of the order: the (sales) currency of its amounts"),
    )


LAST_UPDATED = Column(
    "lastUpdated",
    Kind.TIMESTAMP,
    wire=Wire.OPTIONAL,
    doc=f"When the order or any of its products and charges was last updated, {IN_UTC} (a field newer tenants send)",
)


def order_columns(what: str) -> tuple[Column, ...]:
    """The fields of an order version (SubscriptionResponse) that a subscriptions table keeps."""
    statuses = (
        "Status of the order version: Draft, Active, Cancelled, Inactive, Deleted (and the sales-order statuses "
        "OrderDraft, Order, …)"
    )
    return (
        *order_header(what, statuses, "Subscription (this table) or SalesOrder"),
        Column("effectiveStartDate", Kind.DATE, wire=Wire.REQUIRED, doc=f"First day of the order, {CALENDAR_DATE}"),
        Column(
            "effectiveEndDate",
            Kind.DATE,
            doc=f"Last day (inclusive) of the order's term; NULL for an evergreen order, {CALENDAR_DATE}",
        ),
        Column("effectiveChangeDate", Kind.DATE, doc=f"Date the version's change takes effect, {CALENDAR_DATE}"),
        Column("cancellationDate", Kind.DATE, doc=f"Date the order was cancelled, {CALENDAR_DATE}"),
        Column("orderDate", Kind.DATE, doc=f"Order date, {CALENDAR_DATE}"),
        Column("noticePeriodDate", Kind.DATE, doc=f"Last day to give notice before renewal, {CALENDAR_DATE}"),
        Column("lastRenewalDate", Kind.DATE, doc=f"Date the order was last renewed, {CALENDAR_DATE}"),
        Column("termType", doc="Termed or Evergreen"),
        Column("term", Kind.INT, doc="Term of the order, in months"),
        Column("renewalTerm", Kind.INT, doc="Term of each renewal, in months"),
        Column("noticePeriod", Kind.INT, doc="Notice period, in months"),
        Column("isAutoRenewed", Kind.BOOL, doc="Whether the order renews automatically"),
        Column("orderBillingPeriod", doc="Billing period of the order: Monthly, Quarterly, Annual, EndOfTerm, …"),
        *currency_amounts("order version", currency=False),
        *stamps("order version"),
        LAST_UPDATED,
    )


# The latest version of each order: `orderNumber` is the order's stable number, the id changes with every
# version. An order without a number (a draft) has no versions route and no MRR: it is left out.
SUBSCRIPTIONS = Table(
    "subscriptions",
    "order_number",
    (
        Column(
            "orderNumber",
            nullable=False,
            wire=Wire.OPTIONAL,
            doc="Number of the order (O-…), the same on every version; the table's key",
        ),
        Column(
            "id",
            nullable=False,
            wire=Wire.REQUIRED,
            doc="Id of the order's latest version; joins subscription_versions.id",
        ),
        *order_columns("order version"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One Younium subscription (order) as its latest version, from /Subscriptions, merged by order number; "
    "an order a sweep no longer lists (hard-deleted) gets deleted_at",
)

SUBSCRIPTION_VERSIONS = Table(
    "subscription_versions",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the order version; the table's key"),
        Column("orderNumber", doc="Number of the order (O-…); joins subscriptions.order_number"),
        *order_columns("order version"),
    ),
    doc="One version of a Younium subscription, from /Subscriptions/{orderNumber}/versions (read for every order "
    "a window lists); merged by the version's id",
)


ORDER_PRODUCTS = Table(
    "order_products",
    "key",
    (
        *version_of("order product"),
        Column("id", wire=Wire.REQUIRED, doc="Younium's id of the order product"),
        Column("productNumber", doc="Number of the order product (OP-…, not the catalogue's P-…)"),
        Column("name", doc="Name of the product"),
        Column("chargePlanId", doc="Id of the catalogue charge plan the product was ordered from"),
        Column("chargePlanNumber", doc="Number of that charge plan (CP-…)"),
        Column("chargePlanName", doc="Name of that charge plan"),
        Column("productLineNumber", Kind.INT, doc="Position of the product on the order"),
        *currency_amounts("order product"),
        *stamps("order product"),
    ),
    replaced_per="order_version_id",
    doc="One product of a Younium order version (a subscription's or a sales order's); an order version's products "
    "are replaced whenever it is read again",
)

ORDER_CHARGES = Table(
    "order_charges",
    "key",
    (
        *version_of("charge version"),
        Column(
            "accountId", wire=Wire.DERIVED, doc="Id of the order's customer account, set by finsync; joins accounts.id"
        ),
        Column("orderCurrency", wire=Wire.DERIVED, doc="Currency code of the order (its currency), set by finsync"),
        Column("id", wire=Wire.REQUIRED, doc="Younium's id of the charge version (invoice lines' orderChargeId)"),
        Column("chargeNumber", doc="Number of the charge (OPC-…), the same on every version of it"),
        Column("version", Kind.INT, doc="Version number of the charge"),
        Column("isLastVersion", Kind.BOOL, doc="Whether this is the charge's latest version"),
        Column(
            "changeState",
            doc="NotChanged, New, Cancelled, NewFromChange, CancelledFromChange, Credit, PartialDelivery, "
            "ClosedPartialDelivery or Credited",
        ),
        Column("name", doc="Name of the charge"),
        Column("orderProductId", doc="Id of the order product the charge belongs to"),
        Column(
            "orderId",
            doc="Id of the order version the charge version was made in (a later version embeds it unchanged; "
            "order_version_id is the version it was read in)",
        ),
        Column("chargeId", doc="Id of the catalogue charge it was created from (not this charge's id)"),
        Column("chargeType", doc="OneOff, Recurring, Usage or Measured: only Recurring charges are MRR"),
        Column("priceModel", doc="Flat, Quantity, Volume, Tiered or Rated"),
        Column("pricePeriod", doc="Period the price is for: Monthly, Quarterly or Annual"),
        Column("billingPeriod", doc="How often it is invoiced: Monthly, Quarterly, Annual, EndOfTerm or Biannual"),
        Column("billingTiming", doc="InAdvance or InArrears"),
        Column("effectiveStartDate", Kind.DATE, doc=f"First day of the charge version, {CALENDAR_DATE}"),
        Column(
            "effectiveEndDate",
            Kind.DATE,
            doc=f"Last day (inclusive) of the charge version; NULL: open-ended, {CALENDAR_DATE}",
        ),
        Column(
            "chargedThroughDate",
            Kind.DATE,
            doc=f"First day not yet invoiced (exclusive: invoiced up to the day before), {CALENDAR_DATE}",
        ),
        Column("quantity", Kind.RATE, doc="Quantity of the charge, exact decimal"),
        # A sales order's charges are delivered (stock): these three are theirs alone.
        Column("orderedQuantity", Kind.RATE, wire=Wire.OPTIONAL, doc="Quantity ordered (a sales order's charge)"),
        Column(
            "remainingQuantity",
            Kind.RATE,
            wire=Wire.OPTIONAL,
            doc="Quantity not delivered yet (a sales order's charge)",
        ),
        Column(
            "deliveryDate",
            Kind.DATE,
            wire=Wire.OPTIONAL,
            doc=f"Date delivered (a sales order's charge), {CALENDAR_DATE}",
        ),
        Column(
            "recurringMonthlyAmount",
            Kind.MONEY,
            doc=f"The charge version's recurring amount per month (normalised whatever the price period); {SALES}",
        ),
        Column(
            "recurringMonthlyAmountBase",
            Kind.MONEY,
            doc=f"The charge version's recurring amount per month; {BASE}",
        ),
        *currency_amounts("charge version"),
        Column(
            "cmrr.currencyConversionDate",
            Kind.DATE,
            name="currency_conversion_date",
            doc=f"Date of the rate Younium converted the charge's base amounts at, {CALENDAR_DATE}",
        ),
        Column("revenueRecognitionRule", doc="Name of the charge's revenue recognition rule"),
        *stamps("charge version"),
    ),
    replaced_per="order_version_id",
    doc="One charge version of a Younium order version, a subscription's or a sales order's (products[].charges[]); "
    "an order version's charges are replaced whenever it is read again",
)


def order_products() -> pa.DataType:
    """An order version's `products` as the wire nests them: each product's `charges`, each charge's lists."""
    return list_of(records_of(ORDER_PRODUCTS, charges=list_of(records_of(ORDER_CHARGES, **charge_lists()))))


def version_records() -> pa.Schema:
    """An order version as the wire nests it: its fields, `products` (and their charges), discounts and
    milestones."""
    return records_of(SUBSCRIPTION_VERSIONS, products=order_products(), **version_lists())


def subscription_records() -> pa.Schema:
    """A /Subscriptions record: an order's latest version with its products, charges and terms."""
    return records_of(SUBSCRIPTIONS, products=order_products(), **version_lists())


def booking_amounts(of: str) -> tuple[Column, ...]:
    """A booking header's metrics: `{amount, amountInBaseCurrency}`, no currency codes."""
    columns: list[Column] = []
    for metric in ("cmrr", "acv", "tcv", "emrr", "fmrr", "oneTimeFees"):
        name = "one_time_fees" if metric == "oneTimeFees" else metric
        what = METRICS.get(metric, FMRR)
        columns += [
            Column(f"{metric}.amount", Kind.MONEY, name=name, doc=f"Booked {what} ({metric}.amount); {SALES}"),
            Column(
                f"{metric}.amountInBaseCurrency",
                Kind.MONEY,
                name=f"{name}_base",
                doc=f"Booked {what} ({metric}.amountInBaseCurrency); {BASE}",
            ),
        ]
    return tuple(columns)


BOOKINGS = Table(
    "bookings",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the booking; the table's key"),
        Column("bookingType", doc="New (a new order), Change (a change of one) or Churn (a cancellation)"),
        Column(
            "changeType",
            doc="Upsell, Downsell, Renewal, None, PriceAdjustment, Milestone, CancelledDelivery, AssociatedCharge, "
            "SplitOrder or CancelOrderProduct",
        ),
        Column("accountCategory", doc="New (the account's first order), Existing, or Lost (its last order ended)"),
        Column(
            "classification.classificationType",
            name="classification_type",
            doc="NewCustomer, Expansion, Contraction, CustomerChurn, NoChange, SplitOrder or Reactivate",
        ),
        Column("classification.name", name="classification_name", doc="Name of the booking's classification"),
        Column(
            "effectiveDate",
            Kind.DATE,
            wire=Wire.REQUIRED,
            doc=f"Booking date (by the tenant's booking rule: activation or effective date), {CALENDAR_DATE}",
        ),
        Column("order.orderNumber", name="order_number", doc="Number of the booked order; joins subscriptions"),
        Column("order.id", name="order_id", doc="Id of the order version booked (order.id)"),
        Column(
            "currency",
            wire=Wire.OPTIONAL,
            doc="Currency code of the booking's amounts, when Younium sends it (else the lines' currency)",
        ),
        *booking_amounts("booking"),
        Column("notes", doc="Notes on the booking"),
        *stamps("booking"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One Younium booking (an order event: activation, change, cancellation, renewal, …), from /Bookings; "
    "merged by id, as bookings can be edited (each edit kept in bookings__versions)",
    history="modified",
)

BOOKING_LINES = Table(
    "booking_lines",
    "key",
    (
        Column("key", nullable=False, wire=Wire.DERIVED, doc='Key derived by finsync: "<booking id>:<position>"'),
        Column(
            "bookingId", nullable=False, wire=Wire.DERIVED, doc="Id of the booking, set by finsync; joins bookings.id"
        ),
        Column("position", Kind.INT, wire=Wire.DERIVED, doc="Position of the line in its booking, from 1"),
        Column("charge.id", name="charge_id", doc="Id of the charge version booked (charge.id)"),
        Column("charge.chargeNumber", name="charge_number", doc="Number of the charge booked (OPC-…)"),
        Column("charge.name", name="charge_name", doc="Name of the charge booked"),
        *currency_amounts("booking line", ("cmrr", "acv", "tcv", "emrr", "oneTimeFees", "fmrr")),
        *stamps("booking line"),
    ),
    replaced_per="booking_id",
    doc="One line of a Younium booking (a charge's share of it); a booking's lines are replaced with the booking",
)


def booking_records() -> pa.Schema:
    return records_of(BOOKINGS, bookingLines=list_of(records_of(BOOKING_LINES)))
