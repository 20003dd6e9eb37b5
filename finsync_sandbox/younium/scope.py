"""Which of the tenant's legal entities a Younium request reads, and whose rate limit budget it spends.

The routes of `younium` read `YouniumApi.tenant`; while a request is answered that is the entity its
`legal-entity` header names (by name, case-insensitive, or by id), set here for the duration of the
request in a context variable (each request runs in a task, and so a context, of its own), so that no
route needs the entity passed along. A header naming no entity leaves the default one in place;
`forbidden` states the 403 that `YouniumApi.enter` answers then, after the version and token checks, as
the API orders them.

Rate limit budgets are the API client's: a request with a bearer token spends the budget of the client
the token was issued to (every legal entity of the client shares it), a token request that of the
clientId its body names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from ..kernel.faults import Fault
from ..kernel.guard import Handler, guarded, lower_keys
from ..kernel.jsonwriter import json_response
from ..kernel.route_names import YOUNIUM_TOKEN
from .entities import find_entity
from .tenant import YouniumTenant

if TYPE_CHECKING:
    from ..sandbox import Sandbox

_ENTITY: ContextVar[YouniumTenant | None] = ContextVar("younium_legal_entity", default=None)
# The budget of requests that name no client: no token, one never issued, or a token request without one.
ANONYMOUS = "younium:anonymous"


class RequestScope:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def tenant(self) -> YouniumTenant:
        """The legal entity of the request being answered; the default one outside a request, or when the
        request names no entity it may read (`forbidden` refuses those before any data is read)."""
        return _ENTITY.get() or self.sandbox.younium

    def guarded(self, name: str, handler: Handler, status_reply: Callable[[Fault], Response]) -> Handler:
        """`guard.guarded` for Younium route `name`: rate limited by API client, then `scoped`."""
        credential = self.token_credential if name == YOUNIUM_TOKEN else self.bearer_credential
        return guarded(self.sandbox, name, self.scoped(handler), status_reply, credential)

    def scoped(self, handler: Handler) -> Handler:
        """`handler`, with `tenant` the entity the request's header names while it runs."""

        async def endpoint(request: Request) -> Response:
            entity = request.headers.get("legal-entity", "").strip()
            reset = _ENTITY.set(find_entity(self.sandbox.younium_entities, entity) if entity else None)
            try:
                return await handler(request)
            finally:
                _ENTITY.reset(reset)

        return endpoint

    def forbidden(self, request: Request) -> Response | None:
        """The 403 of a request whose `legal-entity` header names no entity of the tenant, or, when the
        tenant has several, is missing; None when it may go on."""
        entity = request.headers.get("legal-entity", "").strip()
        if entity and find_entity(self.sandbox.younium_entities, entity) is None:
            message = f"Legal entity '{entity}' was not found, or the user has no access to it."
        elif not entity and len(self.sandbox.younium_entities) > 1:
            message = "A legal-entity header is required: the tenant has several legal entities."
        else:
            return None
        return json_response({"errors": [message]}, 403)

    # -- rate limit credentials --------------------------------------------------------------------------

    async def bearer_credential(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        client = self.sandbox.younium.tokens.client_of(token.strip()) if scheme.lower() == "bearer" else None
        return ANONYMOUS if client is None else f"younium:{client}"

    async def token_credential(self, request: Request) -> str:
        try:
            client = lower_keys(json.loads(await request.body() or b"null")).get("clientid")
        except ValueError:  # the handler answers a body that is not JSON
            client = None
        return f"younium:{client}" if isinstance(client, str) and client else ANONYMOUS
