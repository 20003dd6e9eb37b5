"""The sandbox's one JSON writer, for both emulated APIs.

`json.dumps` cannot write a Decimal as a number, and a float could drift, so values are written by type:
text as an ASCII-escaped JSON string, ints and Decimals through `str` (a Decimal's exact digits), None as
null. Members whose value is None are left out, as Younium leaves them out, unless `nulls` is set, as YM
writes them. Big pages (hundreds of thousands of records a sync) go through the two fast paths here: a
cache of encoded member names, and `FieldList` for records of one fixed field list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from starlette.responses import Response

encode_string: Callable[[str], str] = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]

# Member names as encoded JSON with the colon: a few hundred distinct names, written millions of times.
_KEYS: dict[str, str] = {}


class RawJson(str):
    """Text that already is JSON; it is written as it is (for parts encoded once and reused)."""

    __slots__ = ()


def _key(name: str) -> str:
    prefix = _KEYS.get(name)
    if prefix is None:
        prefix = _KEYS[name] = encode_string(name) + ":"
    return prefix


def dumps(value: Any, *, nulls: bool = False) -> str:
    """JSON text of nested dicts, lists and scalars, members in their dict order."""
    kind = value.__class__
    if kind is dict:
        # The hot path of every big page: scalars are written inline, only nested values recurse.
        parts = []
        for key, item in value.items():
            item_kind = item.__class__
            if item_kind is str:
                parts.append(_key(key) + encode_string(item))
            elif item_kind is RawJson:
                parts.append(_key(key) + item)
            elif item_kind is Decimal or item_kind is int:
                parts.append(_key(key) + str(item))
            elif item is None:
                if nulls:
                    parts.append(_key(key) + "null")
            else:
                parts.append(_key(key) + dumps(item, nulls=nulls))
        return "{" + ",".join(parts) + "}"
    if kind is str:
        return encode_string(value)
    if kind is RawJson:
        return value
    if kind is list or kind is tuple:
        return "[" + ",".join([dumps(v, nulls=nulls) for v in value]) + "]"
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is Decimal:
        return str(value)
    if value is None:
        return "null"
    raise TypeError(f"cannot write {kind.__name__} as JSON exactly")


class FieldList:
    """Writes records that all have one field list, members in that order and nulls kept (YM's records:
    tens of thousands of 75-field records a page). Each field is (key in the record, name in the JSON)."""

    def __init__(self, fields: Sequence[tuple[str, str]]) -> None:
        self._fields = [(key, encode_string(name) + ":") for key, name in fields]

    def dumps(self, record: Mapping[str, Any]) -> str:
        # One comprehension, text inline: strings are most of the fields, everything else takes `dumps`.
        return (
            "{"
            + ",".join(
                [
                    prefix + (encode_string(v) if (v := record[key]).__class__ is str else dumps(v, nulls=True))
                    for key, prefix in self._fields
                ]
            )
            + "}"
        )

    def dumps_list(self, records: Iterable[Mapping[str, Any]]) -> RawJson:
        return RawJson("[" + ",".join([self.dumps(r) for r in records]) + "]")


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None, *, nulls: bool = False
) -> Response:
    return Response(
        dumps(body, nulls=nulls).encode("ascii"), status, headers, media_type="application/json; charset=utf-8"
    )
