"""Younium client behaviour against mocked HTTP: tokens, headers, the paged envelope and its traps, batch jobs."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pyarrow as pa
import pytest
import respx

from finsync.errors import AuthenticationError, ConfigurationError, UpstreamError
from finsync.http import HttpSettings
from finsync.http.auth import SIGN_IN_ATTEMPTS as TOKEN_ATTEMPTS
from finsync.jobs.younium import (
    BatchJobError,
    JobProgress,
    batch_log_errors,
    generate_batch,
    post_batch,
    wait_for_job,
)
from finsync.sources.younium import younium, younium_client
from finsync.sources.younium.client import READ_ATTEMPTS, Window, YouniumClient, iso_utc
from finsync.sources.younium.schema import INVOICES, invoice_records
from finsync.tables import flatten

BASE = "https://younium.example.test"
CLIENT_ID = "client-id-1234"
SECRET = "secret-value-5678"
NOTHING = {
    "errors": {"message": ["No invoices could be found"]},
    "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    "title": "One or more validation errors occurred.",
    "status": 400,
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_client(clock: Clock | None = None, **kwargs: object) -> YouniumClient:
    client = YouniumClient(
        BASE,
        CLIENT_ID,
        SECRET,
        http_settings=HttpSettings(max_attempts=3, backoff_initial=0.001, backoff_max=0.002),
        clock=clock or Clock(),
        **kwargs,  # type: ignore[arg-type]
    )
    client._http._sleep = lambda _seconds: None  # no test waits on a backoff
    return client


def tokens(*values: str, expires_in: int = 86400, path: str = "/auth/v2/token") -> respx.Route:
    return respx.post(f"{BASE}{path}").mock(
        side_effect=[httpx.Response(200, json={"access_token": v, "expires_in": expires_in}) for v in values]
    )


def envelope(
    rows: object, number: int = 1, total: int | None = 1, next_page: str | None = None, count: int | None = None
) -> dict:
    """A page of the list envelope; `count` (totalCount) defaults to pages x this page's rows."""
    if count is None:
        count = (len(rows) if isinstance(rows, list) else 1) * (total or 1)
    body = {"pageNumber": number, "pageSize": 100, "totalCount": count, "nextPage": next_page, "data": rows}
    if total is not None:
        body["totalPages"] = total
    return body


def ok(body: object) -> httpx.Response:
    return httpx.Response(200, json=body)


# The records a test list is read with: their ids (the paginator's key).
IDS = pa.schema([("id", pa.string())])


def read_all(client: YouniumClient, path: str = "/Invoices", records: pa.Schema = IDS, **kwargs: object) -> list[dict]:
    return [row for page in client.pages(path, records, **kwargs) for row in page.to_pylist()]  # type: ignore[arg-type]


# -- tokens and headers ------------------------------------------------------------------------------


@respx.mock
def test_exchanges_client_id_and_secret_for_a_v2_token_and_sends_it_as_a_bearer() -> None:
    login = tokens("token-v2-aaaa")
    data = respx.get(f"{BASE}/Accounts").mock(return_value=ok(envelope([])))
    read_all(make_client(), "/Accounts")
    assert json.loads(login.calls[0].request.content) == {"clientId": CLIENT_ID, "secret": SECRET}
    assert data.calls[0].request.headers["Authorization"] == "Bearer token-v2-aaaa"


@respx.mock
def test_reads_the_camel_case_answer_of_the_v1_token_endpoint() -> None:
    respx.post(f"{BASE}/auth/token").mock(return_value=ok({"accessToken": "token-v1-bbbb", "expiresIn": 86400}))
    data = respx.get(f"{BASE}/Accounts").mock(return_value=ok(envelope([])))
    read_all(make_client(auth_path="/auth/token"), "/Accounts")
    assert data.calls[0].request.headers["Authorization"] == "Bearer token-v1-bbbb"


