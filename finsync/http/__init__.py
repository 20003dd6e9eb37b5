"""The one HTTP core both upstream clients use: policy and response rules, sign-in flows, paginators,
redaction, bounded concurrency, and the request to stop."""

from .auth import Credential, RenewingAuth
from .client import HttpClient, HttpSettings, JsonObject, Reply, Rule
from .concurrency import Outcome, bounded_map, read_ahead
from .paging import CountedPaginator, Page, RepeatingListPaginator, ShortPagePaginator
from .redact import install_log_redaction, redact, register_secret
from .stop import pause, raise_if_stopping, request_stop

__all__ = [
    "CountedPaginator",
    "Credential",
    "HttpClient",
    "HttpSettings",
    "JsonObject",
    "Outcome",
    "Page",
    "RenewingAuth",
    "RepeatingListPaginator",
    "Reply",
    "Rule",
    "ShortPagePaginator",
    "bounded_map",
    "install_log_redaction",
    "pause",
    "raise_if_stopping",
    "read_ahead",
    "redact",
    "register_secret",
    "request_stop",
]
