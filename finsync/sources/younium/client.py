"""Younium REST client (API 2.1): personal-token auth, the required headers, the paged list envelope."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx

from finsync.errors import AuthenticationError, ConfigurationError, UpstreamError
from finsync.http import HttpClient, HttpSettings, JsonObject, Reply, bounded_map, redact, register_secret

from .settings import (
    ACCOUNTS_PATH,
    DEFAULT_API_VERSION,
    DEFAULT_AUTH_PATH,
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    DEFAULT_TOKEN_LIFETIME_SECONDS,
    DEFAULT_TOKEN_REFRESH_MARGIN_SECONDS,
    INVOICE_BATCHES_PATH,
    INVOICES_PATH,
    MAX_PAGE_SIZE,
    MAX_PAGES,
    PAYMENTS_PATH,
)

logger = logging.getLogger(__name__)

SYSTEM = "Younium"

CREDENTIALS_HINT = (
    "Check sources.younium.client_id (SOURCES__YOUNIUM__CLIENT_ID) and sources.younium.secret "
    "(SOURCES__YOUNIUM__SECRET): the Client ID and Secret Key of a personal token (Younium: Privacy & "
    "Security > Personal Tokens; the secret is shown only once, generate a new token if it is lost)."
)

# A list read that returns fewer records than its page 1 announced is read again, this many times in all.
READ_ATTEMPTS = 3
# New tokens tried for one call whose fresh tokens keep answering 401, the waits between them doubling.
TOKEN_ATTEMPTS = 4
TOKEN_RETRY_DELAY = 0.5

# "No accounts could be found", "Invoice batch could not be found": API 2.1's way of saying "empty".
_NOTHING_FOUND = re.compile(r"could\s+(?:not\s+)?be\s+found", re.IGNORECASE)


def error_texts(body: object, *, fields: bool = True) -> list[str]:
    """The human-readable messages of an error body: `errors.message`, an `errors` list, title, detail; and,
    with `fields`, the validation messages ASP.NET keys by the field they are about (`errors.accounts`), as
    "accounts: <message>"."""
    if isinstance(body, str):
        return [body] if body.strip() else []
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    errors = body.get("errors")
    found += _strings(errors.get("message") if isinstance(errors, dict) else errors)
    if fields and isinstance(errors, dict):
        found += [f"{key}: {text}" for key, value in errors.items() if key != "message" for text in _strings(value)]
    for key in ("title", "detail", "message"):
        found += _strings(body.get(key))
    return found


def is_nothing_found(body: object) -> bool:
    """API 2.1 answers a list with no matching records with HTTP 400 "No X could be found". A field's
    validation message ("Account x could not be found") is a refusal, not an empty list."""
    return any(_NOTHING_FOUND.search(text) for text in error_texts(body, fields=False))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float))]
    return []


def error_summary(body: object) -> str:
    """An error body's messages in one redacted line, for error messages."""
    texts = error_texts(body)
    return redact("; ".join(texts)[:300]) if texts else "no reason given"


