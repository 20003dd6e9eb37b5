"""The shared HTTP policy: what is retried, how long it waits, and what the user reads when it gives up."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from finsync.errors import UpstreamError
from finsync.http import HttpClient, HttpSettings, Rule, install_log_redaction, redact, register_secret

BASE = "https://api.example.test"


def client(sleeps: list[float], attempts: int = 3) -> HttpClient:
    settings = HttpSettings(max_attempts=attempts, backoff_initial=0.01, backoff_max=0.05)
    return HttpClient("Test", BASE, settings, sleep=sleeps.append)


@respx.mock
def test_a_429_is_retried_after_the_servers_retry_after() -> None:
    route = respx.get(f"{BASE}/things").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={"ok": True})]
    )
    sleeps: list[float] = []
    assert client(sleeps).request("GET", "/things").body == {"ok": True}
    assert route.call_count == 2
    assert sleeps == [2.0]


@respx.mock
def test_server_errors_and_dropped_connections_are_retried_with_capped_backoff() -> None:
    respx.get(f"{BASE}/things").mock(
        side_effect=[
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.RemoteProtocolError("peer closed connection"),
            httpx.Response(200, json=[1]),
        ]
    )
    sleeps: list[float] = []
    assert client(sleeps, attempts=4).request("GET", "/things").body == [1]
    assert len(sleeps) == 3 and all(0 <= s <= 0.05 for s in sleeps)


@respx.mock
def test_a_truncated_json_body_is_retried() -> None:
    respx.get(f"{BASE}/things").mock(
        side_effect=[httpx.Response(200, content=b'{"data": [1, 2'), httpx.Response(200, json={"data": [1, 2]})]
    )
    assert client([]).request("GET", "/things").body == {"data": [1, 2]}


@respx.mock
def test_amounts_are_parsed_as_exact_decimals() -> None:
    respx.get(f"{BASE}/money").mock(return_value=httpx.Response(200, content=b'{"amount": 0.1, "total": 1234567.89}'))
    body = client([]).request("GET", "/money").body
    assert str(body["amount"]) == "0.1" and str(body["total"]) == "1234567.89"


@respx.mock
def test_giving_up_says_what_failed_and_that_a_rerun_is_safe() -> None:
    respx.get(f"{BASE}/things").mock(return_value=httpx.Response(503))
    with pytest.raises(UpstreamError) as raised:
        client([], attempts=3).request("GET", "/things")
    message = str(raised.value)
    assert "GET /things failed after 3 attempts" in message and "HTTP 503" in message and "rerun" in message


@respx.mock
def test_client_errors_are_not_retried_and_are_reported_with_their_status() -> None:
    route = respx.get(f"{BASE}/things").mock(return_value=httpx.Response(404, text="no such thing"))
    with pytest.raises(UpstreamError) as raised:
        client([]).request("GET", "/things")
    assert route.call_count == 1 and raised.value.status == 404 and "no such thing" in str(raised.value)


@respx.mock
def test_a_rule_says_what_a_status_means_before_the_defaults() -> None:
    respx.get(f"{BASE}/file").mock(return_value=httpx.Response(404, json={"error": "not yet"}))
    reply = client([]).request("GET", "/file", rules=(Rule((404,), "reply"),))
    assert reply.status == 404 and reply.body == {"error": "not yet"}


@respx.mock
def test_a_rule_can_read_the_body_and_call_a_reply_empty_or_raise_its_own_error() -> None:
    respx.get(f"{BASE}/list").mock(return_value=httpx.Response(400, json={"message": "No things could be found"}))
    respx.get(f"{BASE}/odd").mock(return_value=httpx.Response(200, json={"status": "error"}))
    rules = (
        Rule((400,), "empty", when=lambda body: "could be found" in body["message"]),
        Rule(
            (200,),
            lambda what, reply: UpstreamError("Test", f"{what}: an error in a 200"),
            when=lambda b: "status" in b,
        ),
    )
    sleeps: list[float] = []
    assert client(sleeps).request("GET", "/list", rules=rules).empty
    with pytest.raises(UpstreamError, match="GET /odd: an error in a 200"):
        client(sleeps).request("GET", "/odd", rules=rules)
    assert sleeps == [], "neither is retried"


def test_registered_secrets_and_secret_shaped_fields_are_masked() -> None:
    register_secret("s3cr3t-passw0rd")
    text = redact(
        "login with s3cr3t-passw0rd; headers X-SS-ID: abc123def, Authorization: Bearer eyJhbGciOi.xyz.sig; "
        '{"Password": "other-pass", "access_token": "tok-999"}'
    )
    for secret in ("s3cr3t-passw0rd", "abc123def", "eyJhbGciOi", "other-pass", "tok-999"):
        assert secret not in text


def test_log_records_are_redacted_at_every_level(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    register_secret("session-7d1e5f")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpcore.http11").debug("sending X-SS-ID=%s", "session-7d1e5f")
        logging.getLogger("finsync.anything").error("failed for %s", "session-7d1e5f")
    assert "session-7d1e5f" not in caplog.text
    assert caplog.text.count("***") == 2
