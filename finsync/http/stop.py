"""The process-wide request to stop (SIGINT, SIGTERM): every wait in finsync ends early when it is made.

The CLI's signal handler calls `request_stop`. Waits between retries, export polls and job polls go
through `pause`, and threads waiting on other threads poll `raise_if_stopping`, so a run stops within a
moment of the signal instead of sleeping out its backoff.
"""

from __future__ import annotations

import threading

from finsync.errors import Interrupted

# Threads waiting on other threads (or on a condition) wake this often to see whether to stop.
STOP_CHECK_SECONDS = 0.2

_stop = threading.Event()
_signum = 0


def request_stop(signum: int) -> None:
    global _signum
    _signum = signum
    _stop.set()


def raise_if_stopping() -> None:
    if _stop.is_set():
        raise Interrupted(_signum)


def pause(seconds: float) -> None:
    """Sleep, unless asked to stop: then raise `Interrupted` at once."""
    if _stop.wait(max(0.0, seconds)):
        raise Interrupted(_signum)
