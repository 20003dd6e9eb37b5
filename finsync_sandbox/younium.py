"""The Younium API 2.1 as the sandbox serves it (mounted under `/younium`), traps included.

Routes follow the published 2.1 schemas (camelCase JSON, ASP.NET ProblemDetails errors, null fields left
out) and reproduce what a client has to cope with:

- the token endpoints answer in two spellings: `/auth/v2/token` snake_case, `/auth/token` camelCase;
  wrong credentials are HTTP 401 `{"errors": ["Invalid client credentials"]}`; tokens expire;
- every data route wants `api-version: 2.1` (HTTP 400 without it or with another version), and a
  `legal-entity` header, when one is sent, must name the tenant's legal entity (HTTP 403 otherwise);
- lists take PageSize (at most 100: HTTP 400 above) and PageNumber (from 1), and ModifiedAfter /
  ModifiedBefore, both exclusive, ISO 8601 (no offset: UTC) or US-style `03/01/2025 00:00:00`; they
  are ordered by (modified, id);
- the envelope's `nextPage` (and previous/first/last) links keep only PageNumber and PageSize: a client
  that follows `nextPage` silently loses its ModifiedAfter filter;
- a list with nothing to return is HTTP 400 "No invoices could be found", not an empty page;
- /Invoices applies ModifiedAfter to the embedded `invoiceLines` too: an invoice listed because it
  changed carries only the lines that changed with it;
- a BatchLog whose log has a single entry answers `data` as that object, not as a list;
- POST /InvoiceBatches and /InvoiceBatches/{id}/Post start jobs that stay Pending for a while; a POST
  repeated with the same `younium-idempotency-key` replays the first reply instead of starting another.

Query parameter and JSON field names are matched case-insensitively, as ASP.NET binds them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .faults import MODIFY, NOTHING_FOUND, Fault
from .formats import dumps
from .guard import Handler, Reject, guarded
from .routes import (
    YOUNIUM_ACCOUNTS,
    YOUNIUM_BATCH_LOG,
    YOUNIUM_GENERATE,
    YOUNIUM_INVOICE_BATCHES,
    YOUNIUM_INVOICES,
    YOUNIUM_JOB_STATUS,
    YOUNIUM_PAYMENTS,
    YOUNIUM_POST,
    YOUNIUM_TOKEN,
)
from .state import Sandbox
from .younium_dataset import InvoiceBatch, Window, day_of
from .younium_tenant import IDEMPOTENCY_HOURS, JOB_KINDS, SUCCEEDED, Job

API_VERSION = "2.1"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20  # the spec's example; finsync always sends PageSize
IDEMPOTENCY_KEY = "younium-idempotency-key"
_VALIDATION = "https://tools.ietf.org/html/rfc7231#section-6.5.1"
_NOT_FOUND = "https://tools.ietf.org/html/rfc7231#section-6.5.4"
_US_MOMENT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class YouniumApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.tenant = sandbox.younium
        self._traces = 0

    def routes(self) -> list[Route]:
        def route(path: str, name: str, handler: Handler, method: str) -> Route:
            return Route(path, guarded(self.sandbox, name, handler, self._status_fault), methods=[method])

        return [
            route("/auth/v2/token", YOUNIUM_TOKEN, self.token_v2, "POST"),
            route("/auth/token", YOUNIUM_TOKEN, self.token_v1, "POST"),
            route("/InvoiceBatches", YOUNIUM_INVOICE_BATCHES, self.invoice_batches, "GET"),
            route("/InvoiceBatches", YOUNIUM_GENERATE, self.generate, "POST"),
            route("/InvoiceBatches/BatchJobStatus/{reference}/{kind}", YOUNIUM_JOB_STATUS, self.job_status, "GET"),
            route("/InvoiceBatches/{batch}/BatchLog", YOUNIUM_BATCH_LOG, self.batch_log, "GET"),
            route("/InvoiceBatches/{batch}/Post", YOUNIUM_POST, self.post, "POST"),
            route("/InvoiceBatches/{batch}", YOUNIUM_INVOICE_BATCHES, self.invoice_batch, "GET"),
            route("/Invoices", YOUNIUM_INVOICES, self.invoices, "GET"),
            route("/Accounts", YOUNIUM_ACCOUNTS, self.accounts, "GET"),
            route("/Payments", YOUNIUM_PAYMENTS, self.payments, "GET"),
        ]

    # -- tokens ----------------------------------------------------------------------------------------

    async def token_v2(self, request: Request) -> Response:
        token, refresh, lifetime, expires = await self._token(request)
        return _json({"access_token": token, "refresh_token": refresh, "expires_in": lifetime, "expires": expires})

    async def token_v1(self, request: Request) -> Response:
        token, refresh, lifetime, expires = await self._token(request)
        return _json({"expires": expires, "expiresIn": lifetime, "accessToken": token, "refreshToken": refresh})

    async def _token(self, request: Request) -> tuple[str, str, int, str]:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise Reject(_json({"errors": ["The request body is not valid JSON"]}, 400)) from None
        fields = _fields(body)
        client_id, secret = fields.get("clientid"), fields.get("secret")
        if not (isinstance(client_id, str) and client_id and isinstance(secret, str) and secret):
            raise Reject(_json({"errors": ["clientId and secret are required"]}, 400))
        config = self.sandbox.config
        if client_id != config.younium_client_id or secret != config.younium_secret:
            raise Reject(_json({"errors": ["Invalid client credentials"]}, 401))
        token, refresh, lifetime = self.tenant.tokens.issue()
        expires = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=lifetime), usegmt=True)
        return token, refresh, int(lifetime), expires

    # -- what every data route checks ------------------------------------------------------------------

    def _enter(self, request: Request) -> dict[str, str]:
        """Version, token and legal entity, in the order ASP.NET checks them; returns the query parameters."""
        version = request.headers.get("api-version")
        if version is None or not version.strip():
            raise Reject(_version_error("ApiVersionUnspecified", "An API version is required, but was not specified."))
        if version.strip() != API_VERSION:
            raise Reject(
                _version_error(
                    "UnsupportedApiVersion",
                    f"The HTTP resource that matches the request URI '{request.url}' does not support the API "
                    f"version '{version.strip()}'.",
                )
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.tenant.tokens.valid(token.strip()):
            raise Reject(Response(status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}))
        entity = request.headers.get("legal-entity", "").strip()
        known = {self.sandbox.config.younium_legal_entity.lower(), self.tenant.dataset.legal_entity_id}
        if entity and entity.lower() not in known:
            raise Reject(
                _json({"errors": [f"Legal entity '{entity}' was not found, or the user has no access to it."]}, 403)
            )
        self.tenant.settle()
        fault: Fault | None = getattr(request.state, "fault", None)
        if fault is not None and fault.kind == MODIFY:
            self.tenant.dataset.touch(fault.rows)
        return {k.lower(): v for k, v in request.query_params.multi_items()}

    def _paging(self, query: Mapping[str, str]) -> tuple[int, int]:
        size = self._int(query, "PageSize", DEFAULT_PAGE_SIZE)
        number = self._int(query, "PageNumber", 1)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise Reject(self._validation({"PageSize": [f"PageSize must be between 1 and {MAX_PAGE_SIZE}."]}))
        if number < 1:
            raise Reject(self._validation({"PageNumber": ["PageNumber must be 1 or more."]}))
        return size, number

    def _int(self, query: Mapping[str, str], name: str, default: int) -> int:
        text = query.get(name.lower(), "").strip()
        if not text:
            return default
        try:
            return int(text)
        except ValueError:
            raise Reject(self._validation({name: [f"The value '{text}' is not valid."]})) from None

    def _window(self, query: Mapping[str, str]) -> Window:
        bounds: list[int | None] = []
        for name in ("ModifiedAfter", "ModifiedBefore"):
            text = query.get(name.lower(), "").strip()
            try:
                bounds.append(parse_moment(text) if text else None)
            except ValueError:
                raise Reject(self._validation({name: [f"The value '{text}' is not valid for {name}."]})) from None
        return Window(*bounds)

    # -- lists -----------------------------------------------------------------------------------------

    async def invoices(self, request: Request) -> Response:
        query = self._enter(request)
        size, number = self._paging(query)
        total, records = self.tenant.dataset.invoice_page(self._window(query), (number - 1) * size, size)
        return self._list(request, "invoices", number, size, total, records)

    async def accounts(self, request: Request) -> Response:
        query = self._enter(request)
        size, number = self._paging(query)
        dataset = self.tenant.dataset
        found = dataset.accounts_in(self._window(query))
        page = found[(number - 1) * size : number * size]
        return self._list(request, "accounts", number, size, len(found), [dataset.account_record(a) for a in page])

    async def payments(self, request: Request) -> Response:
        query = self._enter(request)
        size, number = self._paging(query)
        dataset = self.tenant.dataset
        found = dataset.payments_in(self._window(query))
        page = found[(number - 1) * size : number * size]
        return self._list(request, "payments", number, size, len(found), [dataset.payment_record(p) for p in page])

    async def invoice_batches(self, request: Request) -> Response:
        query = self._enter(request)
        size, number = self._paging(query)
        dataset = self.tenant.dataset
        found = dataset.batches_in(self._window(query))
        page = found[(number - 1) * size : number * size]
        records = [dataset.batch_record(b) for b in page]
        return self._list(request, "invoice batches", number, size, len(found), records)

    async def invoice_batch(self, request: Request) -> Response:
        self._enter(request)
        batch = self._batch(request.path_params["batch"], 404)
        return _json_text(dumps(self.tenant.dataset.batch_record(batch)))

    async def batch_log(self, request: Request) -> Response:
        query = self._enter(request)
        size, number = self._paging(query)
        window = self._window(query)
        batch = self._batch(request.path_params["batch"], 400)
        found = [entry for entry in batch.log if window.contains(entry.created)]
        page = [entry.record() for entry in found[(number - 1) * size : number * size]]
        # The log's `data` is declared as one object: a log with a single entry is answered as that object.
        return self._list(request, "batch log entries", number, size, len(found), page, single=len(found) == 1)

    def _list(
        self,
        request: Request,
        entity: str,
        number: int,
        size: int,
        total: int,
        records: Sequence[Mapping[str, Any]],
        *,
        single: bool = False,
    ) -> Response:
        fault: Fault | None = getattr(request.state, "fault", None)
        if not records or (fault is not None and fault.kind == NOTHING_FOUND):
            raise Reject(self._validation({"message": [f"No {entity} could be found"]}))
        pages = math.ceil(total / size)

        def link(page: int) -> str:
            # Only the paging parameters survive into the links: every filter of the request is dropped.
            return str(request.url.replace(query=urlencode({"PageNumber": page, "PageSize": size})))

        envelope = {
            "pageNumber": number,
            "pageSize": size,
            "totalPages": pages,
            "totalCount": total,
            "nextPage": link(number + 1) if number < pages else None,
            "previousPage": link(number - 1) if number > 1 else None,
            "firstPage": link(1),
            "lastPage": link(pages),
        }
        data = dumps(records[0]) if single else "[" + ",".join([dumps(r) for r in records]) + "]"
        return _json_text(dumps(envelope)[:-1] + ',"data":' + data + "}")

    def _batch(self, reference: str, status: int) -> InvoiceBatch:
        batch = self.tenant.dataset.batch(reference)
        if batch is not None:
            return batch
        if status == 404:
            raise Reject(
                _json({"type": _NOT_FOUND, "title": "Not Found", "status": 404, "traceId": self._trace()}, 404)
            )
        raise Reject(self._validation({"message": [f"Invoice batch '{reference}' could not be found"]}))

    # -- jobs ------------------------------------------------------------------------------------------

    async def generate(self, request: Request) -> Response:
        self._enter(request)
        body = await request.body()
        return self._idempotent(request, lambda: self._generate(body))

    def _generate(self, raw: bytes) -> Response:
        fields = self._body(raw)
        target = self._day(fields, "targetDate")
        if target is None:
            custom = _fields(fields.get("customizedtargetdates"))
            days = [self._day(custom, name) for name in list(custom)]
            target = max((d for d in days if d is not None), default=None)
        if target is None:
            raise Reject(self._validation({"targetDate": ["The targetDate field is required."]}))
        invoice_day = self._day(fields, "invoiceDate")
        dataset = self.tenant.dataset
        accounts: set[int] | None = None
        if fields.get("invoiceallaccounts") is not True:
            ids = self._id_list(fields, "accounts")
            unknown = [i for i in ids if dataset.account_number_of(i) is None]
            if unknown or not ids:
                message = f"Account '{unknown[0]}' could not be found" if unknown else "Name accounts to invoice"
                raise Reject(self._validation({"accounts": [message + ", or set invoiceAllAccounts."]}))
            accounts = {dataset.account_number_of(i) or 0 for i in ids}
        groups: set[str] | None = None
        if fields.get("invoiceallbatchgroups") is not True:
            by_ref = {g.id: g.id for g in dataset.batch_groups} | {g.code.lower(): g.id for g in dataset.batch_groups}
            refs = [r.lower() for r in self._id_list(fields, "invoiceBatchGroups")]
            unknown = [r for r in refs if r not in by_ref]
            if unknown or not refs:
                message = f"Invoice batch group '{unknown[0]}' could not be found" if unknown else "Name batch groups"
                raise Reject(self._validation({"invoiceBatchGroups": [message + ", or set invoiceAllBatchGroups."]}))
            groups = {by_ref[r] for r in refs}
        minimum = fields.get("minimuminvoiceamount")
        if minimum is not None and (
            not isinstance(minimum, (int, Decimal)) or isinstance(minimum, bool) or minimum < 0
        ):
            raise Reject(self._validation({"minimumInvoiceAmount": ["The minimum invoice amount must be 0 or more."]}))
        job = self.tenant.start_generate(
            target,
            invoice_day,
            accounts,
            groups,
            None if minimum is None else Decimal(minimum),
            lambda refs: self.sandbox.faults.take_job_failure(YOUNIUM_GENERATE, refs),
        )
        return _json(_job_started(job, "generate"))

    async def post(self, request: Request) -> Response:
        self._enter(request)
        reference = request.path_params["batch"]
        await request.body()  # a JobRequest; nothing in it changes what the job does
        return self._idempotent(request, lambda: self._post(reference))

    def _post(self, reference: str) -> Response:
        batch = self._batch(reference, 400)
        if batch.posted:
            raise Reject(self._validation({"message": [f"Invoice batch {batch.batch_number} is already posted"]}))
        if self.tenant.posting(batch):
            raise Reject(self._validation({"message": [f"Invoice batch {batch.batch_number} is being posted"]}))
        job = self.tenant.start_post(batch, lambda refs: self.sandbox.faults.take_job_failure(YOUNIUM_POST, refs))
        return _json(_job_started(job, "post"))

    async def job_status(self, request: Request) -> Response:
        self._enter(request)
        reference = request.path_params["reference"]
        kind = next((k for k in JOB_KINDS if k.lower() == request.path_params["kind"].lower()), None)
        if kind is None:
            return _json({"type": _NOT_FOUND, "title": "Not Found", "status": 404, "traceId": self._trace()}, 404)
        job = self.tenant.find_job(reference, kind)  # type: ignore[arg-type]
        if job is None:
            raise Reject(self._validation({"message": [f"Batch job '{reference}' could not be found"]}))
        detail = {
            "batchId": job.batch_id if job.status == SUCCEEDED else None,
            "batchNumber": job.batch_ref,
            "eventId": job.event_id,
            "message": job.message,
        }
        return _json(
            {
                # Generated answers one BatchJobDetail, Posted a list of them.
                "resultBody": detail if kind == "Generated" else [detail],
                "resultStatus": job.status,
                "statusMessage": job.message or "The job is queued",
            }
        )

    def _idempotent(self, request: Request, produce: Callable[[], Response]) -> Response:
        """Replay the stored reply of a POST repeated with the same key on the same endpoint; otherwise
        produce the reply (an error too) and store it, for 48 hours unless the request asks otherwise."""
        key = request.headers.get(IDEMPOTENCY_KEY, "").strip()
        endpoint = f"POST {request.url.path}"
        store = self.tenant.idempotency
        if key:
            stored = store.get(key, endpoint)
            if stored is not None:
                return Response(stored.body, stored.status, stored.headers, media_type="application/json")
        try:
            response = produce()
        except Reject as rejected:
            response = rejected.response
        if not key:
            return response
        try:
            hours = float(request.headers.get("younium-idempotency-durationinhours", IDEMPOTENCY_HOURS))
        except ValueError:
            hours = IDEMPOTENCY_HOURS
        expires = datetime.now(timezone.utc) + timedelta(hours=hours)
        headers = {
            IDEMPOTENCY_KEY: key,
            "younium-idempotency-durationinhours": f"{hours:g}",
            "younium-idempotency-expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        response.headers.update(headers)
        store.put(key, endpoint, response.status_code, bytes(response.body), headers, hours)
        return response

    # -- request bodies --------------------------------------------------------------------------------

    def _body(self, raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw or b"{}", parse_float=Decimal)
        except ValueError:
            raise Reject(self._validation({"body": ["The request body is not valid JSON."]})) from None
        if not isinstance(body, dict):
            raise Reject(self._validation({"body": ["The request body must be a JSON object."]}))
        return _fields(body)

    def _day(self, fields: Mapping[str, Any], name: str) -> int | None:
        value = fields.get(name.lower())
        if value is None:
            return None
        try:
            return day_of(parse_moment(str(value)))
        except ValueError:
            raise Reject(self._validation({name: [f"The value '{value}' is not a valid date."]})) from None

    def _id_list(self, fields: Mapping[str, Any], name: str) -> list[str]:
        value = fields.get(name.lower()) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Reject(self._validation({name: ["Expected a list of ids."]}))
        return [v.strip() for v in value]

    # -- replies ---------------------------------------------------------------------------------------

    def _trace(self) -> str:
        self._traces += 1
        return f"00-{self._traces:032x}-{self._traces:016x}-00"

    def _validation(self, errors: Mapping[str, list[str]]) -> Response:
        return _json(
            {
                "type": _VALIDATION,
                "title": "One or more validation errors occurred.",
                "status": 400,
                "traceId": self._trace(),
                "errors": dict(errors),
            },
            400,
        )

    def _status_fault(self, fault: Fault) -> Response:
        assert fault.status is not None
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
        body = {"title": HTTPStatus(fault.status).phrase, "status": fault.status, "traceId": self._trace()}
        return _json(body, fault.status, headers)


def parse_moment(text: str) -> int:
    """A date-time parameter in ms since 1970 UTC: ISO 8601 (a date alone is midnight; no offset means
    UTC) or US-style `03/01/2025 00:00:00` as in the API's examples. Raises ValueError."""
    text = text.strip()
    us = _US_MOMENT.match(text)
    if us:
        month, day, year, hour, minute, second = (int(g) if g else 0 for g in us.groups())
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


def _job_started(job: Job, verb: str) -> dict[str, Any]:
    """InvoiceBatchJobResponse."""
    return {
        "batchNumber": job.batch_ref,
        "jobId": job.job_id,
        "resultStatus": job.status,
        "webhooksTriggeredWhenCompleted": False,
        "webhooks": [],
        "eventId": job.event_id,
        "id": job.batch_id,
        "message": f"The job to {verb} invoice batch {job.batch_ref} was queued",
    }


def _fields(body: object) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else {}


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return _json_text(dumps(body), status, headers)


def _json_text(text: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(text.encode("utf-8"), status, headers, media_type="application/json; charset=utf-8")


def _version_error(code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, 400)
