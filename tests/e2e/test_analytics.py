"""The finance views, figure by figure: each is computed here, independently, from the raw tables with the
documented rules, and must equal the view exactly, on DuckDB and on PostgreSQL, in any session time zone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxConfig, SandboxServer
from finsync_sandbox.kernel.formats import day_of

from .conftest import DATE_COLUMNS, to_first_layout, ym_settings, younium_settings

pytestmark = pytest.mark.slow

ZERO = Decimal(0)
REVENUE_STATUSES = ("Posted", "Settled")


@pytest.fixture(scope="module")
def finance_sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        ym_items=1500,
        batch_size=200,
        export_latency_seconds=0.05,
        younium_invoices=800,
        younium_subscriptions=12,
        younium_usage=30,
    )
    with SandboxServer(config=config) as server:
        yield server


@pytest.fixture(params=["duckdb", "postgres"])
def loaded(request: pytest.FixtureRequest, finance_sandbox: SandboxServer, tmp_path: Any) -> Warehouse:
    warehouse = (
        request.getfixturevalue("postgres")
        if request.param == "postgres"
        else Warehouse("duckdb", tmp_path / "warehouse.duckdb")
    )
    sync("ym", warehouse, settings=ym_settings(finance_sandbox))
    sync("younium", warehouse, settings=younium_settings(finance_sandbox))
    return warehouse


def records(warehouse: Warehouse, sql: str, zone: str | None = None) -> list[dict[str, Any]]:
    with warehouse.connect() as connection:
        if zone:
            query(connection, f"SET TimeZone = '{zone}'" if warehouse.kind == "duckdb" else f"SET TIME ZONE '{zone}'")
        cursor = connection.cursor()
        cursor.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_of(warehouse: Warehouse, dataset: str) -> date:
    last = records(warehouse, f"SELECT MAX(inserted_at) AS at FROM {dataset}._dlt_loads WHERE status = 0")[0]["at"]
    return (last if last.tzinfo else last.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).date()


def net_days(terms: str | None) -> int:
    if terms and terms.startswith("Net ") and terms[4:].isdigit():
        return int(terms[4:])
    return 0


def expected_invoices(warehouse: Warehouse) -> dict[tuple[str, str], dict[str, Any]]:
    """analytics.invoices as the documented rules make it, from ym.invoice_items and younium.invoices."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    ym_currency = records(warehouse, "SELECT currency FROM ym.tenant")[0]["currency"]
    ym_day = as_of(warehouse, "ym")
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in records(warehouse, "SELECT * FROM ym.invoice_items"):
        items[item["invoice_no"]].append(item)
    for number, lines in items.items():
        total = sum((i["line_total"] for i in lines), ZERO)
        outstanding = max((i["outstanding_balance"] for i in lines if i["outstanding_balance"] is not None), default=0)
        invoice_date = min(i["line_item_date"] for i in lines)
        due = date.fromordinal(invoice_date.toordinal() + max(net_days(i["payment_terms"]) for i in lines))
        first = lines[0]
        name = first["organization"] or " ".join(
            p for p in (first["invoice_name_first"], first["invoice_name_last"]) if p
        )
        found[("ym", str(number))] = {
            "status": "settled" if outstanding == 0 else "posted",
            "invoice_type": "credit_note" if total < 0 else "invoice",
            "is_revenue": True,
            "customer_id": str(first["web_site_member_id"]),
            "customer_name": name or f"Member {first['web_site_member_id']}",
            "currency": ym_currency,
            "base_currency": ym_currency,
            "invoice_date": invoice_date,
            "due_date": due,
            "total_base": total,
            "outstanding_base": Decimal(outstanding),
            "days_past_due": None if outstanding == 0 else max((ym_day - due).days, 0),
            "line_count": len(lines),
        }
    base = records(warehouse, "SELECT base_currency FROM younium.tenant")[0]["base_currency"]
    younium_day = as_of(warehouse, "younium")
    lines_per_invoice = {
        r["invoice_id"]: r["n"]
        for r in records(warehouse, "SELECT invoice_id, COUNT(*) AS n FROM younium.invoice_lines GROUP BY invoice_id")
    }
    for inv in records(warehouse, "SELECT * FROM younium.invoices"):
        credit = inv["invoice_type"] == "Credit" or (inv["total_amount"] or 0) < 0
        kind = "credit_note" if credit else "on_account" if inv["invoice_type"] == "OnAccount" else "invoice"
        revenue = inv["status"] in REVENUE_STATUSES and inv["invoice_type"] != "OnAccount"
        open_ = inv["status"] in REVENUE_STATUSES
        sign = -1 if inv["invoice_type"] == "Credit" and inv["total_amount"] > 0 else 1
        balance = inv["balanced_base_amount"] * sign if open_ else ZERO
        found[("younium", inv["id"])] = {
            "status": inv["status"].lower(),
            "invoice_type": kind,
            "is_revenue": revenue,
            "customer_id": inv["account_id"],
            "customer_name": inv["account_name"],
            "currency": inv["currency"],
            "base_currency": base,
            "invoice_date": inv["invoice_date"],
            "due_date": inv["due_date"],
            "total_base": inv["total_base_amount"],
            "outstanding_base": balance,
            "days_past_due": max((younium_day - inv["due_date"]).days, 0)
            if open_ and (inv["balanced_amount"] or 0) != 0
            else None,
            "line_count": lines_per_invoice.get(inv["id"], 0),
        }
    return found


