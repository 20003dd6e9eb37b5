"""analytics.mrr, analytics.mrr_movements and analytics.bookings_by_month over hand-built Younium rows in DuckDB,
checked against figures this test computes on its own from the same charges."""

from __future__ import annotations

import calendar
import contextlib
import os
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timezone
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from finsync.sources.younium.orders import (
    BOOKING_LINES,
    BOOKINGS,
    ORDER_CHARGES,
    SUBSCRIPTION_VERSIONS,
    SUBSCRIPTIONS,
)
from finsync.sources.younium.schema import TENANT
from finsync.tables import Kind, Table
from finsync.warehouse.dictionary import views
from finsync.warehouse.views import view_parts

UTC = timezone.utc
RATE = Decimal("11.5")  # EUR -> SEK, the base currency


def order(number: str, account: str, status: str = "Active", deleted: bool = False, version: int = 1) -> dict[str, Any]:
    return {
        "orderNumber": number,
        "id": f"{number}-latest",
        "version": version,
        "status": status,
        "account.id": account,
        "account.name": f"Customer {account}",
        "currency": "EUR",
        "effectiveStartDate": "2024-01-01",
        "deletedAt": "2024-09-01T00:00:00Z" if deleted else None,
    }


def charge(
    number: str,
    order_version: int,
    charge_number: str,
    version: int,
    monthly: str,
    start: str,
    end: str | None = None,
    kind: str = "Recurring",
) -> dict[str, Any]:
    account = ORDERS[number]["account.id"]
    return {
        "key": f"{number}-v{order_version}:{charge_number}-{version}",
        "orderVersionId": f"{number}-v{order_version}",
        "orderNumber": number,
        "accountId": account,
        "orderCurrency": "EUR",
        "id": f"{charge_number}-{version}",
        "chargeNumber": charge_number,
        "version": version,
        "chargeType": kind,
        "effectiveStartDate": start,
        "effectiveEndDate": end,
        "recurringMonthlyAmount": monthly,
        "recurringMonthlyAmountBase": str(Decimal(monthly) * RATE),
        "cmrr.baseCurrencyCode": "SEK",
    }


