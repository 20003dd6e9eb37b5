"""The sandbox's YourMembership emulation: its data, its traps, its faults and its control API."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from finsync.sources.ym.schema import DETAILS_FIELD_NAMES, INVOICE_ITEM_COLUMNS, INVOICE_ITEMS
from finsync_sandbox import Sandbox, SandboxConfig, SandboxServer, YMDataset, build_app
from finsync_sandbox.cli import sandbox_app
from finsync_sandbox.kernel.faults import Fault, parse_fault_spec

with warnings.catch_warnings():
    # Starlette prefers the httpx2 fork for its test client; plain httpx still works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CLIENT_ID = 24680
LOGIN = {"ClientID": CLIENT_ID, "UserType": "Admin", "Username": "sandbox-api-key", "Password": "sandbox-api-password"}
FIELDS = [c.source for c in INVOICE_ITEM_COLUMNS]


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class YM:
    """A signed-in caller of the sandbox's YM routes."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.http = TestClient(build_app(sandbox))
        self.session = self.sign_in()

    def sign_in(self) -> str:
        reply = self.http.post("/ym/Ams/Authenticate", json=LOGIN)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["SessionId"])

    def get(self, route: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/ym/Ams/{CLIENT_ID}/{route}", params=params, headers={"X-SS-ID": self.session})

    def post(self, route: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"/ym/Ams/{CLIENT_ID}/{route}", json=body, headers={"X-SS-ID": self.session})

    def items(self, **params: Any) -> list[dict[str, Any]]:
        reply = self.get("InvoiceItems", **{"DateFrom": "2000-01-01", **params})
        assert reply.status_code == 200, reply.text
        return list(reply.json()["InvoiceItemsList"])

    def export(self, batch_id: str) -> str:
        reply = self.post("FinanceBatches", {"BatchID": batch_id})
        assert reply.json()["ResponseStatus"] == {}, reply.text
        return str(reply.json()["ExportID"])


def make_ym(clock: Clock | None = None, **settings: Any) -> YM:
    return YM(Sandbox(SandboxConfig(**settings), clock=clock or Clock()))


@pytest.fixture
def ym() -> YM:
    return make_ym(export_latency_seconds=0)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(config=SandboxConfig(ym_items=2000, export_latency_seconds=0)) as running:
        yield running


@contextmanager
def signed_in(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.ym_base_url, timeout=10) as http:
        http.headers["X-SS-ID"] = http.post("/Ams/Authenticate", json=LOGIN).json()["SessionId"]
        yield http


# -- the dataset -----------------------------------------------------------------------------------------


def test_the_same_seed_serves_byte_identical_pages_and_another_seed_does_not() -> None:
    params = {"DateFrom": "2000-01-01", "PageSize": 200, "PageNumber": 7}
    first, second, other = make_ym(), make_ym(), make_ym(seed=8)
    page = first.get("InvoiceItems", **params).content
    assert page == second.get("InvoiceItems", **params).content
    assert page != other.get("InvoiceItems", **params).content


def test_every_item_is_a_pure_function_of_its_number_and_advancing_never_rewrites_one() -> None:
    dataset = YMDataset(seed=3, items=3000)
    assert list(dataset.records(1200, 1210)) == [dataset.item(n) for n in range(1200, 1211)]
    grown = YMDataset(seed=3, items=3000)
    grown.advance(500)
    assert grown.item(1500) == dataset.item(1500) == YMDataset(seed=3, items=3000).item(1500)


def test_items_look_like_ym_invoice_items() -> None:
    records = list(YMDataset(items=2000).records(1, 2000))
    assert all(set(r) == set(FIELDS) for r in records)
    entered = [r["LineItemDateEntered"] for r in records]
    assert entered == sorted(entered) and len(set(entered)) == len(entered)
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", e) for e in entered)
    assert {r["LineItemID"] for r in records} == set(range(1, 2001))
    for r in records:
        assert r["LineTotal"] == r["LineItemAmount"] * r["LineItemQuantity"]
        assert r["LineItemAmount"].as_tuple().exponent == -2
        assert r["LineItemDate"] == r["LineItemDateEntered"][:10] + "T00:00:00"
        for card in (r["PaymentCardNumber"], r["OriginalInvoiceCardNumber"]):
            assert card == "" or (len(card) == 16 and card.isdigit())
    assert {r["GLCodeItemName"] for r in records} == {"4000 Dues", "4100 Events", "4200 Store", "4300 Donations"}
    assert any(r["DateInvoiceLastSent"] == "0001-01-01T00:00:00" for r in records)
    assert any(r["LineItemTaxVATRate"] == Decimal("0.0825") for r in records)
    assert any(r["LineItemAmount"] < 0 for r in records)  # credits
    per_invoice: dict[int, set[str]] = {}
    for r in records:
        per_invoice.setdefault(r["InvoiceNo"], set()).add(r["EmailAddress"])
    assert len(per_invoice) < len(records) / 2  # several items per invoice
    assert all(len(emails) == 1 for emails in per_invoice.values())


def test_money_is_written_as_exact_json_numbers() -> None:
    ym = make_ym()
    reply = ym.get("InvoiceItems", DateFrom="2000-01-01", PageSize=500)
    assert re.search(rb'"LineItemAmount":-?\d+\.\d\d,', reply.content)
    listed = json.loads(reply.content, parse_float=Decimal)["InvoiceItemsList"]
    for row in listed:
        record = ym.sandbox.dataset.item(row["LineItemID"])
        assert (row["LineTotal"], row["LineItemAmount"], row["OutstandingBalance"]) == (
            record["LineTotal"],
            record["LineItemAmount"],
            record["OutstandingBalance"],
        )


def test_a_page_converts_cleanly_into_the_invoice_items_table() -> None:
    listed = json.loads(make_ym().get("InvoiceItems", DateFrom="2000-01-01", PageSize=300).content, parse_float=Decimal)
    table = INVOICE_ITEMS.from_rows(listed["InvoiceItemsList"], ZoneInfo("America/New_York"))
    assert table.num_rows == 300
    assert sum(table.column("line_total").to_pylist()) == YMDataset().expected_money(range(1, 301)).line_total


def test_batches_hold_consecutive_items_and_only_the_newest_is_open() -> None:
    dataset = YMDataset(items=1010, batch_size=250)
    batches = dataset.batches()
    assert [b.batch_id for b in batches] == ["1001", "1002", "1003", "1004", "1005"]
    assert [(b.first_item, b.item_count) for b in batches] == [(1, 250), (251, 250), (501, 250), (751, 250), (1001, 10)]
    assert [b.is_open for b in batches] == [False, False, False, False, True]
    assert batches[-1].record()["ClosedDate"] == "0001-01-01T00:00:00"
    created = [b.record()["CreateDateTime"] for b in batches]
    assert created == sorted(created)
    assert dataset.expected_batch_item_ids() == range(1, 1001)


def test_advance_closes_the_open_batch_as_it_is_and_never_changes_closed_batches() -> None:
    dataset = YMDataset(items=1010, batch_size=250)
    closed_before = [(b, list(dataset.records(b.first_item, b.last_item))) for b in dataset.batches()[:-1]]
    last_entered = dataset.item(1010)["LineItemDateEntered"]

    new = dataset.advance(600)

    batches = dataset.batches()
    assert [(b.batch_id, b.item_count) for b in new] == [("1006", 250), ("1007", 250), ("1008", 100)]
    assert batches[4].item_count == 10 and not batches[4].is_open  # closed with what it had
    assert [b for b in batches if b.is_open] == [batches[-1]]
    for batch, records in closed_before:
        assert dataset.batch(batch.batch_id) == batch
        assert list(dataset.records(batch.first_item, batch.last_item)) == records
    assert dataset.item(1011)["LineItemDateEntered"] > last_entered
    assert dataset.expected_invoice_item_ids() == range(1, 1611)
    assert dataset.expected_batch_item_ids() == range(1, 1511)
    assert dataset.expected_money(range(1, 1511)) == dataset.expected_money(list(range(1, 1511)))


def test_expected_money_is_the_exact_sum_of_the_served_items() -> None:
    dataset = YMDataset(items=3000)
    records = list(dataset.records(1, 3000))
    money = dataset.expected_money(dataset.expected_invoice_item_ids())
    assert money.count == 3000
    assert money.line_total == sum(r["LineTotal"] for r in records)
    assert money.line_item_amount == sum(r["LineItemAmount"] for r in records)


def test_a_million_items_answer_a_deep_page_and_their_expectations_without_building_every_item() -> None:
    ym = make_ym(ym_items=1_000_000)
    entered_from = ym.sandbox.dataset.item(987_654)["LineItemDateEntered"]
    listed = ym.items(LineItemDateEnteredFrom=entered_from, PageSize=1000, PageNumber=5)
    assert [r["LineItemID"] for r in listed] == list(range(991_654, 992_654))

    expected = ym.sandbox.expected()
    assert expected["ym"]["invoice_items"]["rows"] == 1_000_000
    assert expected["ym"]["finance_batch_items"]["rows"] == 999_750
    assert expected["ym"]["finance_batches"]["rows"] == 4000


# -- signing in -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"Password": "wrong"}, {"Username": "someone-else"}, {"ClientID": 13579}, {"ClientID": str(CLIENT_ID)}],
    ids=["password", "username", "client", "client-id-as-string"],
)
def test_a_refused_sign_in_is_http_401_with_error_code_none(change: dict[str, Any]) -> None:
    reply = make_ym().http.post("/ym/Ams/Authenticate", json={**LOGIN, **change})
    assert reply.status_code == 401
    assert reply.json() == {
        "ClientID": 0,
        "MemberID": 0,
        "FailedLoginReason": "None",
        "ResponseStatus": {"ErrorCode": "None", "Message": "Invalid username/password combination."},
    }


