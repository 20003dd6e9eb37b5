"""The sandbox's Younium product catalogue: GET /Products and /Products/{id}, paged and filtered like every
list, edited, created and hard-deleted between runs, and stated in the expectations."""

from __future__ import annotations

import re
from typing import Any

from .test_sandbox_younium import NOTHING, make

SHAPES = {"Simple": (False, False), "MultipleCharges": (False, True), "MultipleChargePlans": (True, False)}
NAIVE_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?$")
DAY = re.compile(r"^\d{4}-\d\d-\d\dT00:00:00$")


def nulls(value: Any) -> list[Any]:
    """Every null member anywhere in `value`."""
    if isinstance(value, dict):
        return [v for v in value.values() if v is None] + [n for v in value.values() for n in nulls(v)]
    if isinstance(value, list):
        return [n for v in value for n in nulls(v)]
    return []


def test_products_are_paged_with_next_page_left_out_and_last_page_pointing_at_the_last_page() -> None:
    younium = make()
    total = len(younium.sandbox.younium.expected_ids()["products"])
    assert 20 <= total <= 60
    pages = -(-total // 5)
    seen: list[dict[str, Any]] = []
    for number in range(1, pages + 1):
        body = younium.page("/Products", PageSize=5, PageNumber=number)
        assert (body["totalCount"], body["totalPages"], body["pageNumber"]) == (total, pages, number)
        assert body["lastPage"].endswith(f"PageNumber={pages}&PageSize=5")
        assert ("nextPage" in body) == (number < pages), "the last page has no nextPage, only lastPage"
        seen += body["data"]
    assert len(seen) == total == len({p["id"] for p in seen})
    keys = [(p["modified"], p["id"]) for p in seen]
    assert keys == sorted(keys)
    # A client that counts pages as totalCount // PageSize + 1 asks for one page too many when the count
    # is a multiple of the size: past the end is a 400, as for an empty list.
    past = younium.get("/Products", PageSize=5, PageNumber=pages + 1)
    assert past.status_code == 400 and past.json()["errors"] == {"message": ["No products could be found"]}
    assert past.json()["title"] == NOTHING


def test_a_product_has_plans_and_charges_as_its_type_says_and_null_members_are_left_out() -> None:
    younium = make()
    products = younium.all("/Products")
    assert not nulls(products)
    assert any("endOfNewSalesDate" not in p for p in products) and any("externalCRMId" not in p for p in products)
    legal_entity = younium.sandbox.younium.dataset.legal_entity_id
    for product in products:
        assert re.fullmatch(r"P-\d{6}", product["productNumber"]) and product["legalEntityId"] == legal_entity
        assert NAIVE_STAMP.match(product["created"]) and NAIVE_STAMP.match(product["modified"])
        assert DAY.match(product["activationDate"])
        plans = product["chargePlans"]
        assert plans and all(plan["charges"] for plan in plans)
        many_plans, many_charges = SHAPES.get(product["productType"], (True, True))
        assert (len(plans) > 1) == many_plans
        assert any(len(plan["charges"]) > 1 for plan in plans) == many_charges
        for charge in (c for plan in plans for c in plan["charges"]):
            assert re.fullmatch(r"C-\d{6}", charge["chargeNumber"]) and "priceModel" not in charge
            assert {d["currency"] for d in charge["priceDetails"]} == {"SEK", "EUR"}
    one = younium.get(f"/Products/{products[3]['id']}")
    assert one.status_code == 200 and one.json() == younium.get("/Products", PageSize=100).json()["data"][3]
    assert younium.get("/Products/00000000-0000-4000-8000-000000000000").status_code == 404


def test_modified_after_lists_the_products_edited_or_created_since() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    before = younium.all("/Products")
    cursor = max(p["modified"] for p in before)
    assert younium.get("/Products", ModifiedAfter=cursor).status_code == 400, "the bound is exclusive"

    advanced = tenant.advance(new_products=3, modified_products=2)

    changed = younium.all("/Products", ModifiedAfter=cursor)
    assert {p["id"] for p in changed} == {*advanced.new_product_ids, *advanced.modified_product_ids}
    assert len(advanced.new_product_ids) == 3 and len(advanced.modified_product_ids) == 2
    old = {p["id"]: p for p in before}
    for product in changed:
        if product["id"] in old:
            assert product["modified"] > old[product["id"]]["modified"]
            assert product["created"] == old[product["id"]]["created"]
            assert "endOfNewSalesDate" in product
        else:
            assert product["created"] > cursor
    unchanged = {p["id"] for p in before if p["modified"] < cursor} - set(advanced.modified_product_ids)
    assert {p["id"] for p in younium.all("/Products", ModifiedBefore=cursor)} == unchanged
    assert make().sandbox.younium.advance(new_products=3, modified_products=2) == advanced, "deterministic"


def test_a_product_deleted_is_gone_from_the_list_and_its_read_and_the_expectations_name_it() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    doomed = younium.all("/Products")[5]["id"]

    reply = younium.http.post("/_sandbox/younium/change", json={"change": "delete_product", "product": doomed})

    assert reply.status_code == 200 and reply.json()["product"] == doomed
    assert doomed not in {p["id"] for p in younium.all("/Products")}
    assert younium.get(f"/Products/{doomed}").status_code == 404
    assert doomed not in tenant.expected_ids()["products"]
    assert tenant.expected()["products"]["deleted"] == [doomed]
    again = younium.http.post("/_sandbox/younium/change", json={"change": "delete_product", "product": doomed})
    assert again.status_code == 400 and "no product" in again.json()["error"]


def test_expected_products_are_the_ids_and_counts_served() -> None:
    younium = make(younium_accounts=500)
    younium.http.post("/_sandbox/advance", json={"new_products": 2, "modified_products": 1})
    products = younium.all("/Products")
    assert younium.sandbox.younium.expected_ids()["products"] == sorted(p["id"] for p in products)
    expected = younium.sandbox.younium.expected()["products"]
    assert expected["rows"] == len(products) == 42, "a larger tenant sells more products"
    assert expected["charge_plans"] == sum(len(p["chargePlans"]) for p in products)
    assert expected["charges"] == sum(len(plan["charges"]) for p in products for plan in p["chargePlans"])
    assert expected["price_details"] == sum(len(c["priceDetails"]) for c in charges_of(products))
    types = [p["productType"] for p in products]
    assert expected["by_type"] == {name: types.count(name) for name in expected["by_type"]}


def test_each_legal_entity_has_a_catalogue_of_its_own() -> None:
    younium = make(younium_legal_entities=("Sandbox Oy",))
    ids = {}
    for name in ("Sandbox AB", "Sandbox Oy"):
        reply = younium.get("/Products", headers=younium.headers(**{"legal-entity": name}), PageSize=100)
        assert reply.status_code == 200, reply.text
        products = reply.json()["data"]
        legal_entity = younium.sandbox.younium_entity(name).dataset.legal_entity_id
        assert {p["legalEntityId"] for p in products} == {legal_entity}
        ids[name] = {p["id"] for p in products}
    assert not ids["Sandbox AB"] & ids["Sandbox Oy"]


def charges_of(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [charge for product in products for plan in product["chargePlans"] for charge in plan["charges"]]


def test_catalogue_charges_use_the_catalogue_names_and_price_each_currency_with_tiers_only_where_tiered() -> None:
    younium = make()
    products = younium.all("/Products")
    charges = charges_of(products)
    assert all("model" in c and "priceModel" not in c and "revenueRecognitionRule" not in c for c in charges)
    assert any("revenueRecognition" in c for c in charges) and any("revenueRecognition" not in c for c in charges)
    assert {c["model"] for c in charges} == {"Flat", "Quantity", "Volume", "Tiered"}
    for charge in charges:
        details = charge["priceDetails"]
        if charge["model"] in ("Volume", "Tiered"):
            for currency in ("SEK", "EUR"):
                tiers = [d for d in details if d["currency"] == currency]
                assert [d["tier"] for d in tiers] == [0, 1, 2] and [d["priceBase"] for d in tiers] == ["PerUnit"] * 3
                assert [d["fromQuantity"] for d in tiers] == [0, 1000, 10000] and "toQuantity" not in tiers[-1]
                assert [d["toQuantity"] for d in tiers[:2]] == [1000, 10000]
                assert tiers[0]["price"] > tiers[1]["price"] > tiers[2]["price"] > 0
        else:  # one price per currency, written as the facts' sample shows one: currency and price alone
            assert [set(d) for d in details] == [{"currency", "price"}] * 2
            assert [d["currency"] for d in details] == ["SEK", "EUR"] and all(d["price"] > 0 for d in details)
    assert {c["defaultQuantity"] for c in charges} > {1}
    assert any("externalCRMId" in c for c in charges) and any("externalCRMId" not in c for c in charges)
    # A product with several plans: the first was replaced by the others, and stopped being sold.
    many = [p for p in products if len(p["chargePlans"]) > 1]
    assert {p["productType"] for p in many} == {"MultipleChargePlans", "Full"}
    assert all(DAY.match(p["chargePlans"][0]["endOfNewSalesDate"]) for p in many)
    assert all("endOfNewSalesDate" not in plan for p in many for plan in p["chargePlans"][1:])
    assert any("effectiveEndDate" in p["chargePlans"][0] for p in many)
    assert all(NAIVE_STAMP.match(plan["effectiveStartDate"]) for p in products for plan in p["chargePlans"])


def test_a_charge_repriced_or_with_a_price_removed_moves_its_own_and_its_products_modified() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    before = younium.all("/Products")
    cursor = max(p["modified"] for p in before)
    product = next(p for p in before if p["productType"] == "Full")
    charge = product["chargePlans"][1]["charges"][0]

    raised = tenant.change("reprice_charge", charge=charge["id"])
    reply = younium.http.post(
        "/_sandbox/younium/change", json={"change": "remove_price", "charge": charge["id"], "currency": "eur"}
    )

    assert raised["product"] == product["id"] and reply.status_code == 200 and reply.json()["currency"] == "EUR"
    changed = younium.all("/Products", ModifiedAfter=cursor)
    assert [p["id"] for p in changed] == [product["id"]], "the product is listed by the change of its charge"
    after = changed[0]
    edited = after["chargePlans"][1]["charges"][0]
    assert after["modified"] == edited["modified"] == reply.json()["modified"].removesuffix("Z") > cursor
    assert edited["created"] == charge["created"]
    old = {d["currency"]: d["price"] for d in charge["priceDetails"]}
    # Raised by 10%, to the cent below; its EUR price is gone.
    assert edited["priceDetails"] == [{"currency": "SEK", "price": old["SEK"] * 100 * 110 // 100 / 100}]
    others = [c for plan in after["chargePlans"] for c in plan["charges"] if c["id"] != charge["id"]]
    assert others == [c for plan in product["chargePlans"] for c in plan["charges"] if c["id"] != charge["id"]]
    last = younium.http.post(
        "/_sandbox/younium/change", json={"change": "remove_price", "charge": charge["id"], "currency": "SEK"}
    )
    assert last.status_code == 400 and "last price" in last.json()["error"]
    gone = younium.http.post(
        "/_sandbox/younium/change", json={"change": "remove_price", "charge": charge["id"], "currency": "EUR"}
    )
    assert gone.status_code == 400 and "no price in" in gone.json()["error"]
    unknown = younium.http.post("/_sandbox/younium/change", json={"change": "reprice_charge", "charge": "c-0"})
    assert unknown.status_code == 400 and "no catalogue charge" in unknown.json()["error"]


def test_the_expected_catalogue_is_every_plan_charge_and_price_served_keyed_by_charge_currency_and_tier() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    tenant.delete_product(younium.all("/Products")[2]["id"])
    products = younium.all("/Products")
    expected = tenant.expected_catalogue()

    plans = [(p["id"], plan["id"], plan["chargePlanNumber"]) for p in products for plan in p["chargePlans"]]
    assert sorted((r["productId"], r["id"], r["chargePlanNumber"]) for r in expected["charge_plans"]) == sorted(plans)
    assert all("charges" not in r for r in expected["charge_plans"])
    charges = [(p["id"], plan["id"], c) for p in products for plan in p["chargePlans"] for c in plan["charges"]]
    assert sorted(
        (r["productId"], r["chargePlanId"], r["id"], r["defaultQuantity"]) for r in expected["catalogue_charges"]
    ) == sorted((product, plan, c["id"], c["defaultQuantity"]) for product, plan, c in charges)
    prices = expected["catalogue_price_details"]
    assert len(prices) == sum(len(c["priceDetails"]) for *_, c in charges)
    assert len({r["key"] for r in prices}) == len(prices)
    for row in prices:
        assert row["key"] == f"{row['chargeId']}:{row['currency']}:{row['tier']}"
    # A price sent without a tier is its charge's one price in that currency: tier 0.
    untiered = {c["id"] for *_, c in charges if "tier" not in c["priceDetails"][0]}
    assert untiered and {r["tier"] for r in prices if r["chargeId"] in untiered} == {0}
    tiered = [r for r in prices if r["chargeId"] not in untiered]
    assert {r["tier"] for r in tiered} == {0, 1, 2} and all("toQuantity" in r for r in tiered if r["tier"] < 2)
