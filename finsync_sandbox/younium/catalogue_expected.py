"""What a correct warehouse holds of a Younium catalogue's charge plans, catalogue charges and their prices,
laid out as the commercial facts lay out the tables (§6.4, §11.1): one row per charge plan of a live product
(`charge_plans`), per charge of such a plan (`catalogue_charges`) and per price of such a charge
(`catalogue_price_details`), each with the fields the API writes (ChargePlanResponse, ChargeResponse,
PriceDetailsResponse, §6.2) and what relates it to its parents:

- a plan: `productId`; a charge: `productId` and `chargePlanId`; a price: `productId` and `chargeId`;
- a price's `tier` as sent, or, where the API leaves it out, its 0-based position among the charge's prices
  in its currency (tiers count from 0 in each currency, and Flat and Quantity prices have the one tier 0:
  PGUIDE, §2.6); its `key` is "<charge id>:<currency>:<tier>", the facts' (charge id, currency, tier).

A deleted product's plans, charges and prices are in none of them; a price removed from a charge, or a
charge's price before it was raised, neither. Rows are keyed by the API's field names, null fields left out.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .catalogue_records import product_record
from .dataset import YouniumDataset


def expected_catalogue(dataset: YouniumDataset) -> dict[str, list[dict[str, Any]]]:
    plans: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    prices: list[dict[str, Any]] = []
    with dataset.lock:
        records = [product_record(dataset.catalogue, dataset.legal_entity_id, p) for p in dataset.catalogue.live()]
    for product in records:
        for plan in product["chargePlans"]:
            plans.append(_fields(plan) | {"productId": product["id"]})
            for charge in plan["charges"]:
                charges.append(_fields(charge) | {"productId": product["id"], "chargePlanId": plan["id"]})
                tiers: Counter[str] = Counter()
                for detail in charge.get("priceDetails") or []:
                    currency = detail["currency"]
                    tier = detail.get("tier")
                    tier = tiers[currency] if tier is None else tier
                    tiers[currency] += 1
                    derived = {"productId": product["id"], "chargeId": charge["id"], "tier": tier}
                    prices.append(_fields(detail) | derived | {"key": f"{charge['id']}:{currency}:{tier}"})
    return {"charge_plans": plans, "catalogue_charges": charges, "catalogue_price_details": prices}


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    """A record's own values: not its lists (the next table's rows), nor its null fields."""
    return {name: value for name, value in record.items() if value is not None and not isinstance(value, list)}
