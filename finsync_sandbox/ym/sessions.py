"""YM admin sessions: created by Authenticate, carried in `X-SS-ID`, expired after idling."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Session:
    client_id: int
    last_used: float


class Sessions:
    def __init__(self, idle_seconds: Callable[[], float], clock: Callable[[], float]) -> None:
        self._idle_seconds = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._live: dict[str, _Session] = {}
        # Every id ever handed out, so tests can check that none of them leaks into logs.
        self.issued: list[str] = []

    def open(self, client_id: int) -> str:
        session_id = str(uuid.uuid4())
        with self._lock:
            self._live[session_id] = _Session(client_id, self._clock())
            self.issued.append(session_id)
        return session_id

    def touch(self, session_id: str | None, client_id: int) -> bool:
        """Whether `session_id` is live for `client_id`; using it restarts its idle time."""
        if not session_id:
            return False
        now = self._clock()
        with self._lock:
            session = self._live.get(session_id)
            if session is None:
                return False
            if now - session.last_used > self._idle_seconds():
                del self._live[session_id]
                return False
            if session.client_id != client_id:
                return False
            session.last_used = now
            return True

    def expire_all(self) -> int:
        """Invalidate every live session (as a server restart would); returns how many there were."""
        with self._lock:
            count = len(self._live)
            self._live.clear()
        return count

    def __len__(self) -> int:
        return len(self._live)
