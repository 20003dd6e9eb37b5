"""The Younium client's subscription, sales order, version, booking and revenue schedule reads against mocked
HTTP, with the traps of their wire: the last page's shape, the window kept on every page, the bare array of
versions, the 400 empty list, the 404 of an unknown charge."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pyarrow as pa
import pytest
import respx

from finsync.errors import UpstreamError
from finsync.sources.younium.client import Window
from finsync.sources.younium.features import SUBSCRIPTIONS_FEATURE, Permissions
from finsync.sources.younium.orders import version_records
from finsync.sources.younium.sales_orders import sales_version_records

from .test_younium_client import BASE, IDS, make_client, ok, tokens

NO_SUBSCRIPTIONS = {
    "errors": {"message": ["No subscriptions could be found"]},
    "title": "One or more validation errors occurred.",
    "status": 400,
}
WINDOW = Window(datetime(2024, 3, 1, 10, 30, tzinfo=timezone.utc), datetime(2024, 3, 2, tzinfo=timezone.utc))


def page(rows: list[dict[str, Any]], number: int, pages: int | None, count: int, path: str) -> dict[str, Any]:
    """A page of one record as Younium sends it (`pages`: the totalPages it announces, if any): `nextPage` an
    absolute URL without the window (mixed casing), absent on the last page, where `lastPage` points at the
    page itself."""
    body: dict[str, Any] = {"pageNumber": number, "pageSize": 1, "totalCount": count, "data": rows}
    if pages is not None:
        body["totalPages"] = pages
    if number < count:
        body["nextPage"] = f"{BASE}{path}?pageNumber={number + 1}&PageSize=1"
    else:
        body["lastPage"] = f"{BASE}{path}?pageNumber={number}&PageSize=1"
    return body


def serve(path: str, pages: int | None, count: int) -> respx.Route:
    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["PageNumber"])
        if number > count:  # a page past the end: Younium's "no records" 400
            return httpx.Response(400, json=NO_SUBSCRIPTIONS)
        return ok(page([{"id": f"o-{number}"}], number, pages, count, path))

    return respx.get(f"{BASE}{path}").mock(side_effect=answer)


@respx.mock
def test_subscriptions_keep_the_window_on_every_page_and_stop_at_the_page_without_next_page() -> None:
    tokens("token-1111")
    route = serve("/Subscriptions", None, 2)  # no totalPages: the end is where nextPage is absent
    found = [
        r["id"] for p in make_client(page_size=1, sequential=True).subscriptions(WINDOW, IDS) for r in p.to_pylist()
    ]
    assert found == ["o-1", "o-2"]
    params = [call.request.url.params for call in route.calls]
    assert [p["PageNumber"] for p in params] == ["1", "2"], "no page past the one carrying lastPage"
    assert {p["ModifiedAfter"] for p in params} == {"2024-03-01T10:30:00Z"}
    assert {p["ModifiedBefore"] for p in params} == {"2024-03-02T00:00:00Z"}


@respx.mock
def test_a_count_that_is_a_multiple_of_the_page_size_asks_for_no_page_past_the_end() -> None:
    tokens("token-1111")
    route = serve("/Bookings", 3, 3)  # 3 records of 1 per page: 3 // 1 + 1 would ask for a fourth
    found = [r["id"] for p in make_client(page_size=1).bookings(WINDOW, IDS) for r in p.to_pylist()]
    assert sorted(found) == ["o-1", "o-2", "o-3"]
    assert sorted(int(c.request.url.params["PageNumber"]) for c in route.calls) == [1, 2, 3]
    assert {c.request.url.params["ModifiedAfter"] for c in route.calls} == {"2024-03-01T10:30:00Z"}


@respx.mock
def test_no_subscriptions_could_be_found_is_an_empty_list() -> None:
    tokens("token-1111")
    route = respx.get(f"{BASE}/Subscriptions").mock(return_value=httpx.Response(400, json=NO_SUBSCRIPTIONS))
    assert [p for p in make_client().subscriptions(WINDOW, IDS) if p.num_rows] == []
    assert route.call_count == 2, "an empty answer is confirmed once"


@respx.mock
def test_an_orders_versions_are_a_plain_array_read_whole_without_paging() -> None:
    tokens("token-1111")
    versions = [
        {
            "id": "v-1",
            "orderNumber": "O-000185",
            "version": 1,
            "products": [{"id": "op-1", "charges": [{"id": "c-1"}]}],
        },
        {"id": "v-2", "orderNumber": "O-000185", "version": 2, "products": []},
    ]
    route = respx.get(f"{BASE}/Subscriptions/O-000185/versions").mock(return_value=ok(versions))
    found = make_client().subscription_versions("O-000185", version_records())
    assert isinstance(found, pa.Table)
    assert found.column("id").to_pylist() == ["v-1", "v-2"]
    assert found.column("products").to_pylist()[0][0]["charges"][0]["id"] == "c-1"
    assert route.call_count == 1 and not route.calls.last.request.url.params


@respx.mock
def test_the_versions_of_an_order_gone_meanwhile_are_none() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/Subscriptions/O-9/versions").mock(return_value=httpx.Response(404, json={"title": "Not Found"}))
    respx.get(f"{BASE}/Subscriptions/O-8/versions").mock(return_value=httpx.Response(400, json=NO_SUBSCRIPTIONS))
    client = make_client()
    assert client.subscription_versions("O-9", version_records()).num_rows == 0
    assert client.subscription_versions("O-8", version_records()).num_rows == 0


@respx.mock
def test_a_403_on_bookings_denies_only_the_subscriptions_feature_naming_order_view_and_the_setting() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/Subscriptions").mock(return_value=ok({"totalCount": 0, "data": []}))
    respx.get(f"{BASE}/SalesOrders").mock(return_value=ok({"totalCount": 0, "data": []}))
    respx.get(f"{BASE}/Bookings").mock(return_value=httpx.Response(403, json={"title": "Forbidden"}))
    respx.get(f"{BASE}/Payments").mock(return_value=ok({"totalCount": 0, "data": []}))
    tables = {"subscriptions": ("subscriptions", "bookings"), "payments": ("payments",)}
    permissions = Permissions(make_client(), tables, "SEK")
    assert permissions.allowed("payments")
    assert not permissions.allowed(SUBSCRIPTIONS_FEATURE.name)
    said = permissions.denied["subscriptions"]
    assert "GET /Bookings (HTTP 403)" in said and "Order View" in said
    assert "sources.younium.subscriptions = false (SOURCES__YOUNIUM__SUBSCRIPTIONS=false)" in said


@respx.mock
def test_sales_orders_are_read_in_windows_and_their_versions_as_a_plain_array() -> None:
    tokens("token-1111")
    route = serve("/SalesOrders", 2, 2)
    client = make_client(page_size=1)
    assert sorted(r["id"] for p in client.sales_orders(WINDOW, IDS) for r in p.to_pylist()) == ["o-1", "o-2"]
    assert {c.request.url.params["ModifiedAfter"] for c in route.calls} == {"2024-03-01T10:30:00Z"}
    versions = [{"id": "v-1", "orderNumber": "O-000007", "version": 1, "products": []}]
    listed = respx.get(f"{BASE}/SalesOrders/O-000007/versions").mock(return_value=ok(versions))
    respx.get(f"{BASE}/SalesOrders/O-9/versions").mock(return_value=httpx.Response(404, json={"title": "Not Found"}))
    assert client.sales_order_versions("O-000007", sales_version_records()).column("id").to_pylist() == ["v-1"]
    assert not listed.calls.last.request.url.params
    assert client.sales_order_versions("O-9", sales_version_records()).num_rows == 0


NO_ITEMS = {
    "errors": {"message": ["No revenue schedule items could be found"]},
    "title": "One or more validation errors occurred.",
    "status": 400,
}


@respx.mock
def test_a_charges_revenue_schedule_is_every_page_and_none_when_unknown_or_never_invoiced() -> None:
    tokens("token-1111")
    route = serve("/RevenueSchedule/Charge/OPC-000001", 3, 3)
    respx.get(f"{BASE}/RevenueSchedule/Charge/OPC-000404").mock(
        return_value=httpx.Response(404, json={"title": "Not Found"})
    )
    respx.get(f"{BASE}/RevenueSchedule/Charge/OPC-000400").mock(return_value=httpx.Response(400, json=NO_ITEMS))
    client = make_client(page_size=1)
    assert sorted(client.revenue_schedule("OPC-000001", IDS).column("id").to_pylist()) == ["o-1", "o-2", "o-3"]
    assert not any("ModifiedAfter" in c.request.url.params for c in route.calls), "a charge's items are read whole"
    assert client.revenue_schedule("OPC-000404", IDS).num_rows == 0
    assert client.revenue_schedule("OPC-000400", IDS).num_rows == 0


@respx.mock
def test_a_revenue_schedule_refused_otherwise_fails() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/RevenueSchedule/Charge/OPC-1").mock(return_value=httpx.Response(403, json={"title": "No"}))
    with pytest.raises(UpstreamError):
        make_client().revenue_schedule("OPC-1", IDS)


def test_an_orders_change_time_is_the_later_of_last_updated_and_modified_either_may_be_missing() -> None:
    from finsync.sources.younium.reads import newest_modified

    cursor = ("lastUpdated", "modified")
    page = pa.table(
        {
            "lastUpdated": pa.array([None, "2024-06-01T09:00:00"], pa.string()),
            "modified": pa.array(["2024-07-01T00:00:00", "2024-01-01T00:00:00"], pa.string()),
        }
    )
    assert newest_modified(page, cursor) == datetime(2024, 7, 1, tzinfo=timezone.utc)
    assert newest_modified(page.slice(1), cursor) == datetime(2024, 6, 1, 9, tzinfo=timezone.utc)
    older = pa.table({"modified": pa.array(["2024-01-01T00:00:00"], pa.string())})  # a tenant without lastUpdated
    assert newest_modified(older, cursor) == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert newest_modified(page.slice(1)) == datetime(2024, 1, 1, tzinfo=timezone.utc), "other lists: modified"
