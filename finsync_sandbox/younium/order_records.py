"""Subscriptions and bookings as the API 2.1 writes them: SubscriptionResponse with its
OrderProductResponses and their OrderProductChargeResponses (commercial facts §2.3-2.5), the charges'
price details, the order's discounts and milestones (§2.6-2.8, `younium.pricing_terms`), and
BookingResponse with its BookingLineResponses (§5.3). Null members are left for the JSON writer to drop;
timestamps are UTC without an offset, dates midnight; money is exact Decimals.

The metrics (§2.9): a charge version in force has CMRR = EMRR = its `recurringMonthlyAmount` (0 when
closed, and for a one-off charge, whose fee is its `oneTimeFees`), ACV = 12 x CMRR and TCV = term x CMRR
(12 x CMRR for an Evergreen order, whose TCV Younium leaves undefined); a product's and an order's are
the sums of their charges'. Charge metrics carry the activation day as `currencyConversionDate`, order
metrics none. A booking's header amounts are `{amount, amountInBaseCurrency}`, its lines' CurrencyAmounts:
the two shapes the facts warn of.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..kernel.formats import format_day, format_naive_instant, money
from .orders import (
    ONE_OFF,
    PERIOD_MONTHS,
    RECURRING,
    Booking,
    BookingLine,
    Milestone,
    Order,
    OrderCharge,
    OrderDiscount,
    OrderProduct,
    PriceTier,
    add_months,
)
from .seed import BASE_CURRENCY

_ONE = Decimal("1.0")
_ZERO = Decimal("0.0")
CLASSIFICATIONS = {
    "NewCustomer": ("New customer", "A new customer's first order", "#81c784"),
    "Expansion": ("Expansion", "More recurring revenue from an existing customer", "#64b5f6"),
    "Contraction": ("Contraction", "Less recurring revenue from an existing customer", "#ffb74d"),
    "CustomerChurn": ("Customer churn", "A customer's last order cancelled", "#e57373"),
    "Reactivate": ("Reactivation", "A former customer's new order", "#ba68c8"),
}


def subscription(order: Order, version: int) -> dict[str, Any]:
    """SubscriptionResponse of order version `version` (1-based), its products and charges embedded."""
    v = order.versions[version - 1]
    account = order.account
    charges = order.embedded(version)
    products = [p for p in order.products if any(c.product is p for c in charges)]
    months = _months(order)
    reference = {"name": account.name, "accountNumber": account.account_number, "id": account.id}
    notice = v.end is not None and not order.evergreen and v.cancellation_date is None
    live = [c for c in charges if c.live_in(version)]
    return {
        "id": v.id,
        "orderNumber": order.order_number,
        "version": v.version,
        "isLastVersion": v is order.latest,
        "status": v.status,
        "description": f"{account.name}: {order.products[0].name}",
        "effectiveStartDate": format_day(order.start),
        "effectiveEndDate": format_day(v.end) if v.end is not None else None,
        "cancellationDate": format_day(v.cancellation_date) if v.cancellation_date is not None else None,
        "effectiveChangeDate": format_day(v.change_date) if v.change_date is not None else None,
        "orderDate": format_day(order.order_day),
        "noticePeriodDate": format_day(_notice(v.end)) if notice and v.end is not None else None,
        "created": format_naive_instant(v.created),
        "modified": format_naive_instant(v.modified),
        "lastUpdated": format_naive_instant(order.last_updated(version)),
        "noticePeriod": 0 if order.evergreen else 3,
        "term": 0 if order.evergreen else order.term,
        "renewalTerm": 0 if order.evergreen else 12,
        "isAutoRenewed": not order.evergreen,
        "orderType": "Subscription",
        "termType": "Evergreen" if order.evergreen else "Termed",
        "orderPaymentMethod": "Invoice",
        "invoiceSeparatly": False,
        "yourReference": None,
        "orderBillingPeriod": "Monthly",
        "setOrderBillingPeriod": False,
        "invoiceBatchGroup": dict(account.group._asdict()),
        "paymentTerm": str(account.term.days),
        "useAccountInvoiceBatchGroup": True,
        "account": reference,
        "invoiceAccount": dict(reference),
        "products": [_product(order, p, [c for c in charges if c.product is p], version) for p in products],
        "milestones": [_milestone(m) for m in order.milestones],
        "orderDiscounts": [_discount(d, charges) for d in order.discounts],
        "currency": order.currency,
        **_metrics(order, live, months, None),
    }


def _product(order: Order, product: OrderProduct, charges: Sequence[OrderCharge], version: int) -> dict[str, Any]:
    live = [c for c in charges if c.live_in(version)]
    return {
        "id": product.id,
        "productNumber": f"OP-{product.number:06d}",
        "chargePlanId": product.plan_id,
        "chargePlanName": product.name,
        "chargePlanNumber": f"CP-{product.plan_number:06d}",
        "productLineNumber": 0,
        "name": product.name,
        "charges": [_charge(order, c, version) for c in charges],
        **_metrics(order, live, _months(order), None),
        "created": format_naive_instant(product.created),
        "modified": format_naive_instant(product.modified),
    }


def _charge(order: Order, charge: OrderCharge, version: int) -> dict[str, Any]:
    recurring = charge.charge_type == RECURRING
    price = charge.amount * PERIOD_MONTHS[charge.price_period] if recurring else charge.amount
    live = [charge] if charge.live_in(version) else []
    discounts = [d for d in order.discounts if charge.number in d.charge_numbers]
    return {
        "id": charge.id,
        "chargeNumber": f"OPC-{charge.number:06d}",
        "version": charge.version,
        "isLastVersion": charge.last,
        "name": charge.product.name if recurring else "Setup fee",
        "orderProductId": charge.product.id,
        "orderId": charge.order_version_id,
        "chargeId": charge.product.catalogue_charge_id if recurring else None,
        "chargeType": charge.charge_type,
        "priceModel": charge.price_model,
        "effectiveStartDate": format_day(charge.start),
        "effectiveEndDate": format_day(charge.end) if charge.end is not None else None,
        "startOn": charge.start_on,
        "endOn": "AlignToSubscription",
        "chargedThroughDate": format_day(charge.charged_through) if charge.charged_through is not None else None,
        "quantity": _ONE,
        "unitCode": "MON" if recurring else "EA",
        "estimatedUsage": 0,
        "estimatedQuantity": 0,
        "pricePeriod": charge.price_period,
        "displayPrice": money(price),
        "priceDetails": [_price_detail(t) for t in charge.tiers],
        "orderDiscounts": [{"orderDiscountId": d.id, "chargeId": charge.id} for d in discounts],
        "recurringMonthlyAmount": money(charge.amount) if recurring else None,
        "recurringMonthlyAmountBase": money(charge.base) if recurring else None,
        **_metrics(order, live, _months(order), format_day(order.start)),
        "billingPeriod": charge.price_period,
        "billingTiming": "InAdvance",
        "billingDay": "FromOrder",
        "specificBillingDay": 1,
        "periodAlignment": "AlignToOrder",
        "createInvoiceLinesPerTier": False,
        "revenueRecognitionRule": "Recognized monthly over time" if recurring else "Recognized on invoice",
        "deferredRevenueAccount": "2971" if recurring else None,
        "recognizedRevenueAccount": "3011" if recurring else "3061",
        "taxTemplate": "Standard VAT 25%" if order.currency == BASE_CURRENCY else None,
        "taxIncluded": False,
        "changeState": charge.state,
        "created": format_naive_instant(charge.created),
        "modified": format_naive_instant(charge.modified),
    }


def _price_detail(tier: PriceTier) -> dict[str, Any]:
    """OrderChargeDetailsResponse: one tier of the charge's price, no id, no timestamps."""
    return {
        "tier": tier.tier,
        "price": money(tier.price),
        "listPrice": money(tier.price),
        "description": tier.description,
        "fromQuantity": Decimal(tier.from_quantity),
        "toQuantity": Decimal(tier.to_quantity) if tier.to_quantity is not None else None,
        "priceBase": tier.price_base,
        "lineDiscountPercent": _ZERO,
        "lineDiscountAmount": _ZERO,
    }


