"""The one HTTP core both upstream clients use: policy and response rules, sign-in flows, paginators,
redaction, bounded concurrency, and the request to stop.

Names load on first use (PEP 562), so a command that needs only redaction (`finsync --help`) does not
import httpx, tenacity and dlt."""

from __future__ import annotations

from importlib import import_module
from typing import Any

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