@respx.mock
def test_the_token_is_renewed_a_few_minutes_before_it_expires() -> None:
    clock = Clock()
    login = tokens("token-1111", "token-2222", expires_in=3600)
    data = respx.get(f"{BASE}/Accounts").mock(return_value=ok(envelope([])))
    client = make_client(clock, refresh_margin_seconds=300)
    read_all(client, "/Accounts")
    clock.now = 3299  # still more than five minutes left
    read_all(client, "/Accounts")
    clock.now = 3300  # five minutes before expiry: renew first
    read_all(client, "/Accounts")
    assert login.call_count == 2
    assert [c.request.headers["Authorization"] for c in data.calls] == [
        "Bearer token-1111",
        "Bearer token-1111",
        "Bearer token-2222",
    ]


@respx.mock
def test_a_401_requests_a_new_token_once_and_retries() -> None:
    tokens("token-1111", "token-2222")
    data = respx.get(f"{BASE}/Accounts").mock(side_effect=[httpx.Response(401), ok(envelope([{"id": "a1"}]))])
    assert read_all(make_client(), "/Accounts") == [{"id": "a1"}]
    assert [c.request.headers["Authorization"] for c in data.calls] == ["Bearer token-1111", "Bearer token-2222"]


@respx.mock
def test_a_token_refused_again_right_after_it_was_issued_is_retried_with_another() -> None:
    tokens("token-1111", "token-2222", "token-3333")
    data = respx.get(f"{BASE}/Accounts").mock(
        side_effect=[httpx.Response(401), httpx.Response(401), ok(envelope([{"id": "a1"}]))]
    )
    assert read_all(make_client(), "/Accounts") == [{"id": "a1"}]
    assert data.calls[-1].request.headers["Authorization"] == "Bearer token-3333"


@respx.mock
def test_fresh_tokens_refused_every_time_fail_the_run_with_exit_1_not_2() -> None:
    login = tokens(*(f"token-{i:04d}" for i in range(TOKEN_ATTEMPTS)))
    respx.get(f"{BASE}/Accounts").mock(return_value=httpx.Response(401))
    with pytest.raises(UpstreamError, match="fresh sign-ins in a row") as raised:
        read_all(make_client(), "/Accounts")
    assert not isinstance(raised.value, AuthenticationError) and raised.value.exit_code == 1
    assert login.call_count == TOKEN_ATTEMPTS


@respx.mock
def test_every_data_call_carries_the_api_version_and_no_legal_entity_unless_configured() -> None:
    tokens("token-1111")
    data = respx.get(f"{BASE}/Accounts").mock(return_value=ok(envelope([])))
    read_all(make_client(), "/Accounts")
    headers = data.calls[0].request.headers
    assert headers["api-version"] == "2.1"
    assert "legal-entity" not in headers


@respx.mock
def test_the_legal_entity_and_api_version_are_sent_as_configured() -> None:
    login = tokens("token-1111")
    data = respx.get(f"{BASE}/Accounts").mock(return_value=ok(envelope([])))
    read_all(make_client(legal_entity="Acme AB", api_version="2.0"), "/Accounts")
    assert data.calls[0].request.headers["legal-entity"] == "Acme AB"
    assert data.calls[0].request.headers["api-version"] == "2.0"
    assert "Authorization" not in login.calls[0].request.headers


@respx.mock
def test_a_403_names_the_legal_entity_setting_and_missing_permissions() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/Invoices").mock(return_value=httpx.Response(403))
    with pytest.raises(AuthenticationError) as raised:
        read_all(make_client(legal_entity="Wrong Entity"))
    message = str(raised.value)
    assert "sources.younium.legal_entity" in message and "SOURCES__YOUNIUM__LEGAL_ENTITY" in message
    assert "'Wrong Entity'" in message and "permission" in message
    assert raised.value.status == 403


@pytest.mark.parametrize("status", [400, 401])
@respx.mock
def test_refused_credentials_name_the_settings_to_fix_and_never_the_secret(status: int) -> None:
    respx.post(f"{BASE}/auth/v2/token").mock(
        return_value=httpx.Response(status, json={"errors": [f"Invalid secret {SECRET} for {CLIENT_ID}"]})
    )
    with pytest.raises(AuthenticationError) as raised:
        read_all(make_client(), "/Accounts")
    message = str(raised.value)
    assert "SOURCES__YOUNIUM__CLIENT_ID" in message and "SOURCES__YOUNIUM__SECRET" in message
    assert SECRET not in message and "Invalid secret" in message
    assert raised.value.exit_code == 2


