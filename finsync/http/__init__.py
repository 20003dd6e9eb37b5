"""The one HTTP core both upstream clients use: policy and response rules, sign-in flows, paginators,
redaction, bounded concurrency, and the request to stop.

Names load on first use (PEP 562), so a command that needs only redaction (`finsync --help`) does not
import httpx, tenacity and dlt."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for the type checker (at run time they load on first use)
    from .auth import Credential as Credential, RenewingAuth as RenewingAuth
    from .client import (
        HttpClient as HttpClient,
        HttpSettings as HttpSettings,
        JsonObject as JsonObject,
        Reply as Reply,
        Rule as Rule,
    )
    from .concurrency import Outcome as Outcome, bounded_map as bounded_map, read_ahead as read_ahead
    from .paging import (
        CountedPaginator as CountedPaginator,
        Page as Page,
        Records as Records,
        RepeatingListPaginator as RepeatingListPaginator,
        ShortPagePaginator as ShortPagePaginator,
    )
    from .redaction import (
        install_log_redaction as install_log_redaction,
        redact as redact,
        register_secret as register_secret,
    )
    from .stop import pause as pause, raise_if_stopping as raise_if_stopping, request_stop as request_stop

_HOMES = {
    "Credential": "auth",
    "RenewingAuth": "auth",
    "HttpClient": "client",
    "HttpSettings": "client",
    "JsonObject": "client",
    "Reply": "client",
    "Rule": "client",
    "Outcome": "concurrency",
    "bounded_map": "concurrency",
    "read_ahead": "concurrency",
    "CountedPaginator": "paging",
    "Page": "paging",
    "Records": "paging",
    "RepeatingListPaginator": "paging",
    "ShortPagePaginator": "paging",
    "install_log_redaction": "redaction",
    "redact": "redaction",
    "register_secret": "redaction",
    "pause": "stop",
    "raise_if_stopping": "stop",
    "request_stop": "stop",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value