ORDERS = {
    o["orderNumber"]: o
    for o in (
        order("O-UP", "a-up", version=2),  # upgraded: 100 -> 150 from April
        order("O-REV", "a-rev"),  # its version 2 (a raise from March) was reverted: version 1 is the latest
        order("O-B1", "a-two"),  # two subscriptions, one cancelled: contraction, not churn
        order("O-B2", "a-two"),
        order("O-C1", "a-back"),  # churns in March, comes back in May: reactivation
        order("O-C2", "a-back"),
        order("O-DRAFT", "a-draft", status="Draft"),  # a draft: no MRR
        order("O-GONE", "a-gone", deleted=True),  # hard-deleted upstream: no MRR
    )
}
CHARGES = [
    # O-UP v1: OPC-UP v1 open-ended; v2 closes it on 31 March (the v1 copy stays open: it must not count) and
    # adds OPC-UP v2 at 150 from 1 April; a one-off fee never counts.
    charge("O-UP", 1, "OPC-UP", 1, "100", "2024-01-01"),
    charge("O-UP", 2, "OPC-UP", 1, "100", "2024-01-01", "2024-03-31"),
    charge("O-UP", 2, "OPC-UP", 2, "150", "2024-04-01"),
    charge("O-UP", 2, "OPC-FEE", 1, "999", "2024-01-01", kind="OneOff"),
    charge("O-REV", 1, "OPC-R", 1, "40", "2024-01-01"),
    charge("O-REV", 2, "OPC-R", 1, "40", "2024-01-01", "2024-02-29"),
    charge("O-REV", 2, "OPC-R", 2, "90", "2024-03-01"),
    charge("O-B1", 1, "OPC-B1", 1, "100", "2024-01-01"),
    charge("O-B2", 1, "OPC-B2", 1, "50.25", "2024-01-15", "2024-05-31"),
    charge("O-C1", 1, "OPC-C1", 1, "200", "2024-01-01", "2024-02-29"),
    charge("O-C2", 1, "OPC-C2", 1, "200", "2024-05-01"),
    charge("O-DRAFT", 1, "OPC-D", 1, "70", "2024-01-01"),
    charge("O-GONE", 1, "OPC-G", 1, "80", "2024-01-01"),
]
VERSIONS = [
    {"id": c["orderVersionId"], "orderNumber": c["orderNumber"], "version": int(c["orderVersionId"][-1])}
    for c in {c["orderVersionId"]: c for c in CHARGES}.values()
]


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months_to_now(first: date) -> Iterator[date]:
    year, month = first.year, first.month
    today = date.today()
    while (year, month) <= (today.year, today.month):
        yield month_end(year, month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def expected_mrr() -> dict[tuple[str, date], Decimal]:
    """MRR (base) per customer and month end, computed here: the latest order version's copy of each charge
    version, Recurring, of orders neither drafts nor deleted, in force on the month's last day."""
    latest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for c in sorted(CHARGES, key=lambda c: c["orderVersionId"]):
        if int(c["orderVersionId"][-1]) <= ORDERS[c["orderNumber"]]["version"]:  # reverted versions count nothing
            latest[(c["orderNumber"], c["chargeNumber"], c["version"])] = c
    counted = [
        c
        for c in latest.values()
        if c["chargeType"] == "Recurring"
        and ORDERS[c["orderNumber"]]["status"] not in ("Draft", "OrderDraft", "Deleted")
        and not ORDERS[c["orderNumber"]]["deletedAt"]
    ]
    figures: dict[tuple[str, date], Decimal] = {}
    for account in {c["accountId"] for c in counted}:
        own = [c for c in counted if c["accountId"] == account]
        first = min(date.fromisoformat(c["effectiveStartDate"]) for c in own)
        for end in months_to_now(first):
            figures[(account, end)] = sum(
                (
                    Decimal(c["recurringMonthlyAmountBase"])
                    for c in own
                    if date.fromisoformat(c["effectiveStartDate"]) <= end
                    and (c["effectiveEndDate"] is None or end <= date.fromisoformat(c["effectiveEndDate"]))
                ),
                Decimal(0),
            )
    return figures


def expected_movements() -> dict[tuple[str, date], tuple[str, Decimal]]:
    """Each customer-month's movement and amount, by the rules, from `expected_mrr`."""
    by_customer: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for (account, end), figure in sorted(expected_mrr().items()):
        by_customer[account].append((end, figure))
    found = {}
    for account, series in by_customer.items():
        opening, paid = Decimal(0), False
        for end, closing in series:
            if opening == 0 and closing > 0:
                found[(account, end)] = ("reactivation" if paid else "new", closing)
            elif opening > 0 and closing == 0:
                found[(account, end)] = ("churn", -opening)
            elif closing != opening:
                found[(account, end)] = ("expansion" if closing > opening else "contraction", closing - opening)
            else:
                found[(account, end)] = ("unchanged", Decimal(0))
            paid, opening = paid or closing > 0, closing
    return found


def load(connection: duckdb.DuckDBPyConnection, table: Table, records: list[dict[str, Any]]) -> None:
    batch = table.from_rows(records, UTC)  # noqa: F841 - read by DuckDB below
    connection.execute(f"CREATE TABLE younium.{table.name} AS SELECT * FROM batch")


def create_view(connection: duckdb.DuckDBPyConnection, view: str) -> None:
    (part,) = [p for p in view_parts() if p.view == view]
    columns: dict[str, set[str]] = defaultdict(set)
    for schema, table, column in connection.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns"
    ).fetchall():
        columns[f"{schema}.{table}"].add(column)
    sql = part.text(columns)
    if part.source == "younium":
        sql = f"SELECT 'default' AS tenant, part.* FROM ({sql}) AS part"
    connection.execute(f"CREATE VIEW analytics.{view} AS {sql}")


@pytest.fixture
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA younium; CREATE SCHEMA analytics")
    load(connection, SUBSCRIPTIONS, list(ORDERS.values()))
    load(connection, SUBSCRIPTION_VERSIONS, VERSIONS)
    load(connection, ORDER_CHARGES, CHARGES)
    load(connection, TENANT, [{"key": "-", "baseCurrency": "SEK"}])
    load(connection, BOOKINGS, BOOKING_ROWS)
    load(connection, BOOKING_LINES, LINE_ROWS)
    for view in ("mrr", "mrr_movements", "bookings_by_month"):
        create_view(connection, view)
    yield connection
    connection.close()


def test_mrr_is_the_recurring_charge_versions_in_force_at_each_month_end(warehouse: duckdb.DuckDBPyConnection) -> None:
    found = {
        (account, month): (mrr, mrr_base, arr, arr_base, currency, base)
        for account, month, mrr, mrr_base, arr, arr_base, currency, base in warehouse.execute(
            "SELECT customer_id, month, mrr, mrr_base, arr, arr_base, currency, base_currency FROM analytics.mrr"
        ).fetchall()
    }
    expected = expected_mrr()
    assert {key: row[1] for key, row in found.items()} == expected
    assert all(arr_base == 12 * mrr_base and arr == 12 * mrr for mrr, mrr_base, arr, arr_base, _c, _b in found.values())
    assert {(currency, base) for *_amounts, currency, base in found.values()} == {("EUR", "SEK")}
    # The upgrade, by hand: 100 to the end of March, 150 from April (never 250: the v1 copy is not counted).
    assert found[("a-up", date(2024, 3, 31))][:2] == (Decimal("100"), Decimal("1150"))
    assert found[("a-up", date(2024, 4, 30))][:2] == (Decimal("150"), Decimal("1725"))
    assert not any(account in ("a-draft", "a-gone") for account, _month in found)
    assert {found[("a-rev", date(2024, m, calendar.monthrange(2024, m)[1]))][0] for m in (1, 3, 6)} == {Decimal(40)}
    today = date.today()
    assert max(month for _account, month in found) == month_end(today.year, today.month)


