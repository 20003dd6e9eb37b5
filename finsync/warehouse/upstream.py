"""Upstream's schema over time: `finsync_meta.upstream_fields`, one row per field of each endpoint of each
tenant, with when it was first and last seen, whether finsync declares it, and since when a declared one has
stopped arriving.

Each list read leaves its census with the load (`finsync.sources.contract`); the steps after the load record
it here, once per read. A declared field absent from every record of a read has stopped arriving (a rename
upstream, or its removal) when that cannot be chance:
- where every field is sent, a null one as null (YM), at once (an optional field: once it was seen);
- where a null field is left out (Younium), from its history alone (a field never seen is never flagged):
  - once it came in every one of three records or more read before;
  - on a whole read (a first read, a sweep, a list read whole every run), once the last whole read found it
    in some record: every record that held it would have had to lose it, or go, in between;
  - otherwise on a read of a hundred records or more at its depth, when the share of earlier records that
    held it makes such a read without it less likely than one in a thousand. Reads are judged one at a time,
    never added up: every run reads its overlap again, so the same few records (drafts lacking what posted
    invoices have) would otherwise pile up into false evidence.
Such a field keeps `missing_since` until it is seen again, and `finsync check` fails on it; a field the
settings waive (`sources.<system>.optional_fields`) is never flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finsync.http.wire import WAIVED, Census
from finsync.sources.tenants import Target
from finsync.values import Wire

from .database import META_SCHEMA, existing_tables, query
from .targets import run_flags

TABLE = f"{META_SCHEMA}.upstream_fields"
# Where nulls are left out: a field that came in every one of at least `KNOWN` records stopped when a read
# lacks it; one some records lacked, when a read of `ENOUGH` records or more lacks it and reads of that many
# lacked it less often than `CHANCE`.
KNOWN = 3
ENOUGH = 100
CHANCE = 0.001

COLUMNS = """
    dataset VARCHAR NOT NULL, system VARCHAR NOT NULL, endpoint VARCHAR NOT NULL, field VARCHAR NOT NULL,
    declared BOOLEAN NOT NULL, contract VARCHAR, wire_type VARCHAR,
    first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, last_read TIMESTAMPTZ NOT NULL,
    records_read BIGINT NOT NULL, records_with BIGINT NOT NULL, missing_since TIMESTAMPTZ,
    PRIMARY KEY (dataset, endpoint, field)