def test_a_sign_in_without_username_is_a_400_validation_error() -> None:
    reply = make_ym().http.post("/ym/Ams/Authenticate", json={"ClientID": CLIENT_ID, "Password": "x"})
    assert reply.status_code == 400
    status = reply.json()["ResponseStatus"]
    assert status["ErrorCode"] == "NotNull"
    assert [e["FieldName"] for e in status["Errors"]] == ["Username"]


def test_the_session_counts_only_in_the_x_ss_id_header() -> None:
    ym = make_ym()
    unauthorized = {"ResponseStatus": {"ErrorCode": "Unauthorized", "Message": "Session expired or invalid"}}
    by_query = ym.http.get(f"/ym/Ams/{CLIENT_ID}/FinanceBatches", params={"SessionId": ym.session})
    assert (by_query.status_code, by_query.json()) == (401, unauthorized)
    other_client = ym.http.get("/ym/Ams/13579/FinanceBatches", headers={"X-SS-ID": ym.session})
    assert other_client.status_code == 401
    assert ym.get("FinanceBatches").status_code == 200


def test_a_session_expires_after_the_idle_time_and_use_keeps_it_alive() -> None:
    clock = Clock()
    ym = make_ym(clock, session_idle_seconds=900)
    clock.now += 800
    assert ym.get("FinanceBatches").status_code == 200
    clock.now += 800  # 800 s since the last use
    assert ym.get("FinanceBatches").status_code == 200
    clock.now += 901
    assert ym.get("FinanceBatches").status_code == 401
    ym.session = ym.sign_in()
    assert ym.get("FinanceBatches").status_code == 200


