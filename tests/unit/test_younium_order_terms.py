"""An order version's price details, discounts and milestones (commercial facts §2.6-2.8), loaded by finsync's
runner from mocked HTTP, and replaced whenever the version is read again."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from finsync.warehouse.runner import Warehouse

from .test_younium_source import pipeline, rows, run
from .test_younium_subscriptions import V1, V2, upstream

__all__ = ["pipeline"]


def tier(number: int, price: float, low: float, high: float | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "tier": number,
        "price": price,
        "listPrice": price + 1,
        "description": f"Band {number}",
        "fromQuantity": low,
        "priceBase": "PerUnit",
        "lineDiscountPercent": 12.5,
        "lineDiscountAmount": 0.25,
    }
    if high is not None:
        found["toQuantity"] = high
    return found


DISCOUNT = {
    "id": "d-1",
    "orderId": "v-1",
    "startOn": "SpecificeDate",
    "endOn": "AlignToOrder",
    "startDate": "2024-02-01T00:00:00",
    "percent": 10.0,
    "discountType": "Percent",
    "description": "Launch",
    "onSpecificCharges": True,
    "orderProductCharges": [{"orderDiscountId": "d-1", "chargeId": "ch-2"}],
}
WIDE = {"id": "d-2", "orderId": "v-2", "startOn": "AlignToOrder", "endOn": "AlignToOrder", "percent": 5.5,
        "discountType": "Percent", "onSpecificCharges": False}  # fmt: skip
MILESTONES = [
    {"id": "m-1", "orderId": "v-1", "name": "Kick-off", "milestoneDate": "2024-01-01T00:00:00",
     "plannedDate": "2023-12-20T00:00:00"},
    {"id": "m-2", "orderId": "v-1", "name": "Go-live", "description": "Live", "plannedDate": "2024-09-01T00:00:00"},
]  # fmt: skip


def with_terms(version: dict[str, Any]) -> dict[str, Any]:
    """V2 with a tiered charge, two discounts (one on a charge) and two milestones."""
    found = copy.deepcopy(version)
    found["products"][0]["charges"][1]["priceModel"] = "Tiered"
    found["products"][0]["charges"][1]["priceDetails"] = [tier(0, 30.5, 0, 10), tier(1, 25.25, 10, 50),
                                                          tier(2, 20, 50, None)]  # fmt: skip
    found["products"][0]["charges"][0]["priceDetails"] = [tier(0, 3000.1, 0, 0)]
    found["orderDiscounts"] = [copy.deepcopy(DISCOUNT), copy.deepcopy(WIDE)]
    found["milestones"] = copy.deepcopy(MILESTONES)
    return found


def loaded(pipeline: Warehouse, version: dict[str, Any], stamp: str | None = None) -> None:
    found = upstream()
    if stamp:
        version = {**version, "lastUpdated": stamp}
    found.subscriptions = [version]
    found.versions["O-000001"] = [copy.deepcopy(V1), version]
    run(pipeline, found)


def test_a_versions_price_details_discounts_and_milestones_load_keyed_by_the_version(pipeline: Warehouse) -> None:
    loaded(pipeline, with_terms(V2))
    assert rows(
        pipeline,
        "SELECT key, order_version_id, order_number, order_charge_id, charge_number, tier, price, list_price, "
        "description, from_quantity, to_quantity, price_base, line_discount_percent, line_discount_amount "
        "FROM order_charge_price_details ORDER BY key",
    ) == [
        ("v-2:ch-1b:0", "v-2", "O-000001", "ch-1b", "OPC-000001", 0, Decimal("3000.1000"), Decimal("3001.1000"),
         "Band 0", Decimal(0), Decimal(0), "PerUnit", Decimal("12.5"), Decimal("0.25")),
        ("v-2:ch-2:0", "v-2", "O-000001", "ch-2", "OPC-000001", 0, Decimal("30.5"), Decimal("31.5"), "Band 0",
         Decimal(0), Decimal(10), "PerUnit", Decimal("12.5"), Decimal("0.25")),
        ("v-2:ch-2:1", "v-2", "O-000001", "ch-2", "OPC-000001", 1, Decimal("25.25"), Decimal("26.25"), "Band 1",
         Decimal(10), Decimal(50), "PerUnit", Decimal("12.5"), Decimal("0.25")),
        ("v-2:ch-2:2", "v-2", "O-000001", "ch-2", "OPC-000001", 2, Decimal(20), Decimal(21), "Band 2",
         Decimal(50), None, "PerUnit", Decimal("12.5"), Decimal("0.25")),
    ]  # fmt: skip
    assert rows(
        pipeline,
        "SELECT key, order_version_id, order_number, id, order_id, start_on, end_on, start_date, end_date, percent, "
        "discount_type, description, on_specific_charges FROM order_discounts ORDER BY key",
    ) == [
        # The response's spelling of the specific-date option is kept as sent.
        ("v-2:d-1", "v-2", "O-000001", "d-1", "v-1", "SpecificeDate", "AlignToOrder", date(2024, 2, 1), None,
         Decimal(10), "Percent", "Launch", True),
        ("v-2:d-2", "v-2", "O-000001", "d-2", "v-2", "AlignToOrder", "AlignToOrder", None, None, Decimal("5.5"),
         "Percent", None, False),
    ]  # fmt: skip
    assert rows(
        pipeline,
        "SELECT key, order_version_id, order_number, order_discount_id, charge_id FROM order_discount_charges",
    ) == [("v-2:d-1:ch-2", "v-2", "O-000001", "d-1", "ch-2")]
    assert rows(
        pipeline,
        "SELECT key, order_version_id, order_number, id, order_id, name, description, milestone_date, planned_date "
        "FROM order_milestones ORDER BY key",
    ) == [
        ("v-2:m-1", "v-2", "O-000001", "m-1", "v-1", "Kick-off", None, date(2024, 1, 1), date(2023, 12, 20)),
        ("v-2:m-2", "v-2", "O-000001", "m-2", "v-1", "Go-live", "Live", None, date(2024, 9, 1)),
    ]
    assert rows(pipeline, "SELECT count(*) FROM order_milestones WHERE order_version_id = 'v-1'") == [(0,)]


def test_a_version_read_again_replaces_its_tiers_discounts_and_milestones(pipeline: Warehouse) -> None:
    loaded(pipeline, with_terms(V2))
    again = with_terms(V2)
    charges = again["products"][0]["charges"]
    del charges[1]["priceDetails"][1]  # the middle tier is gone; the last keeps its tier number
    charges[1]["priceDetails"][0]["price"] = 31.0
    again["orderDiscounts"] = [{**copy.deepcopy(DISCOUNT), "orderProductCharges": [
        {"orderDiscountId": "d-1", "chargeId": "ch-1b"}]}]  # fmt: skip
    again["milestones"] = [{**MILESTONES[1], "milestoneDate": "2024-08-15T00:00:00"}]
    loaded(pipeline, again, stamp="2024-07-01T09:00:00")
    tiers = "SELECT key, price FROM order_charge_price_details WHERE order_charge_id = 'ch-2' ORDER BY key"
    assert rows(pipeline, tiers) == [("v-2:ch-2:0", Decimal("31.0000")), ("v-2:ch-2:2", Decimal("20.0000"))]
    assert rows(pipeline, "SELECT count(*) FROM order_charge_price_details") == [(3,)]
    assert rows(pipeline, "SELECT key FROM order_discounts") == [("v-2:d-1",)]
    assert rows(pipeline, "SELECT key, charge_id FROM order_discount_charges") == [("v-2:d-1:ch-1b", "ch-1b")]
    assert rows(pipeline, "SELECT key, milestone_date FROM order_milestones") == [("v-2:m-2", date(2024, 8, 15))]
