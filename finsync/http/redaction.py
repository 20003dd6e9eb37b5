"""Keeps secrets out of every log line and error message.

Two nets: exact values (passwords, session ids, tokens) registered by the clients the moment they learn
them, and patterns for the places a secret travels (the `X-SS-ID` and `Authorization` headers, JSON
password/secret/token fields) so that even a value never registered is caught.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"

_PATTERNS = (
    re.compile(r"(?i)(x-ss-id['\"]?\s*[:=]\s*['\"]?)[^\s'\",;}]+"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?bearer\s+)[^\s'\",;}]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*"),
    re.compile(
        r"(?i)(['\"]?(?:password|api_password|secret|api_key|access_token|accesstoken|refresh_token|"
        r"refreshtoken|sessionid|session_id)['\"]?\s*[:=]\s*['\"]?)[^\s'\",;}&]+"
    ),
)

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: object) -> None:
    """Remember a secret value so that it is masked wherever it would appear."""
    text = str(value) if value is not None else ""
    if len(text) >= 4:  # masking very short strings would garble ordinary text
        with _lock:
            _secrets.add(text)


def redact(text: str) -> str:
    """Return `text` with every registered secret and every secret-shaped field masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


_installed = False


def install_log_redaction() -> None:
    """Redact every log record created from now on, whichever logger or handler it goes to.

    A record factory rather than a logging.Filter: filters attach to one logger or handler, while
    httpx, httpcore and dlt log through loggers and handlers finsync does not own.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)