def _whole(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def iso_utc(moment: datetime) -> str:
    """ModifiedAfter's form: ISO-8601 in UTC with `Z` (a naive moment is taken to be UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Window:
    """An incremental read's closed window: records modified after `after` and before `before`. Its end
    is fixed when the run starts, so a record that changes while the run reads is left to the next run."""

    after: datetime
    before: datetime
    resumed: bool = False  # it continues from a cursor: its overlap re-reads records, so it is never empty

    def params(self) -> dict[str, str]:
        return {"ModifiedAfter": iso_utc(self.after), "ModifiedBefore": iso_utc(self.before)}


@dataclass(frozen=True)
class Page:
    """One page of the list envelope {pageNumber, pageSize, totalPages, totalCount, nextPage, data}."""

    number: int
    rows: list[JsonObject]
    total_pages: int | None
    total_count: int | None
    has_next: bool

    @property
    def gone(self) -> bool:
        """An empty page from "nothing found" (a real page always holds records)."""
        return not self.rows and self.total_count is None

    @property
    def is_last(self) -> bool:
        return not self.rows or not self.has_next or (self.total_pages is not None and self.number >= self.total_pages)

    @classmethod
    def parse(cls, body: object, requested: int, what: str) -> Page:
        if isinstance(body, list):  # an endpoint answering a bare list has no further pages
            rows = [r for r in body if isinstance(r, dict)]
            return cls(requested, rows, 1, len(rows), False)
        if not isinstance(body, dict):
            raise UpstreamError(SYSTEM, f"{what} returned {type(body).__name__}, not the paged JSON envelope")
        data = body.get("data")
        # BatchLog declares `data` as one object rather than a list.
        rows = [data] if isinstance(data, dict) else [r for r in data or [] if isinstance(r, dict)]
        return cls(
            _whole(body.get("pageNumber")) or requested,
            rows,
            _whole(body.get("totalPages")),
            _whole(body.get("totalCount")),
            bool(body.get("nextPage")),
        )


class YouniumClient:
    """One bearer token shared by every thread of a sync.

    The token is requested on first use, renewed a few minutes before it expires, and renewed once
    more if Younium answers 401 anyway. Every data call carries `api-version` and, when configured,
    `legal-entity`.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        legal_entity: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        auth_path: str = DEFAULT_AUTH_PATH,
        page_size: int = DEFAULT_PAGE_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        sequential: bool = False,
        http_settings: HttpSettings | None = None,
        refresh_margin_seconds: float = DEFAULT_TOKEN_REFRESH_MARGIN_SECONDS,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ConfigurationError(
                "sources.younium.page_size",
                f"must be between 1 and {MAX_PAGE_SIZE} (the API's maximum), not {page_size}",
            )
        register_secret(client_id)
        register_secret(secret)
        self._credentials = {"clientId": client_id, "secret": secret}
        self.legal_entity = legal_entity.strip() if legal_entity and legal_entity.strip() else None
        self._static_headers = {"api-version": api_version}
        if self.legal_entity:
            self._static_headers["legal-entity"] = self.legal_entity
        self._auth_path = auth_path
        self.page_size = page_size
        self.concurrency = max(1, concurrency)
        self.sequential = sequential
        self._refresh_margin = refresh_margin_seconds
        self._clock = clock
        self._http = HttpClient(
            SYSTEM, base_url, http_settings, headers={"Accept": "application/json"}, transport=transport
        )
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    # -- token ---------------------------------------------------------------------------------

    def _authenticate(self) -> tuple[str, float]:
        reply = self._http.request(
            "POST", self._auth_path, json_body=self._credentials, accept=frozenset({400, 401, 403, 404})
        )
        if reply.status == 404:
            raise AuthenticationError(
                SYSTEM,
                f"the token endpoint {self._http.describe(self._auth_path)} does not exist (HTTP 404). Check "
                "sources.younium.auth_path (SOURCES__YOUNIUM__AUTH_PATH): /auth/v2/token, or /auth/token for v1; "
                "and sources.younium.base_url (SOURCES__YOUNIUM__BASE_URL).",
                status=404,
            )
        if reply.status in (400, 401, 403):
            raise AuthenticationError(
                SYSTEM,
                f"the token request was refused (HTTP {reply.status}: {error_summary(reply.body)}). {CREDENTIALS_HINT}",
                status=reply.status,
            )
        body = reply.body if isinstance(reply.body, dict) else {}
        # The v2 endpoint answers access_token/expires_in, the v1 endpoint accessToken/expiresIn.
        token = body.get("access_token") or body.get("accessToken")
        if not token:
            raise AuthenticationError(
                SYSTEM, f"the token endpoint answered without an access token. {CREDENTIALS_HINT}"
            )
        register_secret(token)
        for refresh in (body.get("refresh_token"), body.get("refreshToken")):
            register_secret(refresh)
        lifetime = _whole(body.get("expires_in", body.get("expiresIn"))) or DEFAULT_TOKEN_LIFETIME_SECONDS
        logger.debug("Younium token obtained, valid for %ss", lifetime)
        # Renew ahead of expiry; a short-lived token is renewed half-way through its life instead.
        return str(token), self._clock() + max(lifetime - self._refresh_margin, lifetime / 2)

    def _headers(self, used: list[str]) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, self._renew_at = self._authenticate()
            used.append(self._token)
            return {"Authorization": f"Bearer {self._token}", **self._static_headers}

    def _drop_token(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    # -- calls ---------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: frozenset[int] = frozenset(),
    ) -> Reply:
        """An authenticated call; statuses in `accept` are returned for the caller to read.

        A 401 means the token died: request a new one and retry. A token can be refused again right
        after it was issued (revoked, rotated elsewhere), so that is retried a few times, waiting longer
        each time; a refused token request is the only authentication error.
        """
        for attempt in range(1, TOKEN_ATTEMPTS + 1):
            used: list[str] = []
            reply = self._http.request(
                method,
                path,
                params=params,
                json_body=json_body,
                headers=headers,
                accept=accept | {401, 403},
                before_attempt=lambda used=used: self._headers(used),
            )
            if reply.status == 403:
                raise self._forbidden(method, path, reply.body)
            if reply.status != 401:
                return reply
            self._drop_token(used[-1])
            if attempt > 1:
                self._http.sleep(TOKEN_RETRY_DELAY * 2 ** (attempt - 2))
            logger.info("Younium answered 401 on %s; requesting a new token", self._http.describe(path))
        raise UpstreamError(
            SYSTEM,
            f"{method} {self._http.describe(path)} was refused with HTTP 401 after {TOKEN_ATTEMPTS} new tokens in a "
            "row: Younium issues tokens for these credentials but does not accept them. Rerun later; if it persists, "
            "generate a new personal token.",
            status=401,
        )

    def _forbidden(self, method: str, path: str, body: object) -> AuthenticationError:
        current = f"now {self.legal_entity!r}" if self.legal_entity else "now not set"
        return AuthenticationError(
            SYSTEM,
            f"{method} {self._http.describe(path)} was refused with HTTP 403 Forbidden ({error_summary(body)}). "
            "The token is valid, but either the legal entity is wrong or missing, or the API user lacks a "
            f"permission. Set sources.younium.legal_entity (SOURCES__YOUNIUM__LEGAL_ENTITY; {current}) to the "
            "legal entity's id or name (required when the tenant has several), and give the token's user the "
            "read permissions for this data (e.g. Invoice Read, Account View).",
            status=403,
        )

    # -- paging --------------------------------------------------------------------------------

    def page(self, path: str, params: Mapping[str, Any], number: int, page_size: int | None = None) -> Page:
        """One page; an HTTP 400 "No … could be found" is an empty page, any other 400 an error."""
        size = page_size or self.page_size
        what = f"GET {self._http.describe(path)} page {number}"
        reply = self.call(
            "GET", path, params={**params, "PageSize": size, "PageNumber": number}, accept=frozenset({400})
        )
        if reply.status == 400:
            if is_nothing_found(reply.body):
                return Page(number, [], None, None, False)
            raise UpstreamError(SYSTEM, f"{what} was rejected with HTTP 400: {error_summary(reply.body)}", status=400)
        return Page.parse(reply.body, number, what)

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = "id",
        page_size: int | None = None,
        concurrency: int | None = None,
        sequential: bool | None = None,
        expect_rows: bool = False,
    ) -> Iterator[list[JsonObject]]:
        """Every page of a list endpoint, as lists of records, proven complete.

        Page 1 announces how many records the list holds (`totalCount`). A read is complete when it has
        returned that many distinct records (by `key`; rows when there is no key). Offset paging over a
        list that changes while it is read can skip a record (one that changed moves, the others slide
        back onto a page already read), so a read that comes up short is read again from page 1, and
        fails after `READ_ATTEMPTS`. Records already handed over may come again: callers merge by key.
        An empty answer ("nothing found" on page 1) is only believed when a second request says so too:
        believed once, a spurious one would end a run without rows it should have read. With `expect_rows`
        (an incremental window always holds the records its overlap re-reads), an empty list is read again
        before it is accepted.
        """
        filters = dict(params or {})
        shortfall = ""
        announced_before = 0  # what an earlier attempt's page 1 announced: an empty answer now contradicts it
        for attempt in range(1, READ_ATTEMPTS + 1):
            seen: set[object] = set()
            rows_read = 0
            announced: int | None = None
            for page in self._read_once(path, filters, page_size, concurrency, sequential):
                if page.number == 1:
                    announced = page.total_count if not page.gone else (announced_before or None)
                elif page.gone:
                    break  # "nothing found" past a page 1 that announced records: the list shrank
                rows_read += len(page.rows)
                if key:
                    seen.update(row.get(key) for row in page.rows)
                if page.rows:
                    yield page.rows
            got = len(seen) if key else rows_read
            if announced is None and not rows_read and expect_rows and attempt < READ_ATTEMPTS:
                logger.warning(
                    "Younium %s answered that it holds nothing, where records were expected; reading it again",
                    self._http.describe(path),
                )
                continue
            if announced is None or got >= announced:
                return
            announced_before = max(announced_before, announced)
            shortfall = f"page 1 announced {announced} records, the pages then held {got}"
            if attempt == READ_ATTEMPTS:
                break
            logger.warning(
                "Younium %s read incomplete (%s); reading it again (attempt %d of %d)",
                self._http.describe(path),
                shortfall,
                attempt + 1,
                READ_ATTEMPTS,
            )
        raise UpstreamError(
            SYSTEM,
            f"GET {self._http.describe(path)} could not be read completely: {shortfall}, {READ_ATTEMPTS} times in a "
            "row (the list kept changing while it was read, or Younium's paging is inconsistent). Nothing of this "
            "run was loaded; rerun to try again.",
        )

    def _read_once(
        self,
        path: str,
        filters: dict[str, Any],
        page_size: int | None,
        concurrency: int | None,
        sequential: bool | None,
    ) -> Iterator[Page]:
        """The pages of one pass over a list. Each request is built here with the same filters: `nextPage`
        is never followed, as it is not known to keep ModifiedAfter. Once page 1 tells the page count,
        pages 2..N are read concurrently and handed over as they arrive."""
        workers = self.concurrency if concurrency is None else max(1, concurrency)
        one_by_one = self.sequential if sequential is None else sequential

        def fetch(number: int) -> Page:
            page = self.page(path, filters, number, page_size)
            logger.info(
                "Younium %s page %d/%s: %d rows",
                self._http.describe(path),
                page.number,
                page.total_pages or "?",
                len(page.rows),
                extra={"progress": "page"},
            )
            return page

        page = fetch(1)
        if page.gone:
            logger.info("Younium %s answered nothing found; asking once more", self._http.describe(path))
            page = fetch(1)
        yield page
        if page.is_last:
            return
        number = 2
        if not one_by_one and page.total_pages is not None and workers > 1:
            last = page.total_pages
            tail = page
            for outcome in bounded_map(fetch, range(2, last + 1), workers):
                if outcome.error is not None:
                    raise outcome.error
                assert outcome.result is not None
                yield outcome.result
                if outcome.result.gone:
                    return
                if outcome.item == last:
                    tail = outcome.result
            if tail.is_last:
                return
            number = last + 1  # the list grew while it was read: carry on one page at a time
        while number < MAX_PAGES:
            page = fetch(number)
            yield page
            if page.is_last:
                return
            number += 1

    # -- endpoints -----------------------------------------------------------------------------

    def _window(self, path: str, window: Window | None) -> Iterator[list[JsonObject]]:
        return self.pages(path, window.params() if window else {}, expect_rows=window is not None and window.resumed)

    def invoice_batches(self, window: Window | None = None) -> Iterator[list[JsonObject]]:
        return self._window(INVOICE_BATCHES_PATH, window)

    def invoices(self, window: Window | None = None) -> Iterator[list[JsonObject]]:
        """Invoices with their `invoiceLines`; within a window the API filters the lines too."""
        return self._window(INVOICES_PATH, window)

    def accounts(self, window: Window | None = None) -> Iterator[list[JsonObject]]:
        return self._window(ACCOUNTS_PATH, window)

    def payments(self, expect_rows: bool = False) -> Iterator[list[JsonObject]]:
        """Every payment: they have no modified field, so there is nothing to read incrementally by."""
        return self.pages(PAYMENTS_PATH, expect_rows=expect_rows)

    def batch_log(self, batch: str) -> list[JsonObject]:
        """The whole log of one invoice batch (by id or reference), read page by page."""
        path = f"{INVOICE_BATCHES_PATH}/{quote(str(batch), safe='')}/BatchLog"
        return [row for rows in self.pages(path, key=None, sequential=True) for row in rows]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> YouniumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
