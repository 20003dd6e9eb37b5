"""Politeness towards one upstream: a cap on requests per second and on requests in flight, shared by every
thread of a run, that backs off when the upstream says to slow down (429 or 503) and recovers step by step.

- **Rate**: request starts are spaced at least `1 / rate` seconds apart (no bursts: a limiter that counts
  per second on the server side sees at most `rate` of them in any second).
- **Slow start**: an upstream that publishes no limit is first asked at a modest `start_rate`; each answer
  that is not a slow-down adds `RAMP_STEP` requests per second (so the rate about doubles every half
  second), up to the cap. The first slow-down ends the ramp for the rest of the run.
- **In flight**: at most `limit` requests at once, whatever the thread pools' sizes.
- **On 429 or 503** (additive increase, multiplicative decrease, as TCP does): the limit of requests in
  flight halves, the rate halves (from what the upstream accepted in the last second, when that is less:
  a fast client learns the limit from one 429 instead of halving its way down to it), and nobody sends
  anything until the upstream's Retry-After has passed. Each run of `RECOVER_AFTER` answers without one
  then adds one request in flight and a tenth to the rate, until both are at their settings again.

What it did is tallied on the run's progress: requests sent, slow-downs, and seconds spent waiting (for
the rate, for a slot in flight, or for a Retry-After).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from finsync import progress

from .stop import STOP_CHECK_SECONDS, pause, raise_if_stopping

# Answers without a slow-down before one more request may be in flight and the rate grows by RECOVERY: slowly,
# so that a rate just under the upstream's limit stays there a long while before it probes again.
RECOVER_AFTER = 20
RECOVERY = 1.1
# A burst of slow-downs from requests already in flight is one signal: back off at most once per this long.
BACKOFF_SPACING_SECONDS = 1.0
# However many slow-downs, the rate stays at least this fraction of the cap.
MAX_SLOWDOWN = 32

# Slow start: requests per second added by each answer, so the rate about doubles every half second.
RAMP_STEP = 2.0
# The answers that mean "too many requests" (429) or "overloaded" (503, also Cloudflare's): slow down.
SLOW_DOWN = frozenset({429, 503})

REQUESTS, THROTTLED, WAITED = "requests", "answered 429 or 503", "seconds waiting"
# WAITED sums every thread's waits (four threads waiting one second count four); WAITED_WALL is the wall-clock
# time during which at least one request was waiting to be sent (never more than the run lasted).
WAITED_WALL = "seconds with a request waiting"


class Pacer:
    """The shared limits of one upstream client. `rate` 0 means no cap on the rate; `in_flight` at least 1."""

    def __init__(
        self,
        rate: float,
        in_flight: int,
        *,
        start_rate: float = 0.0,
        sleep: Callable[[float], None] = pause,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_rate = max(0.0, rate)
        self.max_in_flight = max(1, in_flight)
        # Slow start applies only under a cap: with none (0), there is nothing to ramp up to.
        self.rate = min(start_rate, self.max_rate) if start_rate > 0 and self.max_rate else self.max_rate
        self._ramping = self.rate < self.max_rate
        self.limit = self.max_in_flight
        self._clock, self._sleep = clock, sleep
        self._resume_at = 0.0  # nobody sends before this moment (the upstream's Retry-After)
        self._busy = 0
        self._next_start = 0.0  # the earliest moment the next request may start
        self._calm = 0  # answers without a slow-down since the last change
        self._last_backoff = float("-inf")
        self._accepted: deque[float] = deque()  # when answers other than slow-downs came, over the last second
        self._changed = threading.Condition()
        self._holding = threading.local()
        self._wall = threading.Lock()
        self._waits_cover_until = float("-inf")  # the end of the waits counted into WAITED_WALL so far

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one request's place: wait for a slot in flight and for the rate, then send.

        A thread already holding one (a sign-in its request's auth flow makes) sends at once: waiting for
        a second slot could wait for itself."""
        if getattr(self._holding, "slot", False):
            progress.tally(REQUESTS)
            yield
            return
        asked = self._clock()
        # The thread that was answered 429 has already slept its Retry-After (`waited`); the others wait here.
        if self._resume_at > max(asked, getattr(self._holding, "slept_until", 0.0)):
            self._sleep(self._resume_at - asked)
        with self._changed:
            while True:
                raise_if_stopping()
                now = self._clock()
                if self._busy < self.limit and now >= self._next_start:
                    break
                delay = self._next_start - now if self._busy < self.limit else STOP_CHECK_SECONDS
                self._changed.wait(min(max(delay, 0.001), STOP_CHECK_SECONDS))
            waited = max(0.0, now - asked)
            self._busy += 1
            self._holding.slot = True
            if self.rate:
                self._next_start = max(self._next_start, now) + 1.0 / self.rate
        progress.tally(REQUESTS)
        if waited:
            progress.tally(WAITED, waited)
            self._on_the_clock(asked, now)
        try:
            yield
        finally:
            self._holding.slot = False
            with self._changed:
                self._busy -= 1
                self._changed.notify_all()

    def answered(self, status: int, retry_after: float | None = None) -> None:
        """Adjust to an answer: a slow-down backs off (once per burst), any other answer ramps the rate up
        (slow start) or counts towards recovery."""
        with self._changed:
            now = self._clock()
            while self._accepted and self._accepted[0] <= now - 1.0:
                self._accepted.popleft()  # only the last second counts: kept short whatever the run's length
            if status not in SLOW_DOWN:
                self._accepted.append(now)
                if self._ramping:
                    self.rate = min(self.max_rate, self.rate + RAMP_STEP)
                    self._ramping = self.rate < self.max_rate
                    return
                self._calm += 1
                if self._calm >= RECOVER_AFTER and (self.limit < self.max_in_flight or self.rate < self.max_rate):
                    self.limit = min(self.max_in_flight, self.limit + 1)
                    self.rate = min(self.max_rate, self.rate * RECOVERY)
                    self._calm = 0
                return
            progress.tally(THROTTLED)
            self._calm, self._ramping = 0, False
            if retry_after:
                self._resume_at = max(self._resume_at, now + retry_after)
            if now - self._last_backoff >= BACKOFF_SPACING_SECONDS:
                self._last_backoff = now
                self.limit = max(1, self.limit // 2)
                accepted = float(len(self._accepted)) or self.rate
                self.rate = max(self.max_rate / MAX_SLOWDOWN, min(self.rate, accepted) / 2)
            self._changed.notify_all()

    def waited(self, seconds: float) -> None:
        """A retry's own sleep (its Retry-After) is time spent waiting too, and covers the pause it set."""
        self._holding.slept_until = self._resume_at
        progress.tally(WAITED, seconds)
        now = self._clock()
        self._on_the_clock(now, now + seconds)

    def _on_the_clock(self, start: float, end: float) -> None:
        """Count the part of a wait from `start` to `end` no wait counted before covers into WAITED_WALL (waits
        overlap: threads wait together)."""
        with self._wall:
            added = max(0.0, end - max(start, self._waits_cover_until))
            self._waits_cover_until = max(self._waits_cover_until, end)
        if added:
            progress.tally(WAITED_WALL, added)
