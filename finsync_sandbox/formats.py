"""How the sandbox writes values the way YM does: server-local date-times, exact money, JSON.

Date-times are kept as .NET-style ticks (100 ns units since 0001-01-01, server-local, no zone) so that
YM's seven fraction digits survive comparisons and round trips exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

TICKS_PER_SECOND = 10_000_000
_EPOCH = datetime(1, 1, 1)
# YM's "no date" is .NET DateTime.MinValue.
NO_DATE = "0001-01-01T00:00:00"

_encode_string: Callable[[str], str] = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]

_MOMENT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def ticks_of(moment: datetime) -> int:
    """Ticks of a naive datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10


def format_ticks(ticks: int) -> str:
    """`2024-05-03T01:24:34`, with the fraction (`.3184733`) only when there is one, as YM writes it."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    text = (_EPOCH + timedelta(seconds=seconds)).isoformat()
    return f"{text}.{fraction:07d}" if fraction else text


def parse_server_time(text: str, server_zone: ZoneInfo) -> int:
    """A date-time query parameter as server-local ticks.

    YM reads date-times without an offset in its own zone; one with an offset (or `Z`) is converted
    to that zone first. Raises ValueError for anything else.
    """
    match = _MOMENT.match(text.strip())
    if not match:
        raise ValueError(f"not a date-time: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    if offset:
        zone_text = "+00:00" if offset == "Z" else offset
        aware = datetime.fromisoformat(moment.isoformat() + zone_text)
        moment = aware.astimezone(server_zone).replace(tzinfo=None)
    return ticks_of(moment) + int((fraction or "").ljust(7, "0"))


def money(cents: int) -> Decimal:
    """An exact two-decimal amount."""
    return Decimal(cents).scaleb(-2)


# -- JSON -----------------------------------------------------------------------------------------------


class RecordEncoder:
    """Writes records with a fixed field list as JSON objects, fields in declaration order.

    `json.dumps` cannot write a Decimal as a number, and a float could drift, so records are written
    field by field, by value type: text as a JSON string, None as null, ints and Decimals through
    `str` (a Decimal's exact digits). Each field is (key in the record, name in the JSON).
    """

    def __init__(self, fields: Sequence[tuple[str, str]]) -> None:
        self._fields = [(key, _encode_string(name) + ":") for key, name in fields]

    def encode(self, record: Mapping[str, Any]) -> str:
        # One comprehension, no per-field calls: this is the hot loop of every big page.
        return (
            "{"
            + ",".join(
                [
                    prefix
                    + (_encode_string(v) if (v := record[key]).__class__ is str else "null" if v is None else str(v))
                    for key, prefix in self._fields
                ]
            )
            + "}"
        )

    def encode_list(self, records: Iterable[Mapping[str, Any]]) -> str:
        return "[" + ",".join([self.encode(r) for r in records]) + "]"


def json_body(envelope: Mapping[str, Any], raw: Mapping[str, str] | None = None) -> bytes:
    """A reply body: `raw` fields, whose values are already-encoded JSON text (record lists from a
    RecordEncoder), first, then the `envelope` fields through `json.dumps`."""
    text = json.dumps(envelope, separators=(",", ":"))
    if raw:
        extra = ",".join(f"{_encode_string(key)}:{value}" for key, value in raw.items())
        text = ("{" + extra + "}") if text == "{}" else ("{" + extra + "," + text[1:])
    return text.encode("ascii")


class RawJson(str):
    """Text that already is JSON; `dumps` writes it as it is (for parts encoded once and reused)."""

    __slots__ = ()


def dumps(value: Any) -> str:
    """JSON text of nested dicts, lists and scalars, written as Younium writes them: members whose value
    is None are left out, and a Decimal is written with its exact digits (never through a float)."""
    kind = value.__class__
    if kind is dict:
        # The hot path of every big page: scalars are written inline, only nested values recurse.
        parts = []
        for key, item in value.items():
            if item is None:
                continue
            prefix = _KEYS.get(key)
            if prefix is None:
                prefix = _KEYS[key] = _encode_string(key) + ":"
            item_kind = item.__class__
            if item_kind is str:
                parts.append(prefix + _encode_string(item))
            elif item_kind is RawJson:
                parts.append(prefix + item)
            elif item_kind is Decimal or item_kind is int:
                parts.append(prefix + str(item))
            else:
                parts.append(prefix + dumps(item))
        return "{" + ",".join(parts) + "}"
    if kind is str:
        return _encode_string(value)
    if kind is RawJson:
        return value
    if kind is list or kind is tuple:
        return "[" + ",".join([dumps(v) for v in value]) + "]"
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is Decimal:
        return str(value)
    if value is None:
        return "null"
    raise TypeError(f"cannot write {kind.__name__} as JSON exactly")


# Object keys as encoded JSON with the colon: a handful of distinct names, written millions of times.
_KEYS: dict[str, str] = {}
