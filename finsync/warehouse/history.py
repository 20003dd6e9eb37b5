"""History: every version of a record, dated by when it became true as best the source says, and views that
say when each version was current.

A table declared with `history` gets an append-only `<table>__versions` beside it: the record's columns
but those that change with the calendar alone (`Column.calendar`, Younium's daysPastDue), a content hash,
`valid_from` and `first_load_id`. After each load, every row that load wrote is compared with its record's
current version (the one the latest load added): a row whose content differs is a new version, a return to
an earlier state included; an equal one adds nothing, so a rerun, a replay or an overlap window adds nothing.

`valid_from` is the record's own change time (`history`, its `modified`) when that is later than the current
version's; otherwise, as for a change that did not move `modified` (a journal whose period closed) or a table
upstream gives no change time, the time of the load that found it (never earlier than the current
version's). A record's first version is dated by its own change time, else by when upstream says the record
began (`Table.created`: a payment's posting, a batch's creation, a period's start or close), else by the load.
`analytics.<table>_history` (the table's own columns, a status lower-cased as in every analytics view)
derives `valid_to` (the next version's `valid_from`, or the time the record was
found deleted) with a window function, in SQL both engines run, and `history_starts`: the first version's
`valid_from`, before which the history knows nothing of the record.

As-of pattern: the version current at instant T is the one with `valid_from <= T` and (`valid_to` NULL or
`valid_to > T`); a record whose `history_starts` is after T has no known state at T.
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
    Kind.JSON: "JSON",
}
# Not part of a version's content: when finsync found it deleted closes the version instead; the fields
# upstream sends beside the declared ones (kept or not, as the settings say).
NOT_CONTENT = frozenset({"deleted_at", "extra_fields"})
VERSION_COLUMNS = {
    "content_hash": "MD5 of the version's columns: a version's differs from the one before it (a later one may "
    "return to an earlier state)",
    "valid_from": "When this version became current",  # said per table: by its own time, or the load's
    "first_load_id": "The load that found this version (its id in the dataset's _dlt_loads table); with the key, "
    "the version's identity",
}
HISTORY_COLUMNS = {
    "valid_to": "When the next version became current, or when the record was found deleted; NULL while current",
    "is_current": "Whether this is the record's version now (valid_to is NULL)",
    "history_starts": "When the record's first version became current: before it the history knows nothing of the "
    "record (it may have existed), so an as-of query for an earlier instant must not count it as absent",
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
        """The columns a version holds: the declared ones the warehouse has (pii = "drop" has fewer), but those
        that are no content (`NOT_CONTENT`, and those that change with the calendar alone)."""
        return [c for c in self.table.columns if c.name in present and c.name not in NOT_CONTENT and not c.calendar]

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
    key, table = item.table.primary_key, f"{item.dataset}.{item.table.name}"
    loaded_at = f"(SELECT MIN(l.inserted_at) FROM {item.dataset}._dlt_loads AS l WHERE l.load_id = t._dlt_load_id)"
    own = "CAST(NULL AS TIMESTAMP WITH TIME ZONE)" if item.dated_by_load() else f"t.{item.table.history}"
    began = ", ".join(f"CAST(t.{c} AS TIMESTAMP WITH TIME ZONE)" for c in item.table.created)
    began = f"COALESCE({began}, NULL)" if began else "CAST(NULL AS TIMESTAMP WITH TIME ZONE)"
    written = "" if everything else f"WHERE t._dlt_load_id IN ({loads})"
    listed = ", ".join(names)
    rows = query(
        connection,
        f"""INSERT INTO {item.versions} ({listed}, content_hash, valid_from, first_load_id)
        SELECT {", ".join(f"seen.{n}" for n in names)}, seen.content_hash,
               CASE WHEN held.{key} IS NULL THEN COALESCE(seen.own_time, seen.began_at, seen.loaded_at)
                    WHEN seen.own_time > held.valid_from THEN seen.own_time
                    ELSE GREATEST(seen.loaded_at, held.valid_from)
               END,
               seen.first_load_id
        FROM (
            SELECT t.*, MD5({_digest(names, "t")}) AS content_hash, {own} AS own_time, {began} AS began_at,
                   {loaded_at} AS loaded_at, t._dlt_load_id AS first_load_id
            FROM {table} AS t {written}
        ) AS seen
        LEFT JOIN (
            SELECT {key}, content_hash, valid_from FROM (
                SELECT v.{key}, v.content_hash, v.valid_from,
                       ROW_NUMBER() OVER (PARTITION BY v.{key} ORDER BY v.first_load_id DESC) AS latest
                FROM {item.versions} AS v
                WHERE v.{key} IN (SELECT t.{key} FROM {table} AS t {written})
            ) AS ranked
            WHERE latest = 1
        ) AS held ON held.{key} = seen.{key}
        WHERE held.{key} IS NULL OR held.content_hash <> seen.content_hash
        RETURNING 1""",
    )
    return len(rows)


def _digest(names: Sequence[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return " || '|' || ".join(f"COALESCE(CAST({prefix}{n} AS VARCHAR), '~')" for n in names)


def rehash(connection: Any, dataset: str, tables: Sequence[Table]) -> list[str]:
    """Versions kept by an earlier layout, to today's content: columns that are no content any more go, hashes
    are taken again, and a version equal to the one before it (a change of such a column alone) is dropped.
    Returns the versioned tables changed."""
    present = existing_columns(connection, dataset)
    changed = []
    for item in versioned(dataset, tables):
        existing = present.get(f"{item.table.name}__versions")
        if not existing:
            continue
        columns = [c for c in item.content(present.get(item.table.name, set())) if c.name in existing]
        for column in item.table.columns:
            if column.calendar and column.name in existing:
                query(connection, f"ALTER TABLE {item.versions} DROP COLUMN {column.name}")
        query(
            connection,
            f"UPDATE {item.versions} SET content_hash = MD5({_digest([c.name for c in columns], item.versions)})",
        )
        key = item.table.primary_key
        query(
            connection,
            f"""DELETE FROM {item.versions} AS v USING (
                SELECT {key}, first_load_id, content_hash,
                       LAG(content_hash) OVER (PARTITION BY {key} ORDER BY valid_from, first_load_id) AS earlier
                FROM {item.versions}
            ) AS repeat
            WHERE repeat.{key} = v.{key} AND repeat.first_load_id = v.first_load_id
              AND repeat.earlier = repeat.content_hash""",
        )
        changed.append(item.versions)
    return changed


# -- the history views -------------------------------------------------------------------------------------


def _listed(column: Column) -> str:
    """A version's column as the history view shows it: a status (`status`, `…_status`) lower-cased, as every
    analytics view shows statuses (`posted`, `open`); the versions table keeps the source's own spelling."""
    if column.name.endswith("status") and column.kind == Kind.TEXT:
        return f"LOWER(v.{column.name}) AS {column.name}"
    return f"v.{column.name}"


def history_sql(item: Versioned, present: set[str]) -> str:
    """`analytics.<table>_history`: the versions with `valid_to` and `is_current`."""
    key = item.table.primary_key
    listed = ", ".join(_listed(c) for c in item.content(present))
    deleted = "c.deleted_at" if "deleted_at" in present else "CAST(NULL AS TIMESTAMP WITH TIME ZONE)"
    following = f"LEAD(v.valid_from) OVER (PARTITION BY v.{key} ORDER BY v.valid_from, v.first_load_id)"
    return f"""SELECT {listed}, v.content_hash, v.valid_from, v.first_load_id,
    CASE WHEN {following} IS NULL THEN {deleted} ELSE {following} END AS valid_to,
    {following} IS NULL AND {deleted} IS NULL AS is_current,
    MIN(v.valid_from) OVER (PARTITION BY v.{key}) AS history_starts
FROM {item.versions} AS v
LEFT JOIN {item.dataset}.{item.table.name} AS c ON c.{key} = v.{key}"""
