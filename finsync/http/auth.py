"""A credential signed in for on first use, renewed before it lapses, and signed in for again on a 401:
the one sign-in loop both upstreams use, as an `httpx.Auth` flow.

A server can drop a fresh credential at once (another integration signing in as the same user, a
rotation): a 401 right after a new sign-in is retried a few times, waiting longer each time. Only a
refused sign-in is an authentication error; fresh credentials refused every time fail the run (exit 1).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import httpx

from finsync.errors import UpstreamError

from .redaction import register_secret
from .stop import pause

logger = logging.getLogger(__name__)

# Sign-ins tried for one request whose fresh credentials keep answering 401; the waits between double.
SIGN_IN_ATTEMPTS = 4
SIGN_IN_RETRY_DELAY = 0.5


@dataclass(frozen=True)
class Credential:
    """What a sign-in returned: the secret to send, and how long it may be used."""

    value: str
    lifetime: float  # seconds: until it expires, or (`renew_when_idle`) after its last use


class RenewingAuth(httpx.Auth):
    """Subclasses say how to sign in (`sign_in`), how to send the credential (`apply`), and the words for a
    server that keeps refusing fresh ones (`refused`). Thread-safe: one credential serves every thread."""

    # The credential lapses after `lifetime` idle (renewed by each use) rather than `lifetime` after issue.
    renew_when_idle = False

    def __init__(self, system: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.system = system
        self._clock = clock
        self._lock = threading.Lock()
        self._credential: Credential | None = None
        self._renew_at = 0.0

    def sign_in(self) -> Credential:
        raise NotImplementedError

    def apply(self, request: httpx.Request, value: str) -> None:
        raise NotImplementedError

    def refused(self, request: httpx.Request) -> str:
        return "the server accepts the credentials but refuses each new session at once"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for attempt in range(1, SIGN_IN_ATTEMPTS + 1):
            value = self._current()
            self.apply(request, value)
            response = yield request
            if response.status_code != 401:
                return
            self._forget(value)
            if attempt > 1 and attempt < SIGN_IN_ATTEMPTS:
                pause(SIGN_IN_RETRY_DELAY * 2 ** (attempt - 2))
            logger.info("%s answered 401 on %s; signing in again", self.system, request.url.path)
        raise UpstreamError(
            self.system,
            f"{request.method} {request.url.path} was refused with HTTP 401 after {SIGN_IN_ATTEMPTS} fresh sign-ins "
            f"in a row: {self.refused(request)}. Rerun later; if it persists, give finsync credentials of its own.",
            status=401,
        )

    def signed_in(self) -> None:
        """Sign in now unless a credential is current: a refused sign-in raises here, not inside a request."""
        self._current()

    def _current(self) -> str:
        with self._lock:
            now = self._clock()
            if self._credential is None or now >= self._renew_at:
                self._credential = self.sign_in()
                register_secret(self._credential.value)
                self._renew_at = now + self._credential.lifetime
            elif self.renew_when_idle:
                self._renew_at = now + self._credential.lifetime
            return self._credential.value

    def _forget(self, value: str) -> None:
        with self._lock:
            if self._credential is not None and self._credential.value == value:
                self._credential = None
