"""What Younium's error answers say: their messages (in the shapes API 2.1 writes them), and whether one
means "nothing found" rather than a refusal."""

from __future__ import annotations

import re

from finsync.http import redact

# "No accounts could be found", "Invoice batch could not be found": API 2.1's way of saying "empty".
_NOTHING_FOUND = re.compile(r"could\s+(?:not\s+)?be\s+found", re.IGNORECASE)


def error_texts(body: object, *, fields: bool = True) -> list[str]:
    """The human-readable messages of an error body: `errors.message`, an `errors` list, title, detail; and,
    with `fields`, the validation messages ASP.NET keys by the field they are about (`errors.accounts`), as
    "accounts: <message>"."""
    if isinstance(body, str):
        return [body] if body.strip() else []
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    errors = body.get("errors")
    found += _strings(errors.get("message") if isinstance(errors, dict) else errors)
    if fields and isinstance(errors, dict):
        found += [f"{key}: {text}" for key, value in errors.items() if key != "message" for text in _strings(value)]
    for key in ("title", "detail", "message"):
        found += _strings(body.get(key))
    return found


def is_nothing_found(body: object) -> bool:
    """API 2.1 answers a list with no matching records with HTTP 400 "No X could be found". A field's
    validation message ("Account x could not be found") is a refusal, not an empty list."""
    return any(_NOTHING_FOUND.search(text) for text in error_texts(body, fields=False))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float))]
    return []


def error_summary(body: object) -> str:
    """An error body's messages in one redacted line, for error messages."""
    texts = error_texts(body)
    return redact("; ".join(texts)[:300]) if texts else "no reason given"