def test_movements_follow_new_reactivation_churn_expansion_contraction(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        "SELECT customer_id, month, movement, opening_mrr_base, new_mrr_base, expansion_mrr_base, "
        "contraction_mrr_base, churn_mrr_base, reactivation_mrr_base, closing_mrr_base FROM analytics.mrr_movements"
    ).fetchall()
    columns = ("new", "expansion", "contraction", "churn", "reactivation")
    found = {}
    for account, month, movement, opening, *amounts, closing in rows:
        assert opening + sum(amounts) == closing, (account, month)
        moved = dict(zip(columns, amounts, strict=True))
        assert moved["contraction"] <= 0 and moved["churn"] <= 0
        assert all(v == 0 for k, v in moved.items() if k != movement)
        found[(account, month)] = (movement, moved.get(movement, Decimal(0)))
    assert found == expected_movements()
    assert found[("a-up", date(2024, 4, 30))] == ("expansion", Decimal("575"))  # 50 EUR
    assert found[("a-two", date(2024, 1, 31))] == ("new", Decimal("1727.875"))
    assert found[("a-two", date(2024, 6, 30))] == ("contraction", Decimal("-577.875"))
    assert found[("a-back", date(2024, 3, 31))] == ("churn", Decimal("-2300"))
    assert found[("a-back", date(2024, 4, 30))] == ("unchanged", Decimal(0))
    assert found[("a-back", date(2024, 5, 31))] == ("reactivation", Decimal("2300"))


# The CASE of popular public models (Fivetran's dbt_zuora and dbt_recurly): > and < tested first, so a drop to 0
# is a contraction (churn only for a NULL month) and a return from 0 an expansion (reactivation unreachable).
NAIVE = """
SELECT customer_id, month,
    CASE
        WHEN prior IS NULL THEN 'new'
        WHEN closing_mrr_base > prior THEN 'expansion'
        WHEN closing_mrr_base < prior THEN 'contraction'
        WHEN closing_mrr_base = prior THEN 'unchanged'
        WHEN closing_mrr_base IS NULL AND prior <> 0 THEN 'churn'
        WHEN prior = 0 AND closing_mrr_base > 0 AND month_number >= 3 THEN 'reactivation'
    END AS movement
FROM (
    SELECT customer_id, month, closing_mrr_base,
        LAG(closing_mrr_base) OVER (PARTITION BY customer_id ORDER BY month) AS prior,
        ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY month) AS month_number
    FROM analytics.mrr_movements
) AS m
"""


