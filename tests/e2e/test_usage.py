"""Younium usage end to end, on DuckDB and PostgreSQL: a first load holds every usage record the sandbox has,
column by column as its own model states them (not as its routes served them); a record re-rated upstream is
updated by the next run and keeps its earlier version in the history; a record hard-deleted upstream is marked
`deleted_at` by the sweep, never removed; the incremental warehouse equals a fresh load of the same state. An API
user refused /Usage fails the usage feature alone: the rest loads exactly, and the run exits 1 with the
paragraph naming the endpoint and the setting that leaves usage out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finsync.errors import PartlyLoaded
from finsync.warehouse.database import Warehouse
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxConfig, SandboxServer
from finsync_sandbox.younium.expected import expected_usage

from .conftest import query, younium_records, younium_settings
from .test_permissions import assert_loaded_exactly_but, deny, younium_tables_held

pytestmark = pytest.mark.slow

# Every column the sandbox predicts, in its order: all of the table's but those finsync sets itself.
COLUMNS = (
    "id", "description", "from_date", "to_date", "quantity", "unit", "source", "account_id", "account_number",
    "account_name", "order_id", "order_number", "product_id", "product_number", "charge_id", "charge_number",
    "import_date", "processed", "rated_price", "rated_price_currency_code", "created", "modified",
)  # fmt: skip


@pytest.fixture
def tenant() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        ym_items=0,
        younium_invoices=60,
        younium_accounts=20,
        younium_subscriptions=12,
        younium_usage=45,
        younium_job_seconds=0.05,
    )
    with SandboxServer(config=config) as server:
        yield server


@pytest.fixture
def no_orders() -> Iterator[SandboxServer]:
    """Usage without a subscription story: on accounts alone (whose records then carry no metrics, as the
    sandbox's served-records helper expects)."""
    config = SandboxConfig(ym_items=0, younium_invoices=60, younium_accounts=20, younium_usage=30)
    with SandboxServer(config=config) as server:
        yield server


def loaded(server: SandboxServer, warehouse: Warehouse, **more: Any) -> None:
    sync("younium", warehouse, settings=younium_settings(server, **more), sandbox=True)


def held(warehouse: Warehouse) -> list[tuple[Any, ...]]:
    return query(warehouse, f"SELECT {', '.join(COLUMNS)} FROM younium.usage WHERE deleted_at IS NULL ORDER BY id")


def assert_usage_is_the_sandboxs(warehouse: Warehouse, server: SandboxServer) -> None:
    expected = [tuple(row[c] for c in COLUMNS) for row in expected_usage(server.sandbox.younium.dataset)]
    found = held(warehouse)
    assert [r[0] for r in found] == [r[0] for r in expected], "usage ids"
    for row, wanted in zip(found, expected, strict=True):
        assert dict(zip(COLUMNS, row, strict=True)) == dict(zip(COLUMNS, wanted, strict=True)), row[0]


def test_usage_loads_exactly_a_rerating_updates_it_and_a_hard_delete_is_marked_by_the_sweep(
    tenant: SandboxServer, any_warehouse: Warehouse, tmp_path: Path
) -> None:
    younium = tenant.sandbox.younium
    loaded(tenant, any_warehouse)
    assert_usage_is_the_sandboxs(any_warehouse, tenant)
    summary = younium.expected()["usage"]
    assert 0 < summary["processed"] < summary["rows"], "the sandbox has rated and unrated usage"
    assert query(any_warehouse, "SELECT count(*) FROM younium.usage WHERE extra_fields IS NOT NULL") == [(0,)]

    # Upstream a processed record is rated again (its price and `modified` move), another one is deleted.
    served = younium_records(tenant, "/Usage")
    rerated = next(r for r in served if r["processed"])
    gone = next(r["id"] for r in served if r["id"] != rerated["id"])
    younium.rerate_usage(rerated["id"])
    younium.delete_usage(gone)

    # An incremental run reads the change within its window; the deletion only a sweep can see.
    loaded(tenant, any_warehouse)
    price = query(any_warehouse, f"SELECT rated_price FROM younium.usage WHERE id = '{rerated['id']}'")
    assert price != [(rerated["ratedPrice"],)] and price[0][0] > rerated["ratedPrice"]
    assert query(any_warehouse, f"SELECT deleted_at FROM younium.usage WHERE id = '{gone}'") == [(None,)]
    versions = f"SELECT count(*) FROM younium.usage__versions WHERE id = '{rerated['id']}'"
    assert query(any_warehouse, versions) == [(2,)], "the re-rated record keeps its earlier version"

    loaded(tenant, any_warehouse, sweep=True)
    assert query(any_warehouse, f"SELECT deleted_at IS NOT NULL FROM younium.usage WHERE id = '{gone}'") == [(True,)]
    assert query(any_warehouse, "SELECT count(*) FROM younium.usage WHERE deleted_at IS NOT NULL") == [(1,)]
    assert_usage_is_the_sandboxs(any_warehouse, tenant)

    # The incremental warehouse equals a fresh load of the same upstream, every column but the load's own.
    fresh = Warehouse("duckdb", tmp_path / "fresh.duckdb")
    loaded(tenant, fresh)
    assert held(any_warehouse) == held(fresh)


def test_a_403_on_usage_fails_only_usage_and_names_the_setting_that_leaves_it_out(
    no_orders: SandboxServer, any_warehouse: Warehouse
) -> None:
    tenant = no_orders
    deny(tenant, "younium.usage", 403)
    with pytest.raises(PartlyLoaded) as raised:
        loaded(tenant, any_warehouse)
    message = " ".join(str(raised.value).split())
    assert raised.value.exit_code == 1
    assert "Younium refused GET /Usage (HTTP 403): the API user likely lacks read access to usage" in message
    assert "its tables (usage) are as the last run left them" in message, message
    assert "sources.younium.usage = false (SOURCES__YOUNIUM__USAGE=false)" in message, message
    assert "usage" not in younium_tables_held(any_warehouse)
    assert {"invoices", "accounts", "journals", "payments"} <= younium_tables_held(any_warehouse)
    assert_loaded_exactly_but(any_warehouse, tenant, {"usage"})

    # Left out by its setting, the run is whole and asks nothing of /Usage.
    asked = tenant.sandbox.requests["younium.usage"]
    loaded(tenant, any_warehouse, usage=False)
    assert tenant.sandbox.requests["younium.usage"] == asked
    assert "usage" not in younium_tables_held(any_warehouse)

    # Allowed again, the next run loads it exactly.
    tenant.sandbox.faults.clear()
    loaded(tenant, any_warehouse)
    assert_usage_is_the_sandboxs(any_warehouse, tenant)
