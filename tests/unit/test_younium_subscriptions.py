"""Younium subscriptions, their versions and charges, and bookings, loaded by finsync's runner from mocked HTTP."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import respx

from finsync.warehouse.runner import Warehouse, sync

from .test_younium_source import BASE, Upstream, pipeline, refused, rows, run

__all__ = ["pipeline"]


def charge(charge_id: str, version: int, monthly: str, start: str, end: str | None, state: str) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": charge_id,
        "chargeNumber": "OPC-000001",
        "version": version,
        "isLastVersion": end is None,
        "changeState": state,
        "chargeType": "Recurring",
        "priceModel": "Flat",
        "pricePeriod": "Monthly",
        "billingPeriod": "Annual",
        "effectiveStartDate": f"{start}T00:00:00",
        "chargedThroughDate": "2025-01-01T00:00:00",
        "quantity": 0.0,
        "recurringMonthlyAmount": float(monthly),
        "recurringMonthlyAmountBase": round(float(monthly) * 10.8338, 4),
        "cmrr": {
            "amount": float(monthly),
            "currencyCode": "EUR",
            "currencyConversionDate": "2024-01-01T00:00:00",
            "baseCurrencyAmount": round(float(monthly) * 10.8338, 4),
            "baseCurrencyCode": "SEK",
        },
        "created": "2024-01-01T10:00:00",
        "modified": "2024-01-01T10:00:00",
    }
    if end:
        found["effectiveEndDate"] = f"{end}T00:00:00"
    return found


def order(version_id: str, version: int, charges: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "id": version_id,
        "orderNumber": "O-000001",
        "version": version,
        "isLastVersion": True,
        "status": "Active",
        "orderType": "Subscription",
        "account": {"id": "a-1", "accountNumber": "A-100", "name": "Acme AB"},
        "currency": "EUR",
        "effectiveStartDate": "2024-01-01T00:00:00",
        "termType": "Evergreen",
        "products": [{"id": f"op-{version_id}", "productNumber": "OP-000001", "charges": charges}],
        "created": "2024-01-01T10:00:00",
        "modified": "2024-01-01T10:00:00",
        **fields,
    }


V1 = order("v-1", 1, [charge("ch-1", 1, "3000.10", "2024-01-01", None, "New")], isLastVersion=False)
V2 = order(
    "v-2",
    2,
    [
        charge("ch-1b", 1, "3000.10", "2024-01-01", "2024-05-31", "CancelledFromChange"),
        charge("ch-2", 2, "3500.05", "2024-06-01", None, "NewFromChange"),
    ],
    lastUpdated="2024-06-01T09:00:00",
)
BOOKING = {
    "id": "bk-1",
    "bookingType": "New",
    "changeType": "None",
    "accountCategory": "New",
    "classification": {"name": "New customer", "classificationType": "NewCustomer", "isSystemClassification": True},
    "effectiveDate": "2024-01-01T00:00:00",
    "order": {"orderNumber": "O-000001", "id": "v-1"},
    "cmrr": {"amount": 3000.10, "amountInBaseCurrency": 32502.48},
    "acv": {"amount": 36001.2, "amountInBaseCurrency": 390029.76},
    "bookingLines": [
        {
            "charge": {"id": "ch-1", "chargeNumber": "OPC-000001", "name": "Seats"},
            "cmrr": {
                "amount": 3000.10,
                "currencyCode": "EUR",
                "baseCurrencyAmount": 32502.48,
                "baseCurrencyCode": "SEK",
            },
            "modified": "2024-01-01T10:00:00",
        }
    ],
    "created": "2024-01-01T10:00:00",
    "modified": "2024-01-01T10:00:00",
}


def upstream() -> Upstream:
    found = Upstream()
    found.subscriptions = [copy.deepcopy(V2)]
    found.versions = {"O-000001": [copy.deepcopy(V1), copy.deepcopy(V2)]}
    found.bookings = [copy.deepcopy(BOOKING)]
    return found


def test_an_order_loads_as_its_latest_version_with_every_version_and_charge_version(pipeline: Warehouse) -> None:
    routes = run(pipeline, upstream())
    assert rows(pipeline, "SELECT order_number, id, version, last_updated IS NOT NULL FROM subscriptions") == [
        ("O-000001", "v-2", 2, True)
    ]
    assert rows(pipeline, "SELECT id, order_number, version FROM subscription_versions ORDER BY id") == [
        ("v-1", "O-000001", 1),
        ("v-2", "O-000001", 2),
    ]
    assert rows(
        pipeline,
        "SELECT order_version_id, id, order_number, account_id, order_currency, change_state, effective_start_date, "
        "effective_end_date, charged_through_date, recurring_monthly_amount, recurring_monthly_amount_base, "
        "cmrr, currency, base_currency FROM order_charges ORDER BY key",
    ) == [
        ("v-1", "ch-1", "O-000001", "a-1", "EUR", "New", date(2024, 1, 1), None, date(2025, 1, 1),
         Decimal("3000.1000"), Decimal("32502.4834"), Decimal("3000.1000"), "EUR", "SEK"),
        ("v-2", "ch-1b", "O-000001", "a-1", "EUR", "CancelledFromChange", date(2024, 1, 1), date(2024, 5, 31),
         date(2025, 1, 1), Decimal("3000.1000"), Decimal("32502.4834"), Decimal("3000.1000"), "EUR", "SEK"),
        ("v-2", "ch-2", "O-000001", "a-1", "EUR", "NewFromChange", date(2024, 6, 1), None, date(2025, 1, 1),
         Decimal("3500.0500"), Decimal("37918.8417"), Decimal("3500.0500"), "EUR", "SEK"),
    ]  # fmt: skip
    assert rows(pipeline, "SELECT order_version_id, product_number FROM order_products ORDER BY 1") == [
        ("v-1", "OP-000001"),
        ("v-2", "OP-000001"),
    ]
    # The versions route is asked without paging parameters: it answers a plain array, whole.
    asked = routes["versions"].calls.last.request.url
    assert asked.path == "/Subscriptions/O-000001/versions" and not asked.params
    assert rows(
        pipeline, "SELECT id, booking_type, classification_type, order_number, cmrr, cmrr_base FROM bookings"
    ) == [("bk-1", "New", "NewCustomer", "O-000001", Decimal("3000.1000"), Decimal("32502.4800"))]
    assert rows(pipeline, "SELECT booking_id, position, charge_number, cmrr, currency FROM booking_lines") == [
        ("bk-1", 1, "OPC-000001", Decimal("3000.1000"), "EUR")
    ]
    # The views over them: the change closed charge version 1 on 31 May, version 2 counts from June.
    mrr = "SELECT month, mrr, mrr_base, arr, currency, base_currency FROM analytics.mrr WHERE customer_id = 'a-1'"
    found = {month: rest for month, *rest in rows(pipeline, mrr)}
    assert found[date(2024, 5, 31)] == [Decimal("3000.1"), Decimal("32502.4834"), Decimal("36001.2"), "EUR", "SEK"]
    assert found[date(2024, 6, 30)] == [Decimal("3500.05"), Decimal("37918.8417"), Decimal("42000.6"), "EUR", "SEK"]
    moved = "SELECT month, movement, expansion_mrr_base FROM analytics.mrr_movements WHERE month <= DATE '2024-06-30'"
    assert sorted(rows(pipeline, moved))[0][1] == "new" and sorted(rows(pipeline, moved))[-1][1:] == (
        "expansion",
        Decimal("5416.3583"),
    )
    assert rows(pipeline, "SELECT month, booking_type, cmrr FROM analytics.bookings_by_month") == [
        (date(2024, 1, 1), "New", Decimal("3000.1"))
    ]


def test_a_window_reads_orders_by_the_later_of_last_updated_and_modified(pipeline: Warehouse) -> None:
    found = upstream()
    run(pipeline, found)
    # A charge changed: the order's lastUpdated moves, its modified does not.
    changed = copy.deepcopy(V2)
    changed["lastUpdated"] = "2024-07-01T09:00:00"
    changed["products"][0]["charges"][1]["quantity"] = 2.0
    found.subscriptions = [changed]
    found.versions["O-000001"] = [copy.deepcopy(V1), changed]
    routes = run(pipeline, found)
    after = routes["subscriptions"].calls.last.request.url.params["ModifiedAfter"]
    # The cursor was V2's lastUpdated (2024-06-01 09:00), less the 180-minute overlap.
    assert after == "2024-06-01T06:00:00Z"
    assert rows(pipeline, "SELECT quantity FROM order_charges WHERE id = 'ch-2'") == [(Decimal("2.00000000"),)]


def test_the_run_summary_says_how_many_version_requests_the_orders_listed_took(pipeline: Warehouse) -> None:
    found = upstream()
    with respx.mock(assert_all_called=False) as mock:
        found.install(mock)
        report = sync("younium", pipeline, settings={"client_id": "c", "secret": "s", "base_url": BASE})
    assert "read further for each of the subscriptions listed, one request each: 1 requests" in report.notes
    # The next run's overlap lists the order again, unchanged: nothing is read for it, and the count is this run's.
    with respx.mock(assert_all_called=False) as mock:
        routes = found.install(mock)
        report = sync("younium", pipeline, settings={"client_id": "c", "secret": "s", "base_url": BASE})
    assert routes["subscriptions"].called and not routes["versions"].called
    assert not [note for note in report.notes if "subscriptions listed" in note], "counted anew on every run"


def test_a_hard_deleted_order_is_marked_deleted_by_the_sweep(pipeline: Warehouse) -> None:
    found = upstream()
    other = {**copy.deepcopy(V1), "id": "w-1", "orderNumber": "O-000002", "isLastVersion": True}
    found.subscriptions.append(other)
    found.versions["O-000002"] = [other]
    run(pipeline, found)
    found.subscriptions = [other]
    run(pipeline, found, sweep=True)
    assert rows(pipeline, "SELECT order_number, deleted_at IS NOT NULL FROM subscriptions ORDER BY 1") == [
        ("O-000001", True),
        ("O-000002", False),
    ]


def test_a_403_on_subscriptions_fails_only_that_feature_and_names_the_permission_and_setting(
    pipeline: Warehouse,
) -> None:
    found = upstream()
    message = refused(pipeline, found, "/Subscriptions")
    assert "Order View" in message and "sources.younium.subscriptions = false" in message
    assert rows(pipeline, "SELECT id FROM invoices") == [("i-1",)]
    tables = {t for (t,) in rows(pipeline, "SELECT table_name FROM information_schema.tables")}
    assert "subscriptions" not in tables and "bookings" not in tables


def test_with_the_feature_off_nothing_of_it_is_asked(pipeline: Warehouse) -> None:
    routes = run(pipeline, upstream(), subscriptions=False)
    assert not routes["subscriptions"].called and not routes["bookings"].called and not routes["versions"].called


def test_the_probe_reads_one_orders_versions_as_a_plain_array() -> None:
    from finsync.sources.younium.probe import probe
    from finsync.sources.younium.settings import YouniumSettings

    with respx.mock(assert_all_called=False) as mock:
        upstream().install(mock)
        report = probe(YouniumSettings.from_config({"client_id": "c", "secret": "s", "base_url": BASE}), "default")
    found = {e.endpoint: e for e in report.endpoints}
    versions = found["GET /Subscriptions/{orderNumber}/versions"]
    assert versions.http_status == 200 and versions.evidence == [
        "one order's versions read: a plain JSON array of 2 version(s)"
    ]
    assert found["GET /Subscriptions"].http_status == 200 and found["GET /Bookings"].http_status == 200