# -- finance batches and exports ----------------------------------------------------------------------


def test_finance_batches_return_the_same_full_list_on_every_page() -> None:
    ym = make_ym()
    pages = [ym.get("FinanceBatches", PageSize=5, PageNumber=n).json() for n in (1, 2, 3)]
    assert all(p["FinanceBatchList"] == pages[0]["FinanceBatchList"] for p in pages)
    assert len(pages[0]["FinanceBatchList"]) == 20
    assert pages[0]["BatchID"] is None and pages[0]["ItemCount"] is None
    assert list(pages[0]["FinanceBatchList"][0]) == [
        "BatchID",
        "CommerceType",
        "ItemCount",
        "ClosedDate",
        "CreateDateTime",
    ]


def test_finance_batches_start_at_start_batch_id_or_at_a_creation_timestamp() -> None:
    ym = make_ym()
    listed = ym.get("FinanceBatches", StartBatchID="1017").json()["FinanceBatchList"]
    assert [b["BatchID"] for b in listed] == ["1017", "1018", "1019", "1020"]
    created = ym.sandbox.dataset.batch("1015")
    assert created is not None
    since = created.record()["CreateDateTime"]
    listed = ym.get("FinanceBatches", Timestamp=since).json()["FinanceBatchList"]
    assert [b["BatchID"] for b in listed] == [str(n) for n in range(1015, 1021)]


