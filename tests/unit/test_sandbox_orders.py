"""The sandbox's Younium subscriptions and bookings: GET /Subscriptions, /Subscriptions/{orderNumber}/versions
and /Bookings, served with their documented traps, and the MRR figures a correct warehouse derives from
them, computed by the sandbox from its own event script."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

from .test_sandbox_younium import NOTHING, Younium, make

SUBSCRIPTIONS = 20
MOVES = ("new", "reactivation", "expansion", "contraction", "churn")


def story() -> Younium:
    return make(younium_subscriptions=SUBSCRIPTIONS)


def day(text: str) -> date:
    return date.fromisoformat(text[:10])


def test_subscriptions_are_paged_with_next_page_left_out_on_the_last_page_and_400_past_the_end() -> None:
    younium = story()
    total = len(younium.sandbox.younium.commercial_expected()["orders"])
    assert total > 10
    pages = -(-total // 4)
    seen: list[dict[str, Any]] = []
    for number in range(1, pages + 1):
        body = younium.page("/Subscriptions", PageSize=4, PageNumber=number)
        assert (body["totalCount"], body["totalPages"], body["pageNumber"]) == (total, pages, number)
        assert ("nextPage" in body) == (number < pages), "the last page has no nextPage, only lastPage"
        assert body["lastPage"].endswith(f"PageNumber={pages}&PageSize=4")
        seen += body["data"]
    assert len({s["orderNumber"] for s in seen}) == total, "one record per order"
    assert all(s["isLastVersion"] for s in seen), "each order as its latest version"
    past = younium.get("/Subscriptions", PageSize=4, PageNumber=pages + 1)
    assert past.status_code == 400 and past.json()["errors"] == {"message": ["No subscriptions could be found"]}
    assert past.json()["title"] == NOTHING


def test_without_subscriptions_the_list_is_the_nothing_found_400() -> None:
    younium = make()
    for path, entity in (("/Subscriptions", "subscriptions"), ("/Bookings", "bookings")):
        reply = younium.get(path)
        assert reply.status_code == 400 and reply.json()["errors"] == {"message": [f"No {entity} could be found"]}
    assert younium.sandbox.younium.commercial_expected()["orders"] == []
    assert "subscriptions" not in younium.sandbox.younium.expected()


def test_versions_are_a_plain_array_of_every_version_with_is_last_version_on_the_newest_only() -> None:
    younium = story()
    expected = younium.sandbox.younium.commercial_expected()
    changed = next(o for o in expected["orders"] if o["version"] > 1)
    reply = younium.get(f"/Subscriptions/{changed['orderNumber']}/versions", PageSize=1, PageNumber=3)
    assert reply.status_code == 200
    versions = reply.json()
    assert isinstance(versions, list), "not an envelope: paging parameters are ignored"
    assert [v["version"] for v in versions] == list(range(1, changed["version"] + 1))
    assert [v["isLastVersion"] for v in versions] == [False] * (len(versions) - 1) + [True]
    assert [v["id"] for v in versions] == [
        v["id"] for v in expected["order_versions"] if v["orderNumber"] == changed["orderNumber"]
    ]
    assert all(v["products"] and v["orderNumber"] == changed["orderNumber"] for v in versions)
    newest = versions[-1]
    states = {c["changeState"] for p in newest["products"] for c in p["charges"]}
    assert states & {"CancelledFromChange", "Cancelled"}, "the closed charge versions are embedded too"
    assert younium.get("/Subscriptions/O-999999/versions").status_code == 404


def test_a_change_closes_the_old_charge_version_the_day_before_the_new_one_starts() -> None:
    younium = story()
    for subscription in younium.all("/Subscriptions"):
        charges = [c for p in subscription["products"] for c in p["charges"]]
        for new in (c for c in charges if c["changeState"] == "NewFromChange"):
            old = next(c for c in charges if c["chargeNumber"] == new["chargeNumber"] and c["version"] < new["version"])
            assert old["changeState"] == "CancelledFromChange" and not old["isLastVersion"] and new["isLastVersion"]
            assert day(old["effectiveEndDate"]).toordinal() == day(new["effectiveStartDate"]).toordinal() - 1
            assert new["effectiveStartDate"] == subscription["effectiveChangeDate"]


def test_modified_after_lists_an_order_whose_charge_alone_changed() -> None:
    younium = story()
    tenant = younium.sandbox.younium
    before = {s["orderNumber"]: s for s in younium.all("/Subscriptions")}
    cursor = max(s["lastUpdated"] for s in before.values())
    assert younium.get("/Subscriptions", ModifiedAfter=cursor).status_code == 400, "the bound is exclusive"
    target = next(n for n, s in before.items() if s["status"] == "Active")

    touched = tenant.touch_charge(target)

    listed = younium.all("/Subscriptions", ModifiedAfter=cursor)
    assert [s["orderNumber"] for s in listed] == [target]
    after = listed[0]
    assert after["modified"] == before[target]["modified"], "the order itself was not modified"
    assert after["lastUpdated"] > before[target]["lastUpdated"]
    charge = next(c for p in after["products"] for c in p["charges"] if c["id"] == touched["charge_id"])
    assert charge["modified"] > cursor and charge["chargedThroughDate"] == touched["charged_through"]
    assert len(after["products"]) == len(before[target]["products"]), "the whole order comes back"


def test_a_deleted_subscription_is_gone_from_the_list_its_versions_and_the_expected_figures() -> None:
    younium = story()
    tenant = younium.sandbox.younium
    victim = younium.page("/Subscriptions", PageSize=1)["data"][0]["orderNumber"]
    total = len(younium.all("/Subscriptions"))

    tenant.delete_subscription(victim)

    assert victim not in {s["orderNumber"] for s in younium.all("/Subscriptions")}
    assert len(younium.all("/Subscriptions")) == total - 1
    assert younium.get(f"/Subscriptions/{victim}/versions").status_code == 404
    expected = tenant.commercial_expected()
    assert victim not in {o["orderNumber"] for o in expected["orders"]}
    assert victim not in {c["orderNumber"] for c in expected["charges"]}
    assert tenant.expected()["subscriptions"]["rows"] == total - 1


def test_equal_seeds_serve_identical_pages() -> None:
    first, second = story(), story()
    for path in ("/Subscriptions", "/Bookings"):
        assert first.get(path, PageSize=7, PageNumber=2).content == second.get(path, PageSize=7, PageNumber=2).content


def test_story_events_happen_on_advance_an_hour_apart() -> None:
    younium = story()
    tenant = younium.sandbox.younium
    bookings = len(younium.all("/Bookings"))
    reply = younium.http.post("/_sandbox/advance", json={"subscription_events": 2})
    assert reply.status_code == 200 and len(reply.json()["younium"]["subscription_events"]) == 2
    expected = tenant.commercial_expected()
    assert len(younium.all("/Bookings")) == len(expected["bookings"]) >= bookings
    too_many = younium.http.post("/_sandbox/advance", json={"subscription_events": 999})
    assert too_many.status_code == 400


def test_bookings_carry_deltas_that_sum_to_each_orders_cmrr_and_name_no_account() -> None:
    younium = story()
    expected = younium.sandbox.younium.commercial_expected()
    bookings = younium.all("/Bookings")
    assert [b["id"] for b in sorted(bookings, key=lambda b: b["id"])] == sorted(b["id"] for b in expected["bookings"])
    by_order: dict[str, Decimal] = {}
    for booking in bookings:
        assert "account" not in booking and set(booking["order"]) == {"orderNumber", "id"}
        assert set(booking["cmrr"]) == {"amount", "amountInBaseCurrency"}
        assert booking["cmrr"]["amount"] == sum(line["cmrr"]["amount"] for line in booking["bookingLines"])
        assert booking["acv"]["amount"] == 12 * booking["cmrr"]["amount"]
        assert booking["bookingType"] in ("New", "Change", "Churn")
        assert booking["classification"]["classificationType"] in (
            "NewCustomer", "Expansion", "Contraction", "CustomerChurn", "Reactivate",
        )  # fmt: skip
        number = booking["order"]["orderNumber"]
        by_order[number] = by_order.get(number, Decimal(0)) + booking["cmrr"]["amount"]
    for subscription in younium.all("/Subscriptions"):
        if subscription["status"] != "Draft":
            assert by_order[subscription["orderNumber"]] == subscription["cmrr"]["amount"]
    kinds = {(b["bookingType"], b["classification"]["classificationType"]) for b in bookings}
    assert {("New", "NewCustomer"), ("Change", "Expansion"), ("Churn", "CustomerChurn")} <= kinds
    assert {("Churn", "Contraction"), ("New", "Reactivate")} <= kinds


def test_one_booking_is_read_by_id_whole_as_a_plain_object() -> None:
    younium = story()
    listed = younium.all("/Bookings")[0]
    one = younium.get(f"/Bookings/{listed['id']}")
    assert one.status_code == 200 and one.json(parse_float=Decimal) == listed
    assert younium.get("/Bookings/00000000-0000-0000-0000-000000000000").status_code == 404


def test_movements_add_up_and_name_contraction_and_reactivation() -> None:
    expected = story().sandbox.younium.commercial_expected()
    movements = expected["movements"]
    for row in movements.values():
        assert row["opening"] + sum(row[m] for m in MOVES) == row["closing"]
        assert row["contraction"] <= 0 <= row["expansion"] and row["churn"] <= 0
    months = sorted({m for _, m in movements})
    for (account, month), row in movements.items():
        if month != months[0]:
            assert row["opening"] == movements[(account, months[months.index(month) - 1])]["closing"]
    churned = [b for b in expected["bookings"] if b["bookingType"] == "Churn"]
    cancelled_one = {b["orderNumber"] for b in churned if b["accountCategory"] == "Existing"}
    assert cancelled_one
    account_of = {o["orderNumber"]: o["account_id"] for o in expected["order_versions"]}
    for number in cancelled_one:
        booking = next(b for b in expected["bookings"] if b["orderNumber"] == number and b["bookingType"] == "Churn")
        row = movements[(account_of[number], booking["effectiveDate"].strftime("%Y-%m"))]
        assert row["contraction"] < 0 and row["churn"] == 0 and row["closing"] > 0, "contraction, not churn"
    reactivated = [b for b in expected["bookings"] if b["classificationType"] == "Reactivate"]
    assert reactivated
    for booking in reactivated:
        account = account_of[booking["orderNumber"]]
        row = movements[(account, booking["effectiveDate"].strftime("%Y-%m"))]
        assert row["reactivation"] > 0 and row["new"] == 0
        assert any(r["churn"] < 0 for (a, _), r in movements.items() if a == account)


def test_one_customer_months_mrr_computed_by_hand_from_the_served_charges_equals_the_expected_figure() -> None:
    younium = story()
    expected = younium.sandbox.younium.commercial_expected()
    changed = next(o for o in expected["orders"] if o["version"] > 1 and o["status"] == "Active")
    account = changed["account_id"]
    month = max(m for a, m in expected["mrr"] if a == account)
    year, number = map(int, month.split("-"))
    month_end = date(year, number, calendar.monthrange(year, number)[1])
    charges: dict[str, dict[str, Any]] = {}
    for subscription in younium.all("/Subscriptions"):
        if subscription["account"]["id"] != account or subscription["status"] in ("Draft", "OrderDraft", "Deleted"):
            continue
        for version in younium.get(f"/Subscriptions/{subscription['orderNumber']}/versions").json():
            for charge in (c for p in version["products"] for c in p["charges"]):
                charges[charge["id"]] = charge
    by_hand = Decimal(0)
    for charge in charges.values():
        end = charge.get("effectiveEndDate")
        started = day(charge["effectiveStartDate"]) <= month_end
        if charge["chargeType"] == "Recurring" and started and (end is None or month_end <= day(end)):
            by_hand += Decimal(str(charge["recurringMonthlyAmountBase"]))
    assert by_hand > 0
    assert by_hand == expected["mrr"][(account, month)]["base"]


def nulls(value: Any) -> int:
    """How many null members there are anywhere in `value`."""
    if isinstance(value, dict):
        return sum(v is None for v in value.values()) + sum(nulls(v) for v in value.values())
    if isinstance(value, list):
        return sum(nulls(v) for v in value)
    return 0


def test_a_subscription_states_its_amounts_per_month_and_its_metrics_as_the_facts_relate_them() -> None:
    younium = story()
    subscriptions = younium.all("/Subscriptions")
    bookings = younium.all("/Bookings")
    assert not nulls(subscriptions) and not nulls(bookings), "null members are left out"
    assert {s["termType"] for s in subscriptions} == {"Termed", "Evergreen"}
    assert {"Active", "Draft", "Cancelled"} <= {s["status"] for s in subscriptions}
    assert len({s["currency"] for s in subscriptions}) > 1
    months = {"Monthly": 1, "Quarterly": 3, "Annual": 12}
    periods: set[str] = set()
    rates: dict[str, set[Decimal]] = {}
    for subscription in subscriptions:
        termed = subscription["termType"] == "Termed"
        assert ("effectiveEndDate" in subscription) == termed
        assert "lastUpdated" in subscription and "account" in subscription
        cmrr = subscription["cmrr"]["amount"]
        assert subscription["acv"]["amount"] == 12 * cmrr
        if termed:
            assert subscription["tcv"]["amount"] == subscription["term"] * cmrr
        charges = [c for p in subscription["products"] for c in p["charges"]]
        assert cmrr == sum(c["cmrr"]["amount"] for c in charges)
        for charge in (c for c in charges if c["chargeType"] == "Recurring"):
            periods.add(charge["pricePeriod"])
            monthly = charge["recurringMonthlyAmount"]
            assert charge["displayPrice"] == monthly * months[charge["pricePeriod"]]
            rates.setdefault(subscription["currency"], set()).add(charge["recurringMonthlyAmountBase"] / monthly)
    assert periods == set(months)
    assert rates["SEK"] == {1}
    assert all(len({round(r, 3) for r in found}) == 1 for found in rates.values()), "one frozen rate per currency"


def test_invoicing_moved_the_charges_charged_through_date_and_modified_not_the_orders() -> None:
    younium = story()
    invoiced = 0
    for subscription in younium.all("/Subscriptions"):
        for charge in (c for p in subscription["products"] for c in p["charges"]):
            if "chargedThroughDate" not in charge:
                continue
            assert day(charge["chargedThroughDate"]) > day(charge["effectiveStartDate"]), "exclusive"
            if "effectiveEndDate" in charge:
                assert day(charge["chargedThroughDate"]).toordinal() <= day(charge["effectiveEndDate"]).toordinal() + 1
            invoiced += charge["modified"] > subscription["modified"]
            assert subscription["lastUpdated"] >= charge["modified"]
    assert invoiced > 5


def test_the_story_moves_with_the_history_shift() -> None:
    fixed = story().sandbox.younium
    shifted = make(younium_subscriptions=SUBSCRIPTIONS, today=date(2026, 3, 4)).sandbox.younium
    days = shifted.config.history_shift_days()
    assert days > 0
    first, second = fixed.commercial_expected()["bookings"][0], shifted.commercial_expected()["bookings"][0]
    assert second["effectiveDate"].toordinal() - first["effectiveDate"].toordinal() == days
    assert second["id"] == first["id"]


def test_drift_faults_apply_to_the_commercial_routes_and_the_control_api_makes_their_changes() -> None:
    younium = story()
    faults = younium.sandbox.faults
    faults.add(kind="remove", route="younium.subscription_versions", field="products.charges.cmrr")
    versions = younium.get("/Subscriptions/O-000001/versions").json()
    assert all("cmrr" not in c for v in versions for p in v["products"] for c in p["charges"])
    faults.add(kind="nothing_found", route="younium.bookings")
    assert younium.get("/Bookings").status_code == 400
    assert younium.get("/Bookings").status_code == 200
    touched = younium.http.post("/_sandbox/younium/change", json={"change": "touch_charge", "order": "O-000001"})
    assert touched.status_code == 200 and touched.json()["order"] == "O-000001"
    deleted = younium.http.post("/_sandbox/younium/change", json={"change": "delete_subscription", "order": "o-000001"})
    assert deleted.status_code == 200 and younium.get("/Subscriptions/O-000001/versions").status_code == 404
    again = younium.http.post("/_sandbox/younium/change", json={"change": "delete_subscription", "order": "O-000001"})
    assert again.status_code == 400
    draft = next(s["orderNumber"] for s in younium.all("/Subscriptions") if s["status"] == "Draft")
    refused = younium.http.post("/_sandbox/younium/change", json={"change": "touch_charge", "order": draft})
    assert refused.status_code == 400 and "only an Active one" in refused.json()["error"]
    assert younium.http.get("/_sandbox/expected").json()["younium"]["subscriptions"]["deleted"] == deleted.json()["ids"]


def served_terms(younium: Younium) -> dict[str, list[dict[str, Any]]]:
    """Every price tier, discount (and the charges it lists) and milestone each served order version holds, as rows
    keyed by the version: what a warehouse keeping them per order version would hold."""
    found: dict[str, list[dict[str, Any]]] = {"price_details": [], "discounts": [], "discount_charges": [],
                                               "milestones": []}  # fmt: skip
    numbers = [("Subscriptions", o["orderNumber"]) for o in younium.all("/Subscriptions")]
    numbers += [("SalesOrders", o["orderNumber"]) for o in younium.all("/SalesOrders")]
    for route, number in numbers:
        for version in younium.get(f"/{route}/{number}/versions").json():
            at = {"orderVersionId": version["id"], "orderNumber": number}
            for charge in (c for p in version["products"] for c in p["charges"]):
                for t in charge["priceDetails"]:
                    found["price_details"].append({
                        "key": f"{version['id']}:{charge['id']}:{t['tier']}", **at, "orderChargeId": charge["id"],
                        "chargeNumber": charge["chargeNumber"], "description": None, "toQuantity": None, **t,
                    })  # fmt: skip
            for d in version["orderDiscounts"]:
                charges = d.pop("orderProductCharges")
                dated = {k: day(d[k]) if k in d else None for k in ("startDate", "endDate")}
                found["discounts"].append({"key": f"{version['id']}:{d['id']}", **at, **d, **dated})
                found["discount_charges"] += [{"key": f"{version['id']}:{d['id']}:{c['chargeId']}", **at, **c}
                                              for c in charges]  # fmt: skip
            for m in version["milestones"]:
                dated = {k: day(m[k]) if k in m else None for k in ("milestoneDate", "plannedDate")}
                found["milestones"].append({"key": f"{version['id']}:{m['id']}", **at, "description": None, **m,
                                            **dated})  # fmt: skip
    return found


def test_every_versions_price_tiers_discounts_and_milestones_are_the_expected_ones() -> None:
    younium = story()
    younium.sandbox.younium.advance(subscription_events=len(younium.sandbox.younium.dataset.story.pending))
    expected = younium.sandbox.younium.commercial_expected()
    served = served_terms(younium)
    for name in ("price_details", "discounts", "discount_charges", "milestones"):
        assert expected[name], f"the story has {name}"
        key = "key"
        assert sorted(served[name], key=lambda r: r[key]) == sorted(expected[name], key=lambda r: r[key]), name
        assert len({r[key] for r in expected[name]}) == len(expected[name]), f"{name} keys are unique"
    versions = {v["id"] for v in expected["order_versions"]}
    held = {r["orderVersionId"] for r in expected["discounts"]}
    assert any(v in versions for v in held) and len(held) > len({r["orderNumber"] for r in expected["discounts"]}), (
        "a discount is held by every later version of its order"
    )


def test_some_charges_are_tiered_and_a_discount_or_milestone_changes_no_amount() -> None:
    younium = story()
    orders = younium.all("/Subscriptions")
    charges = [c for o in orders for p in o["products"] for c in p["charges"]]
    tiered = [c for c in charges if c["priceModel"] in ("Volume", "Tiered")]
    assert tiered and {c["priceModel"] for c in tiered} == {"Volume", "Tiered"}
    for charge in tiered:
        tiers = charge["priceDetails"]
        assert [t["tier"] for t in tiers] == [0, 1, 2] and "toQuantity" not in tiers[-1]
        assert [t["fromQuantity"] for t in tiers[1:]] == [t["toQuantity"] for t in tiers[:-1]]
        months = {"Monthly": 1, "Quarterly": 3, "Annual": 12}[charge["pricePeriod"]]
        assert Decimal(str(tiers[0]["price"])) == Decimal(str(charge["recurringMonthlyAmount"])) * months
    assert all(len(c["priceDetails"]) == 1 and c["priceDetails"][0]["priceBase"] == "Flat"
               for c in charges if c["priceModel"] == "Flat")  # fmt: skip
    specific = [d for o in orders for d in o["orderDiscounts"] if d["onSpecificCharges"]]
    assert specific and all(d["startOn"] == "SpecificeDate" and d["orderProductCharges"] for d in specific)
    aligned = [d for o in orders for d in o["orderDiscounts"] if not d["onSpecificCharges"]]
    assert aligned and all(d["startOn"] == "AlignToOrder" and "startDate" not in d for d in aligned)
    for order in (o for o in orders if o["orderDiscounts"]):
        listed = {c["chargeId"] for d in order["orderDiscounts"] for c in d["orderProductCharges"]}
        referring = {c["id"] for p in order["products"] for c in p["charges"] if c["orderDiscounts"]}
        assert listed == referring, "each discounted charge refers back to its discount"
        recurring = [c for p in order["products"] for c in p["charges"] if c["chargeType"] == "Recurring"]
        live = sum(Decimal(str(c["cmrr"]["amount"])) for c in recurring)
        assert Decimal(str(order["cmrr"]["amount"])) == live, "the order's CMRR is its charges', undiscounted"
    milestones = [o for o in orders if o["milestones"]]
    assert milestones and all(not any("milestoneDate" in m for m in o["milestones"][1:]) for o in milestones)
    assert any(c["startOn"] == "Milestone" for o in milestones for p in o["products"] for c in p["charges"])
    sales = younium.all("/SalesOrders")
    assert any(o["milestones"] for o in sales) and any(o["orderDiscounts"] for o in sales)