def test_the_naive_case_order_of_public_models_labels_the_same_months_otherwise(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    ours = {
        (a, m): movement
        for a, m, movement in warehouse.execute(
            "SELECT customer_id, month, movement FROM analytics.mrr_movements"
        ).fetchall()
    }
    naive = {(a, m): movement for a, m, movement in warehouse.execute(NAIVE).fetchall()}
    differing = {key: (ours[key], naive[key]) for key in ours if ours[key] != naive[key]}
    assert differing[("a-back", date(2024, 3, 31))] == ("churn", "contraction")
    assert differing[("a-back", date(2024, 5, 31))] == ("reactivation", "expansion")
    assert "churn" not in naive.values() and "reactivation" not in naive.values()


def booking(booking_id: str, kind: str, change: str, classification: str, day: str, cmrr: str) -> dict[str, Any]:
    amount = Decimal(cmrr)
    return {
        "id": booking_id,
        "bookingType": kind,
        "changeType": change,
        "accountCategory": "New" if kind == "New" else "Existing",
        "classification.classificationType": classification,
        "effectiveDate": day,
        "order.orderNumber": "O-UP",
        "cmrr.amount": cmrr,
        "cmrr.amountInBaseCurrency": str(amount * RATE),
        "acv.amount": str(12 * amount),
        "acv.amountInBaseCurrency": str(12 * amount * RATE),
        "tcv.amount": str(36 * amount),
        "tcv.amountInBaseCurrency": str(36 * amount * RATE),
        "oneTimeFees.amount": "0",
        "oneTimeFees.amountInBaseCurrency": "0",
    }


BOOKING_ROWS = [
    booking("bk-1", "New", "None", "NewCustomer", "2024-01-10", "100"),
    booking("bk-2", "New", "None", "NewCustomer", "2024-01-20", "200"),
    booking("bk-3", "Change", "Upsell", "Expansion", "2024-04-01", "50"),
    {**booking("bk-4", "Change", "Upsell", "Expansion", "2024-04-02", "70"), "deletedAt": "2024-05-01T00:00:00Z"},
]
LINE_ROWS = [
    {
        "key": f"{b['id']}:1",
        "bookingId": b["id"],
        "position": 1,
        "cmrr.currencyCode": "EUR",
        "cmrr.baseCurrencyCode": "SEK",
    }
    for b in BOOKING_ROWS
]


def test_bookings_add_up_by_month_type_and_currency_with_base_amounts_beside(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = warehouse.execute(
        "SELECT month, booking_type, change_type, classification_type, currency, base_currency, booking_count, "
        "cmrr, cmrr_base, acv, tcv_base FROM analytics.bookings_by_month ORDER BY month, booking_type"
    ).fetchall()
    assert rows == [
        (date(2024, 1, 1), "New", "None", "NewCustomer", "EUR", "SEK", 2, Decimal("300"), Decimal("3450"),
         Decimal("3600"), Decimal("124200")),
        (date(2024, 4, 1), "Change", "Upsell", "Expansion", "EUR", "SEK", 1, Decimal("50"), Decimal("575"),
         Decimal("600"), Decimal("20700")),
    ]  # fmt: skip


@pytest.mark.parametrize("view", ["mrr", "mrr_movements", "bookings_by_month"])
def test_each_view_has_the_columns_its_description_lists(warehouse: duckdb.DuckDBPyConnection, view: str) -> None:
    described = next(v for v in views() if v.name == f"analytics.{view}")
    made = [d[0] for d in warehouse.execute(f"SELECT * FROM analytics.{view} LIMIT 0").description]
    assert made == [name for name, _kind, _doc in described.columns]


PG_TYPES = {
    Kind.TEXT: "TEXT",
    Kind.INT: "BIGINT",
    Kind.MONEY: "NUMERIC(19, 4)",
    Kind.RATE: "NUMERIC(18, 8)",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.DATE: "DATE",
    Kind.BOOL: "BOOLEAN",
    Kind.JSON: "TEXT",
}


def test_the_views_give_the_same_figures_on_postgresql(warehouse: duckdb.DuckDBPyConnection) -> None:
    dsn = os.environ.get("FINSYNC_TEST_POSTGRES_DSN")
    if not dsn:
        pytest.skip("NO POSTGRESQL: set FINSYNC_TEST_POSTGRES_DSN to run this test")
    import psycopg2

    name = f"finsync_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        with contextlib.closing(psycopg2.connect(dsn.rsplit("/", 1)[0] + f"/{name}")) as connection:
            cursor = connection.cursor()
            cursor.execute("CREATE SCHEMA younium; CREATE SCHEMA analytics")
            loaded = [
                (SUBSCRIPTIONS, list(ORDERS.values())),
                (SUBSCRIPTION_VERSIONS, VERSIONS),
                (ORDER_CHARGES, CHARGES),
                (TENANT, [{"key": "-", "baseCurrency": "SEK"}]),
                (BOOKINGS, BOOKING_ROWS),
                (BOOKING_LINES, LINE_ROWS),
            ]
            for table, records in loaded:
                cursor.execute(
                    f"CREATE TABLE younium.{table.name} ("
                    + ", ".join(f"{c.name} {PG_TYPES[c.kind]}" for c in table.columns)
                    + ")"
                )
                for row in table.from_rows(records, UTC).to_pylist():
                    marks = ", ".join(["%s"] * len(row))
                    cursor.execute(
                        f"INSERT INTO younium.{table.name} ({', '.join(row)}) VALUES ({marks})", list(row.values())
                    )
            for view in ("mrr", "mrr_movements", "bookings_by_month"):
                (part,) = [p for p in view_parts() if p.view == view]
                columns = {f"younium.{t.name}": {c.name for c in t.columns} for t, _ in loaded}
                sql = part.text(columns)
                if part.source == "younium":
                    sql = f"SELECT 'default' AS tenant, part.* FROM ({sql}) AS part"
                cursor.execute(f"CREATE VIEW analytics.{view} AS {sql}")
                cursor.execute(f"SELECT * FROM analytics.{view} ORDER BY 1, 2, 3, 4, 5, 6")
                on_postgres = [tuple(r) for r in cursor.fetchall()]
                on_duckdb = warehouse.execute(f"SELECT * FROM analytics.{view} ORDER BY 1, 2, 3, 4, 5, 6").fetchall()
                assert on_postgres == [tuple(r) for r in on_duckdb], view
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
