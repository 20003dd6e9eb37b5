"""YourMembership REST client: the admin session, what YM's answers mean, the finance endpoints."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa

from finsync.errors import AuthenticationError, UpstreamError
from finsync.http import (
    Credential,
    HttpClient,
    HttpSettings,
    JsonObject,
    Records,
    RenewingAuth,
    RepeatingListPaginator,
    Reply,
    Rule,
    ShortPagePaginator,
    register_secret,
)
from finsync.http.address import same_origin
from finsync.http.columnar import ListPage

from .settings import YMSettings

logger = logging.getLogger(__name__)

SYSTEM = "YM"
BASE_URL_SETTING = "sources.ym.base_url"
SIGN_IN_PATH = "/Ams/Authenticate"

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
    """The error a ServiceStack reply carries, if any: `ResponseStatus.ErrorCode` set, and not "None"."""
    if not isinstance(body, dict):
        return None
    status = body.get("ResponseStatus") or {}
    code = str(status.get("ErrorCode") or "").strip()
    if not code or code == "None":
        return None
    message = str(status.get("Message") or "").strip()
    fields = ", ".join(str(e.get("FieldName")) for e in status.get("Errors") or [] if e.get("FieldName"))
    return f"{code}: {message}" + (f" (fields: {fields})" if fields else "")


def _refused_sign_in(what: str, reply: Reply) -> AuthenticationError:
    body = reply.body if isinstance(reply.body, dict) else {}
    message = error_in_envelope(body) or (body.get("ResponseStatus") or {}).get("Message") or "no reason given"
    return AuthenticationError(
        SYSTEM, f"sign-in was refused (HTTP {reply.status}: {message}). {CREDENTIALS_HINT}", status=reply.status
    )


def _error_in_200(what: str, reply: Reply) -> UpstreamError:
    return UpstreamError(SYSTEM, f"{what} returned an error in a successful reply: {error_in_envelope(reply.body)}")


# What a tenant that cannot export does instead, by the user's choice (never a silent fallback: the two reads
# differ in cost).
READ_BY_PAGES = (
    'Set sources.ym.batch_items_mode = "details" (SOURCES__YM__BATCH_ITEMS_MODE=details) to read each batch\'s '
    "items page by page (FinanceBatchDetails) instead."
)


def _no_exports(batch_id: str, what: str, reply: Reply) -> UpstreamError:
    return UpstreamError(
        SYSTEM,
        f"POST FinanceBatches (the export of batch {batch_id}) was refused with HTTP {reply.status}: this API "
        f"user or tenant may not export finance batches. {READ_BY_PAGES}",
        status=reply.status,
    )


# What YM's answers mean. A failed sign-in is HTTP 401 whose body says ErrorCode "None": the status, not
# the body, says it failed. Some errors come in an HTTP 200 with ResponseStatus.ErrorCode set.
SIGN_IN_RULES = (Rule((400, 401, 403), _refused_sign_in),)  # and a 404: see `YMSession.sign_in`
RULES = (Rule((200,), _error_in_200, when=lambda body: error_in_envelope(body) is not None),)
# What of a ServiceStack reply's envelope a page decoded into Arrow keeps: what `error_in_envelope` reads.
ENVELOPE = {
    "ResponseStatus": pa.struct(
        [
            ("ErrorCode", pa.string()),
            ("Message", pa.string()),
            ("Errors", pa.list_(pa.struct([("FieldName", pa.string()), ("Message", pa.string())]))),
        ]
    )
}


class YMSession(RenewingAuth):
    """The admin session, sent as `X-SS-ID`. YM ends a session after 15 minutes idle: it is renewed after
    `refresh_after` seconds without use (a little less), and whenever YM answers 401 anyway."""

    renew_when_idle = True

    def __init__(self, http: HttpClient, credentials: JsonObject, refresh_after: float, **kwargs: Any) -> None:
        super().__init__(SYSTEM, **kwargs)
        self._http, self._credentials, self._refresh_after = http, credentials, refresh_after

    def sign_in(self) -> Credential:
        rules = (Rule((404,), self._no_sign_in), *SIGN_IN_RULES)
        reply = self._http.request("POST", SIGN_IN_PATH, json_body=self._credentials, rules=rules)
        session = reply.body.get("SessionId") if isinstance(reply.body, dict) else None
        if not session:
            raise AuthenticationError(SYSTEM, f"sign-in returned no session (no SessionId). {CREDENTIALS_HINT}")
        logger.debug("YM session opened")
        return Credential(str(session), self._refresh_after)

    def _no_sign_in(self, what: str, reply: Reply) -> Exception:
        # Every YM tenant signs in at the same route: a 404 there is a base URL that is not YM's API.
        return self._http.wrong_base_url(
            f"has no sign-in at {self._http.address}: {what} answered HTTP 404 Not Found",
            f"YM's sign-in is {SIGN_IN_PATH} under it (https://ws.yourmembership.com by default).",
        )

    def apply(self, request: httpx.Request, value: str) -> None:
        request.headers["X-SS-ID"] = value

    def refused(self, request: httpx.Request) -> str:
        return (
            "YM accepts the credentials but drops each new session at once (another integration signing in with "
            "the same API user can cause that)"
        )


class YMClient:
    """One admin session shared by every thread of a sync, and the finance endpoints."""

    def __init__(
        self,
        base_url: str,
        client_id: int,
        api_key: str,
        api_password: str,
        *,
        http_settings: HttpSettings | None = None,
        session_refresh_seconds: float = YMSettings.session_refresh_seconds,
        export_status_route: str = YMSettings.export_status_route,
        page_concurrency: int = YMSettings.page_concurrency,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        register_secret(api_key)
        register_secret(api_password)
        self.client_id = client_id
        self._export_status_route = export_status_route
        self._page_concurrency = max(1, page_concurrency)
        self._http = HttpClient(
            SYSTEM,
            base_url,
            http_settings,
            headers={"Accept": "application/json"},
            rules=RULES,
            transport=transport,
            base_url_setting=BASE_URL_SETTING,
        )
        credentials = {"ClientID": client_id, "UserType": "Admin", "Username": api_key, "Password": api_password}
        self._session = YMSession(self._http, credentials, session_refresh_seconds, clock=clock)

    def sign_in(self) -> None:
        """Open the session now (refused credentials raise `AuthenticationError` here), so that what a later
        request is refused is the request's own."""
        self._session.signed_in()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        decode: Callable[[bytes], Any] | None = None,
        rules: Sequence[Rule] = (),
    ) -> JsonObject:
        """An authenticated call; `path` is relative to `/Ams/{ClientID}` unless it starts with `/Ams`; `rules`
        say what statuses mean for it, before the client's."""
        if not path.startswith("/Ams"):
            path = f"/Ams/{self.client_id}/{path.lstrip('/')}"
        reply = self._http.request(
            method, path, params=params, json_body=json_body, auth=self._session, decode=decode, rules=rules
        )
        if not isinstance(reply.body, dict):
            raise UpstreamError(SYSTEM, f"{method} {path} returned {type(reply.body).__name__}, not a JSON object")
        return reply.body

    def finance_batches(self, *, start_batch_id: str | None, since: str, page_size: int, records: pa.Schema) -> Records:
        """Every batch from `start_batch_id` on (or created since `since`), in chronological order, as a table
        of `records`; paging is broken upstream (every page repeats the full list)."""
        params: dict[str, Any] = {"PageSize": page_size}
        params.update({"StartBatchID": start_batch_id} if start_batch_id else {"Timestamp": since})

        def fetch(number: int) -> list[JsonObject]:
            page = self.call("GET", "FinanceBatches", params={**params, "PageNumber": number})
            return list(page.get("FinanceBatchList") or [])

        listed = RepeatingListPaginator(SYSTEM, "FinanceBatches", "BatchID").read(fetch, page_size)
        return ListPage("FinanceBatchList", records, endpoint="GET FinanceBatches").census(listed)

    def _pages(
        self,
        path: str,
        list_field: str,
        params: dict[str, Any],
        page_size: int,
        size_setting: str,
        records: pa.Schema,
    ) -> Iterator[Records]:
        """The pages of a list, each an Arrow table of `records` (the wire schema of its records): decoded
        straight into Arrow (`columnar`) where that is exact, else read value by value (`exact_table`)."""
        decode = ListPage(list_field, records, ENVELOPE, f"GET {path}")

        def fetch(number: int) -> Records:
            page = self.call("GET", path, params={**params, "PageSize": page_size, "PageNumber": number}, decode=decode)
            listed: Records = page[list_field]
            return listed

        paginator = ShortPagePaginator(SYSTEM, f"GET {path}", page_size, self._page_concurrency, size_setting)
        return paginator.pages(fetch)

    def invoice_items(
        self, *, date_from: str, entered_from: str, page_size: int, records: pa.Schema
    ) -> Iterator[Records]:
        """Invoice items entered at or after `entered_from` (DateFrom is required by the API)."""
        params = {"DateFrom": date_from, "LineItemDateEnteredFrom": entered_from}
        setting = "sources.ym.invoice_items_page_size"
        return self._pages("InvoiceItems", "InvoiceItemsList", params, page_size, setting, records)

    def batch_details(self, batch_id: str, *, page_size: int, records: pa.Schema) -> Iterator[Records]:
        """A finance batch's items, for tenants without exports."""
        params = {"BatchId": batch_id}
        setting = "sources.ym.details_page_size"
        return self._pages("FinanceBatchDetails", "FinanceBatchDetailsList", params, page_size, setting, records)

    def start_export(self, batch_id: str) -> str:
        """Start the export of a closed batch's invoice items; returns its ExportID.

        The published request DTO names only StartBatchID while the legacy call takes BatchID;
        ServiceStack ignores fields it does not know, so both are sent.
        """
        body = {"BatchID": batch_id, "StartBatchID": batch_id}
        reply = self.call(
            "POST",
            "FinanceBatches",
            json_body=body,
            rules=(Rule((403, 404), functools.partial(_no_exports, batch_id)),),
        )
        export_id = reply.get("ExportID")
        if not export_id:
            raise UpstreamError(
                SYSTEM,
                f"POST FinanceBatches for batch {batch_id} returned no ExportID: this tenant may not offer "
                f"batch exports. {READ_BY_PAGES}",
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
        same_host = same_origin(url, self._http.base_url)
        return self._http.download(str(url), target, auth=self._session if same_host else None)

    def close(self) -> None:
        self._http.close()