"""
# Added since the table was first made: existing warehouses gain them on their next run.
ADDED = {"whole_with": "BIGINT", "absent_for": "BIGINT"}
NAMES = (
    "dataset, system, endpoint, field, declared, contract, wire_type, first_seen, last_seen, last_read, "
    "records_read, records_with, missing_since, whole_with, absent_for"
)


@dataclass(frozen=True)
class Field:
    """A row of `upstream_fields`: `whole_with`, the records holding the field at the last whole read of its
    list (None before one); `absent_for`, the records read at its depth since it was last seen (for whoever
    watches the table: overlapping reads count the same records again)."""

    endpoint: str
    field: str
    declared: bool
    contract: str | None
    first_seen: Any
    last_seen: Any
    last_read: Any
    records_read: int
    records_with: int
    missing_since: Any
    whole_with: int | None = None
    absent_for: int = 0


def record_reads(connection: Any, target: Target, system: str, reads: Iterable[dict[str, Any]]) -> list[str]:
    """Record each read's census (once: a read already recorded is skipped); what the run summary says of
    them: each declared field that stopped arriving, each field upstream sent that is not declared."""
    query(connection, f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    query(connection, f"CREATE TABLE IF NOT EXISTS {TABLE} ({COLUMNS})")
    for name, kind in ADDED.items():
        query(connection, f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {name} {kind}")
    notes: list[str] = []
    for read in reads:
        census, at = Census.from_json(read), str(read["at"])
        known = {f.field: f for f in fields(connection, target, census.endpoint)}
        if any(f.last_read is not None and f.last_read >= datetime.fromisoformat(at) for f in known.values()):
            continue  # recorded by an earlier attempt at these steps
        rows: dict[str, str] = {}
        stopped = []
        for path, contract in census.contract.items():
            if contract == Wire.DERIVED.value:
                continue
            held, counted = census.present.get(path, 0), census.counted.get(path, census.records)
            before = known.get(path)
            missing = None if held or not counted else _missing_since(before, contract, counted, census, at)
            if missing == at:
                stopped.append(path)
            rows[path] = _row(target, system, census, path, contract, (counted, held), before, missing, at)
        new = [path for path in census.undeclared if path not in known]
        for path in census.undeclared:
            counts = (census.records, census.records)
            rows[path] = _row(target, system, census, path, None, counts, known.get(path), None, at)
        _write(connection, target, census.endpoint, rows)
        where = f"{target.label} {census.endpoint}"
        if stopped:
            notes.append(
                f"{where}: declared field(s) {', '.join(stopped)} came in none of the {census.records:,} records read "
                "(renamed or removed upstream?): their columns are left empty. Recorded in "
                f"{TABLE}; `finsync check` fails until they arrive again, or they are waived in "
                f"sources.{'.'.join(target.section)}.optional_fields (run `finsync probe` to see what upstream "
                f"sends). Once they arrive again, `finsync run {run_flags(target)} --full-refresh` fills the rows "
                "loaded without them"
            )
        if new:
            named = ", ".join(sorted(new)[:8]) + (f" and {len(new) - 8} more" if len(new) > 8 else "")
            notes.append(f"{where} sends field(s) finsync does not declare: {named} (all recorded in {TABLE})")
    return notes


def _missing_since(before: Field | None, contract: str, records: int, census: Census, at: str) -> Any:
    """When a declared field absent from every one of the `records` records at its depth that `census` counted
    stopped arriving, or None while its absence may be chance (see the module)."""
    if contract == WAIVED:
        return None
    if before is not None and before.missing_since is not None:
        return before.missing_since
    read, held = (before.records_read, before.records_with) if before is not None else (0, 0)
    if not census.omits_nulls:  # every field is sent, a null one as null: absent is not sent
        return at if contract != Wire.OPTIONAL.value or held else None
    if before is None or not held:
        return None  # never seen where nulls are left out: a field this tenant leaves empty, so far
    if held == read >= KNOWN:
        return at  # in every record read before
    if census.whole and before.whole_with:
        return at  # the last whole read found it in some record, this one in none
    if records >= ENOUGH and (1 - held / read) ** records < CHANCE:
        return at
    return None


def _row(
    target: Target,
    system: str,
    census: Census,
    path: str,
    contract: str | None,
    counts: tuple[int, int],
    before: Field | None,
    missing: Any,
    at: str,
) -> str:
    """A field's row as SQL values: `counts`, the records this read counted at its depth and those holding it."""
    counted, held = counts
    seen = at if held else None
    first = before.first_seen if before is not None and before.first_seen is not None else seen
    last = seen or (before.last_seen if before is not None else None)
    read = counted + (before.records_read if before else 0)
    with_it = held + (before.records_with if before else 0)
    whole_with = held if census.whole else (before.whole_with if before else None)
    absent_for = 0 if held else counted + (before.absent_for if before else 0)
    wire_type = census.retyped.get(path) if contract is not None else census.undeclared[path]
    values = [
        _text(target.dataset), _text(system), _text(census.endpoint), _text(path),
        "FALSE" if contract is None else "TRUE", _text(contract), _text(wire_type), _stamp(first), _stamp(last),
        _stamp(at), str(read), str(with_it), _stamp(missing), "NULL" if whole_with is None else str(whole_with),
        str(absent_for),
    ]  # fmt: skip
    return f"({', '.join(values)})"


def _write(connection: Any, target: Target, endpoint: str, rows: dict[str, str]) -> None:
    """Replaces the rows of one read's fields (field -> its SQL values), in two statements."""
    if not rows:
        return
    named = ", ".join(map(_text, rows))
    query(connection, f"DELETE FROM {TABLE} WHERE dataset = {_text(target.dataset)} AND endpoint = {_text(endpoint)} "
                      f"AND field IN ({named})")  # fmt: skip
    query(connection, f"INSERT INTO {TABLE} ({NAMES}) VALUES {', '.join(rows.values())}")


def _text(value: str | None) -> str:
    """A SQL literal: field names come from upstream, so every quote is doubled."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _stamp(value: Any) -> str:
    return "NULL" if value is None else f"CAST({_text(str(value))} AS TIMESTAMPTZ)"


def fields(connection: Any, target: Target, endpoint: str | None = None) -> list[Field]:
    """The recorded fields of `target` (of one endpoint, if given)."""
    if TABLE not in existing_tables(connection):
        return []
    where = f"dataset = {_text(target.dataset)}" + (f" AND endpoint = {_text(endpoint)}" if endpoint else "")
    rows = query(
        connection,
        "SELECT endpoint, field, declared, contract, first_seen, last_seen, last_read, records_read, records_with, "
        f"missing_since, whole_with, COALESCE(absent_for, 0) FROM {TABLE} WHERE {where} ORDER BY endpoint, field",
    )
    return [Field(*row) for row in rows]


def stopped_fields(connection: Any, target: Target) -> list[Field]:
    """Declared fields of `target` that stopped arriving and have not come back."""
    return [f for f in fields(connection, target) if f.declared and f.missing_since is not None]
