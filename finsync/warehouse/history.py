"""History: every distinct version of a record, dated by the source's own time, and views that say when
each version was current.

A table declared with `history` gets an append-only `<table>__versions` beside it: the record's columns,
a content hash, `valid_from` (the record's own `modified`, or where upstream has none the time of the load
that first saw it) and `first_load_id`. After each load, the rows that load wrote are compared by (key,
hash) with the versions already kept: only a version never seen before is added, so a rerun or an
overlap window adds nothing. `analytics.<table>_history` derives `valid_to` (the next version's
`valid_from`, or the time the record was found deleted) with a window function, in SQL both engines run.

As-of pattern: the version current at instant T is the one with `valid_from <= T` and (`valid_to` NULL or
`valid_to > T`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finsync.tables import LOAD_TIME, Column, Kind, Table

from .database import existing_columns, is_postgres, query

SQL_TYPES = {
    Kind.TEXT: "VARCHAR",
    Kind.INT: "BIGINT",
    Kind.MONEY: "DECIMAL(19, 4)",
    Kind.RATE: "DECIMAL(18, 8)",
    Kind.TIMESTAMP: "TIMESTAMP WITH TIME ZONE",
    Kind.DATE: "DATE",
    Kind.BOOL: "BOOLEAN",
}
# Not part of a version's content: when finsync found it deleted closes the version instead.
NOT_CONTENT = frozenset({"deleted_at"})
VERSION_COLUMNS = {
    "content_hash": "MD5 of the version's columns: two rows of a key never share one",
    "valid_from": "When this version became current",  # said per table: by its own time, or the load's
    "first_load_id": "The load that first saw this version (its id in the dataset's _dlt_loads table)",
}
HISTORY_COLUMNS = {
    "valid_to": "When the next version became current, or when the record was found deleted; NULL while current",
    "is_current": "Whether this is the record's version now (valid_to is NULL)",
}


@dataclass(frozen=True)
class Versioned:
    dataset: str
    table: Table

    @property
    def versions(self) -> str:
        return f"{self.dataset}.{self.table.name}__versions"

    @property
    def view(self) -> str:
        return f"{self.table.name}_history"

    def content(self, present: set[str]) -> list[Column]:
        """The columns a version holds: the declared ones the warehouse has (pii = "drop" has fewer)."""
        return [c for c in self.table.columns if c.name in present and c.name not in NOT_CONTENT]

    def dated_by_load(self) -> bool:
        return self.table.history == LOAD_TIME


def versioned(dataset: str, tables: Sequence[Table]) -> list[Versioned]:
    return [Versioned(dataset, t) for t in tables if t.history]


def record_versions(connection: Any, dataset: str, tables: Sequence[Table], load_ids: Sequence[str]) -> dict[str, int]:
    """Add the versions this run's loads wrote that were never seen; return how many, by table."""
    present = existing_columns(connection, dataset)
    # Text forms of instants depend on the session's zone: hashes are taken in UTC, whoever runs.
    query(connection, "SET TIME ZONE 'UTC'" if is_postgres(connection) else "SET TimeZone = 'UTC'")
    loads = ", ".join(f"'{i}'" for i in load_ids if i.replace(".", "").isdigit())
    added: dict[str, int] = {}
    for item in versioned(dataset, tables):
        name = item.table.name
        if name not in present:
            continue
        columns = item.content(present[name])
        first_time = f"{name}__versions" not in present
        _create_or_extend(connection, item, columns, present.get(f"{name}__versions", set()))
        if not loads and not first_time:
            continue
        added[name] = _insert_new_versions(connection, item, columns, loads, everything=first_time)
    return added


def _create_or_extend(connection: Any, item: Versioned, columns: list[Column], existing: set[str]) -> None:
    if not existing:
        definitions = [f"{c.name} {SQL_TYPES[c.kind]}" for c in columns]
        definitions += ["content_hash VARCHAR NOT NULL", "valid_from TIMESTAMP WITH TIME ZONE", "first_load_id VARCHAR"]
        query(connection, f"CREATE TABLE {item.versions} ({', '.join(definitions)})")
        return
    for column in columns:  # a column declared later: older versions hold NULL in it
        if column.name not in existing:
            query(connection, f"ALTER TABLE {item.versions} ADD COLUMN {column.name} {SQL_TYPES[column.kind]}")
    kept = {c.name for c in columns}
    for column in item.table.columns:  # a personal column the table lost to pii = "drop" goes from history too
        if column.name in existing and column.name not in kept and column.name not in NOT_CONTENT:
            query(connection, f"ALTER TABLE {item.versions} DROP COLUMN {column.name}")


def _insert_new_versions(
    connection: Any, item: Versioned, columns: list[Column], loads: str, *, everything: bool
) -> int:
    names = [c.name for c in columns]
    key = item.table.primary_key
    digest = " || '|' || ".join(f"COALESCE(CAST(t.{n} AS VARCHAR), '~')" for n in names)
    valid_from = (
        f"(SELECT MIN(l.inserted_at) FROM {item.dataset}._dlt_loads AS l WHERE l.load_id = t._dlt_load_id)"
        if item.dated_by_load()
        else f"t.{item.table.history}"
    )
    written = "" if everything else f"WHERE t._dlt_load_id IN ({loads})"
    listed = ", ".join(names)
    rows = query(
        connection,
        f"""INSERT INTO {item.versions} ({listed}, content_hash, valid_from, first_load_id)
        SELECT {listed}, content_hash, valid_from, first_load_id FROM (
            SELECT {", ".join(f"t.{n}" for n in names)}, MD5({digest}) AS content_hash,
                   {valid_from} AS valid_from, t._dlt_load_id AS first_load_id
            FROM {item.dataset}.{item.table.name} AS t {written}
        ) AS seen
        WHERE NOT EXISTS (
            SELECT 1 FROM {item.versions} AS v WHERE v.{key} = seen.{key} AND v.content_hash = seen.content_hash
        )
        RETURNING 1""",
    )
    return len(rows)


# -- the history views -------------------------------------------------------------------------------------


def history_sql(item: Versioned, present: set[str]) -> str:
    """`analytics.<table>_history`: the versions with `valid_to` and `is_current`."""
    key = item.table.primary_key
    listed = ", ".join(f"v.{c.name}" for c in item.content(present))
    deleted = "c.deleted_at" if "deleted_at" in present else "CAST(NULL AS TIMESTAMP WITH TIME ZONE)"
    following = f"LEAD(v.valid_from) OVER (PARTITION BY v.{key} ORDER BY v.valid_from, v.first_load_id)"
    return f"""SELECT {listed}, v.content_hash, v.valid_from, v.first_load_id,
    CASE WHEN {following} IS NULL THEN {deleted} ELSE {following} END AS valid_to,
    {following} IS NULL AND {deleted} IS NULL AS is_current
FROM {item.versions} AS v
LEFT JOIN {item.dataset}.{item.table.name} AS c ON c.{key} = v.{key}"""
