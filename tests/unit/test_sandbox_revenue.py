"""The sandbox's rest of the Younium commercial side: sales orders (/SalesOrders and their versions), the
accounts' metrics and Summary, the revenue schedules of the recurring charges with their invoicing and
recognition journals, and the expected figures a correct warehouse derives from them. The ledger checks
sum the served vouchers themselves: an independent check of the sandbox's own figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from finsync_sandbox.kernel.config import SCALE_KEYS, SandboxConfig
from finsync_sandbox.kernel.formats import day_of

from .test_sandbox_younium import NOTHING, Younium, make

SUBSCRIPTIONS = 20
TERM_FIELDS = (
    "effectiveStartDate", "effectiveEndDate", "noticePeriod", "noticePeriodDate", "term", "renewalTerm",
    "isAutoRenewed", "termType", "orderBillingPeriod", "cmrr", "acv", "tcv", "emrr", "oneTimeFees",
)  # fmt: skip
SALES_STATUSES = {"OrderDraft", "Order", "PartiallyDelivered", "Delivered", "Invoiced", "PartiallyPaid", "Paid"}
DEFERRED = "2971"


def story() -> Younium:
    return make(younium_subscriptions=SUBSCRIPTIONS)


def schedule(younium: Younium, charge_number: str) -> list[dict[str, Any]]:
    return younium.all(f"/RevenueSchedule/Charge/{charge_number}")


def item_amount(item: dict[str, Any], base: bool = False) -> Decimal:
    key = "baseCurrencyAmount" if base else "amount"
    return Decimal(item["deferredRevenue"][key]) + Decimal(item["recognizedRevenue"][key])


def test_sales_orders_are_paged_with_the_list_traps_and_differ_from_subscriptions() -> None:
    younium = story()
    expected = younium.sandbox.younium.commercial_expected()["sales_orders"]
    total = len(expected)
    assert total >= 2
    pages = -(-total // 2)
    seen: list[dict[str, Any]] = []
    for number in range(1, pages + 1):
        body = younium.page("/SalesOrders", PageSize=2, PageNumber=number)
        assert (body["totalCount"], body["totalPages"]) == (total, pages)
        assert ("nextPage" in body) == (number < pages) and body["lastPage"].endswith(f"PageNumber={pages}&PageSize=2")
        seen += body["data"]
    past = younium.get("/SalesOrders", PageSize=2, PageNumber=pages + 1)
    assert past.status_code == 400 and past.json()["errors"] == {"message": ["No sales orders could be found"]}
    assert past.json()["title"] == NOTHING
    assert sorted(s["orderNumber"] for s in seen) == sorted(s["orderNumber"] for s in expected)
    subscriptions = {s["orderNumber"] for s in younium.all("/Subscriptions")}
    for order in seen:
        assert order["orderType"] == "SalesOrder" and order["status"] in SALES_STATUSES
        assert not set(TERM_FIELDS) & set(order), "no term, renewal, notice fields nor order-level metrics"
        assert isinstance(order["invoiceBatchGroup"], str), "a string on sales orders, an object on subscriptions"
        assert "orderDate" in order and order["invoicingCurrency"] == order["currency"]
        charges = [c for p in order["products"] for c in p["charges"]]
        assert charges and all(c["chargeType"] == "OneOff" and c["cmrr"]["amount"] == 0 for c in charges)
        assert order["orderNumber"] not in subscriptions
        versions = younium.get(f"/SalesOrders/{order['orderNumber']}/versions", PageSize=1, PageNumber=5)
        assert versions.status_code == 200 and isinstance(versions.json(), list)
        assert [v["id"] for v in versions.json()] == [order["id"]]
    assert younium.get("/SalesOrders/O-999999/versions").status_code == 404
    some_subscription = next(iter(subscriptions))
    assert younium.get(f"/SalesOrders/{some_subscription}/versions").status_code == 404
    booked = {b["order"]["orderNumber"] for b in younium.all("/Bookings")}
    assert not booked & {s["orderNumber"] for s in seen}, "sales orders are not booked, never in MRR"


def test_sales_orders_modified_after_matches_through_their_invoiced_charges() -> None:
    younium = story()
    invoiced = [s for s in younium.all("/SalesOrders") if s["status"] in ("Invoiced", "Paid")]
    assert invoiced
    order = invoiced[0]
    assert order["lastUpdated"] > order["modified"], "invoicing moved the charge, not the order"
    listed = younium.all("/SalesOrders", ModifiedAfter=order["modified"])
    assert order["orderNumber"] in {s["orderNumber"] for s in listed}
    assert all(s["lastUpdated"] > order["modified"] for s in listed)


def test_sales_order_drift_faults_apply() -> None:
    younium = story()
    younium.sandbox.faults.add(kind="remove", route="younium.sales_orders", field="orderNumber")
    assert all("orderNumber" not in s for s in younium.page("/SalesOrders")["data"])
    younium.sandbox.faults.add(kind="remove", route="younium.sales_order_versions", field="products")
    number = younium.all("/SalesOrders")[0]["orderNumber"]
    assert all("products" not in v for v in younium.get(f"/SalesOrders/{number}/versions").json())


def test_without_subscriptions_nothing_commercial_reaches_accounts_journals_or_sales_orders() -> None:
    younium = make()
    assert all("cmrr" not in a for a in younium.all("/Accounts"))
    journals = younium.all("/Journals")
    assert journals and all(j["journalType"] != "RevenueRecognition" for j in journals)
    assert not any(j["description"].startswith("Subscription invoicing") for j in journals)
    accounts = {t["account"] for j in journals for v in j["vouchers"] for t in v["transactions"]}
    assert DEFERRED not in accounts
    assert younium.get("/SalesOrders").json()["errors"] == {"message": ["No sales orders could be found"]}
    assert younium.get("/RevenueSchedule/Charge/OPC-000001").status_code == 404
    expected = younium.sandbox.younium.commercial_expected()
    assert expected["deferred_revenue"] == {} and expected["sales_orders"] == [] and expected["account_cmrr"] == {}


def test_account_cmrr_is_the_sum_of_its_active_subscriptions_and_agrees_with_the_current_month_mrr() -> None:
    younium = story()
    expected = younium.sandbox.younium.commercial_expected()
    by_account: dict[str, Decimal] = {}
    for subscription in younium.all("/Subscriptions"):
        if subscription["status"] == "Active":
            account = subscription["account"]["id"]
            by_account[account] = by_account.get(account, Decimal(0)) + subscription["cmrr"]["baseCurrencyAmount"]
    accounts = younium.all("/Accounts")
    assert all({"cmrr", "acv", "emrr", "tcv", "oneTimeFees"} <= set(a) for a in accounts)
    paying = 0
    for account in accounts:
        cmrr = account["cmrr"]
        assert cmrr["baseCurrencyAmount"] == by_account.get(account["id"], Decimal(0))
        assert account["acv"]["amount"] == 12 * cmrr["amount"] and account["emrr"] == cmrr
        assert cmrr["currencyCode"] == account["currencyCode"]
        if account["id"] in expected["account_cmrr"]:
            assert cmrr["baseCurrencyAmount"] == expected["account_cmrr"][account["id"]]["base"]
            paying += cmrr["baseCurrencyAmount"] > 0
        else:
            assert cmrr["baseCurrencyAmount"] == 0
        if cmrr["baseCurrencyAmount"] > 0:
            assert account["modified"] > account["created"], "booked order events move the account"
    assert paying >= 5
    for account, base in expected["current_mrr"].items():
        assert base == expected["account_cmrr"].get(account, {"base": Decimal(0)})["base"]
    summary = younium.get(f"/Accounts/{accounts[-1]['id']}/Summary")
    assert summary.status_code == 200 and summary.json()["id"] == accounts[-1]["id"]
    assert {"cmrr", "accountBalance"} <= set(summary.json())
    assert younium.get("/Accounts/00000000-0000-0000-0000-000000000000/Summary").status_code == 404


def test_revenue_schedule_items_sum_to_what_each_charge_was_invoiced_a_month_at_the_monthly_amount() -> None:
    younium = story()
    assert younium.get("/RevenueSchedule/Charge/OPC-999999").status_code == 404
    sales_charge = younium.all("/SalesOrders")[0]["products"][0]["charges"][0]["chargeNumber"]
    never = younium.get(f"/RevenueSchedule/Charge/{sales_charge}")
    assert never.status_code == 400 and "No revenue schedule items" in never.json()["errors"]["message"][0]
    checked = whole = 0
    for subscription in younium.all("/Subscriptions"):
        for charge in (c for p in subscription["products"] for c in p["charges"]):
            if charge["chargeType"] != "Recurring" or "chargedThroughDate" not in charge:
                continue
            items = [
                i for i in schedule(younium, charge["chargeNumber"]) if i["orderProductCharge"]["id"] == charge["id"]
            ]
            assert items, charge["chargeNumber"]
            lines = {i["invoiceLine"]["id"]: i["invoiceLine"] for i in items}
            assert sum(item_amount(i) for i in items) == sum(Decimal(line["subtotal"]) for line in lines.values())
            monthly = charge["recurringMonthlyAmount"]
            start = date.fromisoformat(charge["effectiveStartDate"][:10])
            through = date.fromisoformat(charge["chargedThroughDate"][:10])
            if through.day == start.day:  # invoiced for whole service months
                months = (through.year - start.year) * 12 + through.month - start.month
                assert sum(item_amount(i) for i in items) == monthly * months
                assert all(item_amount(i) == monthly for i in items), "recognised a month at the monthly amount"
                whole += 1
            for item in items:
                recognised = item["recognizedRevenue"]["amount"] != 0
                assert (item["deferredRevenue"]["amount"] == 0) == recognised
            checked += 1
    assert checked >= 10 and whole >= 5


def served_journals(younium: Younium) -> list[dict[str, Any]]:
    return younium.all("/Journals")


def test_recognition_vouchers_point_at_schedule_items_that_exist() -> None:
    younium = story()
    recognition = [j for j in served_journals(younium) if j["journalType"] == "RevenueRecognition"]
    assert len(recognition) >= 5
    items: dict[str, dict[str, Any]] = {}
    for journal in recognition:
        for voucher in journal["vouchers"]:
            assert voucher["source"] == "RevenueRecognition"
            number = voucher["orderChargeNumber"]
            if voucher["revenueScheduleItemId"] not in items:
                items.update({i["id"]: i for i in schedule(younium, number)})
            item = items[voucher["revenueScheduleItemId"]]
            assert item["orderProductCharge"]["chargeNumber"] == number
            assert item["accountingPeriod"]["description"] == journal["accountingPeriod"]["description"]
            debit = sum(Decimal(t["debitAmount"]) for t in voucher["transactions"] if t["account"] == DEFERRED)
            assert debit == item["recognizedRevenue"]["baseCurrencyAmount"] != 0
            assert item["deferredRevenue"]["amount"] == 0


def deferred_movement(journals: list[dict[str, Any]]) -> dict[str, dict[str, Decimal]]:
    """Per accounting period: what the served vouchers credited to deferred revenue (billed) and debited
    from it (recognised)."""
    moved: dict[str, dict[str, Decimal]] = {}
    for journal in journals:
        row = moved.setdefault(
            journal["accountingPeriod"]["description"], {"billed": Decimal(0), "recognised": Decimal(0)}
        )
        for voucher in journal["vouchers"]:
            for t in (t for t in voucher["transactions"] if t["account"] == DEFERRED):
                net = Decimal(t["creditAmount"]) - Decimal(t["debitAmount"])
                if journal["journalType"] == "RevenueRecognition":
                    row["recognised"] -= net
                else:
                    row["billed"] += net
    return moved


def assert_roll_forward_ties(younium: Younium) -> None:
    expected = younium.sandbox.younium.commercial_expected()["deferred_revenue"]
    assert expected
    moved = deferred_movement(served_journals(younium))
    closing = Decimal(0)
    for period, row in expected.items():
        assert row["opening"] == closing and row["opening"] + row["billed"] - row["recognised"] == row["closing"]
        served = moved.get(period, {"billed": Decimal(0), "recognised": Decimal(0)})
        assert (row["billed"], row["recognised"]) == (served["billed"], served["recognised"]), period
        closing = row["closing"]
    assert set(p for p, r in moved.items() if r["billed"] or r["recognised"]) <= set(expected)
    assert any(row["recognised"] > 0 for row in expected.values()) and closing > 0


def test_the_deferred_revenue_roll_forward_holds_and_ties_to_the_served_journals() -> None:
    assert_roll_forward_ties(story())


def test_the_roll_forward_still_ties_after_the_story_goes_on_and_a_charge_is_invoiced_by_hand() -> None:
    younium = story()
    tenant = younium.sandbox.younium
    left = len(tenant.dataset.story.pending)
    assert left > 0
    reply = younium.http.post("/_sandbox/advance", json={"subscription_events": left})
    assert reply.status_code == 200
    active = next(s["orderNumber"] for s in younium.all("/Subscriptions") if s["status"] == "Active")
    before = len(served_journals(younium))
    touched = tenant.touch_charge(active)
    journals = served_journals(younium)
    assert len(journals) == before + 1 and journals[-1]["journalType"] == "Invoice"
    items = schedule(younium, touched["charge"])
    assert any(i["invoiceLine"]["servicePeriodEndDate"][:10] < touched["charged_through"][:10] for i in items)
    assert_roll_forward_ties(younium)


def test_bookings_by_month_add_up_to_the_bookings() -> None:
    expected = story().sandbox.younium.commercial_expected()
    rows = expected["bookings_by_month"]
    assert sum(r["cmrr_base"] for r in rows.values()) == sum(b["cmrr_base"] for b in expected["bookings"])
    assert sum(r["one_time_fees_base"] for r in rows.values()) == sum(
        b["one_time_fees_base"] for b in expected["bookings"]
    )
    for (month, booking_type, _, classification, _), row in rows.items():
        assert len(month) == 7 and row["acv_base"] == 12 * row["cmrr_base"]
        if booking_type == "Churn":
            assert row["cmrr_base"] < 0 and classification in ("CustomerChurn", "Contraction")


def test_scale_sets_younium_subscriptions() -> None:
    assert "younium_subscriptions" in SCALE_KEYS
    assert SandboxConfig().scaled("younium_subscriptions=7").younium_subscriptions == 7


def test_a_month_ending_on_the_tenant_clock_has_its_revenue_recognised_at_the_next_event() -> None:
    younium = story()
    tenant = younium.sandbox.younium
    dataset = tenant.dataset
    recognised = {
        j["accountingPeriod"]["description"]
        for j in served_journals(younium)
        if j["journalType"] == "RevenueRecognition"
    }
    now = date.fromordinal(day_of(dataset.now))
    current = now.strftime("%Y-%m")
    assert current not in recognised, "the month under way is not recognised yet"
    with dataset.lock:
        while date.fromordinal(day_of(dataset.now)).strftime("%Y-%m") == current:
            dataset.tick()
    journals = served_journals(younium)
    latest = [
        j
        for j in journals
        if j["journalType"] == "RevenueRecognition" and j["accountingPeriod"]["description"] == current
    ]
    assert len(latest) == 1, "the month that ended ran once, at the first event after it"
    journal = latest[0]
    assert journal["accountingPeriod"]["status"] == "Open" and journal["vouchers"][0]["effectiveDate"].startswith(
        current
    )
    assert_roll_forward_ties(younium)
