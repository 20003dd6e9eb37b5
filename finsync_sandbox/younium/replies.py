"""How Younium answers: JSON without null members, ASP.NET ProblemDetails errors (each with a trace id),
the api-version errors, and the list envelope whose links keep only PageNumber and PageSize."""

from __future__ import annotations

import math
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..kernel.drift import drifted
from ..kernel.faults import Fault
from ..kernel.guard import drifts_of, retry_headers
from ..kernel.jsonwriter import RawJson, dumps, json_response

_VALIDATION = "https://tools.ietf.org/html/rfc7231#section-6.5.1"
_NOT_FOUND = "https://tools.ietf.org/html/rfc7231#section-6.5.4"


def younium_json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Younium leaves null members out."""
    return json_response(body, status, headers)


def version_error(code: str, message: str) -> Response:
    return younium_json({"error": {"code": code, "message": message}}, 400)


def list_page(request: Request, number: int, size: int, total: int, data: Any) -> Response:
    """Page `number` (of `size`) of a list of `total` records, `data` being this page's. On the last page
    `nextPage` is left out and `lastPage` points at the page itself. The drift faults that hit the request
    apply to `data`'s records here, for every list."""
    pages = math.ceil(total / size)
    listed = RawJson(dumps(data))
    if drifts := drifts_of(request):
        listed = drifted(listed, drifts)

    def link(page: int) -> str:
        # Only the paging parameters survive into the links: every filter of the request is dropped.
        return str(request.url.replace(query=urlencode({"PageNumber": page, "PageSize": size})))

    return younium_json(
        {
            "pageNumber": number,
            "pageSize": size,
            "totalPages": pages,
            "totalCount": total,
            "nextPage": link(number + 1) if number < pages else None,
            "previousPage": link(number - 1) if number > 1 else None,
            "firstPage": link(1),
            "lastPage": link(pages),
            "data": listed,
        }
    )


class Replies:
    """The error replies, numbered by their trace ids."""

    def __init__(self) -> None:
        self._traces = 0

    def trace(self) -> str:
        self._traces += 1
        return f"00-{self._traces:032x}-{self._traces:016x}-00"

    def not_found(self) -> Response:
        return younium_json({"type": _NOT_FOUND, "title": "Not Found", "status": 404, "traceId": self.trace()}, 404)

    def validation(self, errors: Mapping[str, list[str]]) -> Response:
        return younium_json(
            {
                "type": _VALIDATION,
                "title": "One or more validation errors occurred.",
                "status": 400,
                "traceId": self.trace(),
                "errors": dict(errors),
            },
            400,
        )

    def status_fault(self, fault: Fault) -> Response:
        assert fault.status is not None
        body = {"title": HTTPStatus(fault.status).phrase, "status": fault.status, "traceId": self.trace()}
        return younium_json(body, fault.status, retry_headers(fault))