@pytest.mark.parametrize(("batch_id", "code"), [("1020", "BatchNotClosed"), ("4242", "NotFound")])
def test_exporting_an_open_or_unknown_batch_is_an_error_inside_an_http_200(ym: YM, batch_id: str, code: str) -> None:
    reply = ym.post("FinanceBatches", {"BatchID": batch_id, "StartBatchID": batch_id})
    assert reply.status_code == 200
    assert reply.json()["ResponseStatus"]["ErrorCode"] == code
    assert not reply.json()["ExportID"]


def test_an_export_is_unknown_then_working_until_its_latency_has_passed_then_complete() -> None:
    clock = Clock()
    ym = make_ym(clock, export_latency_seconds=5)
    export_id = ym.export("1003")
    statuses = [ym.get(f"ExportStatus/{export_id}").json() for _ in range(2)]
    assert [s["Status"] for s in statuses] == [0, 1]
    assert "ExportURI" not in statuses[1]
    clock.now += 5
    done = ym.get(f"ExportStatus/{export_id}").json()
    assert done["Status"] == 2
    assert done["ExportURI"] == f"http://testserver/ym/exports/{export_id}.csv"


@pytest.mark.parametrize(("style", "expected"), [("name", ["COMPLETE", "COMPLETE"]), ("mixed", [2, "COMPLETE"])])
def test_export_status_can_be_written_by_name_or_both_ways(style: str, expected: list[object]) -> None:
    ym = make_ym(export_latency_seconds=0, status_style=style)
    export_id = ym.export("1001")
    assert [ym.get(f"ExportStatus/{export_id}").json()["Status"] for _ in expected] == expected


def test_the_export_file_answers_404_at_first_then_serves_the_batch_as_csv_without_a_session() -> None:
    ym = make_ym(export_latency_seconds=0, export_not_ready_count=2)
    uri = ym.get(f"ExportStatus/{ym.export('1002')}").json()["ExportURI"]
    assert [ym.http.get(uri).status_code for _ in range(2)] == [404, 404]
    reply = ym.http.get(uri)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert list(rows[0]) == FIELDS
    assert [int(r["LineItemID"]) for r in rows] == list(range(251, 501))
    record = ym.sandbox.dataset.item(251)
    assert Decimal(rows[0]["LineTotal"]) == record["LineTotal"]
    assert rows[0]["LineTotal"] == str(record["LineTotal"])
    assert rows[0]["LineItemDateEntered"] == record["LineItemDateEntered"].replace("T", " ")
    assert all(r["DateInvoiceLastSent"] == "" or r["DateInvoiceLastSent"][4] == "-" for r in rows)
    assert rows[0]["PaymentCardNumber"] == record["PaymentCardNumber"]


