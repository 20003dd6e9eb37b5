"""Numbers a controller signs: through a sequence of ordinary upstream edits, on DuckDB and PostgreSQL, after
every run the gate is green, every figure ties to the ledger period by period (the trial balance, revenue,
the balance sheet, each equal to the sandbox's own ledger), revenue by invoice date is reconciled to revenue
by ledger period to the cent, and the incremental warehouse checks exactly as a fresh load of the same
upstream state does."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.reconcile import reconcile
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import DSN_VARIABLE, fresh_postgres, ym_settings, younium_settings

pytestmark = pytest.mark.slow

LABELS = ["ym", "younium"]
ZERO = Decimal(0)


def rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.connect() as connection:
        return [tuple(r) for r in query(connection, sql)]


def load(warehouse: Warehouse, server: SandboxServer, sweep: bool = False) -> None:
    sync("ym", warehouse, settings={**ym_settings(server), "sweep": sweep})
    sync("younium", warehouse, settings={**younium_settings(server), "sweep": sweep})


@contextlib.contextmanager
def another_warehouse(like: Warehouse, tmp_path: Path) -> Iterator[Warehouse]:
    """An empty warehouse of the same engine."""
    if like.kind == "duckdb":
        yield Warehouse("duckdb", tmp_path / f"fresh-{uuid.uuid4().hex[:8]}.duckdb")
        return
    with fresh_postgres(os.environ[DSN_VARIABLE]) as warehouse:
        yield warehouse


def gate(warehouse: Warehouse) -> set[tuple[str, str, str]]:
    """What the check finds. (Its notices, changes to closed periods and batches, depend on when each change was
    loaded, which a fresh load cannot know.)"""
    return {(f.kind, f.source, f.batch_id) for f in reconcile(warehouse, LABELS).findings}


def periods(warehouse: Warehouse) -> list[tuple[int, int, date, date]]:
    return rows(warehouse, "SELECT fiscal_year, fiscal_period, start_date, end_date FROM younium.accounting_periods")


def revenue_by_invoice_date(warehouse: Warehouse) -> dict[tuple[int, int], Decimal]:
    """Computed here from the raw tables: the posted and settled invoices' (and credit notes') line subtotals in
    base currency, in the accounting period of the invoice date (its calendar month where no journal names it)."""
    spans = periods(warehouse)
    found: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for invoice_date, invoice_type, total, base in rows(
        warehouse,
        "SELECT i.invoice_date, i.invoice_type, i.total_amount, l.subtotal_base_amount "
        "FROM younium.invoices AS i JOIN younium.invoice_lines AS l ON l.invoice_id = i.id "
        "WHERE i.deleted_at IS NULL AND l.deleted_at IS NULL AND i.status IN ('Posted', 'Settled') "
        "AND COALESCE(i.invoice_type, '') <> 'OnAccount'",
    ):
        sign = -1 if invoice_type == "Credit" and total > 0 else 1
        period = next(((y, p) for y, p, start, end in spans if start <= invoice_date <= end), None)
        found[period or (invoice_date.year, invoice_date.month)] += base * sign
    return found


def assert_ties_to_the_ledger(warehouse: Warehouse, server: SandboxServer) -> None:
    expected = server.sandbox.younium.expected()["periods"]
    # The trial balance: every period, every account booked to, opening + movement = closing, as the sandbox.
    trial = {
        (year, period, account): (opening, debit, credit, closing)
        for year, period, account, opening, debit, credit, closing in rows(
            warehouse,
            "SELECT fiscal_year, fiscal_period, account_code, opening_balance_base, debit_base, credit_base, "
            "closing_balance_base FROM analytics.trial_balance",
        )
    }
    wanted = {
        (p["fiscalYear"], p["fiscalPeriod"], account): tuple(
            Decimal(a[k]) for k in ("opening", "debit", "credit", "closing")
        )
        for p in expected
        for account, a in p["accounts"].items()
    }
    assert trial == wanted
    assert all(o + d - c == z for o, d, c, z in trial.values())
    # Revenue by ledger period: the revenue accounts, period by period, as the sandbox booked them.
    by_period = dict(
        rows(
            warehouse,
            "SELECT fiscal_year * 100 + fiscal_period, SUM(revenue_base) FROM analytics.revenue_by_period GROUP BY 1",
        )
    )
    assert by_period == {p["fiscalYear"] * 100 + p["fiscalPeriod"]: Decimal(p["revenue"]) for p in expected}
    # The balance sheet balances at the end of every period, at the sandbox's figures.
    sides = {
        (year * 100 + period, side): total
        for year, period, side, total in rows(
            warehouse,
            "SELECT fiscal_year, fiscal_period, side, SUM(balance_base) FROM analytics.balance_sheet GROUP BY 1, 2, 3",
        )
    }
    for p in expected:
        number = p["fiscalYear"] * 100 + p["fiscalPeriod"]
        assert sides[(number, "assets")] == sides[(number, "equity_and_liabilities")] == Decimal(p["assets"])
    # Revenue by invoice date against by ledger period: the reasons explain every difference to the cent.
    dated = revenue_by_invoice_date(warehouse)
    for year, period, by_date, by_ledger, difference, *reasons in rows(
        warehouse,
        "SELECT fiscal_year, fiscal_period, revenue_by_invoice_date_base, revenue_by_ledger_period_base, "
        "difference_base, recognised_over_time_base, posted_late_base, posted_early_base, cancelled_base, "
        "manual_journals_base, unposted_base, unexpected_base FROM analytics.revenue_reconciliation",
    ):
        assert by_date == dated.get((year, period), ZERO), (year, period)
        assert by_ledger == Decimal(
            next((p["revenue"] for p in expected if (p["fiscalYear"], p["fiscalPeriod"]) == (year, period)), "0")
        )
        assert difference == by_ledger - by_date == sum(reasons, ZERO)
        assert reasons[-1] == ZERO, "nothing unexpected"
    assert_receivables_tie(warehouse)


def readme_query(heading: str) -> str:
    """The README's SQL example that follows the comment line `heading`."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    after = readme.split(f"-- {heading}", 1)[1].split("\n", 1)[1]  # past the rest of the heading's line
    return "\n".join(line for line in after.split(";", 1)[0].splitlines() if not line.startswith("--"))


