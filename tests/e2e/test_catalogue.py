"""The Younium catalogue's charge plans, catalogue charges and price details end to end, on DuckDB and
PostgreSQL: every row and column as the sandbox says a warehouse holds them, after a first load, after a
charge is repriced and loses its price in one currency (the product's prices replaced: the removed one
gone), and after a product is hard-deleted (its plans, charges and prices marked with it); the warehouse
loaded incrementally holds what a fresh load of the same upstream holds."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from finsync.warehouse.runner import Target, Warehouse, sync
from finsync_sandbox import SandboxServer

from .columns import assert_tables_match
from .conftest import query, younium_settings
from .expect import assert_younium_matches_sandbox
from .upstream import younium_tables

pytestmark = pytest.mark.slow

CATALOGUE = ("charge_plans", "catalogue_charges", "catalogue_price_details")


def catalogue(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """The catalogue tables' live rows, every column but those saying how finsync loaded them."""
    held = {}
    for table in CATALOGUE:
        names = query(
            warehouse,
            f"SELECT column_name FROM information_schema.columns WHERE table_schema = 'younium' AND table_name = "
            f"'{table}'",
        )
        columns = sorted(name for (name,) in names if not name.startswith("_dlt") and name != "deleted_at")
        assert len(columns) > 5, table
        select = f"SELECT {', '.join(columns)} FROM younium.{table} WHERE deleted_at IS NULL"
        held[table] = sorted(query(warehouse, select), key=repr)
    return held


def assert_catalogue_matches_sandbox(warehouse: Warehouse, server: SandboxServer) -> None:
    wanted = [w for w in younium_tables(server.sandbox.younium) if w.table.split(".")[1] in CATALOGUE]
    assert len(wanted) == len(CATALOGUE) and all(w.rows for w in wanted)
    assert_tables_match(warehouse, Target("younium"), wanted, timezone.utc)


def test_the_catalogue_is_loaded_edited_and_deleted_as_upstream_and_as_a_fresh_load_holds_it(
    younium_sandbox: SandboxServer, any_warehouse: Warehouse, tmp_path: Path
) -> None:
    server, tenant = younium_sandbox, younium_sandbox.sandbox.younium
    sync("younium", any_warehouse, settings=younium_settings(server))
    assert_catalogue_matches_sandbox(any_warehouse, server)
    expected = tenant.expected_catalogue()
    plans = {plan["id"]: plan["productId"] for plan in expected["charge_plans"]}
    by_product: dict[str, list[str]] = {}
    for plan in expected["charge_plans"]:
        by_product.setdefault(plan["productId"], []).append(plan["id"])
    tiered = next(c for c in expected["catalogue_charges"] if c["model"] in ("Volume", "Tiered"))
    flat = next(
        c for c in expected["catalogue_charges"] if c["model"] == "Flat" and len(by_product[c["productId"]]) > 1
    )
    doomed = next(p for p in by_product if p not in {plans[tiered["chargePlanId"]], plans[flat["chargePlanId"]]})

    tenant.remove_price(tiered["id"], "EUR")
    tenant.reprice_charge(flat["id"])
    sync("younium", any_warehouse, settings=younium_settings(server))

    assert_catalogue_matches_sandbox(any_warehouse, server)
    assert query(
        any_warehouse, f"SELECT count(*) FROM younium.catalogue_price_details WHERE charge_id = '{tiered['id']}'"
    ) == [(3,)], "the EUR tiers removed upstream are gone from the warehouse, not kept or marked"
    before = {r["currency"]: r["price"] for r in expected["catalogue_price_details"] if r["chargeId"] == flat["id"]}
    after = dict(
        query(
            any_warehouse,
            f"SELECT currency, price FROM younium.catalogue_price_details WHERE charge_id = '{flat['id']}'",
        )
    )
    assert after.keys() == before.keys() and all(after[c] > before[c] for c in before)

    tenant.delete_product(doomed)
    sync("younium", any_warehouse, settings={**younium_settings(server), "sweep": True})

    assert_younium_matches_sandbox(any_warehouse, server)
    for table in CATALOGUE:
        marked = query(
            any_warehouse, f"SELECT count(*), count(deleted_at) FROM younium.{table} WHERE product_id = '{doomed}'"
        )
        assert marked[0][0] > 0 and marked[0][0] == marked[0][1], table
    fresh = Warehouse("duckdb", tmp_path / "fresh.duckdb")
    sync("younium", fresh, settings=younium_settings(server))
    # The fresh load never saw the deleted product: it holds what the incremental one holds but the marked rows.
    held, fresh_held = catalogue(any_warehouse), catalogue(fresh)
    for table in CATALOGUE:
        assert held[table] == fresh_held[table], table
