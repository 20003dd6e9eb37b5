"""Younium's commercial side end to end, on DuckDB and PostgreSQL: subscriptions, their versions, charges, price
tiers, discounts and milestones, and bookings, loaded exactly through a scripted year of subscription events
told a few at a time; a change to a charge alone found through `lastUpdated`; a deleted subscription marked by
the sweep and gone from the metrics; `analytics.mrr` and `analytics.mrr_movements` equal to the sandbox's own
figures (computed from its story's events, not from what it serves) for every customer-month, and the
incremental warehouse equal to a fresh load of the same state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finsync.sources.younium import reads
from finsync.warehouse.database import Warehouse
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import query, younium_records, younium_settings
from .expect import assert_younium_matches_sandbox
from .story import assert_matches_story

pytestmark = pytest.mark.slow

# Rows compared with a fresh load: every column but the load's own.
LIVE = "(SELECT order_number FROM younium.subscriptions WHERE deleted_at IS NULL)"
TABLES = {
    "subscriptions": "deleted_at IS NULL",
    "subscription_versions": f"order_number IN {LIVE}",
    "order_products": f"order_version_id IN (SELECT id FROM younium.subscription_versions WHERE order_number IN "
    f"{LIVE})",
    "order_charges": f"order_number IN {LIVE}",
    "order_charge_price_details": f"order_number IN {LIVE}",
    "order_discounts": f"order_number IN {LIVE}",
    "order_discount_charges": f"order_number IN {LIVE}",
    "order_milestones": f"order_number IN {LIVE}",
    "bookings": "deleted_at IS NULL",
    "booking_lines": "TRUE",
}


@pytest.fixture
def tenant() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        ym_items=0, younium_invoices=60, younium_accounts=20, younium_subscriptions=30, younium_job_seconds=0.05
    )
    with SandboxServer(config=config) as server:
        yield server


def loaded(server: SandboxServer, warehouse: Warehouse, **more: Any) -> None:
    sync("younium", warehouse, settings=younium_settings(server, **more), sandbox=True)


def test_a_year_of_subscription_events_loads_exactly_and_the_mrr_is_the_storys(
    tenant: SandboxServer, any_warehouse: Warehouse, tmp_path: Path
) -> None:
    younium = tenant.sandbox.younium
    loaded(tenant, any_warehouse)
    assert_matches_story(any_warehouse, tenant)
    assert_younium_matches_sandbox(any_warehouse, tenant)

    # The rest of the story, a few events a run: upgrades, downgrades, second subscriptions, cancellations,
    # churn and returns, each a new version and a booking.
    while left := len(younium.dataset.story.pending):
        younium.advance(subscription_events=min(left, max(1, left // 3)))
        loaded(tenant, any_warehouse)
        assert_matches_story(any_warehouse, tenant)
        assert_younium_matches_sandbox(any_warehouse, tenant)

    # A change to a charge alone: the order's `modified` stays, its `lastUpdated` moves.
    active = next(o for o in younium_records(tenant, "/Subscriptions") if o["status"] == "Active")
    number = active["orderNumber"]
    younium.touch_charge(number)
    served = next(o for o in younium_records(tenant, "/Subscriptions") if o["orderNumber"] == number)
    assert served["modified"] == active["modified"] and served["lastUpdated"] != active["lastUpdated"]
    invoiced_to = {
        c["id"]: c.get("chargedThroughDate", "")[:10] for p in served["products"] for c in p["charges"]
    }  # fmt: skip
    loaded(tenant, any_warehouse)
    held = query(
        any_warehouse,
        "SELECT id, CAST(charged_through_date AS VARCHAR) FROM younium.order_charges "
        f"WHERE order_version_id = '{served['id']}'",
    )
    assert {i: (d or "") for i, d in held} == invoiced_to

    # A subscription deleted upstream: the sweep marks it, and it leaves the metrics.
    gone = next(o["orderNumber"] for o in younium_records(tenant, "/Subscriptions") if o["status"] == "Active")
    younium.delete_subscription(gone)
    loaded(tenant, any_warehouse, sweep=True)
    assert query(any_warehouse, f"SELECT deleted_at IS NOT NULL FROM younium.subscriptions "
                                f"WHERE order_number = '{gone}'") == [(True,)]  # fmt: skip
    assert_matches_story(any_warehouse, tenant)
    assert_younium_matches_sandbox(any_warehouse, tenant)
    closing = query(any_warehouse, "SELECT count(*) FROM analytics.mrr_movements WHERE opening_mrr_base + "
                                   "new_mrr_base + reactivation_mrr_base + expansion_mrr_base + contraction_mrr_base "
                                   "+ churn_mrr_base <> closing_mrr_base")  # fmt: skip
    assert closing == [(0,)]
    told = query(
        any_warehouse,
        "SELECT sum(CASE WHEN contraction_mrr_base < 0 AND closing_mrr_base > 0 THEN 1 END), "
        "sum(CASE WHEN reactivation_mrr_base > 0 THEN 1 END), sum(CASE WHEN churn_mrr_base < 0 THEN 1 END) "
        "FROM analytics.mrr_movements",
    )
    assert all(count and count > 0 for count in told[0]), f"the story has contraction, reactivation, churn: {told}"

    # The incremental warehouse equals a fresh load of the same upstream.
    fresh = Warehouse("duckdb", tmp_path / "fresh.duckdb")
    loaded(tenant, fresh)
    for table, where in TABLES.items():
        named = query(
            fresh,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'younium' AND "
            f"table_name = '{table}' AND column_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY column_name",
        )
        columns = [c for (c,) in named]
        sql = f"SELECT {', '.join(columns)} FROM younium.{table} WHERE {where}"
        assert sorted(query(any_warehouse, sql), key=repr) == sorted(query(fresh, sql), key=repr), table


def test_a_fan_out_read_in_several_batches_of_orders_is_judged_on_all_it_read(
    tenant: SandboxServer, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders reach each fan-out (versions, revenue schedules) in batches (2,000 records on a real tenant; five
    here): the one census each keeps for the run counts every record it read, not the last batch's alone."""
    monkeypatch.setattr(reads, "GATHERED_RECORDS", 5)
    loaded(tenant, warehouse, page_size=5)
    assert query(warehouse, "SELECT COUNT(*) FROM younium.subscriptions")[0][0] > 10, "more than two batches"
    counted = dict(
        query(
            warehouse,
            "SELECT endpoint, records_read FROM finsync_meta.upstream_fields WHERE field = 'id' "
            "AND (endpoint LIKE '%/Subscriptions/%versions%' OR endpoint LIKE '%/RevenueSchedule/%')",
        )
    )
    versions = next(n for endpoint, n in counted.items() if "versions" in endpoint)
    schedules = next(n for endpoint, n in counted.items() if "RevenueSchedule" in endpoint)
    assert versions == query(warehouse, "SELECT COUNT(*) FROM younium.subscription_versions")[0][0]
    assert schedules == query(warehouse, "SELECT COUNT(*) FROM younium.revenue_schedule_items")[0][0]
