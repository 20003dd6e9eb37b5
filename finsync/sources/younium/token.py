"""Younium's sign-in: a personal token's client id and secret exchanged for a bearer token that every data
call carries, renewed before it expires and whenever Younium answers 401."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from finsync.errors import AuthenticationError
from finsync.http import Credential, HttpClient, JsonObject, RenewingAuth, Reply, Rule, register_secret

from .answers import error_summary

SYSTEM = "Younium"
logger = logging.getLogger(__name__)

# Tokens live 24 hours; renew this long before they expire.
TOKEN_REFRESH_MARGIN_SECONDS = 300.0
# Assumed lifetime when the token answer does not say (the documented one).
TOKEN_LIFETIME_SECONDS = 86_400.0

CREDENTIALS_HINT = (
    "Check sources.younium.client_id (SOURCES__YOUNIUM__CLIENT_ID) and sources.younium.secret "
    "(SOURCES__YOUNIUM__SECRET): the Client ID and Secret Key of a personal token (Younium: Privacy & "
    "Security > Personal Tokens; the secret is shown only once, generate a new token if it is lost)."
)


def whole_number(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _token_refused(what: str, reply: Reply) -> AuthenticationError:
    return AuthenticationError(
        SYSTEM,
        f"the token request was refused (HTTP {reply.status}: {error_summary(reply.body)}). {CREDENTIALS_HINT}",
        status=reply.status,
    )


# What Younium's answers to a sign-in mean (and a 404 on the token route: see `YouniumToken.sign_in`).
SIGN_IN_RULES = (Rule((400, 401, 403), _token_refused),)


class YouniumToken(RenewingAuth):
    """The bearer token of a personal token's client id and secret. It lives 24 hours and is renewed a few
    minutes before it expires (half-way through a short-lived one), and whenever Younium answers 401."""

    def __init__(self, http: HttpClient, auth_path: str, credentials: JsonObject, margin: float, **kwargs: Any):
        super().__init__(SYSTEM, **kwargs)
        self._http, self._auth_path, self._credentials, self._margin = http, auth_path, credentials, margin

    def sign_in(self) -> Credential:
        rules = (Rule((404,), self._no_token_route), *SIGN_IN_RULES)
        reply = self._http.request("POST", self._auth_path, json_body=self._credentials, rules=rules)
        body = reply.body if isinstance(reply.body, dict) else {}
        # The v2 endpoint answers access_token/expires_in, the v1 endpoint accessToken/expiresIn.
        token = body.get("access_token") or body.get("accessToken")
        if not token:
            raise AuthenticationError(
                SYSTEM, f"the token endpoint answered without an access token. {CREDENTIALS_HINT}"
            )
        for refresh in (body.get("refresh_token"), body.get("refreshToken")):
            register_secret(refresh)
        lifetime = whole_number(body.get("expires_in", body.get("expiresIn"))) or TOKEN_LIFETIME_SECONDS
        logger.debug("Younium token obtained, valid for %ss", lifetime)
        return Credential(str(token), max(lifetime - self._margin, lifetime / 2))

    def _no_token_route(self, what: str, reply: Reply) -> Exception:
        return self._http.wrong_base_url(
            f"has no token route at {self._http.address}: {what} answered HTTP 404 Not Found",
            f"Check also sources.younium.auth_path (SOURCES__YOUNIUM__AUTH_PATH), now {self._auth_path}: "
            "/auth/v2/token, or /auth/token for v1.",
        )

    def apply(self, request: httpx.Request, value: str) -> None:
        request.headers["Authorization"] = f"Bearer {value}"

    def refused(self, request: httpx.Request) -> str:
        return "Younium issues tokens for these credentials but does not accept them"
