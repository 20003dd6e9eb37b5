"""The rate limit both emulated APIs share: a token bucket per credential, on the sandbox's clock.

Real YM sits behind Cloudflare, which answers HTTP 429 to a client that calls too often (its public
connectors space requests about 600 ms apart); Younium publishes no limit but a client must still cope
with 429. With `SandboxConfig.rate_limit_per_second` above 0, each credential (see `guard.guarded`) may
make that many requests per second on average, in bursts of at most `max(1, rate)`; a request that finds
its bucket empty is refused, told in whole seconds when to come back.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

# A bucket this close to one token counts as holding it: float refills never sum to exactly 1.0.
_EPSILON = 1e-9


@dataclass
class _Bucket:
    tokens: float
    refilled_at: float


class RateLimiter:
    """Token buckets by credential. `rate()` is read on every request, so the limit may be switched on,
    changed or switched off (0) while the sandbox serves. Thread-safe: the server thread takes tokens
    while a test changes the limit."""

    def __init__(self, rate: Callable[[], float], clock: Callable[[], float]) -> None:
        self._rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    @property
    def active(self) -> bool:
        return self._rate() > 0

    def take(self, credential: str) -> int | None:
        """Spend one of `credential`'s tokens: None when there was one (the request may go), otherwise the
        whole seconds (at least 1) until there is one again. A credential seen for the first time starts
        with a full bucket."""
        rate = self._rate()
        if rate <= 0:
            return None
        capacity = max(1.0, rate)
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(credential)
            if bucket is None:
                bucket = self._buckets[credential] = _Bucket(capacity, now)
            # Refilled lazily, for the time since the last look; capped, also when the rate was lowered.
            bucket.tokens = min(capacity, bucket.tokens + max(0.0, now - bucket.refilled_at) * rate)
            bucket.refilled_at = now
            if bucket.tokens + _EPSILON >= 1.0:
                bucket.tokens = max(0.0, bucket.tokens - 1.0)
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / rate - _EPSILON))
