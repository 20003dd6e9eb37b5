"""The catalogue's records as the API 2.1 writes them: ProductResponse, with its ChargePlanResponses and
their ChargeResponses (commercial facts §6.2). Null members are left for the JSON writer to drop;
timestamps are UTC without an offset, dates midnight; prices are exact Decimals.

Note the names that differ from an order charge's: a catalogue charge has `model` (not `priceModel`) and
`revenueRecognition` (not `revenueRecognitionRule`).

Prices (PriceDetailsResponse) come one per currency (SEK and EUR, `currency` always sent). A one-tier price
(the Flat and Quantity models) is written as the facts' sample shows one: currency and price alone, `tier`
left out. A Volume or Tiered charge (the usage products') has three ordered tiers per currency, each with
its `tier` (0-based in its currency), `fromQuantity` (the previous tier's `toQuantity`, 0 for the first),
`toQuantity` (none for the last, open-ended tier), `priceBase` PerUnit and a description.

The first plan of a product with several plans (MultipleChargePlans, Full) is an older plan the newer ones
replaced: it has an `endOfNewSalesDate`, and most an `effectiveEndDate` a year later.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from ..kernel.formats import day_of, format_day, format_naive_instant, money
from .catalogue import RAISE_PERCENT, Catalogue, CatalogueProduct, ChargeEdit


class Kind(NamedTuple):
    """What the products of a category sell, and how their main charge is priced and billed."""

    category: str
    names: tuple[str, ...]
    charge_type: str  # OneOff | Recurring | Usage | Measured
    models: tuple[str, ...]  # Flat | Quantity | Volume | Tiered | Rated: each main charge has one of them
    unit: str
    prices: tuple[int, ...]  # SEK cents per price period (per unit), the first tier's for a tiered model
    accounts: tuple[str, str]  # (recognized, deferred) revenue account codes


KINDS = (
    Kind("Subscription", ("Platform", "Workspace"), "Recurring", ("Flat",), "MON", (49_000, 99_000, 149_000),
         ("3011", "2971")),
    Kind("Licence", ("User seats", "Admin seats"), "Recurring", ("Quantity",), "SEAT", (9_900, 12_900),
         ("3012", "2972")),
    Kind("Support", ("Premium support", "Priority SLA"), "Recurring", ("Flat",), "MON", (25_000, 45_000),
         ("3041", "2974")),
    Kind("Usage", ("API calls", "Messages sent"), "Usage", ("Tiered", "Volume"), "KCALL", (150, 275, 395),
         ("3051", "2975")),
    Kind("Services", ("Onboarding", "Training day"), "OneOff", ("Flat",), "EA", (500_000, 1_250_000),
         ("3061", "2976")),
    Kind("Add-on", ("Storage add-on", "Analytics module"), "Recurring", ("Quantity",), "100GB", (4_900, 7_900),
         ("3013", "2973")),
)  # fmt: skip
EDITIONS = ("Starter", "Standard", "Professional", "Enterprise")
_PLAN_PERIODS = ("Monthly", "Quarterly", "Annual")
CURRENCIES = ("SEK", "EUR")
TIERED = ("Volume", "Tiered")
# Where each tier of a tiered price ends (the last is open-ended), and its price: a share of the first's.
_TIER_ENDS = (Decimal("1000.0"), Decimal("10000.0"), None)
_TIER_TENTHS = (10, 8, 6)
# Euro prices are the Swedish ones at about 11.45 SEK/EUR, rounded to whole euros (to cents below a euro).
_SEK_PER_EUR_E2 = 1145
_ONE = Decimal("1.0")  # a double, as the API writes one
_DEFAULT_QUANTITIES = (_ONE, Decimal("5.0"), Decimal("2.5"))


def kind_of(product: CatalogueProduct) -> Kind:
    return KINDS[product.digest[3] % len(KINDS)]


def product_name(product: CatalogueProduct) -> str:
    kind = kind_of(product)
    base = kind.names[product.digest[4] % len(kind.names)]
    return f"{base} {EDITIONS[product.digest[5] % len(EDITIONS)]}"


def product_record(catalogue: Catalogue, legal_entity_id: str, product: CatalogueProduct) -> dict[str, Any]:
    """ProductResponse, its charge plans and their charges embedded."""
    d = product.digest
    kind = kind_of(product)
    activation = day_of(product.created)
    end_of_sales = product.end_of_new_sales
    if end_of_sales is None and d[6] < 64:  # some were retired from new sales when they were made
        end_of_sales = activation + 365 + d[7]
    renewals_end = end_of_sales + 365 if end_of_sales is not None and d[11] < 100 else None
    return {
        "id": product.id,
        "productNumber": f"P-{product.number:06d}",
        "name": product_name(product),
        "productType": product.product_type,
        "category": kind.category,
        "activationDate": format_day(activation),
        "endOfNewSalesDate": format_day(end_of_sales) if end_of_sales is not None else None,
        "endOfRenewalDate": format_day(renewals_end) if renewals_end is not None else None,
        "endOfLifeDate": format_day(renewals_end + 365) if renewals_end is not None and d[12] < 128 else None,
        "isFrameworkProduct": d[13] < 26,
        "chargePlans": [
            _plan(catalogue, product, kind, i, plan, charges) for i, plan, charges in catalogue.numbers(product)
        ],
        "externalERPId": f"ART-{10_000 + product.number}",
        "externalCRMId": f"01t5g00000{d[14:18].hex().upper()}" if d[14] < 96 else None,
        "created": format_naive_instant(product.created),
        "modified": format_naive_instant(product.modified),
        "legalEntityId": legal_entity_id,
    }


def _plan(
    catalogue: Catalogue, product: CatalogueProduct, kind: Kind, i: int, number: int, charges: range
) -> dict[str, Any]:
    """ChargePlanResponse: made with its product, never changed since."""
    period = _PLAN_PERIODS[(product.digest[15] + i) % len(_PLAN_PERIODS)]
    stamp = format_naive_instant(product.created)
    d = catalogue.seeded.digest(b"charge-plan", number)
    replaced = day_of(product.created) + 90 + d[0] if i == 0 and len(product.shape()) > 1 else None
    return {
        "id": catalogue.seeded.uuid(b"charge-plan", number),
        "chargePlanNumber": f"CP-{number:06d}",
        "name": f"{EDITIONS[product.digest[5] % len(EDITIONS)]} {period.lower()}",
        "effectiveStartDate": stamp,
        "endOfNewSalesDate": format_day(replaced) if replaced is not None else None,
        "effectiveEndDate": format_day(replaced + 365) if replaced is not None and d[1] < 192 else None,
        "charges": [_charge(catalogue, product, kind, period, j, c) for j, c in enumerate(charges)],
        "created": stamp,
        "modified": stamp,
    }


def _charge(
    catalogue: Catalogue, product: CatalogueProduct, kind: Kind, period: str, j: int, number: int
) -> dict[str, Any]:
    """ChargeResponse: the plan's first charge is what the product sells, any further one a setup fee."""
    main = j == 0
    d = catalogue.seeded.digest(b"charge", number)
    charge_type, model = (kind.charge_type, kind.models[d[3] % len(kind.models)]) if main else ("OneOff", "Flat")
    price = kind.prices[d[0] % len(kind.prices)] if main else 100_000 * (1 + d[0] % 5)
    recurring = charge_type == "Recurring"
    stamp = format_naive_instant(product.created)
    edit = product.charge_edits.get(number)
    unit = kind.unit if main else "EA"
    return {
        "id": catalogue.seeded.uuid(b"charge-id", number),
        "chargeNumber": f"C-{number:06d}",
        "name": product_name(product) if main else "Setup fee",
        "model": model,
        "chargeType": charge_type,
        "unitCode": unit,
        "defaultQuantity": _ONE if model == "Flat" else _DEFAULT_QUANTITIES[d[5] % len(_DEFAULT_QUANTITIES)],
        "pricePeriod": "Monthly",
        "usageRating": "Sum",
        "createInvoiceLinesPerTier": False,
        "billingDay": "FromOrder",
        "specificBillingDay": 1,
        "billingPeriod": period if recurring else "Monthly",
        "periodAlignment": "AlignToOrder",
        "billingTiming": "InArrears" if charge_type == "Usage" else "InAdvance",
        "taxTemplate": "Standard VAT 25%" if d[1] < 160 else None,
        "taxIncluded": False,
        "externalERPId": f"ART-{10_000 + product.number}-{j + 1}",
        "externalCRMId": f"01u5g00000{d[6:10].hex().upper()}" if d[6] < 96 else None,
        "created": stamp,
        "modified": format_naive_instant(edit.modified) if edit is not None else stamp,
        "revenueRecognition": ("Recognized monthly over time" if recurring else "Recognized on invoice")
        if d[2] < 200
        else None,
        "deferredRevenueAccount": kind.accounts[1] if recurring else None,
        "recognizedRevenueAccount": kind.accounts[0],
        "priceDetails": price_details(model, unit, price, edit),
    }


