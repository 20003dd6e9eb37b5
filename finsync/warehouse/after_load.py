"""What finsync does to a source's tables once dlt has loaded them: rows a replayed load wrote twice are
removed, a re-read parent's list replaces the one held, what a complete read no longer has is marked
deleted, and new versions are kept.

Every load is processed once, in one transaction with the record of the newest load processed (beside the
data, in `finsync_meta`): a run killed after dlt committed its load, or in the middle of these steps, leaves
its load unprocessed, and the next run processes it before it reads anything (oldest first). A load's rules
only touch rows older than it, and each step finds what is left to do, so processing is exact whichever
instant a run died at. What each load read whole comes from the source state committed with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from dlt.common.versioned_state import decompress_state

from finsync import crashpoints
from finsync.sources.state import SourceState
from finsync.sources.tenants import Target
from finsync.tables import Table

from .database import existing_columns, existing_tables, is_postgres, meta_value, query, set_meta_value
from .history import record_versions
from .registry import SourceSpec
from .upstream import record_reads


def processed_key(dataset: str) -> str:
    return f"processed.{dataset}"


def after_load(
    connection: Any,
    spec: SourceSpec,
    target: Target,
    written: Mapping[str, int] | None = None,
    notes: list[str] | None = None,
) -> dict[str, int]:
    """Process every load of `target` not processed yet; return the versions added, by table (and add to
    `notes` what the summary should say of upstream's fields, see `upstream`).

    `written` are the rows this run's own load wrote, by table, where known: its tables that hold none need
    no look for repeats. Loads of earlier runs are looked at whole."""
    dataset = target.dataset
    loads = unprocessed_loads(connection, dataset)
    if not loads:
        return {}
    present = existing_tables(connection)
    for load in loads:
        own = written if load == loads[-1] else None
        remove_repeats(connection, dataset, [t for t in spec.tables if own is None or own.get(t.name)], load, present)
        crashpoints.reached("after_load.dedupe")
        replace_children(connection, dataset, spec.tables, load, present)
        mark_children_deleted(connection, dataset, spec.complete_children, load, present)
        crashpoints.reached("after_load.children")
        state = state_of(connection, spec, target, load)
        whole = spec.read_whole(state) if spec.read_whole is not None else set(spec.whole_reads)
        reads = {read: tables for read, tables in spec.whole_reads.items() if read in whole}
        mark_unseen_deleted(connection, dataset, reads, load, present)
        crashpoints.reached("after_load.deleted")
        said = record_reads(connection, target, spec.name, SourceState(state).wire_reads())
        (notes if notes is not None else []).extend(said)
    added = record_versions(connection, dataset, spec.tables, loads)
    crashpoints.reached("after_load.versions")
    set_meta_value(connection, processed_key(dataset), loads[-1])
    return added


def unprocessed_loads(connection: Any, dataset: str) -> list[str]:
    """The completed loads of `dataset` newer than the newest processed (all, before the first), oldest first."""
    if f"{dataset}._dlt_loads" not in existing_tables(connection):
        return []
    last = meta_value(connection, processed_key(dataset)) or "0"
    rows = query(connection, f"SELECT DISTINCT load_id FROM {dataset}._dlt_loads WHERE status = 0")
    loads = [str(row[0]) for row in rows if _is_load_id(str(row[0]))]
    return sorted((load for load in loads if Decimal(load) > Decimal(last)), key=Decimal)


def remove_repeats(connection: Any, schema: str, tables: Sequence[Table], load: str, present: set[str]) -> None:
    """A load job replayed after a kill (its rows committed, the kill before dlt recorded it) writes its rows
    again: within one load a key is written once, so a key `load` holds twice is one such row too many."""
    columns = existing_columns(connection, schema)
    for table in tables:
        if f"{schema}.{table.name}" not in present or "_dlt_load_id" not in columns.get(table.name, ()):
            continue
        name, key = f"{schema}.{table.name}", table.primary_key
        repeated = query(
            connection,
            f"SELECT COUNT(*) - COUNT(DISTINCT {key}) FROM {name} WHERE _dlt_load_id = '{load}'",
        )[0][0]
        if not repeated:
            continue
        if is_postgres(connection):
            query(
                connection,
                f"DELETE FROM {name} AS a USING {name} AS b WHERE a._dlt_load_id = '{load}' "
                f"AND b._dlt_load_id = '{load}' AND a.{key} = b.{key} AND a.ctid > b.ctid",
            )
        else:
            query(
                connection,
                f"DELETE FROM {name} WHERE _dlt_load_id = '{load}' AND rowid NOT IN "
                f"(SELECT MIN(rowid) FROM {name} WHERE _dlt_load_id = '{load}' GROUP BY {key})",
            )


def replace_children(connection: Any, schema: str, tables: Sequence[Table], load: str, present: set[str]) -> None:
    """A parent's list read again replaces the one held: rows of a parent that `load` wrote rows for,
    that are older than it, are gone from the list (see `Table.replaced_per`)."""
    for table in tables:
        if table.replaced_per and f"{schema}.{table.name}" in present:
            key = table.replaced_per
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


def state_of(connection: Any, spec: SourceSpec, target: Target, load: str) -> dict[str, Any]:
    """The source state committed with `load` (dlt stores the state only when it changed: the newest stored at
    or before `load` is the one it had)."""
    if f"{target.dataset}._dlt_pipeline_state" not in existing_tables(connection):
        return {}
    rows = query(
        connection,
        f"SELECT state FROM {target.dataset}._dlt_pipeline_state WHERE pipeline_name = '{target.pipeline_name}' "
        f"AND _dlt_load_id <= '{load}' ORDER BY _dlt_load_id DESC, version DESC LIMIT 1",
    )
    state = decompress_state(rows[0][0]) if rows else {}
    return dict(state.get("sources", {}).get(spec.name, {}))


def mark_unseen_deleted(
    connection: Any, schema: str, whole_reads: Mapping[str, tuple[str, ...]], load: str, present: set[str]
) -> None:
    """Rows of a whole read's tables older than the load that read it whole are gone upstream: mark them.
    A read that wrote nothing marks nothing: unchanged, it writes nothing, and an upstream emptied at once is
    far likelier to be a fault."""
    for read, filled in whole_reads.items():
        if f"{schema}.{read}" not in present:
            continue
        if not query(connection, f"SELECT 1 FROM {schema}.{read} WHERE _dlt_load_id = '{load}' LIMIT 1"):
            continue
        for table in filled:
            if f"{schema}.{table}" in present:
                query(
                    connection,
                    f"UPDATE {schema}.{table} SET deleted_at = CURRENT_TIMESTAMP "
                    f"WHERE deleted_at IS NULL AND _dlt_load_id < '{load}'",
                )


def _is_load_id(value: str) -> bool:
    """dlt's load ids are decimal timestamps: anything else never reaches the SQL."""
    return value.replace(".", "", 1).isdigit()