@respx.mock
def test_the_token_never_appears_in_an_error_message() -> None:
    tokens("token-secret-9999")
    respx.get(f"{BASE}/Invoices").mock(
        return_value=httpx.Response(400, json={"title": "Bad token token-secret-9999 in request"})
    )
    with pytest.raises(UpstreamError) as raised:
        read_all(make_client())
    assert "token-secret-9999" not in str(raised.value)


# -- paging ------------------------------------------------------------------------------------------


@respx.mock
def test_paging_stops_when_next_page_is_null_even_without_a_page_count() -> None:
    tokens("token-1111")
    route = respx.get(f"{BASE}/Invoices").mock(
        side_effect=[
            ok(envelope([{"id": "1"}], 1, total=None, next_page=f"{BASE}/Invoices?PageNumber=2")),
            ok(envelope([{"id": "2"}], 2, total=None, next_page=None)),
        ]
    )
    assert [r["id"] for r in read_all(make_client())] == ["1", "2"]
    assert route.call_count == 2


@respx.mock
def test_paging_stops_at_the_last_page_even_if_next_page_is_still_set() -> None:
    tokens("token-1111")
    route = respx.get(f"{BASE}/Invoices").mock(
        side_effect=[
            ok(envelope([{"id": "1"}], 1, total=2, next_page=f"{BASE}/Invoices?PageNumber=2")),
            ok(envelope([{"id": "2"}], 2, total=2, next_page=f"{BASE}/Invoices?PageNumber=3")),
        ]
    )
    assert sorted(r["id"] for r in read_all(make_client())) == ["1", "2"]
    assert route.call_count == 2


@respx.mock
def test_every_page_is_requested_with_the_same_filters_even_when_next_page_drops_them() -> None:
    tokens("token-1111")
    elsewhere = respx.get("https://next.example.test/Invoices").mock(return_value=ok(envelope([])))
    route = respx.get(f"{BASE}/Invoices").mock(
        side_effect=[
            ok(
                envelope(
                    [{"id": str(n)}], n, total=3, next_page=f"https://next.example.test/Invoices?PageNumber={n + 1}"
                )
            )
            for n in (1, 2, 3)
        ]
    )
    window = Window(datetime(2024, 3, 1, 10, 30, tzinfo=timezone.utc), datetime(2024, 3, 2, tzinfo=timezone.utc))
    rows = [row for page in make_client(sequential=True).invoices(window, IDS) for row in page.to_pylist()]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    params = [c.request.url.params for c in route.calls]
    assert [p["PageNumber"] for p in params] == ["1", "2", "3"]
    assert {p["ModifiedAfter"] for p in params} == {"2024-03-01T10:30:00Z"}
    assert {p["ModifiedBefore"] for p in params} == {"2024-03-02T00:00:00Z"}, "the window is closed at its end"
    assert {p["PageSize"] for p in params} == {"100"}
    assert elsewhere.call_count == 0


def test_modified_after_is_sent_as_utc_with_z() -> None:
    moment = datetime.fromisoformat("2024-06-01T12:00:00+02:00")
    assert iso_utc(moment) == "2024-06-01T10:00:00Z"
    assert iso_utc(datetime(2024, 6, 1, 12, 0)) == "2024-06-01T12:00:00Z"


@respx.mock
def test_a_400_saying_nothing_could_be_found_twice_is_an_empty_result() -> None:
    tokens("token-1111")
    route = respx.get(f"{BASE}/Invoices").mock(return_value=httpx.Response(400, json=NOTHING))
    assert read_all(make_client()) == []
    assert route.call_count == 2, "an empty answer is confirmed once"


@respx.mock
def test_a_spurious_nothing_found_on_the_first_page_is_not_believed() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/Invoices").mock(side_effect=[httpx.Response(400, json=NOTHING), ok(envelope([{"id": "1"}]))])
    assert read_all(make_client()) == [{"id": "1"}]