def test_batch_details_page_through_a_batch_with_detail_field_names() -> None:
    ym = make_ym()
    pages = [ym.get("FinanceBatchDetails", BatchId="1004", PageSize=100, PageNumber=n).json() for n in (1, 2, 3)]
    listed = [row for page in pages for row in page["FinanceBatchDetailsList"]]
    assert [len(p["FinanceBatchDetailsList"]) for p in pages] == [100, 100, 50]
    assert [r["LineItemID"] for r in listed] == list(range(751, 1001))
    assert set(DETAILS_FIELD_NAMES) <= set(listed[0]) and "InvoiceNameLast" not in listed[0]
    carded = next(r for r in listed if r["PaymentCardNumber"])
    assert isinstance(carded["PaymentCardExpMonth"], str) and len(carded["PaymentCardExpMonth"]) == 2
    assert isinstance(carded["PaymentCardExpYear"], str)


# -- invoice items -----------------------------------------------------------------------------------------


def test_invoice_items_require_date_from(ym: YM) -> None:
    reply = ym.get("InvoiceItems", PageSize=10)
    assert reply.status_code == 400
    status = reply.json()["ResponseStatus"]
    assert status["ErrorCode"] == "NotNull"
    assert [e["FieldName"] for e in status["Errors"]] == ["DateFrom"]


