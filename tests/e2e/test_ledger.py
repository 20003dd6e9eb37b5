"""The Younium ledger end to end, on DuckDB and PostgreSQL: journals, vouchers and GL lines exactly as the
sandbox posted them, incrementally, and a trial balance equal to the one the sandbox's own model gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxServer

from .conftest import younium_settings

pytestmark = pytest.mark.slow


@pytest.fixture(params=["duckdb", "postgres"])
def any_warehouse(request: pytest.FixtureRequest, warehouse: Warehouse) -> Warehouse:
    return request.getfixturevalue("postgres") if request.param == "postgres" else warehouse


def rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.connect() as connection:
        return [tuple(r) for r in query(connection, sql)]


def assert_ledger_matches_sandbox(warehouse: Warehouse, server: SandboxServer) -> None:
    expected = server.sandbox.younium.expected()
    for table in ("journals", "accounting_transactions", "accounting_periods"):
        assert rows(warehouse, f"SELECT COUNT(*) FROM younium.{table}") == [(expected[table]["rows"],)], table
    for table in ("chart_of_accounts", "currencies", "exchange_rates"):
        live = f"SELECT COUNT(*) FROM younium.{table} WHERE deleted_at IS NULL"
        assert rows(warehouse, live) == [(expected[table]["rows"],)], table
    lines = expected["accounting_transaction_lines"]
    assert rows(
        warehouse,
        "SELECT COUNT(*), SUM(debit_amount), SUM(credit_amount) FROM younium.accounting_transaction_lines",
    ) == [(lines["rows"], Decimal(lines["debit"]), Decimal(lines["credit"]))]
    trial = {
        (int(t["fiscalYear"]), int(t["fiscalPeriod"]), t["account"]): (Decimal(t["debit"]), Decimal(t["credit"]))
        for t in expected["trial_balance"]
    }
    view = {
        (int(year), int(period), account): (debit, credit)
        for year, period, account, debit, credit in rows(
            warehouse, "SELECT fiscal_year, fiscal_period, account_code, debit, credit FROM analytics.trial_balance"
        )
    }
    assert view == trial
    assert rows(warehouse, "SELECT COUNT(*) FROM analytics.trial_balance WHERE balance <> debit - credit") == [(0,)]
    assert rows(warehouse, "SELECT SUM(debit) - SUM(credit) FROM analytics.gl_lines") == [(Decimal(0),)]


def test_the_ledger_loads_exactly_then_reads_only_the_journals_that_changed(
    younium_sandbox: SandboxServer, any_warehouse: Warehouse
) -> None:
    tenant = younium_sandbox.sandbox.younium
    sync("younium", any_warehouse, settings=younium_settings(younium_sandbox))
    assert_ledger_matches_sandbox(any_warehouse, younium_sandbox)
    named = rows(any_warehouse, "SELECT COUNT(*), COUNT(account_name) FROM analytics.gl_lines")
    assert named[0][0] > 0 and named[0][0] == named[0][1], "every GL line's account is in the chart of accounts"
    periods = dict(rows(any_warehouse, "SELECT status, COUNT(*) FROM younium.accounting_periods GROUP BY 1"))
    by_status = tenant.expected()["accounting_periods"]["by_status"]
    assert periods.get("Closed") and periods == {status: n for status, n in by_status.items() if n}

    dataset = tenant.dataset
    draft = next(dataset.invoice_id(n) for n in range(1, dataset.invoices_count + 1) if dataset.is_open_draft(n))
    # The overlap (180 minutes before the newest modified) lists these again: each is read by id once.
    overlap = rows(
        any_warehouse,
        "SELECT COUNT(*) FROM younium.journals WHERE modified > "
        "(SELECT MAX(modified) FROM younium.journals) - INTERVAL '180 minutes'",
    )[0][0]
    tenant.set_status(draft, "Posted")  # posts it on its own: one new Invoice journal
    younium_sandbox.sandbox.requests.clear()
    sync("younium", any_warehouse, settings=younium_settings(younium_sandbox))

    assert_ledger_matches_sandbox(any_warehouse, younium_sandbox)
    requests = younium_sandbox.sandbox.requests
    assert requests["younium.journals"] == 1 and requests["younium.journal"] == overlap + 1, dict(requests)
    booked = rows(any_warehouse, f"SELECT COUNT(*) FROM analytics.gl_lines WHERE invoice_id = '{draft}'")
    assert booked[0][0] > 0
