"""Younium's token endpoints: `/auth/v2/token` answers snake_case, `/auth/token` camelCase; wrong
credentials are HTTP 401 `{"errors": ["Invalid client credentials"]}`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import Response

from ..kernel.guard import Reject, lower_keys
from ..sandbox import Sandbox
from .replies import younium_json as _json
from .scope import RequestScope


class TokenRoutes:
    def __init__(self, sandbox: Sandbox, scope: RequestScope) -> None:
        self.sandbox = sandbox
        self.scope = scope

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
        token, refresh, lifetime = self.scope.tenant.tokens.issue(client_id)
        expires = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=lifetime), usegmt=True)
        return token, refresh, int(lifetime), expires
