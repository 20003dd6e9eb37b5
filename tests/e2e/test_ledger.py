"""The Younium ledger end to end, on DuckDB and PostgreSQL: journals, vouchers and GL lines exactly as the
sandbox posted them, incrementally, and a trial balance equal to the one the sandbox's own model gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxServer

from .conftest import pages_read, younium_settings

pytestmark = pytest.mark.slow


def rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.connect() as connection:
        return [tuple(r) for r in query(connection, sql)]


def assert_ledger_matches_sandbox(warehouse: Warehouse, server: SandboxServer) -> None:
    expected = server.sandbox.younium.expected()
    # Key by key: every journal, and every voucher by (journal id, transactionNumber).
    journals = server.sandbox.younium.dataset.gl.journals()
    assert [r[0] for r in rows(warehouse, "SELECT id FROM younium.journals ORDER BY id")] == sorted(
        j.id for j in journals
    )
    vouchers = sorted(f"{j.id}:{j.transaction_number(p)}" for j in journals for p in range(len(j.vouchers)))
    assert sorted(r[0] for r in rows(warehouse, "SELECT key FROM younium.accounting_transactions")) == vouchers
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
            warehouse,
            "SELECT fiscal_year, fiscal_period, account_code, debit_base, credit_base FROM analytics.trial_balance "
            "WHERE line_count > 0",
        )
    }
    assert view == trial
    unbalanced = "opening_balance_base + debit_base - credit_base <> closing_balance_base"
    assert rows(warehouse, f"SELECT COUNT(*) FROM analytics.trial_balance WHERE {unbalanced}") == [(0,)]
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

    invoices = tenant.dataset.invoices
    draft = next(invoices.id(n) for n in invoices.numbers() if invoices.is_open_draft(n))
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
    assert pages_read(younium_sandbox, "younium.journals") == 1, dict(requests)
    assert requests["younium.journal"] == overlap + 1, dict(requests)
    booked = rows(any_warehouse, f"SELECT COUNT(*) FROM analytics.gl_lines WHERE invoice_id = '{draft}'")
    assert booked[0][0] > 0


def test_check_passes_on_the_ledger_lists_a_change_in_a_closed_period_until_acknowledged_and_names_damage(
    younium_sandbox: SandboxServer, any_warehouse: Warehouse
) -> None:
    from finsync.warehouse.reconcile import acknowledge, reconcile

    tenant = younium_sandbox.sandbox.younium
    sync("younium", any_warehouse, settings=younium_settings(younium_sandbox))
    clean = reconcile(any_warehouse, ["younium"])
    assert clean.ok, clean.findings

    # A controller reopens a closed period upstream and posts into it: every check after the sync that loads
    # it lists it (the gate stays green: it is an ordinary edit), until someone acknowledges it.
    closed = rows(any_warehouse, "SELECT key FROM younium.accounting_periods WHERE status = 'Closed' ORDER BY key")
    posted = tenant.post_into_closed_period(closed[0][0])
    for _ in range(2):
        sync("younium", any_warehouse, settings=younium_settings(younium_sandbox))
        result = reconcile(any_warehouse, ["younium"])
        assert result.ok, result.findings
        assert [(n.kind, n.batch_id) for n in result.notices] == [("closed_period_changed", posted["journal"])]
        assert closed[0][0] in result.notices[0].detail and "Closed when it was loaded" in result.notices[0].detail
        assert posted["amount"] in result.notices[0].detail
    assert acknowledge(any_warehouse, ["younium"])
    assert not reconcile(any_warehouse, ["younium"]).notices

    # A GL line altered by hand: the journal no longer balances, and check names it.
    line, journal = rows(
        any_warehouse, "SELECT key, journal_id FROM younium.accounting_transaction_lines ORDER BY key LIMIT 1"
    )[0]
    with any_warehouse.connect() as connection:
        query(
            connection,
            "UPDATE younium.accounting_transaction_lines SET debit_amount = debit_amount + 1, "
            f"credit_amount = credit_amount WHERE key = '{line}'",
        )
    kinds = {(f.kind, f.batch_id) for f in reconcile(any_warehouse, ["younium"]).findings}
    assert ("journal does not balance", journal) in kinds
    invoice = rows(any_warehouse, "SELECT id FROM younium.invoices WHERE status = 'Posted' ORDER BY id LIMIT 1")[0][0]
    with any_warehouse.connect() as connection:
        query(
            connection, f"UPDATE younium.invoices SET total_base_amount = total_base_amount + 1 WHERE id = '{invoice}'"
        )
    kinds = {(f.kind, f.batch_id) for f in reconcile(any_warehouse, ["younium"]).findings}
    assert ("invoice_not_journaled", invoice) in kinds


def test_a_period_reopened_upstream_shows_open_after_the_next_run_though_no_journal_changed(
    younium_sandbox: SandboxServer, any_warehouse: Warehouse
) -> None:
    tenant = younium_sandbox.sandbox.younium
    sync("younium", any_warehouse, settings=younium_settings(younium_sandbox))
    period = rows(any_warehouse, "SELECT key FROM younium.accounting_periods WHERE status = 'Closed' ORDER BY key")[0][
        0
    ]
    tenant.reopen_period(period)
    sync("younium", any_warehouse, settings=younium_settings(younium_sandbox))
    assert rows(any_warehouse, f"SELECT status FROM younium.accounting_periods WHERE key = '{period}'") == [("Open",)]
    statuses = rows(
        any_warehouse,
        f"SELECT status FROM younium.accounting_periods__versions WHERE key = '{period}' ORDER BY valid_from",
    )
    assert statuses == [("Closed",), ("Open",)]
