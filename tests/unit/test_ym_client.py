"""YM client behaviour against mocked HTTP: sessions, error envelopes, paging quirks, the export flow."""

from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from finsync.errors import AuthenticationError, DataError, UpstreamError
from finsync.sources._http import HttpSettings
from finsync.sources.ym.client import ExportState, YMClient
from finsync.sources.ym.exports import BatchReader, ExportFailed, read_export_csv
from finsync.sources.ym.schema import INVOICE_ITEM_COLUMNS

BASE = "https://ym.example.test"
CID = 4321
NY = ZoneInfo("America/New_York")
BAD_LOGIN = {
    "ClientID": 0,
    "MemberID": 0,
    "FailedLoginReason": "None",
    "ResponseStatus": {"ErrorCode": "None", "Message": "Invalid username/password combination."},
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_client(clock: Clock | None = None, **kwargs: object) -> YMClient:
    return YMClient(
        BASE,
        CID,
        "api-key-1234",
        "api-password-5678",
        http_settings=HttpSettings(max_attempts=2, backoff_initial=0.001, backoff_max=0.002),
        clock=clock or Clock(),
        **kwargs,  # type: ignore[arg-type]
    )


def sessions(*ids: str) -> respx.Route:
    return respx.post(f"{BASE}/Ams/Authenticate").mock(
        side_effect=[httpx.Response(200, json={"SessionId": i, "ResponseStatus": {}}) for i in ids]
    )


@respx.mock
def test_signs_in_as_admin_with_a_numeric_client_id_and_sends_the_session_header() -> None:
    login = sessions("sess-1")
    data = respx.get(f"{BASE}/Ams/{CID}/InvoiceItems").mock(
        return_value=httpx.Response(200, json={"InvoiceItemsList": []})
    )
    list(make_client().invoice_items(date_from="2020-01-01", entered_from="2020-01-01T00:00:00", page_size=10))
    sent = json.loads(login.calls[0].request.content)
    assert sent == {"ClientID": CID, "UserType": "Admin", "Username": "api-key-1234", "Password": "api-password-5678"}
    assert data.calls[0].request.headers["X-SS-ID"] == "sess-1"


@respx.mock
def test_the_session_is_renewed_before_the_idle_expiry() -> None:
    clock = Clock()
    login = sessions("sess-1", "sess-2")
    data = respx.get(f"{BASE}/Ams/{CID}/FinanceBatches").mock(
        return_value=httpx.Response(200, json={"FinanceBatchList": []})
    )
    client = make_client(clock, session_refresh_seconds=840)
    client.finance_batches(start_batch_id="1", since="2020-01-01", page_size=10)
    clock.now += 600  # still within the idle window: same session
    client.finance_batches(start_batch_id="1", since="2020-01-01", page_size=10)
    clock.now += 841  # idle longer than the refresh threshold: a new session first
    client.finance_batches(start_batch_id="1", since="2020-01-01", page_size=10)
    assert login.call_count == 2
    assert [c.request.headers["X-SS-ID"] for c in data.calls] == ["sess-1", "sess-1", "sess-2"]


@respx.mock
def test_a_401_signs_in_again_once_and_retries() -> None:
    sessions("sess-1", "sess-2")
    data = respx.get(f"{BASE}/Ams/{CID}/FinanceBatches").mock(
        side_effect=[
            httpx.Response(401, json={"ResponseStatus": {"ErrorCode": "Unauthorized"}}),
            httpx.Response(200, json={}),
        ]
    )
    make_client().finance_batches(start_batch_id="1", since="2020-01-01", page_size=10)
    assert [c.request.headers["X-SS-ID"] for c in data.calls] == ["sess-1", "sess-2"]


@respx.mock
def test_a_second_401_after_signing_in_again_is_an_authentication_error() -> None:
    sessions("sess-1", "sess-2")
    respx.get(f"{BASE}/Ams/{CID}/FinanceBatches").mock(return_value=httpx.Response(401, json={}))
    with pytest.raises(AuthenticationError):
        make_client().finance_batches(start_batch_id="1", since="2020-01-01", page_size=10)


@respx.mock
def test_a_refused_login_names_the_settings_to_fix_and_never_the_password() -> None:
    respx.post(f"{BASE}/Ams/Authenticate").mock(return_value=httpx.Response(401, json=BAD_LOGIN))
    with pytest.raises(AuthenticationError) as raised:
        make_client().call("GET", "InvoiceItems")
    message = str(raised.value)
    assert "Invalid username/password" in message
    assert "SOURCES__YM__API_KEY" in message and "SOURCES__YM__API_PASSWORD" in message
    assert "api-password-5678" not in message and "api-key-1234" not in message
    assert raised.value.exit_code == 2


@respx.mock
def test_an_error_inside_an_http_200_is_an_error() -> None:
    sessions("sess-1")
    respx.post(f"{BASE}/Ams/{CID}/FinanceBatches").mock(
        return_value=httpx.Response(200, json={"ResponseStatus": {"ErrorCode": "NotFound", "Message": "No such batch"}})
    )
    with pytest.raises(UpstreamError, match="NotFound: No such batch"):
        make_client().start_export("999")


@respx.mock
def test_success_envelopes_with_error_code_none_are_not_errors() -> None:
    sessions("sess-1")
    respx.post(f"{BASE}/Ams/{CID}/FinanceBatches").mock(
        return_value=httpx.Response(200, json={"ExportID": "77", "ResponseStatus": {"ErrorCode": "None"}})
    )
    assert make_client().start_export("1") == "77"


@respx.mock
def test_finance_batches_survive_pages_that_repeat_the_full_list() -> None:
    sessions("sess-1")
    full = {"FinanceBatchList": [{"BatchID": str(i)} for i in range(1, 4)]}
    route = respx.get(f"{BASE}/Ams/{CID}/FinanceBatches").mock(return_value=httpx.Response(200, json=full))
    batches = make_client().finance_batches(start_batch_id="1", since="2020-01-01", page_size=3)
    assert [b["BatchID"] for b in batches] == ["1", "2", "3"]
    assert route.call_count == 2  # the second page added nothing new: stop
    assert route.calls[0].request.url.params["StartBatchID"] == "1"


@respx.mock
def test_invoice_items_page_until_a_short_page_with_the_required_date_from() -> None:
    sessions("sess-1")
    pages = [{"InvoiceItemsList": [{"LineItemID": i} for i in range(n)]} for n in (2, 2, 1)]
    route = respx.get(f"{BASE}/Ams/{CID}/InvoiceItems").mock(side_effect=[httpx.Response(200, json=p) for p in pages])
    got = list(
        make_client().invoice_items(date_from="2020-01-01T00:00:00", entered_from="2024-03-01T10:00:00", page_size=2)
    )
    assert [len(p) for p in got] == [2, 2, 1]
    params = [c.request.url.params for c in route.calls]
    assert [p["PageNumber"] for p in params] == ["1", "2", "3"]
    assert (
        params[0]["DateFrom"] == "2020-01-01T00:00:00" and params[0]["LineItemDateEnteredFrom"] == "2024-03-01T10:00:00"
    )


@pytest.mark.parametrize(
    ("sent", "state"),
    [
        (2, ExportState.COMPLETE),
        ("2", ExportState.COMPLETE),
        ("COMPLETE", ExportState.COMPLETE),
        (1, ExportState.WORKING),
        ("working", ExportState.WORKING),
        (-1, ExportState.FAILURE),
        ("FAILURE", ExportState.FAILURE),
        (0, ExportState.UNKNOWN),
        ("UNKNOWN", ExportState.UNKNOWN),
        (None, ExportState.UNKNOWN),
    ],
)
def test_export_status_is_read_as_a_number_or_by_name(sent: object, state: ExportState) -> None:
    assert ExportState.parse(sent) is state


CSV_HEADER = ",".join(c.source for c in INVOICE_ITEM_COLUMNS)


def csv_row(item_id: int, total: str, card: str = "4111111111111111") -> str:
    values = {c.source: "" for c in INVOICE_ITEM_COLUMNS}
    values.update(
        LineItemID=str(item_id),
        LineTotal=total,
        LineItemAmount=total,
        PaymentCardNumber=card,
        LineItemDateEntered="2024-03-01 10:00:00",
        DateInvoiceLastSent="0001-01-01 00:00:00",
        LineItemDescription='Dues, "gold" level',
    )
    return ",".join(f'"{v.replace(chr(34), chr(34) * 2)}"' if "," in v or '"' in v else v for v in values.values())


def export_routes(statuses: list[object], downloads: list[int], uri: str = f"{BASE}/files/e1.csv") -> respx.Route:
    sessions("sess-1", "sess-2")
    respx.post(f"{BASE}/Ams/{CID}/FinanceBatches").mock(return_value=httpx.Response(200, json={"ExportID": "e1"}))
    respx.get(f"{BASE}/Ams/{CID}/ExportStatus/e1").mock(
        side_effect=[
            httpx.Response(200, json={"Status": s, "ExportURI": uri if s in (2, "COMPLETE") else None})
            for s in statuses
        ]
    )
    body = "\n".join([CSV_HEADER, csv_row(1, "10.10"), csv_row(2, "0.20")]).encode()
    return respx.get(uri).mock(
        side_effect=[httpx.Response(code, content=body if code == 200 else b"") for code in downloads]
    )


def reader(**kwargs: object) -> BatchReader:
    return BatchReader(make_client(), NY, "mask", poll_interval=0.0, sleep=lambda _s: None, **kwargs)  # type: ignore[arg-type]


@respx.mock
def test_an_export_is_polled_until_complete_and_its_file_read_even_if_it_404s_first() -> None:
    download = export_routes([0, 1, "WORKING", 2], [404, 404, 200])
    table = reader().read_export("1001")
    assert download.call_count == 3
    assert table.column("line_item_id").to_pylist() == [1, 2]
    assert table.column("batch_id").to_pylist() == ["1001", "1001"]
    assert sum(table.column("line_total").to_pylist()) == Decimal("10.30")
    assert table.column("payment_card_number").to_pylist() == ["****1111", "****1111"]
    assert table.column("line_item_description").to_pylist()[0] == 'Dues, "gold" level'
    assert table.column("date_invoice_last_sent").to_pylist() == [None, None]


@respx.mock
def test_an_export_that_reports_failure_fails_that_batch() -> None:
    export_routes([1, -1], [])
    with pytest.raises(ExportFailed, match="FAILURE"):
        reader().read_export("1001")


@respx.mock
def test_an_export_that_never_completes_gives_up_at_the_timeout() -> None:
    export_routes([1] * 50, [])
    clock = iter(float(i) for i in range(1000))
    with pytest.raises(ExportFailed, match="export_timeout"):
        BatchReader(
            make_client(), NY, "mask", poll_interval=1.0, timeout=5.0, sleep=lambda _s: None, clock=lambda: next(clock)
        ).read_export("1001")


@respx.mock
def test_the_session_header_is_never_sent_to_a_foreign_export_host() -> None:
    download = export_routes([2], [200], uri="https://files.elsewhere.test/e1.csv")
    reader().read_export("1001")
    assert "X-SS-ID" not in download.calls[0].request.headers


def test_a_malformed_export_file_is_a_data_error_naming_the_batch() -> None:
    content = "\n".join([CSV_HEADER, "1,2,3"]).encode()
    with pytest.raises(DataError, match="batch 1001"):
        read_export_csv(content, "1001", NY, "mask")


def test_pii_drop_removes_every_personal_field_from_export_rows() -> None:
    content = "\n".join([CSV_HEADER, csv_row(1, "1.00")]).encode()
    table = read_export_csv(content, "1001", NY, "drop")
    assert not {"payment_card_number", "email_address", "invoice_name_last", "address1"} & set(table.column_names)
    assert table.column("line_total").to_pylist() == [Decimal("1.0000")]


def test_server_local_times_are_stored_in_utc() -> None:
    content = "\n".join([CSV_HEADER, csv_row(1, "1.00")]).encode()
    entered = read_export_csv(content, "1001", NY, "mask").column("line_item_date_entered").to_pylist()[0]
    assert entered.isoformat() == "2024-03-01T15:00:00+00:00"  # 10:00 in New York in winter


@respx.mock
def test_invoice_item_pages_are_read_ahead_concurrently_and_stop_at_the_short_page() -> None:
    sessions("sess-1")
    sizes = {1: 2, 2: 2, 3: 2, 4: 2, 5: 1}

    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["PageNumber"])
        return httpx.Response(200, json={"InvoiceItemsList": [{"LineItemID": number}] * sizes.get(number, 0)})

    route = respx.get(f"{BASE}/Ams/{CID}/InvoiceItems").mock(side_effect=page)
    client = make_client(page_concurrency=4)
    pages = list(client.invoice_items(date_from="2020-01-01", entered_from="2020-01-01T00:00:00", page_size=2))
    assert [p[0]["LineItemID"] for p in pages] == [1, 2, 3, 4, 5]
    # windows of 1, 2 and 4 pages: the last window asked for pages 4-7 at once
    assert sorted(int(c.request.url.params["PageNumber"]) for c in route.calls) == [1, 2, 3, 4, 5, 6, 7]