@respx.mock
def test_nothing_found_on_a_later_page_of_a_list_that_announced_records_is_never_an_empty_end() -> None:
    tokens("token-1111")
    pages = {1: ok(envelope([{"id": "1"}], 1, total=3)), 2: httpx.Response(400, json=NOTHING)}

    def serve(request: httpx.Request) -> httpx.Response:
        return pages.get(int(request.url.params["PageNumber"]), ok(envelope([{"id": "3"}], 3, total=3)))

    route = respx.get(f"{BASE}/Payments").mock(side_effect=serve)
    with pytest.raises(UpstreamError, match=r"page 1 announced 3 records, the pages then held [12]") as raised:
        read_all(make_client(), "/Payments")
    assert "Nothing of this run was loaded" in str(raised.value)
    first_pages = [c.request.url.params["PageNumber"] for c in route.calls].count("1")
    assert first_pages == READ_ATTEMPTS, "the whole list was read again before giving up"


@respx.mock
def test_a_read_that_comes_up_short_is_read_again_and_ends_complete() -> None:
    tokens("token-1111")
    # Between pages 1 and 2, record 2 changed and moved to the end: record 3 slid back onto page 1.
    page_1 = ok(envelope([{"id": "1"}, {"id": "2"}], 1, total=2, count=4, next_page="more"))
    first = [page_1, ok(envelope([{"id": "4"}, {"id": "2"}], 2, total=2, count=4))]
    again = [page_1, ok(envelope([{"id": "3"}, {"id": "4"}], 2, total=2, count=4))]
    route = respx.get(f"{BASE}/Invoices").mock(side_effect=first + again)
    rows = read_all(make_client(sequential=True))
    assert {r["id"] for r in rows} == {"1", "2", "3", "4"} and route.call_count == 4


@respx.mock
def test_a_400_in_the_title_saying_could_not_be_found_is_also_empty() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/Accounts").mock(return_value=httpx.Response(400, json={"title": "Account could not be found"}))
    assert read_all(make_client(), "/Accounts") == []


@respx.mock
def test_any_other_400_is_an_error_with_the_reason() -> None:
    tokens("token-1111")
    body = {"errors": {"message": ["The value 'yesterday' is not valid for ModifiedAfter."]}, "status": 400}
    respx.get(f"{BASE}/Invoices").mock(return_value=httpx.Response(400, json=body))
    with pytest.raises(UpstreamError, match="not valid for ModifiedAfter") as raised:
        read_all(make_client())
    assert raised.value.status == 400


