"""The one HTTP layer both upstream clients share: policy (timeouts, retries), redaction, concurrency."""

from .client import HttpClient, HttpSettings, JsonObject, Reply
from .concurrency import Outcome, bounded_map, read_ahead
from .redact import install_log_redaction, redact, register_secret
from .stop import pause, raise_if_stopping, request_stop

__all__ = [
    "HttpClient",
    "HttpSettings",
    "JsonObject",
    "Outcome",
    "Reply",
    "bounded_map",
    "install_log_redaction",
    "pause",
    "raise_if_stopping",
    "read_ahead",
    "redact",
    "register_secret",
    "request_stop",
]