def assert_receivables_tie(warehouse: Warehouse) -> None:
    """The README's receivables at each period end equal the receivables accounts' closing balance, per tenant,
    period and base currency."""
    example = rows(warehouse, readme_query("Younium receivables at the end of each accounting period"))
    ledger = rows(
        warehouse,
        "SELECT t.tenant, t.period, t.base_currency, SUM(t.closing_balance_base) FROM analytics.trial_balance AS t "
        "JOIN analytics.accounts AS a ON a.tenant = t.tenant AND a.account_code = t.account_code "
        "WHERE a.role = 'receivables' GROUP BY 1, 2, 3",
    )
    assert example, "the example lists receivables"
    assert {(t, p, c): v for t, p, _, c, v in example} == {(t, p, c): v for t, p, c, v in ledger if v}


def first(candidates: list[Any], what: str) -> Any:
    assert candidates, f"the sandbox has no {what}"
    return candidates[0]


def edits(server: SandboxServer) -> Iterator[str]:
    """The ordinary edits a finance team makes between runs, one step at a time (each yields its name)."""
    tenant, ym = server.sandbox.younium, server.sandbox.dataset
    data = tenant.dataset

    def drafts() -> list[int]:
        return [n for n in data.invoices.numbers() if data.invoices.is_open_draft(n)]

    def posted() -> list[int]:
        return [n for n in data.invoices.numbers() if data.invoices.status_name(n) == "Posted"]

    edited = first([n for n in drafts() if len(data.lines.numbers(n)) > 1], "draft of several lines")
    tenant.remove_line(data.invoices.id(edited), data.lines.id(edited, data.lines.numbers(edited)[0]))
    tenant.advance(new_invoices=6, modified_invoices=3)
    tenant.delete_invoice(data.invoices.id(first([n for n in drafts() if n != edited], "second draft")))
    ym.advance(150)
    yield "drafts edited and deleted"
    tenant.set_status(data.invoices.id(drafts()[0]), "Posted")  # dated earlier, posted now
    tenant.set_status(data.invoices.id(posted()[0]), "Cancelled")  # posted long ago, cancelled now
    yield "invoices posted and cancelled late"
    closed = [p["period"] for p in tenant.expected()["periods"] if p["status"] == "Closed"]
    tenant.reopen_period(closed[-1])
    tenant.post_into_closed_period(closed[0])
    ym.revise_batch(first([b.batch_id for b in ym.batches() if not b.is_open], "closed YM batch"))
    yield "a period reopened, a journal posted into a closed period, a YM batch revised"
    unposted = [b for b in data.batches.all() if not b.posted and not tenant.posting(b)]
    tenant.delete_batch(first(unposted, "unposted invoice batch").id)
    yield "an unposted invoice batch deleted"


