"""The HTTP policy every upstream client uses: timeouts, retries with backoff, what each answer means,
readable redacted errors.

What a status means is data: each upstream gives a table of `Rule`s (status, optionally a test of the
body, and what follows), consulted before the defaults (2xx is a reply; 408, 425, 429 and 5xx are
retried, honouring Retry-After; any other status is refused with the server's reason).

A base URL that leads nowhere is a setting to fix, not an outage to wait out: until its host has answered
once, a request that finds no such host or a refused connection fails at once (`WrongBaseUrl`, naming the
URL and the setting). Once the host has answered, the same failures are an outage, retried as any other.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from finsync.errors import UpstreamError, WrongBaseUrl, setting_env_var

from .address import nobody_there, same_origin, shown
from .pacing import Pacer
from .redaction import redact
from .stop import pause

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]
T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts and retry budget; the same knobs for every upstream."""

    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    # Politeness (see `pacing`): request starts per second (0: no cap), the rate a run starts at (0: the
    # cap), and requests in flight at once.
    max_requests_per_second: float = 0.0
    start_requests_per_second: float = 0.0
    max_in_flight: int = 8


@dataclass(frozen=True)
class Reply:
    """A response with its body read and parsed; `empty` when a rule read it as "no records"."""

    status: int
    headers: httpx.Headers
    body: Any
    empty: bool = False


@dataclass(frozen=True)
class Rule:
    """What an answer means: for `statuses` (and a body `when` says yes to), `then` is `"reply"` (hand it to
    the caller as it is), `"empty"` (a reply meaning "no records") or a function giving the error to raise."""

    statuses: tuple[int, ...]
    then: Literal["reply", "empty"] | Callable[[str, Reply], Exception]
    when: Callable[[Any], bool] | None = None

    def applies(self, status: int, body: Any) -> bool:
        return status in self.statuses and (self.when is None or self.when(body))


