"""Younium sales orders, account metrics and revenue schedule items, loaded by finsync's runner from mocked
HTTP: a sales order's charges beside a subscription's and never in MRR, each Recurring charge's schedule read
once per run and replaced when read again, its requests in the run summary."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import respx

from finsync.warehouse.runner import Warehouse, sync

from .test_younium_source import ACCOUNT, BASE, Upstream, pipeline, rows, run
from .test_younium_subscriptions import upstream

__all__ = ["pipeline"]

SALES_ORDER: dict[str, Any] = {
    "id": "so-v1",
    "orderNumber": "O-000009",
    "version": 1,
    "isLastVersion": True,
    "status": "Delivered",
    "orderType": "SalesOrder",
    "account": {"id": "a-1", "accountNumber": "A-100", "name": "Acme AB"},
    "currency": "EUR",
    "invoicingCurrency": "EUR",
    "orderDate": "2024-02-01T00:00:00",
    "invoiceBatchGroup": "monthly",
    "accountsReceivableAccount": "1510",
    "products": [
        {
            "id": "sop-1",
            "productNumber": "OP-000009",
            "charges": [
                {
                    "id": "soc-1",
                    "chargeNumber": "OPC-000009",
                    "chargeType": "OneOff",
                    "effectiveStartDate": "2024-02-01T00:00:00",
                    "orderedQuantity": 2.0,
                    "remainingQuantity": 0.0,
                    "deliveryDate": "2024-02-03T00:00:00",
                    "oneTimeFees": {
                        "amount": 500.0,
                        "currencyCode": "EUR",
                        "baseCurrencyAmount": 5416.9,
                        "baseCurrencyCode": "SEK",
                    },
                }
            ],
        }
    ],
    "created": "2024-02-01T10:00:00",
    "modified": "2024-02-01T10:00:00",
}


def item(item_id: str, deferred: float, recognised: float) -> dict[str, Any]:
    def amount(value: float) -> dict[str, Any]:
        return {"amount": value, "currencyCode": "EUR", "baseCurrencyAmount": value * 10, "baseCurrencyCode": "SEK"}

    return {
        "id": item_id,
        "deferredRevenue": amount(deferred),
        "recognizedRevenue": amount(recognised),
        "accountingPeriod": {"fiscalYear": 2024, "fiscalPeriod": 1, "startDate": "2024-01-01T00:00:00"},
        "invoiceLine": {"id": "il-1", "invoiceId": "inv-1", "invoiceDate": "2024-01-02T00:00:00", "subtotal": 100.0,
                        "deferredRevenueAccount": "2970", "recognizedRevenueAccount": "3010"},
        "orderProductCharge": {"id": "ch-1", "chargeNumber": "OPC-000001", "name": "Seats"},
        "created": "2024-01-02T10:00:00",
        "modified": "2024-01-02T10:00:00",
    }  # fmt: skip


def commercial() -> Upstream:
    found = upstream()
    found.sales_orders = [copy.deepcopy(SALES_ORDER)]
    found.sales_versions = {"O-000009": [copy.deepcopy(SALES_ORDER)]}
    found.schedules = {"OPC-000001": [item("rs-1", 0.0, 100.0), item("rs-2", 100.0, 0.0)]}
    return found


def test_a_sales_order_loads_beside_the_subscriptions_and_never_counts_in_mrr(pipeline: Warehouse) -> None:
    routes = run(pipeline, commercial())
    assert rows(pipeline, "SELECT order_number, id, status, order_date, invoice_batch_group FROM sales_orders") == [
        ("O-000009", "so-v1", "Delivered", date(2024, 2, 1), "monthly")
    ]
    assert rows(pipeline, "SELECT id, order_number FROM sales_order_versions") == [("so-v1", "O-000009")]
    assert rows(
        pipeline,
        "SELECT order_version_id, order_number, charge_type, ordered_quantity, remaining_quantity, one_time_fees, "
        "one_time_fees_base FROM order_charges WHERE order_number = 'O-000009'",
    ) == [("so-v1", "O-000009", "OneOff", Decimal("2.00000000"), Decimal("0E-8"), Decimal("500.0000"),
           Decimal("5416.9000"))]  # fmt: skip
    assert rows(pipeline, "SELECT COUNT(*) FROM order_charges WHERE order_number = 'O-000001'") == [(3,)]
    assert routes["sales_versions"].calls.last.request.url.path == "/SalesOrders/O-000009/versions"
    # One-off charges have no schedule read: only the subscription's Recurring charge number is asked.
    assert [c.request.url.path for c in routes["schedule"].calls] == ["/RevenueSchedule/Charge/OPC-000001"]
    # Even a recurring charge on a sales order counts in no MRR: the view reads the subscriptions' charges.
    found = commercial()
    recurring = found.sales_versions["O-000009"][0]["products"][0]["charges"][0]
    recurring.update(chargeType="Recurring", recurringMonthlyAmount=999.0, recurringMonthlyAmountBase=9990.0)
    found.sales_orders[0]["modified"] = found.sales_versions["O-000009"][0]["modified"] = "2030-01-01T00:00:00"
    run(pipeline, found)
    assert rows(pipeline, "SELECT charge_type FROM order_charges WHERE order_number = 'O-000009'") == [("Recurring",)]
    june = "SELECT mrr FROM analytics.mrr WHERE customer_id = 'a-1' AND month = DATE '2024-06-30'"
    assert rows(pipeline, june) == [(Decimal("3500.05"),)]


def test_account_metrics_are_nullable_and_loaded_where_sent(pipeline: Warehouse) -> None:
    found = commercial()
    run(pipeline, found)
    assert rows(pipeline, "SELECT cmrr, cmrr_base, acv_base FROM accounts") == [(None, None, None)]
    with_metrics = copy.deepcopy(ACCOUNT)
    with_metrics["cmrr"] = {"amount": 3000.1, "currencyCode": "EUR", "baseCurrencyAmount": 32502.48}
    with_metrics["acv"] = {"amount": 36001.2, "currencyCode": "EUR", "baseCurrencyAmount": 390029.76}
    with_metrics["modified"] = "2030-01-01T00:00:00"
    found.accounts = [with_metrics]
    run(pipeline, found)
    assert rows(pipeline, "SELECT cmrr, cmrr_base, acv_base, tcv_base FROM accounts") == [
        (Decimal("3000.1000"), Decimal("32502.4800"), Decimal("390029.7600"), None)
    ]


def test_a_charges_schedule_items_are_replaced_when_it_is_read_again(pipeline: Warehouse) -> None:
    found = commercial()
    with respx.mock(assert_all_called=False) as mock:
        found.install(mock)
        report = sync("younium", pipeline, settings={"client_id": "c", "secret": "s", "base_url": BASE})
    assert "read the revenue schedule of each Recurring charge of the orders listed: 1 requests" in report.notes
    assert rows(
        pipeline,
        "SELECT id, charge_number, deferred_revenue_base, recognized_revenue_base, invoice_date, "
        "deferred_revenue_account FROM revenue_schedule_items ORDER BY id",
    ) == [
        ("rs-1", "OPC-000001", Decimal("0.0000"), Decimal("1000.0000"), date(2024, 1, 2),
         "2970"),
        ("rs-2", "OPC-000001", Decimal("1000.0000"), Decimal("0.0000"), date(2024, 1, 2),
         "2970"),
    ]  # fmt: skip
    # The order comes back (a sweep reads every list whole): its charge's schedule now has one item.
    found.schedules["OPC-000001"] = [item("rs-3", 0.0, 200.0)]
    routes = run(pipeline, found, sweep=True)
    assert routes["schedule"].called
    assert rows(pipeline, "SELECT id FROM revenue_schedule_items") == [("rs-3",)]
