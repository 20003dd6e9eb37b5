"""The YM source run by finsync's runner against mocked HTTP: its cursor, and what it never filters out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import respx

from finsync.errors import ConfigurationError
from finsync.sources.ym import ym
from finsync.sources.younium import younium
from finsync.warehouse.runner import SOURCES, Warehouse, make_pipeline, sync

BASE = "https://ym.example.test"
CID = 4321


def item(item_id: int, entered: str) -> dict[str, Any]:
    return {"LineItemID": item_id, "InvoiceNo": 1000 + item_id, "LineTotal": 10.5, "LineItemDateEntered": entered}


class Upstream:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.pages: list[list[dict[str, Any]]] | None = None  # served as given, instead of `items` on one page

    def install(self, mock: respx.MockRouter) -> respx.Route:
        mock.post(f"{BASE}/Ams/Authenticate").mock(
            return_value=httpx.Response(200, json={"SessionId": "sess-1", "ResponseStatus": {}})
        )
        mock.get(f"{BASE}/Ams/{CID}/FinanceBatches").mock(
            return_value=httpx.Response(200, json={"FinanceBatchList": []})
        )

        def page(request: httpx.Request) -> httpx.Response:
            number = int(request.url.params["PageNumber"])
            pages = self.pages if self.pages is not None else [self.items]
            return httpx.Response(200, json={"InvoiceItemsList": pages[number - 1] if number <= len(pages) else []})

        return mock.get(f"{BASE}/Ams/{CID}/InvoiceItems").mock(side_effect=page)


SETTINGS = {"client_id": CID, "api_key": "key-1234", "api_password": "password-1234", "base_url": BASE}


def run(warehouse: Warehouse, upstream: Upstream, **extra: Any) -> respx.Route:
    with respx.mock(assert_all_called=False) as mock:
        route = upstream.install(mock)
        sync("ym", warehouse, settings={**SETTINGS, "overlap_hours": 2, **extra})
    return route


def loaded(warehouse: Warehouse) -> list[int]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        return [r[0] for r in connection.execute("SELECT line_item_id FROM ym.invoice_items ORDER BY 1").fetchall()]


def test_a_pending_load_fills_the_empty_table_so_the_read_after_it_merges_instead_of_appending(
    tmp_path: Path,
) -> None:
    """An empty table is appended to on its first load; one a pending load filled is not empty any more."""
    warehouse, upstream = Warehouse("duckdb", tmp_path / "w.duckdb"), Upstream()
    run(warehouse, upstream)  # nothing to read yet: the dataset exists, invoice_items holds no rows
    upstream.items = [item(1, "2024-03-10T12:00:00"), item(2, "2024-03-10T12:30:00")]
    with respx.mock(assert_all_called=False) as mock:
        upstream.install(mock)
        stopped = make_pipeline(SOURCES["ym"], warehouse)
        stopped.extract(ym(**SETTINGS, overlap_hours=2).with_resources("invoice_items"))
        stopped.normalize()  # a run stopped before its load: the package waits for the next run
    run(warehouse, upstream)  # loads the pending package, then reads both items again (the overlap)
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        counts = connection.execute("SELECT count(*), count(DISTINCT line_item_id) FROM ym.invoice_items").fetchone()
    assert counts == (2, 2)


def test_an_item_a_shifting_list_repeats_on_the_next_page_is_loaded_once(tmp_path: Path) -> None:
    """The table skips dlt's deduplicating merge: the repeat must be dropped before the load."""
    warehouse, upstream = Warehouse("duckdb", tmp_path / "w.duckdb"), Upstream()
    entered = "2024-03-10T12:00:00"
    upstream.pages = [[item(1, entered), item(2, entered)], [item(2, entered), item(3, entered)], [item(1, entered)]]
    run(warehouse, upstream, invoice_items_page_size=2)
    assert loaded(warehouse) == [1, 2, 3]


def test_every_row_ym_returns_is_loaded_even_when_older_than_the_cursor_window(tmp_path: Path) -> None:
    warehouse, upstream = Warehouse("duckdb", tmp_path / "w.duckdb"), Upstream()
    upstream.items = [item(1, "2024-03-10T12:00:00")]
    run(warehouse, upstream)
    # A new entry YM serves with an entry date days before the window the run asked for.
    upstream.items = [item(1, "2024-03-10T12:00:00"), item(2, "2024-02-01T09:00:00")]
    route = run(warehouse, upstream)
    assert route.calls[0].request.url.params["LineItemDateEnteredFrom"] == "2024-03-10T10:00:00"
    assert loaded(warehouse) == [1, 2]


def test_the_cursor_never_moves_past_the_moment_the_run_started(tmp_path: Path) -> None:
    warehouse, upstream = Warehouse("duckdb", tmp_path / "w.duckdb"), Upstream()
    upstream.items = [item(1, "2099-01-01T00:00:00")]  # a clock far ahead
    run(warehouse, upstream)
    route = run(warehouse, upstream)
    asked = route.calls[0].request.url.params["LineItemDateEnteredFrom"]
    assert asked < "2099", f"the next run must not start after today ({asked})"


@pytest.mark.parametrize("hours", [0, 0.5])
def test_a_ym_overlap_below_an_hour_is_refused_naming_the_setting(hours: float) -> None:
    with pytest.raises(ConfigurationError, match="SOURCES__YM__OVERLAP_HOURS"):
        ym(client_id=CID, api_key="key-1234", api_password="password-1234", overlap_hours=hours)


def test_a_younium_overlap_below_ten_minutes_is_refused_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="SOURCES__YOUNIUM__OVERLAP_MINUTES"):
        younium(client_id="client-1234", secret="secret-1234", overlap_minutes=0)
