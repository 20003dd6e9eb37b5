"""What an API user may not read fails alone, end to end on DuckDB and PostgreSQL: an endpoint of the
ledger or of payments that answers 403 (no permission) or 404 (a tenant that does not serve it) leaves that
feature's tables as they were, loads everything else exactly, and ends the run with exit 1 naming the
endpoint and the setting that leaves the feature out; with the feature left out the run exits 0, and once
the user may read it the next run loads it exactly. The same for the base currency, which a setting can
give instead. A YM tenant that may not export reads batches page by page only when the user chooses it."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from finsync.errors import BatchExportError, PartlyLoaded
from finsync.warehouse.database import Warehouse, existing_tables, query
from finsync.warehouse.runner import Target, sync
from finsync_sandbox import SandboxConfig, SandboxServer
from finsync_sandbox.younium.seed import BASE_CURRENCY

from .columns import assert_tables_match
from .conftest import finsync_env, run_finsync, ym_settings, younium_settings
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox
from .upstream import younium_tables

pytestmark = pytest.mark.slow

LEDGER = {
    "journals",
    "accounting_transactions",
    "accounting_transaction_lines",
    "accounting_periods",
    "chart_of_accounts",
    "currencies",
    "exchange_rates",
}
PAYMENTS = {"payments", "payment_settlements"}
TARGET = Target("younium")


def deny(server: SandboxServer, route: str, status: int) -> None:
    """The endpoint answers `status` to every request until the faults are cleared."""
    server.sandbox.faults.add(kind="status", route=route, status=status, times=1_000_000)


def younium_tables_held(warehouse: Warehouse) -> set[str]:
    with warehouse.connect(read_only=True) as connection:
        return {name.split(".", 1)[1] for name in existing_tables(connection) if name.startswith("younium.")}


def assert_loaded_exactly_but(warehouse: Warehouse, server: SandboxServer, left_out: set[str]) -> None:
    """Every Younium table but those `left_out` holds, column by column, what the sandbox serves."""
    wanted = [w for w in younium_tables(server.sandbox.younium) if w.table.split(".")[1] not in left_out]
    assert {w.table for w in wanted} >= {"younium.invoices", "younium.invoice_lines", "younium.accounts"}
    assert_tables_match(warehouse, TARGET, wanted, timezone.utc)


@pytest.mark.parametrize(
    ("route", "status", "path", "feature", "tables"),
    [
        ("younium.journals", 403, "/Journals", "ledger", LEDGER),
        ("younium.exchange_rates", 404, "/ExchangeRate", "ledger", LEDGER),
        ("younium.payments", 403, "/Payments", "payments", PAYMENTS),
    ],
    ids=["journals-403", "exchange-rates-404", "payments-403"],
)
def test_a_feature_the_api_user_may_not_read_fails_alone_and_the_rest_loads_exactly(
    younium_sandbox: SandboxServer,
    any_warehouse: Warehouse,
    route: str,
    status: int,
    path: str,
    feature: str,
    tables: set[str],
) -> None:
    server = younium_sandbox
    deny(server, route, status)
    with pytest.raises(PartlyLoaded) as raised:
        sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    message = str(raised.value)
    assert raised.value.exit_code == 1
    assert f"GET {path}" in message and f"HTTP {status}" in message, message
    assert f"sources.younium.{feature} = false (SOURCES__YOUNIUM__{feature.upper()}=false)" in message, message
    assert not tables & younium_tables_held(any_warehouse), "a denied feature's tables were written"
    assert_loaded_exactly_but(any_warehouse, server, tables)

    # Left out by its setting, the run is whole: exit 0, and nothing is asked of the denied endpoint.
    asked = server.sandbox.requests[route]
    sync("younium", any_warehouse, settings=younium_settings(server, **{feature: False}), sandbox=True)
    assert server.sandbox.requests[route] == asked
    assert not tables & younium_tables_held(any_warehouse)
    # The invoice views stand without the ledger or payments: every live line, the money exact.
    lines = rows_of(any_warehouse, "SELECT count(*), sum(subtotal) FROM younium.invoice_lines WHERE deleted_at IS NULL")
    in_view = "SELECT count(*), sum(line_total) FROM analytics.invoice_lines WHERE source_system = 'younium'"
    assert rows_of(any_warehouse, in_view) == lines
    held = analytics_views(any_warehouse)
    assert {"invoices", "invoice_lines", "revenue_by_month", "accounts"} <= held
    assert ("trial_balance" in held) == (feature != "ledger") and ("payments" in held) == (feature != "payments")

    # Allowed again, the next run loads it exactly, beside what it had.
    server.sandbox.faults.clear()
    sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    assert_younium_matches_sandbox(any_warehouse, server)


def test_a_feature_denied_after_it_loaded_keeps_its_rows_as_they_were(
    younium_sandbox: SandboxServer, any_warehouse: Warehouse
) -> None:
    server = younium_sandbox
    sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    before = ledger_rows(any_warehouse)
    # Upstream the ledger moves on (a correction posted into a closed period), then the user loses access.
    closed = rows_of(any_warehouse, "SELECT key FROM younium.accounting_periods WHERE status = 'Closed' ORDER BY 1")
    server.sandbox.younium.post_into_closed_period(closed[0][0])
    deny(server, "younium.chart_of_accounts", 403)
    with pytest.raises(PartlyLoaded, match="GET /ChartOfAccounts"):
        sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    assert ledger_rows(any_warehouse) == before, "the ledger changed while it was denied"
    server.sandbox.faults.clear()
    sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    assert ledger_rows(any_warehouse) != before
    # (Journals keep their period as they were last read: the correction modified none of the others.)
    assert_loaded_exactly_but(any_warehouse, server, {"journals"})
    journals = sorted(j.id for j in server.sandbox.younium.dataset.gl.journals())
    assert [r[0] for r in rows_of(any_warehouse, "SELECT id FROM younium.journals ORDER BY 1")] == journals


def rows_of(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.connect(read_only=True) as connection:
        return [tuple(row) for row in query(connection, sql)]


def analytics_views(warehouse: Warehouse) -> set[str]:
    with warehouse.connect(read_only=True) as connection:
        return {name.split(".", 1)[1] for name in existing_tables(connection) if name.startswith("analytics.")}


def ledger_rows(warehouse: Warehouse) -> dict[str, list[str]]:
    """Every row of every ledger table, as text, in order: what a run must leave alone."""
    return {t: sorted(map(repr, rows_of(warehouse, f"SELECT * FROM younium.{t}"))) for t in sorted(LEDGER)}


@pytest.mark.parametrize("status", [404, 403])
def test_a_tenant_without_the_base_currency_endpoint_loads_the_rest_and_takes_it_from_a_setting(
    younium_sandbox: SandboxServer, any_warehouse: Warehouse, status: int
) -> None:
    server = younium_sandbox
    deny(server, "younium.base_currency", status)
    with pytest.raises(PartlyLoaded) as raised:
        sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    message = str(raised.value)
    assert f"GET /Currency/BaseCurrency (HTTP {status}" in message or f"HTTP {status}:" in message, message
    assert 'sources.younium.base_currency = "EUR" (SOURCES__YOUNIUM__BASE_CURRENCY=EUR)' in message, message
    assert "tenant" not in younium_tables_held(any_warehouse)
    # Which currency is the base one is not known: currencies say neither.
    assert_loaded_exactly_but(any_warehouse, server, {"tenant", "currencies"})

    sync("younium", any_warehouse, settings=younium_settings(server, base_currency=BASE_CURRENCY), sandbox=True)
    assert server.sandbox.requests["younium.base_currency"] > 0  # asked once, on the first run only
    asked = server.sandbox.requests["younium.base_currency"]
    sync("younium", any_warehouse, settings=younium_settings(server, base_currency=BASE_CURRENCY), sandbox=True)
    assert server.sandbox.requests["younium.base_currency"] == asked
    assert_younium_matches_sandbox(any_warehouse, server)


def test_the_command_line_exits_1_with_one_paragraph_then_0_with_the_feature_left_out(
    younium_sandbox: SandboxServer, tmp_path: Path
) -> None:
    deny(younium_sandbox, "younium.journals", 403)
    env = finsync_env(tmp_path, younium_sandbox.younium_settings)
    result = run_finsync(["run", "--source", "younium"], env, tmp_path)
    assert result.returncode == 1, result.stderr
    paragraph = " ".join(result.stderr.split())
    assert "Younium refused GET /Journals (HTTP 403)" in paragraph and "SOURCES__YOUNIUM__LEDGER=false" in paragraph
    assert "Traceback" not in result.stderr

    result = run_finsync(["run", "--source", "younium"], {**env, "SOURCES__YOUNIUM__LEDGER": "false"}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_ym_tenant_that_may_not_export_reads_by_pages_only_when_the_user_chooses_it(
    any_warehouse: Warehouse,
) -> None:
    config = SandboxConfig(ym_items=600, batch_size=100, export_latency_seconds=0.05, younium_invoices=0)
    with SandboxServer(config=config) as server:
        deny(server, "ym.export_start", 403)
        with pytest.raises(BatchExportError) as raised:
            sync("ym", any_warehouse, settings=ym_settings(server), sandbox=True)
        assert "refused with HTTP 403" in str(raised.value)
        assert "SOURCES__YM__BATCH_ITEMS_MODE=details" in str(raised.value)
        assert not server.sandbox.requests["ym.batch_details"], "it read by pages without being asked to"

        sync("ym", any_warehouse, settings=ym_settings(server, batch_items_mode="details"), sandbox=True)
        assert server.sandbox.requests["ym.batch_details"]
        assert_ym_matches_sandbox(any_warehouse, server)