@pytest.fixture
def ledger_sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        ym_items=800, batch_size=100, export_latency_seconds=0.05, younium_invoices=300, younium_accounts=25
    )
    with SandboxServer(config=config) as server:
        yield server


def test_through_ordinary_edits_every_figure_ties_to_the_ledger_and_the_gate_matches_a_fresh_load(
    ledger_sandbox: SandboxServer, any_warehouse: Warehouse, tmp_path: Path
) -> None:
    load(any_warehouse, ledger_sandbox)
    assert gate(any_warehouse) == set()
    assert_ties_to_the_ledger(any_warehouse, ledger_sandbox)
    reasons: set[str] = set()
    for step in edits(ledger_sandbox):
        for sweep in (False, True):  # the edit as the next run sees it, then as the daily sweep does
            load(any_warehouse, ledger_sandbox, sweep=sweep)
            assert gate(any_warehouse) == set(), f"after {step} (sweep: {sweep})"
            assert_ties_to_the_ledger(any_warehouse, ledger_sandbox)
            reasons |= {r for (r,) in rows(any_warehouse, "SELECT reason FROM analytics.revenue_reconciliation_lines")}
        with another_warehouse(any_warehouse, tmp_path) as fresh:
            load(fresh, ledger_sandbox)
            assert gate(fresh) == gate(any_warehouse) == set(), f"a fresh load after {step}"
    # The differences the edits made were each explained by their reason (the manual journal moves revenue
    # between two revenue accounts: revenue per account shows it, revenue per period does not change).
    assert {"posted late", "cancelled"} <= reasons, reasons


# Damage done to a copy of a clean warehouse, and the tie-out that must name it.
DAMAGE = {
    "a payment voucher deleted": (
        "payments_tie_out",
        "DELETE FROM younium.accounting_transaction_lines WHERE transaction_key = "
        "(SELECT MIN(key) FROM younium.accounting_transactions WHERE source = 'Payment')",
    ),
    "a journal header deleted": (
        "gl_line_without_period",
        "DELETE FROM younium.journals WHERE id = "
        "(SELECT journal_id FROM younium.accounting_transaction_lines GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1)",
    ),
    "an invoice's open balance raised": (
        "receivables_tie_out",
        "UPDATE younium.invoices SET balanced_base_amount = balanced_base_amount + 100 "
        "WHERE id = (SELECT MIN(id) FROM younium.invoices WHERE status = 'Posted')",
    ),
    "a payment's amount raised": (
        "payments_tie_out",
        "UPDATE younium.payments SET base_amount = base_amount + 100 WHERE id = (SELECT MIN(id) FROM younium.payments)",
    ),
    "a posted invoice set back to draft": (
        "posted_invoice_went_back",
        "UPDATE younium.invoices SET status = 'Draft' WHERE id = "
        "(SELECT MIN(id) FROM younium.invoices WHERE status = 'Posted')",
    ),
    "a YM finance batch deleted": (
        "items without their batch",
        "DELETE FROM ym.finance_batches WHERE batch_id = (SELECT MIN(batch_id) FROM ym.finance_batch_items)",
    ),
    "a Younium invoice batch deleted": (
        "invoices without their batch",
        "DELETE FROM younium.invoice_batches WHERE id = "
        "(SELECT MIN(invoice_batch_id) FROM younium.invoices WHERE deleted_at IS NULL)",
    ),
    "a Younium invoice deleted, its lines kept": (
        "lines without their invoice",
        "DELETE FROM younium.invoices WHERE id = (SELECT MIN(invoice_id) FROM younium.invoice_lines)",
    ),
    "a YM item of an exported batch deleted": (
        "item missing from invoice_items",
        "DELETE FROM ym.invoice_items WHERE line_item_id = (SELECT MIN(line_item_id) FROM ym.finance_batch_items)",
    ),
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    config = SandboxConfig(ym_items=600, batch_size=100, export_latency_seconds=0.05, younium_invoices=200)
    warehouse = Warehouse("duckdb", tmp_path_factory.mktemp("clean") / "clean.duckdb")
    with SandboxServer(config=config) as server:
        load(warehouse, server)
    yield warehouse


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_check_names_the_tie_out_each_kind_of_damage_breaks(clean: Warehouse, tmp_path: Path, damage: str) -> None:
    assert gate(clean) == set()
    copy = Warehouse("duckdb", tmp_path / "damaged.duckdb")
    shutil.copyfile(clean.duckdb_path, copy.duckdb_path)
    kind, sql = DAMAGE[damage]
    with copy.connect() as connection:
        query(connection, sql)

    assert kind in {found for found, _, _ in gate(copy)}
