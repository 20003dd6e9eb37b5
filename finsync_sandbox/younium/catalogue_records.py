"""The catalogue's records as the API 2.1 writes them: ProductResponse, with its ChargePlanResponses and
their ChargeResponses (commercial facts §6.2). Null members are left for the JSON writer to drop;
timestamps are UTC without an offset, dates midnight; prices are exact Decimals, one row per currency.

Note the names that differ from an order charge's: a catalogue charge has `model` (not `priceModel`) and
`revenueRecognition` (not `revenueRecognitionRule`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from ..kernel.formats import day_of, format_day, format_naive_instant, money
from .catalogue import Catalogue, CatalogueProduct


class Kind(NamedTuple):
    """What the products of a category sell, and how their main charge is priced and billed."""

    category: str
    names: tuple[str, ...]
    charge_type: str  # OneOff | Recurring | Usage | Measured
    model: str  # Flat | Quantity | Volume | Tiered | Rated
    unit: str
    prices: tuple[int, ...]  # SEK cents per price period
    accounts: tuple[str, str]  # (recognized, deferred) revenue account codes


KINDS = (
    Kind("Subscription", ("Platform", "Workspace"), "Recurring", "Flat", "MON", (49_000, 99_000, 149_000),
         ("3011", "2971")),
    Kind("Licence", ("User seats", "Admin seats"), "Recurring", "Quantity", "SEAT", (9_900, 12_900),
         ("3012", "2972")),
    Kind("Support", ("Premium support", "Priority SLA"), "Recurring", "Flat", "MON", (25_000, 45_000),
         ("3041", "2974")),
    Kind("Usage", ("API calls", "Messages sent"), "Usage", "Quantity", "KCALL", (150, 275, 395), ("3051", "2975")),
    Kind("Services", ("Onboarding", "Training day"), "OneOff", "Flat", "EA", (500_000, 1_250_000),
         ("3061", "2976")),
    Kind("Add-on", ("Storage add-on", "Analytics module"), "Recurring", "Quantity", "100GB", (4_900, 7_900),
         ("3013", "2973")),
)  # fmt: skip
EDITIONS = ("Starter", "Standard", "Professional", "Enterprise")
_PLAN_PERIODS = ("Monthly", "Quarterly", "Annual")
# Euro prices are the Swedish ones at about 11.45 SEK/EUR, rounded to whole euros.
_SEK_PER_EUR_E2 = 1145
_ONE = Decimal("1.0")  # a double, as the API writes one


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
    return {
        "id": catalogue.seeded.uuid(b"charge-plan", number),
        "chargePlanNumber": f"CP-{number:06d}",
        "name": f"{EDITIONS[product.digest[5] % len(EDITIONS)]} {period.lower()}",
        "effectiveStartDate": stamp,
        "charges": [_charge(catalogue, product, kind, period, j, c) for j, c in enumerate(charges)],
        "created": stamp,
        "modified": stamp,
    }


def _charge(
    catalogue: Catalogue, product: CatalogueProduct, kind: Kind, period: str, j: int, number: int
) -> dict[str, Any]:
    """ChargeResponse: the plan's first charge is what the product sells, any further one a setup fee."""
    main = j == 0
    charge_type, model = (kind.charge_type, kind.model) if main else ("OneOff", "Flat")
    d = catalogue.seeded.digest(b"charge", number)
    price = kind.prices[d[0] % len(kind.prices)] if main else 100_000 * (1 + d[0] % 5)
    recurring = charge_type == "Recurring"
    stamp = format_naive_instant(product.created)
    return {
        "id": catalogue.seeded.uuid(b"charge-id", number),
        "chargeNumber": f"C-{number:06d}",
        "name": product_name(product) if main else "Setup fee",
        "model": model,
        "chargeType": charge_type,
        "unitCode": kind.unit if main else "EA",
        "defaultQuantity": _ONE,
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
        "created": stamp,
        "modified": stamp,
        "revenueRecognition": ("Recognized monthly over time" if recurring else "Recognized on invoice")
        if d[2] < 200
        else None,
        "deferredRevenueAccount": kind.accounts[1] if recurring else None,
        "recognizedRevenueAccount": kind.accounts[0],
        "priceDetails": [
            {"currency": "SEK", "price": money(price)},
            {"currency": "EUR", "price": money(100 * round(price / _SEK_PER_EUR_E2))},
        ],
    }
