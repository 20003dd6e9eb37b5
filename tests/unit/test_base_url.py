"""A base URL that leads nowhere is a setting to fix (exit 2, at once, naming the URL and the setting); the
same failures once the host has answered are an outage (retried, exit 1)."""

from __future__ import annotations

import socket

import httpx
import pytest
import respx

from finsync.errors import UpstreamError, WrongBaseUrl
from finsync.http import HttpClient, HttpSettings
from finsync.sources.ym.client import YMClient
from finsync.sources.younium.client import YouniumClient

YM = "https://ym.example.test/ym"
YOUNIUM = "https://younium.example.test"


def refused() -> httpx.ConnectError:
    """httpx's error for a refused connection, with the cause a real socket gives."""
    error = httpx.ConnectError("[Errno 111] Connection refused")
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return error


def unknown_host() -> httpx.ConnectError:
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return error


def ym_client(sleeps: list[float], base: str = YM) -> YMClient:
    client = YMClient(base, 4321, "api-key-1234", "api-password-5678", http_settings=HttpSettings(max_attempts=4))
    client._http._sleep = sleeps.append
    return client


def younium_client(sleeps: list[float]) -> YouniumClient:
    client = YouniumClient(YOUNIUM, "client-id-1", "secret-2", http_settings=HttpSettings(max_attempts=4))
    client._http._sleep = sleeps.append
    return client


@respx.mock
def test_a_refused_first_connection_names_the_url_and_the_setting_and_is_not_retried() -> None:
    sign_in = respx.post(f"{YM}/Ams/Authenticate").mock(side_effect=refused())
    sleeps: list[float] = []
    with pytest.raises(WrongBaseUrl) as raised:
        ym_client(sleeps).call("GET", "InvoiceItems")
    assert raised.value.exit_code == 2 and raised.value.key == "sources.ym.base_url"
    assert str(raised.value) == (
        "YM cannot be reached at https://ym.example.test/ym: the connection was refused (nothing listens at that "
        "host and port) on the first request (POST /Ams/Authenticate). Check the setting `sources.ym.base_url` "
        "(env SOURCES__YM__BASE_URL): the scheme, host, port and path of the YM API. Not retried: if the address "
        "is right, the service is not accepting connections; run again later."
    )
    assert sign_in.call_count == 1 and sleeps == []


@respx.mock
def test_an_unknown_host_names_the_url_and_the_setting_and_is_not_retried() -> None:
    sign_in = respx.post(f"{YOUNIUM}/auth/v2/token").mock(side_effect=unknown_host())
    sleeps: list[float] = []
    with pytest.raises(WrongBaseUrl) as raised:
        younium_client(sleeps).sign_in()
    assert raised.value.exit_code == 2
    assert str(raised.value) == (
        "Younium cannot be reached at https://younium.example.test: its host is not found (DNS: Name or service "
        "not known) on the first request (POST /auth/v2/token). Check the setting `sources.younium.base_url` "
        "(env SOURCES__YOUNIUM__BASE_URL): the scheme, host, port and path of the Younium API. Not retried: a "
        "name DNS does not know stays unknown on a rerun."
    )
    assert sign_in.call_count == 1 and sleeps == []


@respx.mock
def test_the_url_shown_carries_no_credentials() -> None:
    respx.route(method="POST", path="/ym/Ams/Authenticate").mock(side_effect=refused())
    with pytest.raises(WrongBaseUrl) as raised:
        ym_client([], base="https://finsync:hunter2@ym.example.test/ym").call("GET", "InvoiceItems")
    message = str(raised.value)
    assert "at https://ym.example.test/ym:" in message
    assert "hunter2" not in message and "finsync" not in message


@respx.mock
def test_a_404_on_the_ym_sign_in_names_the_base_url_and_its_setting() -> None:
    respx.post(f"{YM}/Ams/Authenticate").mock(return_value=httpx.Response(404, text="Not Found"))
    with pytest.raises(WrongBaseUrl) as raised:
        ym_client([]).call("GET", "InvoiceItems")
    assert raised.value.exit_code == 2
    assert str(raised.value) == (
        "YM has no sign-in at https://ym.example.test/ym: POST /Ams/Authenticate answered HTTP 404 Not Found. "
        "Check the setting `sources.ym.base_url` (env SOURCES__YM__BASE_URL): the scheme, host, port and path of "
        "the YM API. YM's sign-in is /Ams/Authenticate under it (https://ws.yourmembership.com by default)."
    )


@respx.mock
def test_a_404_on_the_younium_token_route_names_the_base_url_and_both_settings() -> None:
    respx.post(f"{YOUNIUM}/auth/v2/token").mock(return_value=httpx.Response(404))
    with pytest.raises(WrongBaseUrl) as raised:
        younium_client([]).sign_in()
    assert raised.value.exit_code == 2
    assert str(raised.value) == (
        "Younium has no token route at https://younium.example.test: POST /auth/v2/token answered HTTP 404 Not "
        "Found. Check the setting `sources.younium.base_url` (env SOURCES__YOUNIUM__BASE_URL): the scheme, host, "
        "port and path of the Younium API. Check also sources.younium.auth_path (SOURCES__YOUNIUM__AUTH_PATH), "
        "now /auth/v2/token: /auth/v2/token, or /auth/token for v1."
    )


@respx.mock
def test_a_refused_connection_after_a_success_is_an_outage_and_is_retried() -> None:
    base = "https://api.example.test"
    route = respx.get(f"{base}/things").mock(
        side_effect=[httpx.Response(200, json=[1]), refused(), refused(), unknown_host(), refused()]
    )
    sleeps: list[float] = []
    client = HttpClient("Test", base, HttpSettings(max_attempts=4, backoff_max=0.01), sleep=sleeps.append)
    assert client.request("GET", "/things").body == [1]
    with pytest.raises(UpstreamError) as raised:
        client.request("GET", "/things")
    assert route.call_count == 5 and len(sleeps) == 3
    assert raised.value.exit_code == 1 and not isinstance(raised.value, WrongBaseUrl)
    assert "GET /things failed after 4 attempts (connection problem: ConnectError: [Errno 111] Connection " in str(
        raised.value
    )


@respx.mock
def test_an_answer_of_any_status_proves_the_host_and_later_refusals_are_retried() -> None:
    base = "https://api.example.test"
    respx.get(f"{base}/things").mock(side_effect=[httpx.Response(503), refused(), httpx.Response(200, json=[2])])
    sleeps: list[float] = []
    client = HttpClient("Test", base, HttpSettings(max_attempts=4, backoff_max=0.01), sleep=sleeps.append)
    assert client.request("GET", "/things").body == [2] and len(sleeps) == 2


@respx.mock
def test_a_dns_server_that_cannot_answer_for_now_is_retried() -> None:
    error = httpx.ConnectError("[Errno -3] Temporary failure in name resolution")
    error.__cause__ = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    respx.get("https://api.example.test/things").mock(side_effect=[error, httpx.Response(200, json=[3])])
    sleeps: list[float] = []
    client = HttpClient("Test", "https://api.example.test", HttpSettings(backoff_max=0.01), sleep=sleeps.append)
    assert client.request("GET", "/things").body == [3] and len(sleeps) == 1
