"""What the emulated Younium tenant remembers between requests: bearer tokens, and the replies of
idempotent POSTs."""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass


class Tokens:
    """Bearer tokens handed out by the token endpoints; each lives `lifetime()` seconds. One set serves
    every legal entity of the tenant: a token is the API client's, not an entity's."""

    def __init__(self, lifetime: Callable[[], float], clock: Callable[[], float]) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        # The API client each token was issued to, kept after it expires: the rate limit still knows
        # whose budget a request with a stale token spends.
        self._clients: dict[str, str] = {}
        # Every token and refresh token ever handed out, so tests can check that none of them leaks into logs.
        self.issued: list[str] = []

    def issue(self, client: str = "") -> tuple[str, str, float]:
        """(access token, refresh token, lifetime in seconds) for API client `client`."""
        lifetime = self._lifetime()
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
        token = f"{header}.{secrets.token_urlsafe(48)}.{secrets.token_urlsafe(32)}"
        refresh = secrets.token_hex(32)
        with self._lock:
            self._expiry[token] = self._clock() + lifetime
            self._clients[token] = client
            self.issued += [token, refresh]
        return token, refresh, lifetime

    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._expiry.get(token)
            if expiry is None:
                return False
            if self._clock() >= expiry:
                del self._expiry[token]
                return False
            return True

    def client_of(self, token: str) -> str | None:
        """The API client `token` was issued to (live or expired), or None for a token never issued."""
        with self._lock:
            return self._clients.get(token)

    def expire_all(self) -> int:
        """Invalidate every token; returns how many were live."""
        with self._lock:
            count = len(self._expiry)
            self._expiry.clear()
        return count


@dataclass(frozen=True)
class StoredReply:
    status: int
    body: bytes
    headers: dict[str, str]
    expires_at: float  # sandbox clock


class IdempotencyStore:
    """Replies to POSTs that carried a `younium-idempotency-key`, per key and endpoint, until they expire."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._replies: dict[tuple[str, str], StoredReply] = {}

    def get(self, key: str, endpoint: str) -> StoredReply | None:
        with self._lock:
            stored = self._replies.get((key, endpoint))
            if stored is not None and self._clock() >= stored.expires_at:
                del self._replies[(key, endpoint)]
                return None
            return stored

    def put(self, key: str, endpoint: str, status: int, body: bytes, headers: dict[str, str], hours: float) -> None:
        with self._lock:
            self._replies[(key, endpoint)] = StoredReply(status, body, headers, self._clock() + hours * 3600)

    def __len__(self) -> int:
        return len(self._replies)