class RetryableStatus(Exception):
    """A status worth retrying (429, 5xx); carries the server's Retry-After when it sent one."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
        super().__init__(f"HTTP {response.status_code} {response.reason_phrase}")


class TruncatedBody(Exception):
    """The body ended before the JSON did (a dropped or truncated response)."""


class HttpClient:
    """An httpx client bound to one upstream, applying the shared policy and the upstream's rules to every
    request. Tests hand a `transport` (or let respx patch httpx); nothing else in finsync talks HTTP.

    `base_url_setting` names the setting the base URL comes from (`sources.ym.base_url`), for the error that
    says it leads nowhere."""

    def __init__(
        self,
        system: str,
        base_url: str,
        settings: HttpSettings | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        rules: Sequence[Rule] = (),
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = pause,
        base_url_setting: str = "",
    ) -> None:
        self.system = system
        self.base_url_setting = base_url_setting
        self._answered = False  # whether the base URL's host has answered a request yet
        self.settings = settings or HttpSettings()
        self.rules = tuple(rules)
        self._sleep = sleep
        self.pacer = Pacer(
            self.settings.max_requests_per_second,
            self.settings.max_in_flight,
            start_rate=self.settings.start_requests_per_second,
            sleep=sleep,
        )
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=dict(headers or {}),
            timeout=httpx.Timeout(self.settings.timeout, connect=self.settings.connect_timeout),
            transport=transport,
            follow_redirects=True,
        )

    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    @property
    def address(self) -> str:
        """The base URL as a message may show it: no user, password, query or fragment."""
        return shown(self._client.base_url)

    def wrong_base_url(self, problem: str, then: str = "") -> WrongBaseUrl:
        """The error for a base URL that leads nowhere: `problem` (what the URL did), the setting, `then`."""
        key = self.base_url_setting or "base_url"
        fix = (
            f"Check the setting `{key}` (env {setting_env_var(key)}): the scheme, host, port and path of the "
            f"{self.system} API."
        )
        return WrongBaseUrl(self.system, key, f"{self.system} {problem}. {fix} {then}".rstrip())

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        rules: Sequence[Rule] = (),
        decode: Callable[[bytes], Any] | None = None,
    ) -> Reply:
        """Send with retries; return the parsed reply. `rules` (then the client's) say what a status means;
        a status no rule names is a reply when 2xx, retried when transient, refused otherwise. `decode`
        reads a 2xx body a faster way (`columnar.ListPage`); where it answers None, the body is read as
        exact JSON."""
        what = f"{method} {self.describe(url)}"

        def attempt() -> Reply:
            with self.pacer.slot(), self._first_contact(what, url):
                response = self._client.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=dict(headers or {}),
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                )
                self._answered = True
            status = response.status_code
            self.pacer.answered(status, _retry_after_seconds(response.headers.get("Retry-After")))
            # A 2xx body that is not whole JSON was cut short (retried); an error's may be any text.
            body = decode(response.content) if decode is not None and 200 <= status < 300 else None
            if body is None:
                body = parse_json(response) if 200 <= status < 300 else _maybe_json(response)
            return self._answer(what, response, body, rules)

        return self._retrying(method, url)(attempt)

    def download(
        self, url: str, target: Path, *, missing: frozenset[int] = frozenset({404}), auth: httpx.Auth | None = None
    ) -> bool:
        """Stream a file to `target` (never whole in memory), with the same retries as `request`, and its rules
        for an answer that is no file (a 2xx body is the file, written as it comes).

        Returns False, leaving `target` empty, when the server answers one of the `missing` statuses. A
        body that ends before its Content-Length is a dropped connection, retried like one.
        """
        what = f"GET {self.describe(url)}"
        absent = (Rule(tuple(missing), "empty"),)

        def attempt() -> bool:
            with (
                self.pacer.slot(),
                self._first_contact(what, url),
                self._client.stream("GET", url, auth=auth or httpx.USE_CLIENT_DEFAULT) as response,
                target.open("wb") as file,
            ):
                self._answered = True
                status = response.status_code
                self.pacer.answered(status, _retry_after_seconds(response.headers.get("Retry-After")))
                if not 200 <= status < 300:
                    response.read()
                    return not self._answer(what, response, _maybe_json(response), absent).empty
                for chunk in response.iter_bytes(1 << 20):
                    file.write(chunk)
            return True

        return self._retrying("GET", url)(attempt)

    def _answer(self, what: str, response: httpx.Response, body: Any, rules: Sequence[Rule]) -> Reply:
        """What an answer means by `rules`, then the client's: a reply, or an error raised. A status no rule
        names is a reply when 2xx, retried when transient, refused otherwise."""
        status = response.status_code
        for rule in (*rules, *self.rules):
            if rule.applies(status, body):
                if rule.then == "reply" or rule.then == "empty":
                    return Reply(status, response.headers, body, empty=rule.then == "empty")
                raise rule.then(what, Reply(status, response.headers, body))
        if status in RETRYABLE_STATUSES:
            raise RetryableStatus(response)
        if not 200 <= status < 300:
            raise self._refused(what, response)
        return Reply(status, response.headers, body)

    def sleep(self, seconds: float) -> None:
        self._sleep(seconds)

    def describe(self, url: str) -> str:
        """The request target as it may appear in logs: path only, secrets masked."""
        return redact(httpx.URL(url).path if "://" in url else url)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _first_contact(self, what: str, url: str) -> Iterator[None]:
        """Until the base URL's host has answered, no such host or a refused connection is `WrongBaseUrl`:
        a setting to fix, not an outage (retrying would only make the user wait for the same answer)."""
        try:
            yield
        except httpx.ConnectError as error:
            found = None if self._answered or not same_origin(url, self._client.base_url) else nobody_there(error)
            if found is None:
                raise
            problem, then = found
            wrong = self.wrong_base_url(
                f"cannot be reached at {self.address}: {problem} on the first request ({what})", then
            )
            wrong.original = error  # for FINSYNC_DEBUG=1
            raise wrong from None

    # -- retries ----------------------------------------------------------------------------------------------

    def _retrying(self, method: str, url: str) -> Callable[[Callable[[], T]], T]:
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            before_sleep=lambda state: self._log_retry(method, url, state),
            sleep=self._sleep,
            reraise=True,
        )

        def run(attempt: Callable[[], T]) -> T:
            try:
                return retrying(attempt)
            except (RetryableStatus, TruncatedBody, httpx.TransportError) as error:
                raise UpstreamError(
                    self.system,
                    f"{method} {self.describe(url)} failed after {self.settings.max_attempts} attempts "
                    f"({redact(_describe_error(error))}). The service is unavailable, overloaded or "
                    "dropping connections; rerun later: nothing already loaded is lost.",
                    status=getattr(error, "status", None),
                ) from None

        return run

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableStatus) and error.retry_after is not None:
            return min(error.retry_after, self.settings.retry_after_max)
        jitter = wait_random_exponential(multiplier=self.settings.backoff_initial, max=self.settings.backoff_max)
        return float(jitter(state))

    def _log_retry(self, method: str, url: str, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableStatus) and error.status == 429 and state.next_action:
            self.pacer.waited(state.next_action.sleep)
        logger.warning(
            "%s %s %s: attempt %d failed (%s); retrying in %.1fs",
            self.system,
            method,
            self.describe(url),
            state.attempt_number,
            _describe_error(error) if error else "?",
            state.next_action.sleep if state.next_action else 0.0,
        )

    def _refused(self, what: str, response: httpx.Response) -> UpstreamError:
        detail = response.text[:300].strip().replace("\n", " ")
        return UpstreamError(
            self.system,
            f"{what} was rejected with HTTP {response.status_code} {response.reason_phrase}: "
            f"{redact(detail) or '(empty body)'}",
            status=response.status_code,
        )


def parse_json(response: httpx.Response) -> Any:
    return exact_json(response.content)


def exact_json(content: bytes) -> Any:
    """JSON with exact decimals: a float would already have lost the cents' exactness."""
    try:
        return json.loads(content, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise TruncatedBody(f"unreadable JSON body ({error.msg} at byte {error.pos})") from error


def _maybe_json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, (RetryableStatus, TruncatedBody, httpx.TransportError))


def _describe_error(error: BaseException) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"timed out: {type(error).__name__}"
    if isinstance(error, httpx.TransportError):
        return f"connection problem: {type(error).__name__}: {error}"
    return str(error)
