"""What every emulated route does around its handler: count the request, apply the rate limit, apply the
fault armed for it.

Both APIs share this; each supplies how it words an injected error status (YM's ResponseStatus, Younium's
ProblemDetails), which words its HTTP 429 too, and whose budget a request spends (its credential).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from .faults import DROP, SLOW, STATUS, TRUNCATE, Fault

T = TypeVar("T")

if TYPE_CHECKING:
    from ..sandbox import Sandbox

Handler = Callable[[Request], Awaitable[Response]]
# Whose rate limit budget a request spends, e.g. "ym:24680" (may read the body: Starlette keeps it for the
# handler).
Credential = Callable[[Request], Awaitable[str]]


def fault_of(request: Request, *kinds: str) -> Fault | None:
    """The fault armed for this request, if it is one of `kinds`."""
    fault: Fault | None = getattr(request.state, "fault", None)
    return fault if fault is not None and fault.kind in kinds else None


def drifts_of(request: Request) -> tuple[Fault, ...]:
    """The drift faults that hit this request (`kernel.drift`): none, mostly."""
    drifts: tuple[Fault, ...] = getattr(request.state, "drifts", ())
    return drifts


def query_fields(request: Request) -> dict[str, str]:
    """The query parameters by lower-case name: both APIs bind them case-insensitively."""
    return {k.lower(): v for k, v in request.query_params.multi_items()}


def lower_keys(body: object) -> dict[str, Any]:
    """A JSON object's members by lower-case name (other bodies: none), as both APIs bind them."""
    return {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else {}


def retry_headers(fault: Fault) -> dict[str, str] | None:
    """The Retry-After header of an injected error status, if the fault gives one."""
    return {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None


class Reject(Exception):
    """Ends a handler early with `response` (validation and authorization failures)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def query_param(
    query: Mapping[str, str], name: str, default: T, parse: Callable[[str], T], invalid: Callable[[str, str], Response]
) -> T:
    """Query parameter `name` (keys lower-cased) read by `parse`; `default` when absent or blank; a value
    `parse` refuses ends the request with the API's own answer, `invalid(name, value)`."""
    text = query.get(name.lower(), "").strip()
    if not text:
        return default
    try:
        return parse(text)
    except ValueError:
        raise Reject(invalid(name, text)) from None


def guarded(
    sandbox: Sandbox,
    name: str,
    handler: Handler,
    status_reply: Callable[[Fault], Response],
    credential: Credential | None = None,
) -> Handler:
    """`handler` counted under `name`, refused with HTTP 429 when `credential`'s rate limit budget is spent
    (`limits`; before anything else happens, so a refused request has no effect and takes no fault), then
    with that route's faults applied: an error status (`status_reply`) instead of the handler, a delay
    before it, or its reply cut short after it ran (so a dropped reply still had its effect, as on a real
    server). Faults about what a reply holds (a short export file, a page that says "nothing found") are
    the handler's to apply: it finds them in `request.state.fault`, and the drift faults of a request not
    answered with an error status (any number of them, alongside the other fault) in `drifts_of`."""

    async def endpoint(request: Request) -> Response:
        sandbox.requests[name] += 1
        if credential is not None and sandbox.limiter.active:
            wait = sandbox.limiter.take(await credential(request))
            if wait is not None:
                sandbox.rate_limited[name] += 1
                # Worded as the API words an injected 429, Retry-After in whole seconds.
                return status_reply(Fault(STATUS, name, status=429, retry_after=float(wait)))
        number = next((v for k, v in request.query_params.items() if k.lower() == "pagenumber"), "1")
        page = int(number) if number.isdigit() else 1
        fault = sandbox.faults.take(name, page)
        request.state.fault = fault
        if fault is not None and fault.kind == STATUS:
            return status_reply(fault)
        request.state.drifts = sandbox.faults.take_drifts(name, page)
        if fault is not None and fault.kind == SLOW:
            await asyncio.sleep(fault.delay)
        try:
            response = await handler(request)
        except Reject as rejected:
            response = rejected.response
        if fault is not None and fault.kind in (DROP, TRUNCATE):
            return await broken(response, dropped=fault.kind == DROP)
        return response

    return endpoint


async def broken(response: Response, *, dropped: bool) -> Response:
    """The reply cut in half: with a matching Content-Length (truncated), or with the full length and
    the connection closed mid-body (dropped)."""
    if isinstance(response, StreamingResponse):
        chunks = [c if isinstance(c, bytes) else str(c).encode() async for c in response.body_iterator]
        body = b"".join(chunks)
    else:
        body = bytes(response.body)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    if dropped:
        return _DroppedResponse(body, response.status_code, headers)
    return Response(body[: len(body) // 2], response.status_code, headers)


class _DroppedResponse(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        # Returning with the body unfinished makes the server close the connection.