def test_every_invoice_of_both_systems_has_its_status_type_amounts_and_age(loaded: Warehouse) -> None:
    expected = expected_invoices(loaded)
    rows = records(loaded, "SELECT * FROM analytics.invoices")
    got = {(r["source_system"], r["invoice_id"]): {k: r[k] for k in next(iter(expected.values()))} for r in rows}
    assert len(rows) == len(got) == len(expected)
    assert got == expected
    # The sandbox tells every story: each status and type, open balances, overdue ones, several currencies.
    younium = [v for (system, _), v in got.items() if system == "younium"]
    assert {v["status"] for v in younium} == {"draft", "posted", "settled", "cancelled"}
    assert {"invoice", "credit_note"} <= {v["invoice_type"] for v in younium}
    assert len({v["currency"] for v in younium}) >= 3 and {v["base_currency"] for v in younium} == {"SEK"}
    assert any(v["days_past_due"] for v in younium) and any(v["days_past_due"] for k, v in got.items() if k[0] == "ym")
    assert any(v["customer_name"].startswith(("Member ",)) or " " in v["customer_name"] for v in got.values())


def expected_revenue(warehouse: Warehouse) -> dict[tuple[date, str, str, str], tuple[Decimal, int]]:
    """Revenue per (month, system, account, base currency) from the raw lines and the invoices' rules."""
    invoices = expected_invoices(warehouse)
    revenue: dict[tuple[date, str, str, str], list[Any]] = defaultdict(lambda: [ZERO, 0])

    def add(system: str, invoice: str, account: str, amount: Decimal, sign: int, day: date | None = None) -> None:
        inv = invoices[(system, invoice)]
        if inv["is_revenue"]:
            entry = revenue[((day or inv["invoice_date"]).replace(day=1), system, account, inv["base_currency"])]
            entry[0] += amount * sign
            entry[1] += 1

    # A YM item counts on its own date (a YM invoice's items may be dated apart), a Younium line on its invoice's.
    for item in records(
        warehouse, "SELECT invoice_no, gl_code_item_name, line_total, line_item_date FROM ym.invoice_items"
    ):
        # YM names the account by code and name ("4100 Events"); revenue is per account code.
        code = item["gl_code_item_name"].split(" ", 1)[0]
        add("ym", str(item["invoice_no"]), code, item["line_total"], 1, item["line_item_date"])
    signs = {
        r["id"]: -1 if r["invoice_type"] == "Credit" and r["total_amount"] > 0 else 1
        for r in records(warehouse, "SELECT id, invoice_type, total_amount FROM younium.invoices")
    }
    for line in records(
        warehouse, "SELECT invoice_id, recognized_revenue_code, subtotal_base_amount FROM younium.invoice_lines"
    ):
        inv = line["invoice_id"]
        add("younium", inv, line["recognized_revenue_code"], line["subtotal_base_amount"], signs[inv])
    return {key: (amount, count) for key, (amount, count) in revenue.items()}


REVENUE_SQL = (
    "SELECT month, source_system, gl_account, base_currency, revenue_base, line_count FROM analytics.revenue_by_month"
)


def revenue_view(warehouse: Warehouse, zone: str | None = None) -> dict[tuple[Any, ...], tuple[Decimal, int]]:
    return {
        (r["month"], r["source_system"], r["gl_account"], r["base_currency"]): (r["revenue_base"], r["line_count"])
        for r in records(warehouse, REVENUE_SQL, zone)
    }


