"""`finsync status`: per tenant of each source, the last successful load, the cursors, rows per table, pending work.

It only reads: the warehouse through a read-only connection (the state a source committed with its last
load is read from the warehouse itself), and the working directory by listing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dlt.common.versioned_state import decompress_state

from finsync.sources.state import SourceState
from finsync.sources.tenants import Target

from .database import Warehouse, count_rows, existing_tables, query
from .registry import SOURCES
from .runner import pipelines_dir
from .targets import configured_targets, loaded_targets


@dataclass
class SourceStatus:
    source: str  # the tenant's label: `ym`, or `ym:acme`
    last_load_at: datetime | None = None
    loads: int = 0
    cursors: dict[str, str] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    pending_packages: int = 0
    failed_batches: dict[str, str] = field(default_factory=dict)
    working_dir: Path | None = None


def source_status(target: Target, warehouse: Warehouse, connection: Any) -> SourceStatus:
    spec = SOURCES[target.source]
    working_dir = pipelines_dir(warehouse) / target.pipeline_name
    status = SourceStatus(target.label, working_dir=working_dir, pending_packages=pending_packages(working_dir))
    if f"{target.dataset}._dlt_loads" not in existing_tables(connection):
        return status
    status.loads, status.last_load_at = query(
        connection,
        f"SELECT COUNT(DISTINCT load_id), MAX(inserted_at) FROM {target.dataset}._dlt_loads WHERE status = 0",
    )[0]
    status.tables = count_rows(connection, target.dataset)
    source_state = committed_state(connection, target).get("sources", {}).get(spec.name, {})
    status.cursors = SourceState(source_state).cursors() | spec.positions(source_state)
    status.failed_batches = spec.failures(source_state)
    return status


def committed_state(connection: Any, target: Target) -> dict[str, Any]:
    """The pipeline state committed with the newest completed load (what the next run adopts)."""
    rows = query(
        connection,
        f"SELECT s.state FROM {target.dataset}._dlt_pipeline_state AS s "
        f"JOIN {target.dataset}._dlt_loads AS l ON l.load_id = s._dlt_load_id "
        f"WHERE l.status = 0 AND s.pipeline_name = '{target.pipeline_name}' ORDER BY s.created_at DESC LIMIT 1",
    )
    return decompress_state(rows[0][0]) if rows else {}


def pending_packages(working_dir: Path) -> int:
    """Loads extracted but not yet loaded (the next run loads them first)."""
    stages = (working_dir / "normalize" / "extracted", working_dir / "load" / "normalized")
    return sum(len([p for p in stage.iterdir() if p.is_dir()]) for stage in stages if stage.is_dir())


def all_statuses(warehouse: Warehouse) -> list[SourceStatus]:
    """Every tenant the settings name or the warehouse holds."""
    configured = configured_targets(list(SOURCES))
    if not warehouse.exists():
        return [SourceStatus(target.label) for target in configured]
    with warehouse.connect(read_only=True) as connection:
        targets = sorted({*configured, *loaded_targets(connection)})
        return [source_status(target, warehouse, connection) for target in targets]
