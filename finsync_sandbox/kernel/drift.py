"""Upstream drift: a list's records served otherwise than the API documents them, as the drift faults ask.

Both APIs call `drifted` on the JSON text of a page's records (a list, or the one object some lists answer)
just before it goes into the reply, and the YM export file writes its rows through `ColumnDrift`. Neither
is reached unless a drift fault hit the request (`FaultBook.take_drifts`), so the serving path without one
costs a test of an empty tuple.

Each fault names a field by dotted path: `account.accountNumber` is a member of the object `account`;
through a list, `invoiceLines.amount` is that member of every element of `invoiceLines`. A path that
reaches nothing on a record leaves it as it is.

- rename: the member keeps its place and value under the new name;
- remove: the member is left out; missing: the same on the first `rows` records of the page only (all of
  them without `rows`);
- retype (`retyped`): a number, object or list becomes the string "n/a", a string the number 12345, a
  boolean the string "true" or "false"; null stays null (it has no type to change);
- add: a member the API does not document, last in its object, whose value is the string
  `NAME-XXXXXXXX` (XXXXXXXX the first hex digits of the SHA-1 of the object's JSON as served without it);
  an object that already has a member of that name keeps it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from .faults import ADD, MISSING, REMOVE, RENAME, RETYPE, Fault
from .jsonwriter import RawJson, dumps

NOT_A_NUMBER = "n/a"  # what retype serves for a number
NOT_A_STRING = 12345  # what retype serves for a string


def drifted(listed: str, drifts: Sequence[Fault], *, nulls: bool = False) -> RawJson:
    """The JSON text of a page's records (`listed`: a list of objects, or one object) with `drifts` applied
    in order. Written back as `jsonwriter` writes (numbers exact: read as Decimals), so a drift that
    changes nothing leaves the text as it was."""
    value = json.loads(listed, parse_float=Decimal)
    records: list[Any] = value if isinstance(value, list) else [value]
    for fault in drifts:
        assert fault.field is not None
        *parents, leaf = fault.field.split(".")
        hit = records[: fault.rows] if fault.kind == MISSING and fault.rows is not None else records
        for record in hit:
            for holder in _holders(record, parents):
                _apply(fault, holder, leaf)
    return RawJson(dumps(value, nulls=nulls))


def _holders(value: Any, path: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The objects `path` leads to from `value`, through every element of the lists on the way."""
    if isinstance(value, list):
        for item in value:
            yield from _holders(item, path)
    elif isinstance(value, dict):
        if not path:
            yield value
        elif path[0] in value:
            yield from _holders(value[path[0]], path[1:])


def _apply(fault: Fault, holder: dict[str, Any], leaf: str) -> None:
    if fault.kind == ADD:
        if leaf not in holder:
            holder[leaf] = made_up(leaf, dumps(holder, nulls=True))
    elif leaf not in holder:
        return
    elif fault.kind in (REMOVE, MISSING):
        del holder[leaf]
    elif fault.kind == RETYPE:
        holder[leaf] = retyped(holder[leaf])
    elif fault.kind == RENAME:
        assert fault.name is not None
        members = list(holder.items())
        holder.clear()
        holder.update((fault.name if key == leaf else key, item) for key, item in members)


def retyped(value: Any) -> Any:
    """`value` as another JSON type: a boolean as its text, a string as a number, anything else but null
    as a string that is no number."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return NOT_A_STRING
    return NOT_A_NUMBER


def made_up(name: str, text: str) -> str:
    """The value of an undocumented member `name` added to what `text` writes: derived from it, so that
    equal records get equal values."""
    return f"{name}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


class ColumnDrift:
    """The drift faults on a CSV file's columns (rename, remove, add), for its header and each of its rows."""

    def __init__(self, header: Sequence[str], drifts: Sequence[Fault]) -> None:
        names = list(header)
        self._kept = list(range(len(names)))
        self._added: list[str] = []
        for fault in drifts:
            assert fault.field is not None
            if fault.kind == RENAME and fault.field in names:
                assert fault.name is not None
                names[names.index(fault.field)] = fault.name
            elif fault.kind == REMOVE and fault.field in names:
                at = names.index(fault.field)
                del names[at]
                if at < len(self._kept):  # a column of the file (the rest are added ones)
                    del self._kept[at]
                else:
                    del self._added[at - len(self._kept)]
            elif fault.kind == ADD and fault.field not in names:
                self._added.append(fault.field)
                names.append(fault.field)
        self.header = names

    def row(self, cells: Sequence[str]) -> list[str]:
        kept = [cells[i] for i in self._kept]
        return kept + [made_up(name, ",".join(cells)) for name in self._added]