def price_details(model: str, unit: str, sek_cents: int, edit: ChargeEdit | None) -> list[dict[str, Any]]:
    """A charge's PriceDetailsResponses: per currency not removed, its one price or its tiers, each raised as
    often as the charge was repriced."""
    details: list[dict[str, Any]] = []
    for currency in CURRENCIES:
        if edit is not None and currency in edit.removed:
            continue
        cents = _raised(sek_cents if currency == "SEK" else _in_euro_cents(sek_cents), edit)
        if model not in TIERED:
            details.append({"currency": currency, "price": money(cents)})
            continue
        start = Decimal("0.0")
        for tier, (end, tenths) in enumerate(zip(_TIER_ENDS, _TIER_TENTHS, strict=True)):
            span = f"{start:.0f} to {end:.0f}" if end is not None else f"Above {start:.0f}"
            details.append(
                {
                    "currency": currency,
                    "price": money(cents * tenths // 10),
                    "tier": tier,
                    "fromQuantity": start,
                    "toQuantity": end,
                    "priceBase": "PerUnit",
                    "description": f"{span} {unit}",
                }
            )
            start = end if end is not None else start
    return details


def _in_euro_cents(sek_cents: int) -> int:
    cents = (sek_cents * 100 + _SEK_PER_EUR_E2 // 2) // _SEK_PER_EUR_E2
    return cents if cents < 100 else 100 * round(sek_cents / _SEK_PER_EUR_E2)


def _raised(cents: int, edit: ChargeEdit | None) -> int:
    for _ in range(edit.raises if edit is not None else 0):
        cents = cents * (100 + RAISE_PERCENT) // 100
    return cents