def test_revenue_by_month_counts_posted_and_settled_lines_in_base_currency_whatever_the_time_zone(
    loaded: Warehouse,
) -> None:
    expected = expected_revenue(loaded)
    assert revenue_view(loaded) == expected
    # A month is the invoice's calendar month, wherever the reader is.
    assert revenue_view(loaded, "America/New_York") == expected
    assert revenue_view(loaded, "Pacific/Kiritimati") == expected
    types = {
        r["column_name"]: r["data_type"].lower()
        for r in records(
            loaded,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'younium' AND table_name = 'invoices'",
        )
    }
    assert types["invoice_date"] == types["due_date"] == "date"


def test_a_credit_note_lowers_its_month_and_drafts_and_cancelled_invoices_add_nothing(loaded: Warehouse) -> None:
    invoices = {
        r["invoice_id"]: r for r in records(loaded, "SELECT * FROM analytics.invoices WHERE source_system = 'younium'")
    }
    lines = records(loaded, "SELECT * FROM analytics.invoice_lines WHERE source_system = 'younium'")
    revenue = revenue_view(loaded)

    def month_total(month: date) -> Decimal:
        return sum((v[0] for k, v in revenue.items() if k[0] == month and k[1] == "younium"), ZERO)

    def posted_lines(month: date, *, leave_out: str = "") -> Decimal:
        return sum(
            (
                line["line_total_base"]
                for line in lines
                if line["invoice_date"].replace(day=1) == month
                and invoices[line["invoice_id"]]["status"] in ("posted", "settled")
                and line["invoice_id"] != leave_out
            ),
            ZERO,
        )

    credit = next(i for i in invoices.values() if i["invoice_type"] == "credit_note" and i["is_revenue"])
    month = credit["invoice_date"].replace(day=1)
    assert credit["subtotal_base"] < 0
    assert (
        month_total(month)
        == posted_lines(month)
        == posted_lines(month, leave_out=credit["invoice_id"]) + credit["subtotal_base"]
    )
    for status in ("draft", "cancelled"):
        invoice = next(i for i in invoices.values() if i["status"] == status and i["line_count"])
        theirs = [line for line in lines if line["invoice_id"] == invoice["invoice_id"]]
        assert theirs and all(line["revenue_base"] == 0 and not line["is_revenue"] for line in theirs)
        month = invoice["invoice_date"].replace(day=1)
        assert month_total(month) == posted_lines(month, leave_out=invoice["invoice_id"])


def test_receivables_aging_buckets_each_customers_open_balance_by_days_past_due(loaded: Warehouse) -> None:
    expected: dict[tuple[str, str, str, str, str], list[Any]] = defaultdict(lambda: [ZERO, 0])
    for (system, _), inv in expected_invoices(loaded).items():
        days = inv["days_past_due"]
        if days is None:
            continue
        bucket = (
            "current"
            if days <= 0
            else "1-30"
            if days <= 30
            else "31-60"
            if days <= 60
            else "61-90"
            if days <= 90
            else "90+"
        )
        entry = expected[(system, inv["customer_id"], inv["customer_name"], inv["base_currency"], bucket)]
        entry[0] += inv["outstanding_base"]
        entry[1] += 1
    got = {
        (r["source_system"], r["customer_id"], r["customer_name"], r["base_currency"], r["bucket"]): [
            r["open_balance_base"],
            r["invoice_count"],
        ]
        for r in records(loaded, "SELECT * FROM analytics.receivables_aging")
    }
    assert got == dict(expected)
    assert {system for system, *_ in got} == {"ym", "younium"}


def test_lines_carry_their_invoices_status_base_amount_and_a_customer_name_that_is_never_blank(
    loaded: Warehouse,
) -> None:
    lines = records(loaded, "SELECT * FROM analytics.invoice_lines")
    raw = {r["line_item_id"]: r for r in records(loaded, "SELECT line_item_id, organization FROM ym.invoice_items")}
    assert len(lines) == len(raw) + records(loaded, "SELECT COUNT(*) AS n FROM younium.invoice_lines")[0]["n"]
    assert all(line["customer_name"] and line["customer_name"].strip() for line in lines)
    assert all(line["status"] and line["base_currency"] for line in lines)
    ym = [line for line in lines if line["source_system"] == "ym"]
    # A third of YM's organizations are empty: those lines are named after the member.
    unnamed = [line for line in ym if raw[int(line["line_id"])]["organization"] is None]
    assert unnamed and all(line["customer_name"] for line in unnamed)
    assert all(line["line_total_base"] == line["line_total"] == line["revenue_base"] for line in ym)
    # YM sends the GL account's code and name in one field ("4100 Events"): the view splits them.
    gl = {
        r["line_item_id"]: r["gl_code_item_name"]
        for r in records(loaded, "SELECT line_item_id, gl_code_item_name FROM ym.invoice_items")
    }
    assert all(
        line["gl_account"].isdigit() and f"{line['gl_account']} {line['gl_account_name']}" == gl[int(line["line_id"])]
        for line in ym
    )
    base = {
        r["id"]: r["subtotal_base_amount"]
        for r in records(loaded, "SELECT id, subtotal_base_amount FROM younium.invoice_lines")
    }
    assert all(line["line_total_base"] == base[line["line_id"]] for line in lines if line["source_system"] == "younium")