def _discount(discount: OrderDiscount, charges: Sequence[OrderCharge]) -> dict[str, Any]:
    """OrderDiscountsResponse: the charge versions it lists are those of its charges the order version embeds."""
    specific = bool(discount.charge_numbers)
    return {
        "id": discount.id,
        "orderId": discount.order_version_id,
        # The response's spelling (the request's is SpecificDate), commercial facts §2.7.
        "startOn": "SpecificeDate" if discount.start is not None else "AlignToOrder",
        "endOn": "SpecificeDate" if discount.end is not None else "AlignToOrder",
        "startDate": format_day(discount.start) if discount.start is not None else None,
        "endDate": format_day(discount.end) if discount.end is not None else None,
        "percent": Decimal(discount.percent),
        "discountType": "Percent",
        "description": discount.description,
        "orderProductCharges": [
            {"orderDiscountId": discount.id, "chargeId": c.id} for c in charges if c.number in discount.charge_numbers
        ],
        "onSpecificCharges": specific,
    }


def _milestone(milestone: Milestone) -> dict[str, Any]:
    return {
        "id": milestone.id,
        "orderId": milestone.order_version_id,
        "name": milestone.name,
        "description": milestone.description,
        "milestoneDate": format_day(milestone.reached) if milestone.reached is not None else None,
        "plannedDate": format_day(milestone.planned),
    }


