"""YourMembership REST client: session handling, ServiceStack error envelopes, the finance endpoints."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import httpx

from finsync.errors import AuthenticationError, UpstreamError
from finsync.http import HttpClient, HttpSettings, JsonObject, read_ahead, register_secret

from .settings import DEFAULT_EXPORT_STATUS_ROUTE, DEFAULT_PAGE_CONCURRENCY, DEFAULT_SESSION_REFRESH_SECONDS, MAX_PAGES

logger = logging.getLogger(__name__)

SYSTEM = "YM"
# Sign-ins tried for one call whose fresh sessions keep answering 401, the waits between them doubling.
SESSION_ATTEMPTS = 4
SESSION_RETRY_DELAY = 0.5

CREDENTIALS_HINT = (
    "Check sources.ym.client_id (SOURCES__YM__CLIENT_ID), sources.ym.api_key (SOURCES__YM__API_KEY) and "
    "sources.ym.api_password (SOURCES__YM__API_PASSWORD): the API key and password of an admin API "
    "account, and the numeric ClientID shown under API configuration in the YM admin."
)


class ExportState(Enum):
    """Sa.Export.Status codes; YM sends them as numbers or by name."""

    FAILURE = -1
    UNKNOWN = 0
    WORKING = 1
    COMPLETE = 2

    @classmethod
    def parse(cls, value: object) -> ExportState:
        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        try:
            return cls(int(str(value).strip()))
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True)
class ExportStatus:
    state: ExportState
    uri: str | None


def error_in_envelope(body: object) -> str | None:
    """The error a ServiceStack reply carries, if any.

    YM signals some errors in an HTTP 200 with `ResponseStatus.ErrorCode` set; success has an empty
    `ResponseStatus` or `ErrorCode: "None"`.
    """
    if not isinstance(body, dict):
        return None
    status = body.get("ResponseStatus") or {}
    code = str(status.get("ErrorCode") or "").strip()
    if not code or code == "None":
        return None
    message = str(status.get("Message") or "").strip()
    fields = ", ".join(str(e.get("FieldName")) for e in status.get("Errors") or [] if e.get("FieldName"))
    return f"{code}: {message}" + (f" (fields: {fields})" if fields else "")


class YMClient:
    """One admin session shared by every thread of a sync.

    The session is created on first use, renewed before YM's 15-minute idle expiry, and renewed once
    more if YM answers 401 anyway (sessions can be invalidated server-side).
    """

    def __init__(
        self,
        base_url: str,
        client_id: int,
        api_key: str,
        api_password: str,
        *,
        http_settings: HttpSettings | None = None,
        session_refresh_seconds: float = DEFAULT_SESSION_REFRESH_SECONDS,
        export_status_route: str = DEFAULT_EXPORT_STATUS_ROUTE,
        page_concurrency: int = DEFAULT_PAGE_CONCURRENCY,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        register_secret(api_key)
        register_secret(api_password)
        self.client_id = client_id
        self._credentials = {"ClientID": client_id, "UserType": "Admin", "Username": api_key, "Password": api_password}
        self._refresh_after = session_refresh_seconds
        self._export_status_route = export_status_route
        self._page_concurrency = max(1, page_concurrency)
        self._clock = clock
        self._http = HttpClient(
            SYSTEM, base_url, http_settings, headers={"Accept": "application/json"}, transport=transport
        )
        self._lock = threading.Lock()
        self._session: str | None = None
        self._last_used = 0.0

    # -- session -------------------------------------------------------------------------------

    def _authenticate(self) -> str:
        reply = self._http.request(
            "POST", "/Ams/Authenticate", json_body=self._credentials, accept=frozenset({400, 401, 403})
        )
        problem = error_in_envelope(reply.body)
        # A failed login is HTTP 401 with ErrorCode "None": the status, not the body, says it failed.
        if reply.status in (400, 401, 403):
            message = problem or (
                reply.body.get("ResponseStatus", {}).get("Message") if isinstance(reply.body, dict) else None
            )
            raise AuthenticationError(
                SYSTEM,
                f"sign-in was refused (HTTP {reply.status}: {message or 'no reason given'}). {CREDENTIALS_HINT}",
                status=reply.status,
            )
        session = reply.body.get("SessionId") if isinstance(reply.body, dict) else None
        if problem or not session:
            raise AuthenticationError(
                SYSTEM, f"sign-in returned no session ({problem or 'no SessionId'}). {CREDENTIALS_HINT}"
            )
        register_secret(session)
        logger.debug("YM session opened")
        return str(session)

    def _session_header(self, used: list[str]) -> dict[str, str]:
        with self._lock:
            if self._session is None or self._clock() - self._last_used > self._refresh_after:
                self._session = self._authenticate()
            self._last_used = self._clock()
            used.append(self._session)
            return {"X-SS-ID": self._session}

    def _drop_session(self, session: str) -> None:
        with self._lock:
            if self._session == session:
                self._session = None

    # -- calls ---------------------------------------------------------------------------------

    def call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None
    ) -> JsonObject:
        """An authenticated call; `path` is relative to `/Ams/{ClientID}` unless it starts with `/Ams`.

        A 401 means the session died (YM can invalidate sessions server-side): sign in again and retry.
        Sessions can die again right after a sign-in (another integration signing in with the same API
        user), so that is retried a few times, waiting longer each time; a refused sign-in is the only
        authentication error.
        """
        if not path.startswith("/Ams"):
            path = f"/Ams/{self.client_id}/{path.lstrip('/')}"
        for attempt in range(1, SESSION_ATTEMPTS + 1):
            used: list[str] = []
            reply = self._http.request(
                method,
                path,
                params=params,
                json_body=json_body,
                accept=frozenset({401}),
                before_attempt=lambda used=used: self._session_header(used),
            )
            if reply.status != 401:
                problem = error_in_envelope(reply.body)
                if problem:
                    raise UpstreamError(SYSTEM, f"{method} {path} returned an error in a successful reply: {problem}")
                if not isinstance(reply.body, dict):
                    raise UpstreamError(
                        SYSTEM, f"{method} {path} returned {type(reply.body).__name__}, not a JSON object"
                    )
                return reply.body
            self._drop_session(used[-1])
            if attempt > 1:
                self._http.sleep(SESSION_RETRY_DELAY * 2 ** (attempt - 2))
            logger.info("YM answered 401 on %s; signing in again", path)
        raise UpstreamError(
            SYSTEM,
            f"{method} {path} was refused with HTTP 401 after {SESSION_ATTEMPTS} fresh sign-ins in a row: YM accepts "
            "the credentials but drops each new session at once. Another integration signing in with the same API "
            "user can cause that; rerun later, and give finsync an API user of its own if it persists.",
            status=401,
        )

    def finance_batches(self, *, start_batch_id: str | None, since: str, page_size: int) -> list[JsonObject]:
        """Every batch from `start_batch_id` on (or created since `since`), in chronological order.

        FinanceBatches paging is broken upstream: every page repeats the full list. Pages are
        deduplicated by BatchID and reading stops at the first page that adds nothing new.
        """
        params: dict[str, Any] = {"PageSize": page_size}
        params.update({"StartBatchID": start_batch_id} if start_batch_id else {"Timestamp": since})
        batches: dict[str, JsonObject] = {}
        for page_number in range(1, MAX_PAGES):
            page = self.call("GET", "FinanceBatches", params={**params, "PageNumber": page_number})
            listed = page.get("FinanceBatchList") or []
            fresh = [b for b in listed if str(b.get("BatchID")) not in batches]
            for batch in fresh:
                batches[str(batch.get("BatchID"))] = batch
            logger.info("YM finance batches page %d: %d new", page_number, len(fresh), extra={"progress": "page"})
            if not fresh or len(listed) < page_size:
                break
        return list(batches.values())

    def _pages(self, path: str, list_field: str, params: dict[str, Any], page_size: int) -> Iterator[list[JsonObject]]:
        """PageSize/PageNumber (1-based) paging; YM returns no total, so the end is a short page.

        A short page is only believed once the page after it comes back empty: a server that caps
        PageSize below what was asked would otherwise end every read after its first page. Pages are
        read ahead (see `read_ahead`), so in a long read that confirmation is already in flight.
        """

        def fetch(number: int) -> list[JsonObject]:
            page = self.call("GET", path, params={**params, "PageSize": page_size, "PageNumber": number})
            return list(page.get(list_field) or [])

        short: tuple[int, int] | None = None  # (page number, rows) of a short page
        for number, rows in read_ahead(fetch, 1, self._page_concurrency, lambda rows: len(rows) >= page_size):
            logger.info("YM %s page %d: %d rows", path, number, len(rows), extra={"progress": "page"})
            if short is not None:
                if rows:
                    raise UpstreamError(
                        SYSTEM,
                        f"GET {path} answered page {short[0]} with {short[1]} rows where {page_size} were asked, "
                        f"then page {number} with more: YM caps its page size. Set the page size setting of this "
                        f"list (e.g. sources.ym.invoice_items_page_size) to {short[1]} or less.",
                    )
                return
            if rows:
                yield rows
            if len(rows) < page_size:
                if not rows:
                    return
                short = (number, len(rows))
            if number >= MAX_PAGES:
                raise UpstreamError(SYSTEM, f"GET {path} did not end after {MAX_PAGES} pages")

    def invoice_items(self, *, date_from: str, entered_from: str, page_size: int) -> Iterator[list[JsonObject]]:
        """Invoice items entered at or after `entered_from` (DateFrom is required by the API)."""
        params = {"DateFrom": date_from, "LineItemDateEnteredFrom": entered_from}
        return self._pages("InvoiceItems", "InvoiceItemsList", params, page_size)

    def batch_details(self, batch_id: str, *, page_size: int) -> Iterator[list[JsonObject]]:
        """A finance batch's items, for tenants without exports."""
        return self._pages("FinanceBatchDetails", "FinanceBatchDetailsList", {"BatchId": batch_id}, page_size)

    def start_export(self, batch_id: str) -> str:
        """Start the export of a closed batch's invoice items; returns its ExportID.

        The published request DTO names only StartBatchID while the legacy call takes BatchID;
        ServiceStack ignores fields it does not know, so both are sent.
        """
        reply = self.call("POST", "FinanceBatches", json_body={"BatchID": batch_id, "StartBatchID": batch_id})
        export_id = reply.get("ExportID")
        if not export_id:
            raise UpstreamError(
                SYSTEM,
                f"POST FinanceBatches for batch {batch_id} returned no ExportID: this tenant may not offer "
                'batch exports. Set sources.ym.batch_items_mode = "details" (SOURCES__YM__BATCH_ITEMS_MODE).',
            )
        return str(export_id)

    def export_status(self, export_id: str) -> ExportStatus:
        route = self._export_status_route.format(client_id=self.client_id, export_id=export_id)
        reply = self.call("GET", route)
        uri = reply.get("ExportURI") or None
        return ExportStatus(ExportState.parse(reply.get("Status")), str(uri) if uri else None)

    def download(self, uri: str, target: Path) -> bool:
        """The export file, streamed to `target`; False while it is not there yet (the URI may 404 at first).

        The session header goes only to YM's own host: an export URI elsewhere must not receive it.
        """
        url = self._http.base_url.join(uri)
        base = self._http.base_url
        same_host = (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        used: list[str] = []
        return self._http.download(
            str(url), target, before_attempt=(lambda: self._session_header(used)) if same_host else None
        )

    def close(self) -> None:
        self._http.close()