def test_empty_strings_are_null_in_every_table_and_route(loaded: Warehouse) -> None:
    """ym.invoice_items and ym.finance_batch_items hold the same items from two routes (JSON pages and the
    export CSV): an empty organization is the same NULL in both."""
    pairs = records(
        loaded,
        "SELECT i.organization AS a, b.organization AS b FROM ym.invoice_items i "
        "JOIN ym.finance_batch_items b ON b.line_item_id = i.line_item_id",
    )
    assert pairs and all(p["a"] == p["b"] for p in pairs) and any(p["a"] is None for p in pairs)
    with loaded.connect() as connection:
        text_columns = query(
            connection,
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema IN ('ym', 'younium') AND data_type IN ('VARCHAR', 'character varying', 'text')",
        )
        for schema, table, column in text_columns:
            assert query(connection, f"SELECT COUNT(*) FROM {schema}.{table} WHERE {column} = ''")[0][0] == 0, (
                f"{schema}.{table}.{column}"
            )


def test_as_of_date_is_the_utc_day_of_the_last_load(loaded: Warehouse) -> None:
    days = {r["source_system"]: r["as_of_date"] for r in records(loaded, "SELECT * FROM analytics.invoices")}
    assert days == {"ym": as_of(loaded, "ym"), "younium": as_of(loaded, "younium")}
    assert days["ym"] <= datetime.now(timezone.utc).date()


def test_every_column_of_every_table_and_view_carries_its_description_in_the_warehouse(loaded: Warehouse) -> None:
    from finsync.warehouse.dictionary import tables, views

    if loaded.kind == "duckdb":
        sql = (
            "SELECT schema_name || '.' || table_name AS t, column_name AS c, comment FROM duckdb_columns() "
            "WHERE schema_name IN ('ym', 'younium', 'analytics') ORDER BY schema_name, table_name, column_index"
        )
    else:
        sql = (
            "SELECT table_schema || '.' || table_name AS t, column_name AS c, "
            "col_description((quote_ident(table_schema) || '.' || quote_ident(table_name))::regclass, "
            "ordinal_position) AS comment FROM information_schema.columns "
            "WHERE table_schema IN ('ym', 'younium', 'analytics') ORDER BY 1, ordinal_position"
        )
    comments = {(r["t"], r["c"]): r["comment"] for r in records(loaded, sql)}
    described = {(d.name, name): doc for d in (*tables(), *views()) for name, _kind, doc in d.columns}
    present = {key: comment for key, comment in comments.items() if not key[0].split(".")[1].startswith("_dlt")}
    assert present and set(present) <= set(described), set(present) - set(described)
    assert all(present[key] == described[key] for key in present)
    # A view's description lists exactly its columns, in order.
    for view in views():
        columns = [c for (t, c) in comments if t == view.name]
        assert columns == [name for name, _kind, _doc in view.columns], view.name


def test_a_warehouse_of_the_earlier_layout_is_upgraded_in_place_by_the_next_run(
    loaded: Warehouse, finance_sandbox: SandboxServer
) -> None:
    def dates() -> dict[str, list[Any]]:
        return {
            f"{schema}.{table}.{column}": [
                r["v"] for r in records(loaded, f"SELECT {column} AS v FROM {schema}.{table} ORDER BY 1")
            ]
            for schema, tables in DATE_COLUMNS.items()
            for table, columns in tables.items()
            for column in columns
        }

    before = dates()
    lines_before = records(loaded, "SELECT COUNT(*) AS n, SUM(revenue_base) AS r FROM analytics.invoice_lines")
    to_first_layout(loaded)

    ym = sync("ym", loaded, settings=ym_settings(finance_sandbox))
    younium = sync("younium", loaded, settings=younium_settings(finance_sandbox))

    assert any("line_item_date" in note and "DATE" in note for note in ym.notes), ym.notes
    assert any("views leave them out" in note and "younium" in note for note in ym.notes), ym.notes
    assert any("invoice_date" in note for note in younium.notes), younium.notes
    assert dates() == before
    assert records(loaded, "SELECT COUNT(*) AS n FROM ym.invoice_items WHERE organization = ''")[0]["n"] == 0
    assert records(loaded, "SELECT COUNT(*) AS n, SUM(revenue_base) AS r FROM analytics.invoice_lines") == lines_before
    # The next run has nothing left to upgrade.
    assert not any("upgraded" in note for note in sync("ym", loaded, settings=ym_settings(finance_sandbox)).notes)


