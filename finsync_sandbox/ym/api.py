"""The YourMembership REST API as the sandbox serves it (mounted under `/ym`), traps included.

Each route follows the published ServiceStack DTOs (PascalCase JSON, a `ResponseStatus` in every reply)
and reproduces what clients of the real API have run into:

- a failed sign-in is HTTP 401 whose body says `ErrorCode: "None"`;
- the session travels only in the `X-SS-ID` header and dies after 15 idle minutes;
- FinanceBatches ignores paging and returns the full list for every PageNumber;
- exporting an unknown or still-open batch is an error inside an HTTP 200;
- an export's file URI answers 404 for a while after the export reports COMPLETE;
- InvoiceItems requires DateFrom, returns no total, and silently caps PageSize;
- a closed batch may be revised (`YMDataset.revise_batch`, `POST /_sandbox/ym/revise-batch`): it stays
  closed, its ClosedDate unchanged, but its ItemCount, export and FinanceBatchDetails gain an adjustment
  item, entered then, which InvoiceItems lists too.

Query parameter and body field names are matched case-insensitively, as ServiceStack does.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from ..kernel.drift import drifted
from ..kernel.faults import EMPTY_FILE, MALFORMED_ROW, SHORT_FILE, UNKNOWN_ANCHOR, Fault
from ..kernel.formats import NO_DATE, parse_server_time
from ..kernel.guard import (
    Handler,
    Reject,
    drifts_of,
    fault_of,
    guarded,
    query_fields,
    query_param,
    retry_headers,
)
from ..kernel.jsonwriter import RawJson, dumps, json_response
from ..kernel.route_names import (
    YM_AUTHENTICATE,
    YM_BATCH_DETAILS,
    YM_EXPORT_DOWNLOAD,
    YM_EXPORT_START,
    YM_EXPORT_STATUS,
    YM_FINANCE_BATCHES,
    YM_INVOICE_ITEMS,
)
from ..sandbox import Sandbox
from .exports import ExportState, export_file
from .fields import FINANCE_BATCH_DETAIL_DATA, INVOICE_ITEM_DATA, as_detail

# Envelope fields every reply carries; fixed so that equal seeds give byte-identical replies.
SERVER_ID = "WS-6-183-431"
APP_INIT_TIME = "2024-05-03T01:24:34.3184733-04:00"

BAD_LOGIN: dict[str, Any] = {
    "ClientID": 0,
    "MemberID": 0,
    "FailedLoginReason": "None",
    "ResponseStatus": {"ErrorCode": "None", "Message": "Invalid username/password combination."},
}
UNAUTHORIZED: dict[str, Any] = {
    "ResponseStatus": {"ErrorCode": "Unauthorized", "Message": "Session expired or invalid"}
}


class YMApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._status_polls = itertools.count()

    def routes(self) -> list[Route]:
        def route(path: str, name: str, handler: Handler, method: str) -> Route:
            endpoint = guarded(self.sandbox, name, handler, _status_fault, self._credential)
            return Route(path, endpoint, methods=[method], name=name)

        return [
            route("/Ams/Authenticate", YM_AUTHENTICATE, self.authenticate, "POST"),
            route("/Ams/{client_id}/FinanceBatches", YM_FINANCE_BATCHES, self.finance_batches, "GET"),
            route("/Ams/{client_id}/FinanceBatches", YM_EXPORT_START, self.export_start, "POST"),
            route("/Ams/{client_id}/ExportStatus/{export_id}", YM_EXPORT_STATUS, self.export_status, "GET"),
            route("/Ams/{client_id}/FinanceBatchDetails", YM_BATCH_DETAILS, self.batch_details, "GET"),
            route("/Ams/{client_id}/InvoiceItems", YM_INVOICE_ITEMS, self.invoice_items, "GET"),
            route("/exports/{export_id}.csv", YM_EXPORT_DOWNLOAD, self.export_download, "GET"),
        ]

    # -- helpers ---------------------------------------------------------------------------------------

    def _envelope(self, fields: Mapping[str, Any], status: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {
            **fields,
            "ClientID": self.sandbox.config.client_id,
            "ServerID": SERVER_ID,
            "AppInitTime": APP_INIT_TIME,
            "UsingRedis": True,
            "BypassCache": False,
            "DateCached": NO_DATE,
            "ResponseStatus": dict(status or {}),
        }

    def _list(self, request: Request, name: str, listed: RawJson, fields: Mapping[str, Any]) -> Response:
        """A list reply: its records (`listed`, their JSON text) under `name`, then `fields` and the envelope.
        The drift faults that hit the request apply to the records here, for every list."""
        if drifts := drifts_of(request):
            listed = drifted(listed, drifts, nulls=True)
        return _json(self._envelope({name: listed, **fields}))

    async def _credential(self, request: Request) -> str:
        """Whose rate limit budget a request spends: the ClientID its path names (`/Ams/{ClientID}/…`), or
        Authenticate's body; the export file (a plain URL) and a sign-in naming no client spend the
        sandbox's one client's."""
        client = request.path_params.get("client_id")
        if client is None and request.method == "POST":
            try:
                client = {k.lower(): v for k, v in (await _body_fields(request)).items()}.get("clientid")
            except Reject:  # the handler answers a body that is not JSON
                client = None
        return f"ym:{self.sandbox.config.client_id if client is None else client}"

    def _authorize(self, request: Request) -> None:
        """The `/Ams/{ClientID}/…` routes need a live session of that client in `X-SS-ID`; a
        `?SessionId=` query parameter does not count."""
        try:
            client_id = int(request.path_params["client_id"])
        except ValueError:
            raise Reject(_json(UNAUTHORIZED, 401)) from None
        if not self.sandbox.sessions.touch(request.headers.get("x-ss-id"), client_id):
            raise Reject(_json(UNAUTHORIZED, 401))

    def _time_param(self, query: Mapping[str, str], name: str) -> int | None:
        zone = self.sandbox.server_zone
        return query_param(query, name, None, lambda text: parse_server_time(text, zone), _binding_error)

    def _paging(self, query: Mapping[str, str]) -> tuple[int, int, int, int]:
        """(page size, page number, offset, items to skip). PageNumber is 1-based; an OffSet, when
        given, replaces it. PageSize is capped without notice."""
        config = self.sandbox.config
        size = _int_param(query, "PageSize", config.default_page_size)
        size = min(size if size > 0 else config.default_page_size, config.max_page_size)
        number = max(_int_param(query, "PageNumber", 1), 1)
        offset = max(_int_param(query, "OffSet", 0), 0)
        return size, number, offset, offset if offset else (number - 1) * size

    # -- routes ----------------------------------------------------------------------------------------

    async def authenticate(self, request: Request) -> Response:
        fields = {k.lower(): v for k, v in (await _body_fields(request)).items()}
        missing = [name for name in ("Username", "Password") if not fields.get(name.lower())]
        if missing:
            raise Reject(_not_null(*missing))
        config = self.sandbox.config
        client_id = fields.get("clientid")
        # ClientID must be a JSON number; the string form is refused like a wrong one.
        valid = (
            type(client_id) is int
            and client_id == config.client_id
            and str(fields.get("usertype", "")).lower() == "admin"
            and fields.get("username") == config.api_key
            and fields.get("password") == config.api_password
        )
        if not valid:
            return _json(BAD_LOGIN, 401)
        session = self.sandbox.sessions.open(config.client_id)
        return _json(
            self._envelope(
                {
                    "MemberID": 0,
                    "FailedLoginReason": "None",
                    "UserId": "",
                    "SessionId": session,
                    "UserName": config.api_key,
                    "DisplayName": "Sandbox API",
                }
            )
        )

    async def finance_batches(self, request: Request) -> Response:
        self._authorize(request)
        query = query_fields(request)
        page_size = _int_param(query, "PageSize", 0)
        page_number = _int_param(query, "PageNumber", 1)
        start = query.get("startbatchid", "").strip()
        since = self._time_param(query, "Timestamp")
        batches = self.sandbox.dataset.batches()
        if start and fault_of(request, UNKNOWN_ANCHOR):
            batches = []  # as YM answers a StartBatchID it does not know
        elif start:
            batches = [b for b in batches if start.isdigit() and int(b.batch_id) >= int(start)]
        elif since is not None:
            batches = [b for b in batches if b.create_ticks >= since]
        # Paging is broken upstream: every PageNumber returns this same full list, PageSize ignored.
        return self._list(
            request,
            "FinanceBatchList",
            RawJson(dumps([b.record() for b in batches], nulls=True)),
            {
                "BatchID": None,
                "ItemCount": None,
                "CommerceType": query.get("commercetype"),
                "Timestamp": query.get("timestamp"),
                "StartBatchID": query.get("startbatchid"),
                "PageSize": page_size,
                "PageNumber": page_number,
            },
        )

    async def export_start(self, request: Request) -> Response:
        self._authorize(request)
        fields = {**query_fields(request), **{k.lower(): v for k, v in (await _body_fields(request)).items()}}
        batch_id = str(fields.get("batchid") or fields.get("startbatchid") or "").strip()
        if not batch_id:
            raise Reject(_not_null("BatchID"))
        batch = self.sandbox.dataset.batch(batch_id)
        # Errors here come back in an HTTP 200; only ResponseStatus tells.
        if batch is None:
            status = _status("NotFound", f"Finance batch {batch_id} was not found.")
            return _json(self._envelope({"ExportID": None, "BatchID": batch_id}, status))
        if batch.is_open:
            status = _status(
                "BatchNotClosed", f"Finance batch {batch_id} is open; only closed batches can be exported."
            )
            return _json(self._envelope({"ExportID": None, "BatchID": batch_id}, status))
        config = self.sandbox.config
        failed = self.sandbox.faults.take_export_failure(batch.batch_id)
        export = self.sandbox.exports.start(batch, config.export_latency_seconds, failed)
        return _json(
            self._envelope(
                {
                    "ExportID": export.export_id,
                    "BatchID": batch.batch_id,
                    "ItemCount": batch.item_count,
                    "FinanceBatchList": [],
                }
            )
        )

    async def export_status(self, request: Request) -> Response:
        self._authorize(request)
        export_id = request.path_params["export_id"]
        export = self.sandbox.exports.get(export_id)
        if export is None:
            return _json(_status("NotFound", f"Export {export_id} was not found."), 404)
        state = self.sandbox.exports.poll(export)
        fields: dict[str, Any] = {"ExportID": export.export_id, "Status": self._status_value(state)}
        if state is ExportState.COMPLETE:
            mount = request.scope.get("root_path", "")
            fields["ExportURI"] = str(request.url.replace(path=f"{mount}/exports/{export.export_id}.csv", query=""))
        return _json(self._envelope(fields))

    def _status_value(self, state: ExportState) -> int | str:
        style = self.sandbox.config.status_style
        if style == "mixed":
            style = "number" if next(self._status_polls) % 2 == 0 else "name"
        return int(state) if style == "number" else state.name

    async def export_download(self, request: Request) -> Response:
        """The export file. A plain file URL: no session needed."""
        export = self.sandbox.exports.get(request.path_params["export_id"])
        if export is None or not self.sandbox.exports.claim_file(export, self.sandbox.config.export_not_ready_count):
            return PlainTextResponse("Not Found", 404)
        rows = malformed = None
        if (fault := fault_of(request, SHORT_FILE, EMPTY_FILE, MALFORMED_ROW)) is not None:
            if fault.kind == MALFORMED_ROW:
                malformed = fault.rows
            else:
                rows = -1 if fault.kind == EMPTY_FILE else fault.rows
        return StreamingResponse(
            export_file(self.sandbox.dataset, export.batch, rows, malformed, drifts_of(request)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="FinanceBatch_{export.batch.batch_id}.csv"'},
        )

    async def batch_details(self, request: Request) -> Response:
        self._authorize(request)
        query = query_fields(request)
        batch_id = query.get("batchid", "").strip()
        if not batch_id:
            raise Reject(_not_null("BatchId"))
        size, number, offset, skip = self._paging(query)
        echo = {"BatchId": batch_id, "PageSize": size, "PageNumber": number, "OffSet": offset}
        batch = self.sandbox.dataset.batch(batch_id)
        if batch is None:
            status = _status("NotFound", f"Finance batch {batch_id} was not found.")
            return _json(self._envelope({"FinanceBatchDetailsList": [], **echo}, status))
        records = self.sandbox.dataset.batch_records(batch, skip, size)
        listed = FINANCE_BATCH_DETAIL_DATA.dumps_list(as_detail(r) for r in records)
        return self._list(request, "FinanceBatchDetailsList", listed, echo)

    async def invoice_items(self, request: Request) -> Response:
        self._authorize(request)
        query = query_fields(request)
        dated_from = self._time_param(query, "DateFrom")
        if dated_from is None:
            raise Reject(_not_null("DateFrom"))
        entered_from = self._time_param(query, "LineItemDateEnteredFrom")
        size, number, offset, skip = self._paging(query)
        dataset = self.sandbox.dataset
        # Both dates grow with the item number, so the first match is a binary search away; imported items
        # (backdated) and revisions' adjustment items come after every generated one.
        first = dataset.first_dated_at_or_after(dated_from)
        if entered_from is not None:
            first = max(first, dataset.first_entered_at_or_after(entered_from))
        generated = max(0, dataset.items - first + 1)
        records = list(dataset.records(first + skip, min(first + skip + size - 1, dataset.items)))
        if len(records) < size:
            imported = dataset.extra_records(dated_from, entered_from)
            start = max(0, skip - generated)
            records += imported[start : start + size - len(records)]
        listed = INVOICE_ITEM_DATA.dumps_list(records)
        echo = {
            "DateFrom": query.get("datefrom"),
            "InvoiceItemType": query.get("invoiceitemtype"),
            "LineItemDateEnteredFrom": query.get("lineitemdateenteredfrom"),
            "PageSize": size,
            "PageNumber": number,
            "OffSet": offset,
        }
        return self._list(request, "InvoiceItemsList", listed, echo)


# -- replies -------------------------------------------------------------------------------------------


def _json(body: Mapping[str, Any], status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """YM writes every member, null ones too."""
    return json_response(body, status_code, headers, nulls=True)


def _status(code: str, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"ErrorCode": code, "Message": message}
    if errors:
        status["Errors"] = errors
    return status


def _not_null(*fields: str) -> Response:
    errors = [
        {"ErrorCode": "NotNull", "FieldName": f, "Message": f"The {f} is missing.", "Meta": {"PropertyName": f}}
        for f in fields
    ]
    return _json({"ResponseStatus": _status("NotNull", f"'{fields[0]}' must not be empty.", errors)}, 400)


def _binding_error(name: str, value: str) -> Response:
    message = f"Unable to bind to request '{name}': {value!r} is not a valid value."
    return _json({"ResponseStatus": _status("RequestBindingException", message)}, 400)


def _status_fault(fault: Fault) -> Response:
    """An injected error status, worded as ServiceStack words its errors."""
    assert fault.status is not None
    phrase = HTTPStatus(fault.status).phrase
    return _json(_status(phrase.replace(" ", "").replace("-", ""), phrase), fault.status, retry_headers(fault))


# -- request parsing -----------------------------------------------------------------------------------


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    return query_param(query, name, default, int, _binding_error)


async def _body_fields(request: Request) -> dict[str, Any]:
    """A JSON object body, or a form-encoded one (the published content type)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise Reject(
            _json({"ResponseStatus": _status("SerializationException", "The request body is not valid JSON.")}, 400)
        ) from None
    return parsed if isinstance(parsed, dict) else {}
