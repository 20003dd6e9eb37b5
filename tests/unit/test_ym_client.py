"""YM client behaviour against mocked HTTP: sessions, error envelopes, paging quirks, the export flow."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pyarrow as pa
import pytest
import respx

from finsync.errors import AuthenticationError, BatchReadFailed, DataError, IncompleteBatch, UpstreamError
from finsync.http import HttpSettings
from finsync.http.auth import SIGN_IN_ATTEMPTS as SESSION_ATTEMPTS
from finsync.http.wire import ContractBroken
from finsync.sources.ym.client import ExportState, YMClient
from finsync.sources.ym.exports import BatchItems, BatchReader, ListedBatch, read_export_file
from finsync.sources.ym.schema import FINANCE_BATCHES, INVOICE_ITEM_COLUMNS, INVOICE_ITEMS

BASE = "https://ym.example.test"
CID = 4321
NY = ZoneInfo("America/New_York")
# The wire schemas the source reads these lists with.
ITEMS = INVOICE_ITEMS.wire_schema()
BATCHES = FINANCE_BATCHES.wire_schema()
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
    client = YMClient(
        BASE,
        CID,
        "api-key-1234",
        "api-password-5678",
        http_settings=HttpSettings(max_attempts=2, backoff_initial=0.001, backoff_max=0.002),
        clock=clock or Clock(),
        **kwargs,  # type: ignore[arg-type]
    )
    client._http._sleep = lambda _seconds: None  # no test waits on a backoff
    return client


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
    list(
        make_client().invoice_items(
            date_from="2020-01-01", entered_from="2020-01-01T00:00:00", page_size=10, records=ITEMS
        )
    )
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
    client.finance_batches(start_batch_id="1", since="2020-01-01", page_size=10, records=BATCHES)
    clock.now += 600  # still within the idle window: same session
    client.finance_batches(start_batch_id="1", since="2020-01-01", page_size=10, records=BATCHES)
    clock.now += 841  # idle longer than the refresh threshold: a new session first
    client.finance_batches(start_batch_id="1", since="2020-01-01", page_size=10, records=BATCHES)
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
    make_client().finance_batches(start_batch_id="1", since="2020-01-01", page_size=10, records=BATCHES)
    assert [c.request.headers["X-SS-ID"] for c in data.calls] == ["sess-1", "sess-2"]


@respx.mock
def test_sessions_dropped_right_after_signing_in_are_retried_and_are_not_a_credentials_error() -> None:
    sessions(*(f"sess-{i}" for i in range(1, SESSION_ATTEMPTS + 2)))
    unauthorized = httpx.Response(401, json={})
    data = respx.get(f"{BASE}/Ams/{CID}/FinanceBatches").mock(
        side_effect=[unauthorized, unauthorized, httpx.Response(200, json={})]
    )
    make_client().finance_batches(start_batch_id="1", since="2020-01-01", page_size=10, records=BATCHES)
    assert [c.request.headers["X-SS-ID"] for c in data.calls] == ["sess-1", "sess-2", "sess-3"]


@respx.mock
def test_fresh_sessions_refused_every_time_fail_the_run_with_exit_1_not_2() -> None:
    login = sessions(*(f"sess-{i}" for i in range(1, SESSION_ATTEMPTS + 1)))
    respx.get(f"{BASE}/Ams/{CID}/FinanceBatches").mock(return_value=httpx.Response(401, json={}))
    with pytest.raises(UpstreamError) as raised:
        make_client().finance_batches(start_batch_id="1", since="2020-01-01", page_size=10, records=BATCHES)
    assert not isinstance(raised.value, AuthenticationError) and raised.value.exit_code == 1
    assert login.call_count == SESSION_ATTEMPTS and "sign-ins in a row" in str(raised.value)


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
@pytest.mark.parametrize("status", [403, 404])
def test_a_tenant_that_may_not_export_is_told_to_choose_reading_by_pages(status: int) -> None:
    sessions("sess-1")
    respx.post(f"{BASE}/Ams/{CID}/FinanceBatches").mock(return_value=httpx.Response(status, json={}))
    with pytest.raises(UpstreamError) as raised:
        make_client().start_export("1001")
    message = str(raised.value)
    assert f"batch 1001) was refused with HTTP {status}" in message
    assert "SOURCES__YM__BATCH_ITEMS_MODE=details" in message and raised.value.exit_code == 1


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
    batches = make_client().finance_batches(start_batch_id="1", since="2020-01-01", page_size=3, records=BATCHES)
    assert batches.column("BatchID").to_pylist() == ["1", "2", "3"]
    assert route.call_count == 2  # the second page added nothing new: stop
    assert route.calls[0].request.url.params["StartBatchID"] == "1"


@respx.mock
def test_invoice_items_page_until_a_short_page_confirmed_by_an_empty_one_with_the_required_date_from() -> None:
    sessions("sess-1")
    sizes = {1: 2, 2: 2, 3: 1}  # and nothing from page 4 on

    def page(request: httpx.Request) -> httpx.Response:
        # Answered by page number: pages read ahead may arrive in any order.
        number = int(request.url.params["PageNumber"])
        return httpx.Response(200, json={"InvoiceItemsList": [{"LineItemID": i} for i in range(sizes.get(number, 0))]})

    route = respx.get(f"{BASE}/Ams/{CID}/InvoiceItems").mock(side_effect=page)
    got = list(
        make_client().invoice_items(
            date_from="2020-01-01T00:00:00", entered_from="2024-03-01T10:00:00", page_size=2, records=ITEMS
        )
    )
    assert [len(p) for p in got] == [2, 2, 1]
    params = [c.request.url.params for c in route.calls]
    assert {"1", "2", "3", "4"} <= {p["PageNumber"] for p in params}, "the short page is confirmed by an empty one"
    assert all(
        p["DateFrom"] == "2020-01-01T00:00:00" and p["LineItemDateEnteredFrom"] == "2024-03-01T10:00:00" for p in params
    )


@respx.mock
def test_a_server_that_caps_the_page_size_fails_the_read_instead_of_ending_it_after_one_page() -> None:
    sessions("sess-1")
    # Asked for 10 a page, YM serves 4: the "short" first page is followed by more, so it was a cap.
    respx.get(f"{BASE}/Ams/{CID}/InvoiceItems").mock(
        return_value=httpx.Response(200, json={"InvoiceItemsList": [{"LineItemID": 1}] * 4})
    )
    with pytest.raises(UpstreamError, match=r"caps its page size.*to 4 or less"):
        list(
            make_client().invoice_items(
                date_from="2020-01-01", entered_from="2020-01-01T00:00:00", page_size=10, records=ITEMS
            )
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
        InvoiceNo=str(1000 + item_id),
        LineTotal=total,
        LineItemAmount=total,
        PaymentCardNumber=card,
        LineItemDateEntered="2024-03-01 10:00:00",
        DateInvoiceLastSent="0001-01-01 00:00:00",
        LineItemDescription='Dues, "gold" level',
    )
    return ",".join(f'"{v.replace(chr(34), chr(34) * 2)}"' if "," in v or '"' in v else v for v in values.values())


def export_routes(
    statuses: list[object], downloads: list[int], uri: str = f"{BASE}/files/e1.csv", bodies: list[bytes] | None = None
) -> respx.Route:
    sessions("sess-1", "sess-2")
    respx.post(f"{BASE}/Ams/{CID}/FinanceBatches").mock(return_value=httpx.Response(200, json={"ExportID": "e1"}))
    respx.get(f"{BASE}/Ams/{CID}/ExportStatus/e1").mock(
        side_effect=[
            httpx.Response(200, json={"Status": s, "ExportURI": uri if s in (2, "COMPLETE") else None})
            for s in statuses
        ]
    )
    files = iter(bodies or [])
    return respx.get(uri).mock(
        side_effect=[httpx.Response(code, content=next(files, TWO_ROWS) if code == 200 else b"") for code in downloads]
    )


def export_file(*rows: str, end: str = "\r\n") -> bytes:
    return ("\r\n".join([CSV_HEADER, *rows]) + end).encode()


TWO_ROWS = export_file(csv_row(1, "10.10"), csv_row(2, "0.20"))


def reader(**kwargs: object) -> BatchReader:
    return BatchReader(make_client(), NY, "mask", poll_interval=0.0, sleep=lambda _s: None, **kwargs)  # type: ignore[arg-type]


def read(items: BatchItems) -> pa.Table:
    return pa.concat_tables(items.tables())


def parse(tmp_path: Path, content: bytes, item_count: int | None = 1, pii: str = "mask") -> pa.Table:
    source = tmp_path / "export.csv"
    source.write_bytes(content)
    target = tmp_path / "items.arrow"
    read_export_file(source, ListedBatch("1001", item_count), NY, pii, target)  # type: ignore[arg-type]
    return read(BatchItems("1001", 0, target))


@respx.mock
def test_an_export_is_polled_until_complete_and_its_file_read_even_if_it_404s_first(tmp_path: Path) -> None:
    download = export_routes([0, 1, "WORKING", 2], [404, 404, 200])
    items = reader()(ListedBatch("1001", 2), tmp_path)
    table = read(items)
    assert download.call_count == 3 and items.rows == 2
    assert table.column("line_item_id").to_pylist() == [1, 2]
    assert table.column("batch_id").to_pylist() == ["1001", "1001"]
    assert sum(table.column("line_total").to_pylist()) == Decimal("10.30")
    assert table.column("payment_card_number").to_pylist() == ["****1111", "****1111"]
    assert table.column("line_item_description").to_pylist()[0] == 'Dues, "gold" level'
    assert table.column("date_invoice_last_sent").to_pylist() == [None, None]
    assert [p.name for p in tmp_path.iterdir()] == ["batch-1001.arrow"], "the downloaded file is not kept"


@respx.mock
def test_an_export_that_reports_failure_fails_that_batch(tmp_path: Path) -> None:
    export_routes([1, -1], [])
    with pytest.raises(BatchReadFailed, match="FAILURE"):
        reader()(ListedBatch("1001", 2), tmp_path)


@respx.mock
def test_an_export_that_never_completes_gives_up_at_the_timeout(tmp_path: Path) -> None:
    export_routes([1] * 50, [])
    clock = iter(float(i) for i in range(1000))
    slow = BatchReader(
        make_client(), NY, "mask", poll_interval=1.0, timeout=5.0, sleep=lambda _s: None, clock=lambda: next(clock)
    )
    with pytest.raises(BatchReadFailed, match="export_timeout"):
        slow(ListedBatch("1001", 2), tmp_path)


@respx.mock
def test_the_session_header_is_never_sent_to_a_foreign_export_host(tmp_path: Path) -> None:
    download = export_routes([2], [200], uri="https://files.elsewhere.test/e1.csv")
    reader()(ListedBatch("1001", 2), tmp_path)
    assert "X-SS-ID" not in download.calls[0].request.headers


@respx.mock
def test_a_file_cut_short_is_downloaded_again_and_loaded_once_whole(tmp_path: Path) -> None:
    cut = TWO_ROWS[: len(TWO_ROWS) - 30]
    download = export_routes([2], [200, 200], bodies=[cut, TWO_ROWS])
    items = reader()(ListedBatch("1001", 2), tmp_path)
    assert download.call_count == 2 and items.rows == 2


@respx.mock
def test_a_file_that_stays_short_fails_the_batch_after_the_download_attempts(tmp_path: Path) -> None:
    one_row = export_file(csv_row(1, "10.10"))
    download = export_routes([2], [200] * 3, bodies=[one_row] * 3)
    with pytest.raises(IncompleteBatch, match="holds 1 items, but YM lists the batch with ItemCount 2"):
        reader()(ListedBatch("1001", 2), tmp_path)
    assert download.call_count == 3
    assert list(tmp_path.iterdir()) == [], "nothing of a failed batch is kept"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (export_file(), "holds 0 items"),
        (export_file(csv_row(1, "1.00"), csv_row(2, "2.00"))[:-2], "does not end with a line break"),
        (export_file(csv_row(1, "1.00")), "holds 1 items, but YM lists the batch with ItemCount 2"),
    ],
    ids=["empty file", "header only", "cut inside the last row", "cut at a row boundary"],
)
def test_an_export_file_that_is_not_whole_is_never_accepted(tmp_path: Path, content: bytes, problem: str) -> None:
    with pytest.raises(IncompleteBatch, match=problem):
        parse(tmp_path, content, item_count=2)


def test_a_batch_of_no_items_may_have_an_empty_export_file(tmp_path: Path) -> None:
    source, target = tmp_path / "export.csv", tmp_path / "items.arrow"
    source.write_bytes(b"")
    assert read_export_file(source, ListedBatch("1001", 0), NY, "mask", target) == 0


def test_a_batch_listed_without_an_item_count_cannot_be_proven_complete(tmp_path: Path) -> None:
    with pytest.raises(BatchReadFailed, match="without an ItemCount"):
        reader()(ListedBatch("1001", None), tmp_path)


def test_a_malformed_row_is_named_by_number_without_quoting_its_content(tmp_path: Path) -> None:
    content = export_file(csv_row(1, "1.00"), "Rodriguez,Siobhán,9662 Sunset Blvd")
    with pytest.raises(IncompleteBatch) as raised:
        parse(tmp_path, content, item_count=2)
    message = str(raised.value)
    assert "batch 1001" in message and "row 2 has 3 fields" in message
    assert "Rodriguez" not in message and "Sunset" not in message


def test_a_bad_value_in_a_personal_field_is_named_by_row_and_column_but_never_shown(tmp_path: Path) -> None:
    header = CSV_HEADER.split(",")  # a name where a card expiry month belongs:
    cells = next(csv.reader([csv_row(1, "1.00")]))
    cells[header.index("PaymentCardExpMonth")] = "Siobhán"
    row = ",".join(f'"{c}"' if "," in c or '"' in c else c for c in [c.replace('"', '""') for c in cells])
    with pytest.raises(DataError) as raised:
        parse(tmp_path, export_file(row), item_count=1)
    message = str(raised.value)
    assert "row 1" in message and "payment_card_exp_month" in message and "batch 1001" in message
    assert "Siobhán" not in message and "withheld" in message


def test_a_file_without_a_line_item_id_column_fails_naming_the_batch_and_the_column(tmp_path: Path) -> None:
    with pytest.raises(ContractBroken, match=r"export file of YM batch 1001 .*LineItemID is absent from the header"):
        parse(tmp_path, b"Foo,Bar\r\n1,2\r\n")


def test_pii_drop_removes_every_personal_field_from_export_rows(tmp_path: Path) -> None:
    table = parse(tmp_path, export_file(csv_row(1, "1.00")), pii="drop")
    assert not {"payment_card_number", "email_address", "invoice_name_last", "address1"} & set(table.column_names)
    assert table.column("line_total").to_pylist() == [Decimal("1.0000")]


def test_server_local_times_are_stored_in_utc(tmp_path: Path) -> None:
    entered = parse(tmp_path, export_file(csv_row(1, "1.00"))).column("line_item_date_entered").to_pylist()[0]
    assert entered.isoformat() == "2024-03-01T15:00:00+00:00"  # 10:00 in New York in winter


DETAILS_ITEM = {"InvoiceNo": 1001, "LineTotal": 10.0, "LineItemDateEntered": "2024-03-01T10:00:00"}


@respx.mock
def test_details_mode_must_return_the_batch_item_count(tmp_path: Path) -> None:
    sessions("sess-1")
    respx.get(f"{BASE}/Ams/{CID}/FinanceBatchDetails").mock(
        side_effect=[
            httpx.Response(200, json={"FinanceBatchDetailsList": [DETAILS_ITEM | {"LineItemID": n} for n in (1, 2)]}),
            httpx.Response(200, json={"FinanceBatchDetailsList": []}),
        ]
    )
    with pytest.raises(IncompleteBatch, match=r"FinanceBatchDetails of YM batch 1001 holds 2 items.*ItemCount 3"):
        reader(mode="details", details_page_size=5)(ListedBatch("1001", 3), tmp_path)


@respx.mock
def test_invoice_item_pages_are_read_ahead_concurrently_and_stop_at_the_short_page() -> None:
    sessions("sess-1")
    sizes = {1: 2, 2: 2, 3: 2, 4: 2, 5: 1}

    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["PageNumber"])
        return httpx.Response(200, json={"InvoiceItemsList": [{"LineItemID": number}] * sizes.get(number, 0)})

    route = respx.get(f"{BASE}/Ams/{CID}/InvoiceItems").mock(side_effect=page)
    client = make_client(page_concurrency=4)
    pages = list(
        client.invoice_items(date_from="2020-01-01", entered_from="2020-01-01T00:00:00", page_size=2, records=ITEMS)
    )
    assert [p.column("LineItemID")[0].as_py() for p in pages] == [1, 2, 3, 4, 5]
    # The window of pages in flight widens 1, 2, 4 and slides: page 6 confirms the short page 5. When page 5
    # is handed over the window slides once more (page 9 may be asked, or still on its way when the read
    # ends): never more than one window (4) past the short page.
    asked = sorted(int(c.request.url.params["PageNumber"]) for c in route.calls)
    assert asked[:6] == [1, 2, 3, 4, 5, 6] and max(asked) <= 5 + 4
