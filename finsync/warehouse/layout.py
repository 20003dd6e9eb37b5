"""The warehouse's layout version per source, and the upgrades that bring an older warehouse up to date.

A warehouse written by an earlier finsync is upgraded in place before the next load, never reloaded:

    1 -> 2  upstream calendar dates (invoice, due, service-period dates, ...) were midnight timestamps;
            they become DATE columns holding the upstream's own date (each value is read back in the
            zone it was converted from), and empty strings become NULL, as a missing value is.
    2 -> 3  Younium gains the ledger's tables, which its next load writes; nothing to change before it (but
            until then the views leave Younium out, since they read those tables).
    3 -> 4  history keeps a version whenever a record differs from its current version, and a value that
            changes with the calendar alone (Younium's daysPastDue) is no content: such columns leave the
            versions tables, hashes are taken again, and a version equal to the one before it is dropped.

Each step is idempotent (it looks at what the columns are), and runs in the caller's transaction on
PostgreSQL, so an interrupted upgrade is either whole or redone by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from finsync.tables import Kind, Table

from .database import existing_tables, meta_value, query, set_meta_value
from .history import rehash

logger = logging.getLogger(__name__)

LAYOUT_VERSION = 4


def layout_key(dataset: str) -> str:
    return f"layout.{dataset}"


def needs_upgrade(connection: Any, dataset: str, tables: Sequence[Table]) -> bool:
    """Whether `dataset`'s tables were written in an older layout (a warehouse without them needs none)."""
    present = existing_tables(connection)
    if not any(f"{dataset}.{t.name}" in present for t in tables):
        return False
    return int(meta_value(connection, layout_key(dataset)) or 1) < LAYOUT_VERSION


def upgrade(connection: Any, dataset: str, tables: Sequence[Table], zone: str) -> list[str]:
    """Bring `dataset`'s tables to the current layout; return what was changed, for the run's notes.

    `zone` is the zone the source read offset-less upstream times in: a date stored as a midnight
    timestamp is that midnight in that zone. The caller drops the views first (PostgreSQL refuses to
    change a column a view reads).
    """
    version = int(meta_value(connection, layout_key(dataset)) or 1)
    notes: list[str] = []
    if version < 2:
        notes.extend(_dates_and_empty_text(connection, dataset, tables, zone, existing_tables(connection)))
    if version < 4 and (changed := rehash(connection, dataset, tables)):
        notes.append(f"the warehouse's {dataset} history keeps a version per change of content ({', '.join(changed)})")
    mark_layout(connection, dataset)
    return notes


def mark_layout(connection: Any, dataset: str) -> None:
    set_meta_value(connection, layout_key(dataset), str(LAYOUT_VERSION))


def _dates_and_empty_text(
    connection: Any, dataset: str, tables: Sequence[Table], zone: str, present: set[str]
) -> list[str]:
    changed: list[str] = []
    # dlt's staging copies take the loads before they are merged: they must agree with the tables.
    for schema in (dataset, f"{dataset}_staging"):
        types = _column_types(connection, schema)
        for table in tables:
            if f"{schema}.{table.name}" not in present:
                continue
            stored = types.get(table.name, {})
            for column in table.columns:
                if column.kind is Kind.DATE and stored.get(column.name, "").startswith("timestamp"):
                    query(
                        connection,
                        f"ALTER TABLE {schema}.{table.name} ALTER COLUMN {column.name} TYPE DATE "
                        f"USING CAST({column.name} AT TIME ZONE '{zone}' AS DATE)",
                    )
                    if schema == dataset:
                        changed.append(f"{table.name}.{column.name}")
            texts = [c.name for c in table.columns if c.kind is Kind.TEXT and c.name in stored]
            if schema == dataset and texts:
                assignments = ", ".join(f"{name} = NULLIF({name}, '')" for name in texts)
                where = " OR ".join(f"{name} = ''" for name in texts)
                query(connection, f"UPDATE {schema}.{table.name} SET {assignments} WHERE {where}")
    notes = ["empty strings in its text columns are now NULL, as missing values are"]
    if changed:
        notes.insert(0, f"{len(changed)} calendar-date columns are now DATE ({', '.join(changed)})")
    logger.warning("%s: the warehouse was upgraded to layout %d: %s", dataset, LAYOUT_VERSION, "; ".join(notes))
    return [f"the warehouse's {dataset} tables were upgraded: {note}" for note in notes]


def _column_types(connection: Any, schema: str) -> dict[str, dict[str, str]]:
    rows = query(
        connection,
        f"SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = '{schema}'",
    )
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        found.setdefault(table, {})[column] = str(data_type).lower()
    return found
