"""Younium usage loaded by finsync's runner from mocked HTTP: merged by id, a re-rating read in the next window,
a hard delete marked by the sweep alone, and a refused /Usage failing the usage feature alone."""

from __future__ import annotations

import copy
from decimal import Decimal

from finsync.warehouse.runner import Warehouse

from .test_younium_source import Upstream, pipeline, refused, rows, run
from .test_younium_usage_client import RECORD

__all__ = ["pipeline"]


def upstream() -> Upstream:
    found = Upstream()
    other = {**copy.deepcopy(RECORD), "id": "u-2", "processed": False, "modified": "2024-03-01T06:00:00"}
    for key in ("ratedPrice", "ratedPriceCurrencyCode", "order", "product", "charge", "toDate"):
        other.pop(key)
    found.usage = [{**copy.deepcopy(RECORD), "id": "u-1"}, other]
    return found


def test_usage_loads_and_a_rerating_is_read_in_the_next_window_and_a_hard_delete_by_the_sweep(
    pipeline: Warehouse,
) -> None:
    found = upstream()
    run(pipeline, found)
    loaded = "SELECT id, processed, rated_price, order_number, to_date IS NULL FROM usage ORDER BY id"
    assert rows(pipeline, loaded) == [
        ("u-1", True, Decimal("185.1900"), "O-000001", False),
        ("u-2", False, None, None, True),
    ]
    # Invoiced since: u-2 is rated, its `modified` moves; u-1 is deleted upstream.
    found.usage = [{**found.usage[1], "processed": True, "ratedPrice": 12.5, "ratedPriceCurrencyCode": "SEK",
                    "modified": "2024-04-02T22:00:00"}]  # fmt: skip
    routes = run(pipeline, found)
    assert routes["usage"].calls.last.request.url.params["ModifiedAfter"] == "2024-03-01T19:00:00Z"
    assert rows(pipeline, "SELECT id, processed, rated_price, deleted_at IS NULL FROM usage ORDER BY id") == [
        ("u-1", True, Decimal("185.1900"), True),
        ("u-2", True, Decimal("12.5000"), True),
    ]
    run(pipeline, found, sweep=True)
    assert rows(pipeline, "SELECT id, deleted_at IS NOT NULL FROM usage ORDER BY id") == [("u-1", True), ("u-2", False)]
    versions = "SELECT id, count(*) FROM usage__versions GROUP BY id ORDER BY id"
    assert rows(pipeline, versions) == [("u-1", 1), ("u-2", 2)]


def test_a_403_on_usage_fails_only_usage_and_with_it_off_nothing_is_asked(pipeline: Warehouse) -> None:
    found = upstream()
    message = refused(pipeline, found, "/Usage")
    assert "GET /Usage (HTTP 403)" in message and "sources.younium.usage = false" in message
    assert rows(pipeline, "SELECT id FROM invoices") == [("i-1",)]
    assert "usage" not in {t for (t,) in rows(pipeline, "SELECT table_name FROM information_schema.tables")}

    routes = run(pipeline, found, usage=False)
    assert not routes["usage"].called and routes["invoices"].called
