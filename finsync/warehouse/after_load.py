"""What finsync does to a source's tables once dlt has loaded them: a re-read parent's list replaces the
one held, what a complete read no longer has is marked deleted, and new versions are kept.

Every load is processed once. The newest load processed is recorded beside the data (`finsync_meta`), so
a run killed after dlt committed its load but before these steps is caught up by the next run: the loads
it left are processed first, oldest first. A load's rules only touch rows older than it, so catching up
never undoes what a newer load wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from finsync.tables import Table

from .database import existing_tables, meta_value, query, set_meta_value
from .history import record_versions


def after_load(
    connection: Any,
    dataset: str,
    tables: Sequence[Table],
    this_run: Sequence[str],
    *,
    whole_reads: Mapping[str, tuple[str, ...]],
    rows_loaded: Mapping[str, int],
    complete_children: Mapping[str, tuple[str, str]],
) -> dict[str, int]:
    """Process this run's loads (and any an interrupted run left); return the versions added, by table.

    `whole_reads` are the lists this run read whole, with the tables each fills; `complete_children` the
    child tables whose rows come whole with each parent written, with (parent table, key to it).
    """
    present = existing_tables(connection)
    loads = unprocessed_loads(connection, dataset, this_run)
    for load in loads:
        replace_children(connection, dataset, tables, load, present)
        mark_children_deleted(connection, dataset, complete_children, load, present)
    for load in (load for load in this_run if _is_load_id(load)):
        mark_unseen_deleted(connection, dataset, whole_reads, load, rows_loaded, present)
    added = record_versions(connection, dataset, tables, loads)
    if loads:
        set_meta_value(connection, f"processed.{dataset}", loads[-1])
    return added


def unprocessed_loads(connection: Any, dataset: str, this_run: Sequence[str]) -> list[str]:
    """This run's loads, and the completed ones since the newest processed (oldest first)."""
    loads = {load for load in this_run if _is_load_id(load)}
    last = meta_value(connection, f"processed.{dataset}")
    if last is not None and f"{dataset}._dlt_loads" in existing_tables(connection):
        rows = query(connection, f"SELECT load_id FROM {dataset}._dlt_loads WHERE status = 0 AND load_id > '{last}'")
        loads.update(str(row[0]) for row in rows if _is_load_id(str(row[0])))
    return sorted(loads, key=Decimal)


def replace_children(connection: Any, schema: str, tables: Sequence[Table], load: str, present: set[str]) -> None:
    """A parent's list read again replaces the one held: rows of a parent that `load` wrote rows for,
    that are older than it, are gone from the list (see `Table.merge_key`)."""
    for table in tables:
        if table.merge_key and f"{schema}.{table.name}" in present:
            key = table.merge_key
            query(
                connection,
                f"DELETE FROM {schema}.{table.name} WHERE _dlt_load_id < '{load}' "
                f"AND {key} IN (SELECT {key} FROM {schema}.{table.name} WHERE _dlt_load_id = '{load}')",
            )


def mark_children_deleted(
    connection: Any, schema: str, children: Mapping[str, tuple[str, str]], load: str, present: set[str]
) -> None:
    """Rows of a child table whose parent `load` wrote, whole, that are older than it are gone from their
    parent upstream (a line removed from a draft invoice): mark them."""
    for child, (parent, key) in children.items():
        if {f"{schema}.{child}", f"{schema}.{parent}"} <= present:
            query(
                connection,
                f"UPDATE {schema}.{child} SET deleted_at = CURRENT_TIMESTAMP "
                f"WHERE deleted_at IS NULL AND _dlt_load_id < '{load}' "
                f"AND {key} IN (SELECT id FROM {schema}.{parent} WHERE _dlt_load_id = '{load}')",
            )


def mark_unseen_deleted(
    connection: Any,
    schema: str,
    whole_reads: Mapping[str, tuple[str, ...]],
    load: str,
    rows_loaded: Mapping[str, int],
    present: set[str],
) -> None:
    """Rows of a whole read's tables older than the load that read it whole are gone upstream: mark them.
    A read that returned nothing marks nothing: an upstream emptied at once is far likelier to be a fault."""
    tables = [table for read, filled in whole_reads.items() if rows_loaded.get(read) for table in filled]
    for table in tables:
        if f"{schema}.{table}" in present:
            query(
                connection,
                f"UPDATE {schema}.{table} SET deleted_at = CURRENT_TIMESTAMP "
                f"WHERE deleted_at IS NULL AND _dlt_load_id < '{load}'",
            )


def _is_load_id(value: str) -> bool:
    """dlt's load ids are decimal timestamps: anything else never reaches the SQL."""
    return value.replace(".", "", 1).isdigit()
