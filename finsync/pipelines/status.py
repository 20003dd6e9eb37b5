"""`finsync status`: per source, the last successful load, the cursors, rows per table, pending work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from finsync.sources._state import saved_cursors

from .runner import SOURCES, SourceSpec, make_pipeline
from .warehouse import Warehouse, count_rows, existing_tables, query


@dataclass
class SourceStatus:
    source: str
    last_load_at: datetime | None = None
    loads: int = 0
    cursors: dict[str, str] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    pending_packages: int = 0
    failed_batches: dict[str, str] = field(default_factory=dict)


def source_status(spec: SourceSpec, warehouse: Warehouse) -> SourceStatus:
    status = SourceStatus(spec.name)
    with warehouse.connect(read_only=True) as connection:
        tables = existing_tables(connection)
        if f"{spec.name}._dlt_loads" not in tables:
            return status
        status.loads, status.last_load_at = query(
            connection, f"SELECT COUNT(*), MAX(inserted_at) FROM {spec.name}._dlt_loads WHERE status = 0"
        )[0]
        status.tables = count_rows(connection, spec.name)
    pipeline = make_pipeline(spec, warehouse)
    status.pending_packages = len(pipeline.list_extracted_load_packages()) + len(
        pipeline.list_normalized_load_packages()
    )
    if not status.pending_packages:
        pipeline.sync_destination()  # the cursors committed in the warehouse, not a local copy
    source_state = pipeline.state.get("sources", {}).get(spec.name, {})
    status.cursors = cursors(source_state)
    status.failed_batches = spec.failures(source_state)
    return status


def cursors(source_state: dict[str, Any]) -> dict[str, str]:
    """Every cursor of the source by table, plus the YM batch anchor, as readable text."""
    found = saved_cursors(source_state)
    anchor = source_state.get("batches", {}).get("anchor")
    if anchor:
        found["finance_batches (StartBatchID)"] = str(anchor)
    return found


def all_statuses(warehouse: Warehouse) -> list[SourceStatus]:
    return [source_status(spec, warehouse) for spec in SOURCES.values()]
