"""What a base URL that leads nowhere looks like: a host DNS does not know, a refused connection. Until an
upstream's host has answered once, either is a setting to fix, not an outage (see `client`)."""

from __future__ import annotations

import socket

import httpx


def shown(url: httpx.URL) -> str:
    """A URL as a message may show it: no user, password, query or fragment."""
    return str(url.copy_with(username=None, password=None, query=None, fragment=None)).rstrip("/")


def same_origin(url: str | httpx.URL, base: httpx.URL) -> bool:
    """Whether `url` (relative: to `base`) goes to `base`'s scheme, host and port."""
    if isinstance(url, str) and "://" not in url:
        return True
    target = httpx.URL(url)
    return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)


def nobody_there(error: BaseException) -> tuple[str, str] | None:
    """What a failed connection says of its address, and what follows: its host is not found, or nothing
    listens there. A DNS server that could not answer for now (EAI_AGAIN) says nothing of the address."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror) and current.errno != socket.EAI_AGAIN:
            return _NO_HOST[0].format(current.strerror or current), _NO_HOST[1]
        if isinstance(current, ConnectionRefusedError):
            return _REFUSED
        current = current.__cause__ or current.__context__
    text = str(error)  # a transport that gives no cause words it
    if "Name or service not known" in text or "nodename nor servname" in text:
        return _NO_HOST[0].format(text.split("] ", 1)[-1]), _NO_HOST[1]
    return _REFUSED if "Connection refused" in text else None


_NO_HOST = ("its host is not found (DNS: {})", "Not retried: a name DNS does not know stays unknown on a rerun.")
_REFUSED = (
    "the connection was refused (nothing listens at that host and port)",
    "Not retried: if the address is right, the service is not accepting connections; run again later.",
)