def _months(order: Order) -> int:
    return 12 if order.evergreen else order.term


def _notice(end: int) -> int:
    """Three months before the inclusive end date: when notice must be given."""
    return add_months(end + 1, -3) - 1


def _metrics(order: Order, live: Sequence[OrderCharge], months: int, converted: str | None) -> dict[str, Any]:
    """cmrr, acv, tcv, emrr, oneTimeFees of the charge versions in force `live`, as CurrencyAmounts."""
    cmrr = sum(c.amount for c in live if c.charge_type == RECURRING)
    cmrr_base = sum(c.base for c in live if c.charge_type == RECURRING)
    fees = sum(c.amount for c in live if c.charge_type == ONE_OFF)
    fees_base = sum(c.base for c in live if c.charge_type == ONE_OFF)

    def amount(cents: int, base: int) -> dict[str, Any]:
        return _currency_amount(order.currency, cents, base, converted)

    return {
        "cmrr": amount(cmrr, cmrr_base),
        "acv": amount(12 * cmrr, 12 * cmrr_base),
        "tcv": amount(months * cmrr, months * cmrr_base),
        "emrr": amount(cmrr, cmrr_base),
        "oneTimeFees": amount(fees, fees_base),
    }


def booking(record: Booking, totals: bool = False) -> dict[str, Any]:
    """BookingResponse: no account, only the order (its version id at booking time and its number). The
    header's recurring figures are the change its lines add up to, or with `totals` the order's figures in the
    version it booked (`SandboxConfig.younium_booking_totals`)."""
    facts = record.facts
    name, description, colour = CLASSIFICATIONS[facts.classification]
    lines = record.lines
    cmrr, cmrr_base = sum(line.amount for line in lines), sum(line.base for line in lines)
    if totals:
        version = next(v.version for v in record.order.versions if v.id == record.order_version_id)
        in_force = [c for c in record.order.charges if c.live_in(version) and c.charge_type == RECURRING]
        cmrr, cmrr_base = sum(c.amount for c in in_force), sum(c.base for c in in_force)
    fees, fees_base = sum(line.one_time for line in lines), sum(line.one_time_base for line in lines)
    months = record.term_months
    stamp = format_naive_instant(record.created)
    return {
        "id": record.id,
        "bookingType": facts.booking_type,
        "accountCategory": facts.account_category,
        "changeType": facts.change_type,
        "cmrr": _header(cmrr, cmrr_base),
        "acv": _header(12 * cmrr, 12 * cmrr_base),
        "emrr": _header(cmrr, cmrr_base),
        "oneTimeFees": _header(fees, fees_base),
        "tcv": _header(months * cmrr, months * cmrr_base),
        "fmrr": _header(0, 0),
        "effectiveDate": format_day(record.day),
        "bookingLines": [_booking_line(record, line) for line in lines],
        "classification": {
            "name": name,
            "description": description,
            "chartColor": colour,
            "isSystemClassification": True,
            "classificationType": facts.classification,
        },
        "created": stamp,
        "modified": format_naive_instant(record.modified),
        "order": {"orderNumber": record.order.order_number, "id": record.order_version_id},
        **({"notes": record.notes} if record.notes is not None else {}),
    }


def _currency_amount(currency: str, cents: int, base: int, converted: str | None) -> dict[str, Any]:
    """CurrencyAmount: the sales currency's amount and the base currency's, at the rate of `converted`."""
    return {
        "amount": money(cents),
        "currencyCode": currency,
        "currencyConversionDate": converted,
        "baseCurrencyAmount": money(base),
        "baseCurrencyCode": BASE_CURRENCY,
    }


def _header(cents: int, base: int) -> dict[str, Any]:
    return {"amount": money(cents), "amountInBaseCurrency": money(base)}


def _booking_line(record: Booking, line: BookingLine) -> dict[str, Any]:
    charge = line.charge
    order = record.order
    converted = format_day(record.day)

    def amount(cents: int, base: int) -> dict[str, Any]:
        return _currency_amount(order.currency, cents, base, converted)

    months = record.term_months
    return {
        "charge": {
            "name": charge.product.name if charge.charge_type == RECURRING else "Setup fee",
            "chargeNumber": f"OPC-{charge.number:06d}",
            "id": charge.id,
        },
        "cmrr": amount(line.amount, line.base),
        "acv": amount(12 * line.amount, 12 * line.base),
        "emrr": amount(line.amount, line.base),
        "oneTimeFees": amount(line.one_time, line.one_time_base),
        "tcv": amount(months * line.amount, months * line.base),
        "fmrr": amount(0, 0),
        "created": format_naive_instant(record.created),
        "modified": format_naive_instant(record.modified),
    }