def test_payments_belong_to_their_customer_and_say_what_is_settled_per_month_and_in_total(
    loaded: Warehouse, finance_sandbox: SandboxServer
) -> None:
    """analytics.payments against the sandbox's own payments (not the warehouse's tables): per month of the
    payment date and in total, how many, paid and settled in base currency, and each payment's customer,
    currency and amount."""
    dataset = finance_sandbox.sandbox.younium.dataset
    expected: dict[str, dict[str, Any]] = {}
    for payment in dataset.payments.all():
        account = dataset.invoices.account(payment.invoice)
        expected[payment.id] = {
            "payment_date": date.fromordinal(day_of(payment.paid)),
            "customer_id": account.id,
            "currency": account.currency,
            "amount": Decimal(payment.amount) / 100,
            "amount_base": Decimal(payment.amount_base) / 100,
        }
    view = {r["payment_id"]: r for r in records(loaded, "SELECT * FROM analytics.payments")}
    assert expected and set(view) == set(expected)
    for payment_id, want in expected.items():
        row = view[payment_id]
        assert {k: row[k] for k in want} == want, payment_id
        # Every sandbox payment settles one invoice with all of it.
        assert (row["settled"], row["unsettled"], row["settled_invoices"]) == (want["amount"], ZERO, 1)
        assert (row["settled_base"], row["unsettled_base"]) == (want["amount_base"], ZERO)
        assert row["source_system"] == "younium" and row["tenant"] == "default" and row["customer_name"]

    def by_month(rows: list[dict[str, Any]]) -> dict[date, tuple[int, Decimal, Decimal]]:
        months: dict[date, tuple[int, Decimal, Decimal]] = {}
        for r in rows:
            month = r["payment_date"].replace(day=1)
            n, paid, settled = months.get(month, (0, ZERO, ZERO))
            # A sandbox payment settles all of itself: its month's settled grows by what it paid.
            months[month] = (n + 1, paid + r["amount_base"], settled + r["amount_base"])
        return months

    months = records(
        loaded,
        "SELECT DATE_TRUNC('month', payment_date) AS month, COUNT(*) AS n, SUM(amount_base) AS paid, "
        "SUM(settled_base) AS settled, SUM(unsettled_base) AS unsettled FROM analytics.payments GROUP BY 1",
    )
    got = {(m["month"].date() if isinstance(m["month"], datetime) else m["month"]): m for m in months}
    want_months = by_month(list(expected.values()))
    assert len(want_months) > 1
    assert {m: (r["n"], r["paid"], r["settled"]) for m, r in got.items()} == want_months
    assert all(r["unsettled"] == 0 for r in got.values())
    total = records(loaded, "SELECT COUNT(*) AS n, SUM(amount_base) AS paid FROM analytics.payments")[0]
    assert (total["n"], total["paid"]) == (len(expected), sum((w["amount_base"] for w in expected.values()), ZERO))


def test_every_status_in_the_views_is_lower_case_and_an_invoices_is_named_status_everywhere(
    loaded: Warehouse,
) -> None:
    columns = records(
        loaded,
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'analytics' "
        "AND column_name LIKE '%status'",
    )
    assert not [c for c in columns if c["column_name"] == "invoice_status"]
    for column in columns:
        values = records(loaded, f"SELECT DISTINCT {column['column_name']} AS v FROM analytics.{column['table_name']}")
        assert all(v["v"] is None or v["v"] == v["v"].lower() for v in values), column
    statuses = {
        view: {r["status"] for r in records(loaded, f"SELECT DISTINCT status FROM analytics.{view}")}
        for view in ("invoices", "invoice_lines", "invoices_history")
    }
    assert statuses["invoices"] == statuses["invoice_lines"] and statuses["invoices"] <= statuses["invoices_history"]
    assert "posted" in statuses["invoices"]