def test_invoice_items_filter_by_entry_date_and_page_to_a_short_last_page(ym: YM) -> None:
    dataset = ym.sandbox.dataset
    entered_from = dataset.item(4001)["LineItemDateEntered"]
    pages = [ym.items(LineItemDateEnteredFrom=entered_from, PageSize=300, PageNumber=n) for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [300, 300, 300, 100]
    assert [r["LineItemID"] for p in pages for r in p] == list(range(4001, 5001))
    assert ym.items(LineItemDateEnteredFrom=entered_from, PageSize=300, PageNumber=5) == []
    reply = ym.get("InvoiceItems", DateFrom="2000-01-01", PageSize=10).json()
    assert "ListCount" not in reply and "Total" not in reply


def test_invoice_items_filter_by_line_item_date(ym: YM) -> None:
    listed = ym.items(DateFrom="2024-01-03", PageSize=5000)
    assert listed and all(r["LineItemDate"] >= "2024-01-03" for r in listed)
    assert ym.sandbox.dataset.item(listed[0]["LineItemID"] - 1)["LineItemDate"] < "2024-01-03"


def test_invoice_items_cap_the_page_size_at_5000() -> None:
    ym = make_ym(ym_items=7000)
    assert len(ym.items(PageSize=10_000)) == 5000


# -- faults ---------------------------------------------------------------------------------------------------


def test_a_status_fault_answers_with_retry_after_for_its_count_then_disappears(ym: YM) -> None:
    ym.sandbox.faults.add(kind="status", route="ym.invoice_items", status=429, retry_after=2, times=2)
    replies = [ym.get("InvoiceItems", DateFrom="2000-01-01", PageSize=1) for _ in range(3)]
    assert [r.status_code for r in replies] == [429, 429, 200]
    assert replies[0].headers["Retry-After"] == "2"
    assert ym.sandbox.faults.pending() == []


def test_a_fault_with_after_lets_that_many_requests_through_first(ym: YM) -> None:
    ym.sandbox.faults.add(Fault(kind="status", route="ym.batch_details", status=503, after=3))
    codes = [ym.get("FinanceBatchDetails", BatchId="1001", PageSize=1).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 503, 200]


def test_a_slow_fault_delays_the_reply(ym: YM, monkeypatch: pytest.MonkeyPatch) -> None:
    waited: list[float] = []

    async def wait(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr("finsync_sandbox.kernel.guard.asyncio.sleep", wait)
    ym.sandbox.faults.add(kind="slow", route="ym.finance_batches", delay=0.3)
    assert ym.get("FinanceBatches").status_code == 200
    assert waited == [0.3]


def test_expiring_sessions_now_or_on_a_route_forces_a_new_sign_in(ym: YM) -> None:
    ym.sandbox.faults.add(kind="expire_sessions")
    assert ym.get("FinanceBatches").status_code == 401
    ym.session = ym.sign_in()
    ym.sandbox.faults.add(kind="expire_sessions", route="ym.invoice_items", after=1)
    assert ym.get("InvoiceItems", DateFrom="2000-01-01", PageSize=1).status_code == 200
    assert ym.get("InvoiceItems", DateFrom="2000-01-01", PageSize=1).status_code == 401


def test_an_export_failure_fault_fails_the_next_export_of_its_batch(ym: YM) -> None:
    ym.sandbox.faults.add(kind="export_failure", batch_id="1005")
    other = ym.export("1004")
    failing = ym.export("1005")
    assert ym.get(f"ExportStatus/{other}").json()["Status"] == 2
    failed = ym.get(f"ExportStatus/{failing}").json()
    assert failed["Status"] == -1 and "ExportURI" not in failed
    assert ym.get(f"ExportStatus/{ym.export('1005')}").json()["Status"] == 2  # only the next one


def test_a_truncated_reply_has_a_matching_content_length_and_cut_json(server: SandboxServer) -> None:
    server.sandbox.faults.add(kind="truncate", route="ym.invoice_items")
    with signed_in(server) as http:
        reply = http.get(f"/Ams/{CLIENT_ID}/InvoiceItems", params={"DateFrom": "2000-01-01", "PageSize": 50})
        assert reply.status_code == 200
        assert int(reply.headers["content-length"]) == len(reply.content)
        with pytest.raises(json.JSONDecodeError):
            json.loads(reply.content)
        whole = http.get(f"/Ams/{CLIENT_ID}/InvoiceItems", params={"DateFrom": "2000-01-01", "PageSize": 50})
        assert len(whole.json()["InvoiceItemsList"]) == 50


def test_a_dropped_connection_breaks_the_reply_mid_body(server: SandboxServer) -> None:
    server.sandbox.faults.add(kind="drop", route="ym.finance_batches")
    with signed_in(server) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"/Ams/{CLIENT_ID}/FinanceBatches")
        assert http.get(f"/Ams/{CLIENT_ID}/FinanceBatches").status_code == 200


def test_a_fault_can_drop_the_export_download(server: SandboxServer) -> None:
    server.sandbox.config.export_not_ready_count = 0
    with signed_in(server) as http:
        export_id = http.post(f"/Ams/{CLIENT_ID}/FinanceBatches", json={"BatchID": "1001"}).json()["ExportID"]
        uri = http.get(f"/Ams/{CLIENT_ID}/ExportStatus/{export_id}").json()["ExportURI"]
        server.sandbox.faults.add(kind="drop", route="ym.export_download")
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(uri)
        assert httpx.get(uri).text.count("\r\n") == 251


def test_the_fault_grammar_of_the_command_line() -> None:
    faults = parse_fault_spec(
        "ym.invoice_items:status=503:times=2:retry_after=1; ym.export_status:slow=3;expire_sessions;"
        "export_failure=1003;ym.batch_details:drop:after=4"
    )
    assert [f.as_dict() for f in faults] == [
        {"kind": "status", "route": "ym.invoice_items", "times": 2, "after": 0, "status": 503, "retry_after": 1.0,
         "delay": 0.0},
        {"kind": "slow", "route": "ym.export_status", "times": 1, "after": 0, "delay": 3.0},
        {"kind": "expire_sessions", "times": 1, "after": 0, "delay": 0.0},
        {"kind": "export_failure", "route": "ym.export_start", "times": 1, "after": 0, "delay": 0.0,
         "batch_id": "1003"},
        {"kind": "drop", "route": "ym.batch_details", "times": 1, "after": 4, "delay": 0.0},
    ]  # fmt: skip
    for bad in ("ym.invoice_items:status", "ym.nowhere:drop", "drop", "ym.invoice_items:melt", "status=503:x"):
        with pytest.raises(ValueError):
            parse_fault_spec(bad)


# -- control API and server ---------------------------------------------------------------------------------


def test_requests_are_counted_per_route_and_can_be_reset(ym: YM) -> None:
    ym.get("FinanceBatches", PageNumber=1)
    ym.get("FinanceBatches", PageNumber=2)
    ym.get("InvoiceItems", PageSize=1)  # a 400 counts too
    counts = ym.http.get("/_sandbox/requests").json()
    assert counts["ym.authenticate"] == 1
    assert counts["ym.finance_batches"] == 2
    assert counts["ym.invoice_items"] == 1
    assert counts["ym.export_start"] == 0
    assert ym.sandbox.requests["ym.finance_batches"] == 2
    ym.http.delete("/_sandbox/requests")
    assert set(ym.http.get("/_sandbox/requests").json().values()) == {0}


def test_the_control_api_arms_faults_advances_time_and_states_expectations(ym: YM) -> None:
    http = ym.http
    assert http.get("/_sandbox/health").json() == {"status": "ok", "ym_items": 5000}
    armed = http.post("/_sandbox/faults", json={"route": "ym.invoice_items", "kind": "status", "status": 500})
    assert armed.json()["pending"][0]["status"] == 500
    assert http.post("/_sandbox/faults", json={"route": "ym.invoice_items", "kind": "melt"}).status_code == 400
    http.delete("/_sandbox/faults")
    assert ym.sandbox.faults.pending() == []

    before = http.get("/_sandbox/expected").json()["ym"]
    assert before["finance_batch_items"]["rows"] == 4750
    advanced = http.post("/_sandbox/advance", json={"ym_items": 600}).json()
    assert advanced == {"ym_items": 5600, "new_batch_ids": ["1021", "1022", "1023"]}
    after = http.get("/_sandbox/expected").json()["ym"]
    assert after["invoice_items"]["rows"] == 5600
    assert after["finance_batch_items"]["rows"] == 5500  # 1020 closed as it was, 1021 and 1022 full
    batches = {"rows": 23, "closed": 22, "newest_closed_batch_id": "1022", "open_batch_id": "1023", "item_count": 5600}
    batches["revised"] = {}
    assert after["finance_batches"] == batches
    money = ym.sandbox.dataset.expected_money(range(1, 5501))
    assert after["finance_batch_items"]["line_total"] == str(money.line_total)


def test_the_server_listens_on_loopback_and_exposes_ym_settings(server: SandboxServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.ym_settings == {
        "SOURCES__YM__BASE_URL": f"{server.url}/ym",
        "SOURCES__YM__CLIENT_ID": "24680",
        "SOURCES__YM__API_KEY": "sandbox-api-key",
        "SOURCES__YM__API_PASSWORD": "sandbox-api-password",
        "SOURCES__YM__MAX_REQUESTS_PER_SECOND": "0",  # loopback, no rate limit: no pacing needed
    }
    assert httpx.get(f"{server.url}/_sandbox/health").json()["ym_items"] == 2000
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host="0.0.0.0")


def test_the_serve_command_rejects_unknown_scale_keys_and_bad_faults() -> None:
    runner = CliRunner()
    bad_scale = runner.invoke(sandbox_app, ["serve", "--scale", "ym_items=10,planets=3"])
    assert bad_scale.exit_code == 2 and "planets" in bad_scale.output
    bad_faults = runner.invoke(sandbox_app, ["serve", "--faults", "ym.invoice_items:melt"])
    assert bad_faults.exit_code == 2 and "melt" in bad_faults.output
    assert SandboxConfig().scaled("ym_items=100_000, batch_size=500").ym_items == 100_000