class InFlight:
    """A respx side effect serving N pages slowly, recording how many requests ran at once."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.current = 0
        self.peak = 0
        self.order: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["PageNumber"])
        with self._lock:
            self.current += 1
            self.peak = max(self.peak, self.current)
            self.order.append(number)
        time.sleep(0.05)
        with self._lock:
            self.current -= 1
        more = f"{BASE}/Invoices?PageNumber={number + 1}" if number < self.pages else None
        rows = [{"id": f"{number}-{i}"} for i in range(3)]
        return ok(envelope(rows, number, total=self.pages, next_page=more))


@respx.mock
def test_pages_after_the_first_are_read_concurrently_and_all_arrive() -> None:
    tokens("token-1111")
    server = InFlight(pages=8)
    respx.get(f"{BASE}/Invoices").mock(side_effect=server)
    rows = read_all(make_client(concurrency=4))
    assert sorted(r["id"] for r in rows) == sorted(f"{p}-{i}" for p in range(1, 9) for i in range(3))
    assert server.order[0] == 1
    assert 1 < server.peak <= 4


@respx.mock
def test_sequential_mode_reads_the_same_rows_one_page_at_a_time() -> None:
    tokens("token-1111", "token-2222")
    server = InFlight(pages=5)
    respx.get(f"{BASE}/Invoices").mock(side_effect=server)
    concurrent = read_all(make_client(concurrency=4))
    server.order.clear()
    server.peak = 0
    sequential = read_all(make_client(concurrency=4), sequential=True)
    assert sorted(r["id"] for r in sequential) == sorted(r["id"] for r in concurrent)
    assert server.order == [1, 2, 3, 4, 5]
    assert server.peak == 1


@respx.mock
def test_a_list_that_grows_while_it_is_read_is_followed_to_its_new_end() -> None:
    tokens("token-1111")

    def serve(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["PageNumber"])
        total = 2 if number == 1 else 3  # a record arrived after page 1 was read
        more = f"{BASE}/Invoices?p={number + 1}" if number < total else None
        return ok(envelope([{"id": str(number)}], number, total=total, next_page=more))

    respx.get(f"{BASE}/Invoices").mock(side_effect=serve)
    assert sorted(r["id"] for r in read_all(make_client())) == ["1", "2", "3"]


@respx.mock
def test_a_failing_page_fails_the_read() -> None:
    tokens("token-1111")

    def serve(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["PageNumber"])
        if number == 3:
            return httpx.Response(400, json={"title": "Something else went wrong"})
        return ok(envelope([{"id": str(number)}], number, total=4, next_page="x"))

    respx.get(f"{BASE}/Invoices").mock(side_effect=serve)
    with pytest.raises(UpstreamError, match="Something else went wrong"):
        read_all(make_client())


@pytest.mark.parametrize("size", [0, 101, 500])
def test_a_page_size_above_100_is_rejected_by_the_configuration(size: int) -> None:
    with pytest.raises(ConfigurationError, match="SOURCES__YOUNIUM__PAGE_SIZE"):
        younium(client_id=CLIENT_ID, secret=SECRET, page_size=size)


def test_the_source_reads_nothing_when_it_is_created() -> None:
    with respx.mock(assert_all_called=False) as mock:
        source = younium(client_id=CLIENT_ID, secret=SECRET, base_url=BASE)
        assert mock.calls.call_count == 0
    assert {"invoice_batches", "invoice_lines", "payments"} <= set(source.selected_resources)


@respx.mock
def test_a_batch_log_whose_data_is_a_single_object_is_read_as_one_entry() -> None:
    tokens("token-1111")
    entry = {"entityId": "inv-1", "errorMessage": "Account has no currency", "created": "2024-03-01T10:00:00"}
    route = respx.get(f"{BASE}/InvoiceBatches/b-1/BatchLog").mock(return_value=ok(envelope(entry)))
    log = make_client().batch_log("b-1", pa.schema([(name, pa.string()) for name in entry])).to_pylist()
    assert log == [entry]
    assert route.calls[0].request.url.params["PageNumber"] == "1"


def test_amounts_are_exact_decimals_from_json_to_arrow() -> None:
    body = httpx.Response(200, content=b'{"data": [{"id": "i1", "subtotal": 0.1, "totalAmount": 1234567.89}]}')
    with respx.mock:
        tokens("token-1111")
        respx.get(f"{BASE}/Invoices").mock(return_value=body)
        rows = read_all(make_client(), records=invoice_records())
    table = INVOICES.from_rows([flatten(r) for r in rows], timezone.utc)
    assert table.column("subtotal").to_pylist() == [Decimal("0.1000")]
    assert table.column("total_amount").to_pylist() == [Decimal("1234567.8900")]


# -- batch jobs --------------------------------------------------------------------------------------

JOB = {"jobId": "job-1", "batchNumber": "IB-7", "resultStatus": "Pending", "webhooks": []}


@respx.mock
def test_the_idempotency_key_is_the_same_on_every_retry_of_one_generate() -> None:
    tokens("token-1111")
    route = respx.post(f"{BASE}/InvoiceBatches").mock(side_effect=[httpx.Response(503), ok(JOB)])
    job = generate_batch(make_client(), target_date=date(2024, 3, 31), invoice_date=date(2024, 4, 1))
    keys = [c.request.headers["younium-idempotency-key"] for c in route.calls]
    assert len(keys) == 2 and keys[0] == keys[1] == job.idempotency_key
    assert job.reference == "job-1"


@respx.mock
def test_each_generate_invocation_gets_its_own_idempotency_key() -> None:
    tokens("token-1111")
    route = respx.post(f"{BASE}/InvoiceBatches").mock(return_value=ok(JOB))
    client = make_client()
    generate_batch(client, target_date=date(2024, 3, 31))
    generate_batch(client, target_date=date(2024, 3, 31))
    keys = {c.request.headers["younium-idempotency-key"] for c in route.calls}
    assert len(keys) == 2


@respx.mock
def test_generate_asks_for_all_accounts_and_groups_unless_some_are_named() -> None:
    tokens("token-1111")
    route = respx.post(f"{BASE}/InvoiceBatches").mock(return_value=ok(JOB))
    client = make_client()
    generate_batch(client, target_date=date(2024, 3, 31), idempotency_key="key-1")
    generate_batch(
        client,
        target_date=date(2024, 3, 31),
        invoice_date=date(2024, 4, 1),
        accounts=["acc-1"],
        batch_groups=["grp-1"],
        minimum_amount=Decimal("100.50"),
        idempotency_key="key-2",
    )
    everything, chosen = (json.loads(c.request.content) for c in route.calls)
    assert everything["invoiceAllAccounts"] is True and everything["invoiceAllBatchGroups"] is True
    assert everything["targetDate"] == "2024-03-31" and "minimumInvoiceAmount" not in everything
    assert chosen["invoiceAllAccounts"] is False and chosen["accounts"] == ["acc-1"]
    assert chosen["invoiceAllBatchGroups"] is False and chosen["invoiceBatchGroups"] == ["grp-1"]
    assert chosen["invoiceDate"] == "2024-04-01" and chosen["minimumInvoiceAmount"] == 100.5
    assert route.calls[1].request.headers["younium-idempotency-key"] == "key-2"


@respx.mock
def test_post_batch_sends_its_idempotency_key_to_the_post_route() -> None:
    tokens("token-1111")
    route = respx.post(f"{BASE}/InvoiceBatches/b-1/Post").mock(return_value=ok({**JOB, "id": "b-1"}))
    job = post_batch(make_client(), "b-1", "post-key-1")
    assert route.calls[0].request.headers["younium-idempotency-key"] == "post-key-1"
    assert job.idempotency_key == "post-key-1"


def stored_answer(first_made: datetime) -> httpx.Response:
    """Younium's answer to a POST with a key it saw before: the stored response, expiring 48 h after it."""
    expires = (first_made + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {"younium-idempotency-durationinhours": "48", "younium-idempotency-expires": expires}
    return httpx.Response(200, json=JOB, headers=headers)


@respx.mock
def test_a_replayed_answer_says_when_the_job_it_returns_was_first_started() -> None:
    tokens("token-1111")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    respx.post(f"{BASE}/InvoiceBatches").mock(side_effect=[stored_answer(now), stored_answer(now - timedelta(hours=3))])
    client = make_client()
    fresh = generate_batch(client, target_date=date(2024, 3, 31), idempotency_key="key-1")
    replayed = generate_batch(client, target_date=date(2025, 1, 31), idempotency_key="key-1")
    assert fresh.first_answered is None
    assert replayed.first_answered == now - timedelta(hours=3)


def test_generate_with_a_reused_key_says_the_new_parameters_were_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from finsync.cli import app

    for name, value in (("CLIENT_ID", CLIENT_ID), ("SECRET", SECRET), ("BASE_URL", BASE)):
        monkeypatch.setenv(f"SOURCES__YOUNIUM__{name}", value)
    with respx.mock:
        tokens("token-1111")
        respx.post(f"{BASE}/InvoiceBatches").mock(
            return_value=stored_answer(datetime.now(timezone.utc) - timedelta(hours=5))
        )
        respx.get(f"{BASE}/InvoiceBatches/BatchJobStatus/job-1/Generated").mock(
            return_value=job_status("Succeeded", {"id": "b-1", "batchNumber": "IB-7"})
        )
        respx.get(f"{BASE}/InvoiceBatches/b-1/BatchLog").mock(return_value=ok(envelope([])))
        result = CliRunner().invoke(
            app, ["younium", "generate-batch", "--target-date", "2031-01-31", "--idempotency-key", "key-1"]
        )
    assert result.exit_code == 0, result.output
    assert "Younium returned the job it started for this idempotency key" in result.output
    assert "parameters were ignored" in result.output


def job_status(status: str, body: object, message: str | None = None) -> httpx.Response:
    return ok({"resultStatus": status, "statusMessage": message, "resultBody": body})


@respx.mock
def test_a_generate_job_is_polled_from_pending_until_it_succeeds() -> None:
    tokens("token-1111")
    detail = {"batchId": "b-9", "batchNumber": "IB-9", "message": "12 invoices created"}
    respx.get(f"{BASE}/InvoiceBatches/BatchJobStatus/job-1/Generated").mock(
        side_effect=[
            httpx.Response(400, json={"title": "Job could not be found"}),
            job_status("Pending", None),
            job_status("Succeeded", detail),
        ]
    )
    seen: list[JobProgress] = []
    sleeps: list[float] = []
    result = wait_for_job(
        make_client(), "job-1", "Generated", poll_interval=2.0, on_progress=seen.append, sleep=sleeps.append
    )
    assert result.succeeded and (result.batch_id, result.batch_number) == ("b-9", "IB-9")
    assert result.message == "12 invoices created"
    assert [p.status for p in seen] == ["Pending", "Pending", "Succeeded"]
    assert sleeps == [2.0, 2.0]


@respx.mock
def test_a_posted_job_that_fails_raises_with_its_messages() -> None:
    tokens("token-1111")
    details = [{"batchId": "b-9", "batchNumber": "IB-9", "message": "Invoice 1001 has no account"}]
    respx.get(f"{BASE}/InvoiceBatches/BatchJobStatus/job-2/Posted").mock(
        side_effect=[job_status("Pending", []), job_status("Failed", details, "Posting failed")]
    )
    with pytest.raises(BatchJobError, match="Posting failed; Invoice 1001 has no account") as raised:
        wait_for_job(make_client(), "job-2", "Posted", poll_interval=0.0, sleep=lambda _s: None)
    assert raised.value.result is not None and raised.value.result.batch_id == "b-9"


@respx.mock
def test_a_job_still_pending_at_the_timeout_is_an_error() -> None:
    tokens("token-1111")
    respx.get(f"{BASE}/InvoiceBatches/BatchJobStatus/job-3/Generated").mock(return_value=job_status("Pending", None))
    clock = iter(float(i) for i in range(1000))
    with pytest.raises(BatchJobError, match="still Pending"):
        wait_for_job(
            make_client(),
            "job-3",
            "Generated",
            poll_interval=1.0,
            timeout=5.0,
            sleep=lambda _s: None,
            clock=lambda: next(clock),
        )


@respx.mock
def test_batch_log_errors_lists_only_entries_with_an_error_message() -> None:
    tokens("token-1111")
    entries = [{"entityId": "i1", "errorMessage": "Missing tax"}, {"entityId": "i2", "reference": "ok"}]
    respx.get(f"{BASE}/InvoiceBatches/b-1/BatchLog").mock(return_value=ok(envelope(entries)))
    found = batch_log_errors(make_client(), "b-1")
    assert [{k: v for k, v in entry.items() if v is not None} for entry in found] == [entries[0]]


def test_a_client_for_jobs_is_configured_from_the_same_settings_as_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__YOUNIUM__CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SOURCES__YOUNIUM__SECRET", SECRET)
    monkeypatch.setenv("SOURCES__YOUNIUM__BASE_URL", BASE)
    monkeypatch.setenv("SOURCES__YOUNIUM__LEGAL_ENTITY", "Acme AB")
    with respx.mock:
        tokens("token-1111")
        route = respx.get(f"{BASE}/InvoiceBatches/b-1/BatchLog").mock(return_value=ok(envelope([])))
        younium_client().batch_log("b-1", IDS)
    assert route.calls[0].request.headers["legal-entity"] == "Acme AB"


def test_a_client_for_jobs_without_credentials_names_the_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCES__YOUNIUM__CLIENT_ID", raising=False)
    with pytest.raises(ConfigurationError, match="SOURCES__YOUNIUM__CLIENT_ID"):
        younium_client()
