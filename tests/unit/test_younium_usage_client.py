"""The Younium client's usage read against mocked HTTP: /Usage in closed windows, the window kept on every page,
the page carrying `lastPage` the last one asked, the 400 "No usage could be found" an empty list; the record's
fields as the table declares them; and a refused /Usage denying the usage feature alone."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import httpx
import respx

from finsync.sources.younium.client import USAGE_PATH, Window
from finsync.sources.younium.features import USAGE_FEATURE, Permissions
from finsync.sources.younium.usage import USAGE
from finsync.tables import records_of, unnested

from .test_younium_client import BASE, IDS, make_client, ok, tokens

NO_USAGE = {"errors": {"message": ["No usage could be found"]}, "title": "One or more validation errors occurred."}
WINDOW = Window(datetime(2024, 3, 1, 10, 30, tzinfo=timezone.utc), datetime(2024, 3, 2, tzinfo=timezone.utc))
RECORD: dict[str, Any] = {
    "id": "u-1",
    "description": "API calls, February",
    "fromDate": "2024-02-01T00:00:00",
    "toDate": "2024-02-29T13:45:00",
    "quantity": 1234.567,
    "unit": "KCALL",
    "source": "api",
    "account": {"id": "a-1", "accountNumber": "A-100", "name": "Acme AB"},
    "order": {"id": "v-1", "orderNumber": "O-000001"},
    "product": {"id": "op-1", "productNumber": "OP-000001", "description": "API calls"},
    "charge": {"id": "ch-1", "chargeNumber": "OPC-000001"},
    "importDate": "2024-03-01T06:00:00",
    "processed": True,
    "ratedPrice": 185.19,
    "ratedPriceCurrencyCode": "EUR",
    "created": "2024-03-01T06:00:00",
    "modified": "2024-03-01T22:00:00",
}


def page(number: int, count: int) -> dict[str, Any]:
    body: dict[str, Any] = {"pageNumber": number, "pageSize": 1, "totalCount": count, "totalPages": count}
    body["data"] = [{**RECORD, "id": f"u-{number}"}]
    link = f"{BASE}{USAGE_PATH}?pageNumber={number + (number < count)}&PageSize=1"
    body["nextPage" if number < count else "lastPage"] = link
    return body


@respx.mock
def test_usage_is_read_in_windows_every_page_with_the_window_and_none_past_the_last() -> None:
    tokens("token-1111")

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["PageNumber"])
        return ok(page(number, 2)) if number <= 2 else httpx.Response(400, json=NO_USAGE)

    route = respx.get(f"{BASE}/Usage").mock(side_effect=answer)
    found = [r["id"] for p in make_client(page_size=1, sequential=True).usage(WINDOW, IDS) for r in p.to_pylist()]
    assert found == ["u-1", "u-2"]
    params = [call.request.url.params for call in route.calls]
    assert [p["PageNumber"] for p in params] == ["1", "2"]
    window = {(p["ModifiedAfter"], p["ModifiedBefore"]) for p in params}
    assert window == {("2024-03-01T10:30:00Z", "2024-03-02T00:00:00Z")}


@respx.mock
def test_a_whole_read_sends_no_window_and_no_usage_is_an_empty_list() -> None:
    tokens("token-1111")
    route = respx.get(f"{BASE}/Usage").mock(return_value=httpx.Response(400, json=NO_USAGE))
    assert [p for p in make_client().usage(None, IDS) if p.num_rows] == []
    assert route.called and all("ModifiedAfter" not in c.request.url.params for c in route.calls)


@respx.mock
def test_a_usage_record_becomes_a_row_of_the_declared_columns_exactly() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/Usage").mock(return_value=ok(page(1, 1)))
    pages = list(make_client().usage(WINDOW, records_of(USAGE)))
    (row,) = USAGE.from_rows(unnested(pages[0]), timezone.utc).to_pylist()
    utc = timezone.utc
    assert row == {
        "id": "u-1",
        "description": "API calls, February",
        # Kept as timestamps: a time of day in toDate survives.
        "from_date": datetime(2024, 2, 1, tzinfo=utc),
        "to_date": datetime(2024, 2, 29, 13, 45, tzinfo=utc),
        "quantity": Decimal("1234.56700000"),
        "unit": "KCALL",
        "source": "api",
        "account_id": "a-1",
        "account_number": "A-100",
        "account_name": "Acme AB",
        "order_id": "v-1",
        "order_number": "O-000001",
        "product_id": "op-1",
        "product_number": "OP-000001",
        "charge_id": "ch-1",
        "charge_number": "OPC-000001",
        "import_date": datetime(2024, 3, 1, 6, tzinfo=utc),
        "processed": True,
        "rated_price": Decimal("185.1900"),
        "rated_price_currency_code": "EUR",
        "created": datetime(2024, 3, 1, 6, tzinfo=utc),
        "modified": datetime(2024, 3, 1, 22, tzinfo=utc),
        "deleted_at": None,
        "extra_fields": None,
    }


@respx.mock
def test_a_403_on_usage_denies_only_the_usage_feature_naming_the_setting() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/Usage").mock(return_value=httpx.Response(403, json={"title": "Forbidden"}))
    respx.get(f"{BASE}/Payments").mock(return_value=ok({"totalCount": 0, "data": []}))
    tables = {"usage": ("usage",), "payments": ("payments",)}
    permissions = Permissions(make_client(), tables, "SEK")
    assert not permissions.allowed(USAGE_FEATURE.name) and permissions.allowed("payments")
    (paragraph,) = permissions.denied.values()
    assert "Younium refused GET /Usage (HTTP 403)" in paragraph and "read access to usage" in paragraph
    assert "its tables (usage)" in paragraph
    assert "sources.younium.usage = false (SOURCES__YOUNIUM__USAGE=false)" in paragraph


@respx.mock
def test_a_tenant_that_does_not_serve_usage_is_told_to_leave_it_out() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/Usage").mock(return_value=httpx.Response(404, json={"title": "Not Found"}))
    permissions = Permissions(make_client(), {"usage": ("usage",)}, "SEK")
    assert not permissions.allowed("usage")
    assert "does not serve GET /Usage on this tenant (HTTP 404" in permissions.denied["usage"]
