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
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .faults import MODIFY, NOTHING_FOUND, Fault
from .formats import parse_moment
from .guard import Handler, Reject, fault_of, guarded, lower_keys, query_fields, query_param, retry_headers
from .jsonwriter import RawJson, dumps, json_response
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
from .younium_dataset import Window
from .younium_jobs_api import JobRoutes
from .younium_records import log_record
from .younium_seed import InvoiceBatch

API_VERSION = "2.1"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20  # the spec's example; finsync always sends PageSize
_VALIDATION = "https://tools.ietf.org/html/rfc7231#section-6.5.1"
_NOT_FOUND = "https://tools.ietf.org/html/rfc7231#section-6.5.4"


class YouniumApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.tenant = sandbox.younium
        self._traces = 0
        self.jobs = JobRoutes(self)

    def routes(self) -> list[Route]:
        def route(path: str, name: str, handler: Handler, method: str) -> Route:
            return Route(path, guarded(self.sandbox, name, handler, self._status_fault), methods=[method])

        return [
            route("/auth/v2/token", YOUNIUM_TOKEN, self.token_v2, "POST"),
            route("/auth/token", YOUNIUM_TOKEN, self.token_v1, "POST"),
            route("/InvoiceBatches", YOUNIUM_INVOICE_BATCHES, self.invoice_batches, "GET"),
            route("/InvoiceBatches", YOUNIUM_GENERATE, self.jobs.generate, "POST"),
            route("/InvoiceBatches/BatchJobStatus/{reference}/{kind}", YOUNIUM_JOB_STATUS, self.jobs.job_status, "GET"),
            route("/InvoiceBatches/{batch}/BatchLog", YOUNIUM_BATCH_LOG, self.batch_log, "GET"),
            route("/InvoiceBatches/{batch}/Post", YOUNIUM_POST, self.jobs.post, "POST"),
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
        fields = lower_keys(body)
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

    def enter(self, request: Request) -> dict[str, str]:
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
        if (fault := fault_of(request, MODIFY)) is not None:
            self.tenant.touch(fault.rows or 1)
        return query_fields(request)

    def _paging(self, query: Mapping[str, str]) -> tuple[int, int]:
        size = self._int(query, "PageSize", DEFAULT_PAGE_SIZE)
        number = self._int(query, "PageNumber", 1)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise Reject(self.validation({"PageSize": [f"PageSize must be between 1 and {MAX_PAGE_SIZE}."]}))
        if number < 1:
            raise Reject(self.validation({"PageNumber": ["PageNumber must be 1 or more."]}))
        return size, number

    def _int(self, query: Mapping[str, str], name: str, default: int) -> int:
        return query_param(
            query, name, default, int, lambda key, text: self.validation({key: [f"The value '{text}' is not valid."]})
        )

    def _window(self, query: Mapping[str, str]) -> Window:
        bounds: list[int | None] = []
        for name in ("ModifiedAfter", "ModifiedBefore"):
            text = query.get(name.lower(), "").strip()
            try:
                bounds.append(parse_moment(text) if text else None)
            except ValueError:
                raise Reject(self.validation({name: [f"The value '{text}' is not valid for {name}."]})) from None
        return Window(*bounds)

    # -- lists -----------------------------------------------------------------------------------------

    async def invoices(self, request: Request) -> Response:
        query = self.enter(request)
        size, number = self._paging(query)
        total, records = self.tenant.records.invoice_page(self._window(query), (number - 1) * size, size)
        return self._list(request, "invoices", number, size, total, records)

    async def accounts(self, request: Request) -> Response:
        found = self.tenant.dataset.accounts_in
        return self._listed(request, "accounts", found, self.tenant.records.account)

    async def payments(self, request: Request) -> Response:
        return self._listed(request, "payments", self.tenant.dataset.payments_in, self.tenant.records.payment)

    async def invoice_batches(self, request: Request) -> Response:
        found = self.tenant.dataset.batches_in
        return self._listed(request, "invoice batches", found, self.tenant.records.batch)

    async def invoice_batch(self, request: Request) -> Response:
        self.enter(request)
        return _json(self.tenant.records.batch(self.batch_of(request.path_params["batch"], 404)))

    async def batch_log(self, request: Request) -> Response:
        query = self.enter(request)
        size, number = self._paging(query)
        window = self._window(query)
        batch = self.batch_of(request.path_params["batch"], 400)
        found = [entry for entry in batch.log if window.contains(entry.created)]
        page = [log_record(entry) for entry in found[(number - 1) * size : number * size]]
        # The log's `data` is declared as one object: a log with a single entry is answered as that object.
        return self._list(request, "batch log entries", number, size, len(found), page, single=len(found) == 1)

    def _listed(
        self, request: Request, entity: str, find: Callable[[Window], Sequence[Any]], record: Callable[[Any], Any]
    ) -> Response:
        """A list page of what `find` finds in the request's window, each written by `record`."""
        query = self.enter(request)
        size, number = self._paging(query)
        found = find(self._window(query))
        page = [record(item) for item in found[(number - 1) * size : number * size]]
        return self._list(request, entity, number, size, len(found), page)

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
        if not records or fault_of(request, NOTHING_FOUND) is not None:
            raise Reject(self.validation({"message": [f"No {entity} could be found"]}))
        pages = math.ceil(total / size)

        def link(page: int) -> str:
            # Only the paging parameters survive into the links: every filter of the request is dropped.
            return str(request.url.replace(query=urlencode({"PageNumber": page, "PageSize": size})))

        return _json(
            {
                "pageNumber": number,
                "pageSize": size,
                "totalPages": pages,
                "totalCount": total,
                "nextPage": link(number + 1) if number < pages else None,
                "previousPage": link(number - 1) if number > 1 else None,
                "firstPage": link(1),
                "lastPage": link(pages),
                "data": RawJson(dumps(records[0] if single else records)),
            }
        )

    def batch_of(self, reference: str, status: int) -> InvoiceBatch:
        batch = self.tenant.dataset.batch(reference)
        if batch is not None:
            return batch
        if status == 404:
            raise Reject(self.not_found())
        raise Reject(self.validation({"message": [f"Invoice batch '{reference}' could not be found"]}))

    # -- replies ---------------------------------------------------------------------------------------

    def trace(self) -> str:
        self._traces += 1
        return f"00-{self._traces:032x}-{self._traces:016x}-00"

    def not_found(self) -> Response:
        return _json({"type": _NOT_FOUND, "title": "Not Found", "status": 404, "traceId": self.trace()}, 404)

    def validation(self, errors: Mapping[str, list[str]]) -> Response:
        return _json(
            {
                "type": _VALIDATION,
                "title": "One or more validation errors occurred.",
                "status": 400,
                "traceId": self.trace(),
                "errors": dict(errors),
            },
            400,
        )

    def _status_fault(self, fault: Fault) -> Response:
        assert fault.status is not None
        body = {"title": HTTPStatus(fault.status).phrase, "status": fault.status, "traceId": self.trace()}
        return _json(body, fault.status, retry_headers(fault))


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Younium leaves null members out."""
    return json_response(body, status, headers)


def _version_error(code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, 400)
