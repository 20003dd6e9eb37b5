"""Running a source into a warehouse: one dlt pipeline per tenant of an upstream system, one dataset each
(see `finsync.sources.tenants`)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from finsync import crashpoints, progress
from finsync.errors import Busy, ConfigurationError, PartlyLoaded
from finsync.http.wire import ContractBroken
from finsync.sources.tenants import DEFAULT, Target
from finsync.tables import Sensitivity, Table

from . import DEFAULT_DUCKDB_PATH
from .after_load import after_load, unprocessed_loads
from .database import (
    Warehouse,
    count_rows,
    existing_columns,
    existing_tables,
    mark_purpose,
    purpose,
)
from .diagnose import explain
from .dictionary import describe_tables
from .layout import mark_layout, needs_upgrade, upgrade
from .locks import patiently
from .pending import finish_pending
from .registry import SOURCES, SourceSpec
from .targets import loaded_targets, record_target, run_flags, settings_from_env
from .views import drop_views, refresh_views

__all__ = [
    "DEFAULT_DUCKDB_PATH",
    "SOURCES",
    "SourceSpec",
    "SyncReport",
    "Target",
    "Warehouse",
    "settings_from_env",
    "sync",
]

logger = logging.getLogger(__name__)

SANDBOX = "sandbox"  # the purpose `finsync demo` marks its warehouse with
# Every source writes its one-row `tenant` table (Younium's when it changed): what the settings (and
# Younium's base currency) say, not data read.
TENANT_TABLE = "tenant"


@dataclass
class SyncReport:
    source: str  # the tenant's label: `ym`, or `ym:acme`
    warehouse: str
    seconds: float = 0.0
    rows_loaded: dict[str, int] = field(default_factory=dict)
    table_rows: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    contract_failures: dict[str, str] = field(default_factory=dict)  # tables left as they were: the paragraph
    notes: list[str] = field(default_factory=list)
    # Rows per table before this run (empty for a first run or a full refresh: everything is loaded anew).
    table_rows_before: dict[str, int] = field(default_factory=dict)
    failed: bool = False  # the run stopped on an error (the display shows it)
    busy: bool = False  # ... because another run (or program) held what it needed: to run again later
    left: str = ""  # what a run that failed left loaded, and what the next run does about the rest
    versions_added: dict[str, int] = field(default_factory=dict)  # new versions kept, by versioned table
    # What the run's HTTP did (`http.pacing`): requests sent, answers 429, seconds waiting.
    http: dict[str, float] = field(default_factory=dict)

    def new_rows(self, table: str) -> int:
        """Rows this run added to the warehouse (rows merged over existing ones are not new)."""
        return self.table_rows.get(table, 0) - self.table_rows_before.get(table, 0)


def pipelines_dir(warehouse: Warehouse) -> Path:
    """Working data lives per warehouse, so a pending load can only ever land where it was meant to."""
    digest = hashlib.sha256(warehouse.identity().encode()).hexdigest()[:16]
    return Path(dlt.current.run_context().data_dir) / "finsync" / digest


def make_pipeline(
    spec: SourceSpec, warehouse: Warehouse, run: progress.RunProgress | None = None, target: Target | None = None
) -> dlt.Pipeline:
    target = target or Target(spec.name)
    # Arrow rows get no load id unless asked; every table keeps one, so each row says which load wrote it.
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    # finsync's own signal handling stops a run at once (see cli); dlt's would defer it to the next step.
    dlt.config["runtime.intercept_signals"] = False
    # A merge stages its rows in `<dataset>_staging`: emptied once the load commits, no second copy of any
    # table is left for readers to find (dlt keeps the schema and its tables for the next merge).
    dlt.config["load.truncate_staging_dataset"] = True
    return dlt.pipeline(
        pipeline_name=target.pipeline_name,
        destination=warehouse.destination(),
        dataset_name=target.dataset,
        pipelines_dir=str(pipelines_dir(warehouse)),
        progress=run,  # type: ignore[arg-type]
    )


def extract_and_load(
    pipeline: dlt.Pipeline, data: Any, warehouse: Warehouse, full_refresh: bool = False
) -> tuple[LoadInfo, dict[str, int]]:
    """`pipeline.run`, step by step (the load info, and the rows normalized by table): between the extract and
    the load, the memory the extract freed goes back to the system, so the load's own share (DuckDB's memory
    limit) comes on top of the run's baseline rather than of the extract's peak."""
    pipeline.sync_destination()  # adopt the warehouse's state and schema, as `run` does first
    crashpoints.watch(data)
    pipeline.extract(
        data, refresh="drop_sources" if full_refresh else None, loader_file_format=warehouse.loader_file_format
    )
    crashpoints.reached("extracted")
    pa.default_memory_pool().release_unused()  # the system allocator (see finsync/__init__.py) trims its heap
    normalized = pipeline.normalize()
    return patiently(warehouse, f"loading {pipeline.dataset_name}", pipeline.load), dict(normalized.row_counts)


def contract_broken(failed: BaseException) -> ContractBroken | None:
    """The broken wire contract a failed step came from, if that is what it came from."""
    cause: BaseException | None = failed
    while cause is not None and not isinstance(cause, ContractBroken):
        cause = cause.__cause__ or cause.__context__
    return cause


def leave_out(data: DltSource, broken: list[ContractBroken]) -> None:
    """Deselects the resources filling the tables of lists whose read broke the wire contract this run."""
    tables = {table for failure in broken for table in failure.tables}
    for resource in data.selected_resources.values():
        if resource.table_name in tables:
            resource.selected = False


def append_where_empty(data: DltSource, tables: tuple[Table, ...], rows_before: Mapping[str, int]) -> None:
    """Tables that hold no rows yet and promise one row per key in a load (`unique_per_load`) are appended
    to: merging into nothing stages every row, copies it again and writes it twice, for the same table (a
    first load of 100k YM items: 1.9 s of load instead of ~1 s)."""
    empty = {t.name for t in tables if t.unique_per_load and not rows_before.get(t.name)}
    for resource in data.selected_resources.values():
        if resource.table_name in empty:
            resource.apply_hints(write_disposition="append")


def sync(
    source: str,
    warehouse: Warehouse,
    *,
    tenant: str = DEFAULT,
    full_refresh: bool = False,
    settings: Mapping[str, Any] | None = None,
    sandbox: bool = False,
    views: bool = True,
) -> SyncReport:
    """Load one tenant of one source incrementally; raise a `FinsyncError` that says what to do when it cannot.

    `settings` are explicit source arguments (the demo passes the sandbox's); everything else comes
    from dlt's config providers (env vars, .dlt/config.toml, .dlt/secrets.toml). `sandbox` marks the
    warehouse as holding the sandbox's data (and refuses one holding real data). With `views` false the
    analytics views are left as they are: an orchestrator running tenants in parallel rebuilds them once,
    after all of them (`refresh_views`).
    """
    spec = SOURCES[source]
    target = Target(source, tenant)
    started = time.monotonic()
    report = SyncReport(target.label, warehouse.describe())
    run = progress.start(target.label)
    existed = warehouse.exists()
    try:
        run.enter("checking the warehouse")
        warehouse.check_usable()
        with warehouse.exclusive(target.dataset):
            _sync(spec, target, warehouse, report, run, full_refresh, dict(settings or {}), sandbox, views)
    except Exception as error:  # translated into one readable error; nothing else escapes
        report.http = dict(run.tallies)
        if not existed:
            remove_if_empty(warehouse)
        translated = explain(error, target.label, warehouse)
        translated.args = tuple(target.own_settings(str(arg)) for arg in translated.args)
        report.seconds, report.failed, report.left = time.monotonic() - started, True, run.stopped_here()
        report.busy = isinstance(translated, Busy)
        translated.report = report  # every source appears in the summary
        raise translated from None
    run.enter("done")
    report.seconds, report.http = time.monotonic() - started, dict(run.tallies)
    if report.contract_failures:
        raise PartlyLoaded({**report.failures, **report.contract_failures}, report)
    if report.failures:
        raise spec.partly_loaded(report.failures, report)
    return report


def _sync(
    spec: SourceSpec,
    target: Target,
    warehouse: Warehouse,
    report: SyncReport,
    run: progress.RunProgress,
    full_refresh: bool,
    settings: dict[str, Any],
    sandbox: bool,
    views: bool,
) -> None:
    dataset = target.dataset
    crashpoints.running(target.label)
    options = {name: settings.pop(name) for name in spec.options if name in settings}
    resolved = spec.settings.from_config(settings, target)
    if warehouse.exists():
        with warehouse.connect() as connection:
            check_purpose(connection, warehouse, sandbox)
            if not full_refresh:
                check_personal_columns(connection, spec, target, resolved.pii)
                report.table_rows_before = count_rows(connection, dataset)
    pipeline = make_pipeline(spec, warehouse, run, target)
    # With nothing pending, adopt the warehouse's own state, never a stale local copy (the warehouse may
    # have been replaced or restored): the cursor in the warehouse is the one committed with its data.
    pending = pipeline.has_pending_data
    if pending:
        failures = pipelines_dir(warehouse) / f"{target.pipeline_name}.pending-failure.json"
        pipeline = finish_pending(pipeline, target.label, warehouse, report.notes, failures)
    else:
        pipeline = pipeline.drop()
    if full_refresh and warehouse.exists():
        drop_views(warehouse)  # PostgreSQL refuses to drop a table a view depends on
    zone = str(getattr(resolved.zone, "key", "UTC"))
    report.notes.extend(prepare_layout(warehouse, spec, target, zone, full_refresh))
    if not full_refresh:
        finish_loads(warehouse, spec, target, report, sandbox=sandbox, only_if_left=True)  # what a kill left
    rows_now = report.table_rows_before
    if pending and warehouse.exists():  # the pending load may have filled tables that were empty
        with warehouse.connect() as connection:
            rows_now = count_rows(connection, dataset)
    broken: list[ContractBroken] = []
    while True:
        data = spec.factory(resolved, **options)
        leave_out(data, broken)
        append_where_empty(data, spec.tables, {} if full_refresh else rows_now)
        try:
            info, rows = extract_and_load(pipeline, data, warehouse, full_refresh)
            break
        except PipelineStepFailed as failed:
            # A list whose records break the wire contract: nothing of this attempt was kept (dlt drops the
            # extract, and the state with it); the run reads again without the tables it fills.
            cause = contract_broken(failed)
            if cause is None or failed.step != "extract" or len(broken) >= len(spec.tables):
                raise
            broken.append(cause)
    report.contract_failures = {", ".join(b.tables): str(b) for b in broken}
    info.raise_on_failed_jobs()
    run.loaded = True
    report.rows_loaded = {t: n for t, n in rows.items() if not t.startswith("_dlt")}
    state = pipeline.state.get("sources", {}).get(spec.name, {})
    report.failures = spec.failures(state)
    report.notes.extend(spec.notes(state))
    run.enter("finishing")
    finish_loads(warehouse, spec, target, report, written=report.rows_loaded, sandbox=sandbox)
    with warehouse.connect() as connection:
        # Another tenant's tables still in an earlier layout are upgraded by that tenant's next run; until
        # then the views leave its parts out (they read the current layout).
        waiting = [
            other
            for other in loaded_targets(connection)
            if needs_upgrade(connection, other.dataset, SOURCES[other.source].tables)
        ]
    read = [n for table, n in report.rows_loaded.items() if table != TENANT_TABLE]
    if not any(read) and any(report.table_rows.values()):
        report.notes.append(
            f"nothing was read from {target.label} this run, though the warehouse holds rows from earlier runs: "
            "normal when nothing changed upstream; if data was expected, check the source's settings"
        )
    for other in waiting:
        report.notes.append(
            f"the {other.label} tables were written by an earlier finsync: the views leave them out until the "
            f"next `finsync run {run_flags(other)}` upgrades them"
        )
    if views:
        run.enter("refreshing views")
        refresh_views(warehouse, leave_out={other.dataset for other in waiting})


def finish_loads(
    warehouse: Warehouse,
    spec: SourceSpec,
    target: Target,
    report: SyncReport,
    *,
    written: Mapping[str, int] | None = None,
    sandbox: bool = False,
    only_if_left: bool = False,
) -> None:
    """Process the loads of `target` not processed yet (`after_load`), and record beside them, in the same
    transaction, the layout, the tables' descriptions and the tenant. With `only_if_left`, only when an
    earlier run left a load unprocessed (it was killed after dlt committed it)."""

    def finish() -> dict[str, int]:
        with warehouse.transaction() as connection:
            if only_if_left and not unprocessed_loads(connection, target.dataset):
                return {}
            added = after_load(connection, spec, target, written, report.notes)
            report.table_rows = count_rows(connection, target.dataset)
            mark_layout(connection, target.dataset)
            describe_tables(connection, target.dataset, spec.tables)
            record_target(connection, target)
            if sandbox:
                mark_purpose(connection, SANDBOX)
            crashpoints.reached("after_load.recorded")
            return added

    for table, added in patiently(warehouse, f"finishing the load of {target.label}", finish).items():
        report.versions_added[table] = report.versions_added.get(table, 0) + added


def prepare_layout(warehouse: Warehouse, spec: SourceSpec, target: Target, zone: str, full_refresh: bool) -> list[str]:
    """Upgrade tables an earlier finsync wrote to today's layout, in place (see `layout`); a dataset written
    anew (a first load, a full refresh) is in today's layout, and is marked so before it is written, so a
    first load a kill cuts short is never taken for an old one."""
    with warehouse.connect() as connection:
        upgrading = not full_refresh and needs_upgrade(connection, target.dataset, spec.tables)
        present = existing_tables(connection)
        fresh = full_refresh or not any(f"{target.dataset}.{t.name}" in present for t in spec.tables)
    if fresh:
        with warehouse.transaction() as connection:
            mark_layout(connection, target.dataset)
    if not upgrading:
        return []
    drop_views(warehouse)  # PostgreSQL refuses to change a column a view reads; they are rebuilt after the load

    def upgrade_now() -> list[str]:
        with warehouse.transaction() as connection:
            notes = upgrade(connection, target.dataset, spec.tables, zone)
            crashpoints.reached("upgrade")
            return notes

    return patiently(warehouse, f"upgrading the {target.label} tables", upgrade_now)


def remove_if_empty(warehouse: Warehouse) -> None:
    """A first run that failed before loading anything leaves no warehouse behind (dlt opens the DuckDB file,
    creating it, to look for state to adopt; finsync notes the layout its tables will have)."""
    if warehouse.kind != "duckdb" or not warehouse.duckdb_path.exists():
        return
    try:
        with warehouse.connect(read_only=True) as connection:
            holds_data = any(is_source_dataset(t.split(".")[0]) for t in existing_tables(connection))
    except Exception:
        return
    if not holds_data:
        for path in (warehouse.duckdb_path, warehouse.duckdb_path.with_name(warehouse.duckdb_path.name + ".wal")):
            path.unlink(missing_ok=True)


def check_warehouse_purpose(warehouse: Warehouse, sandbox: bool) -> None:
    """`check_purpose` once for a whole run, before any tenant starts (read-only). A warehouse another run
    holds is left to each tenant's run, which says so for that tenant (and checks the purpose itself)."""
    if warehouse.exists():
        try:
            with warehouse.connect(read_only=True) as connection:
                check_purpose(connection, warehouse, sandbox)
        except Busy:
            return


def check_purpose(connection: Any, warehouse: Warehouse, sandbox: bool) -> None:
    """The demo's sandbox data and a real tenant's never share a warehouse."""
    marked = purpose(connection)
    if sandbox and marked != SANDBOX and any(is_source_dataset(t.split(".")[0]) for t in existing_tables(connection)):
        raise ConfigurationError(
            "--duckdb-path" if warehouse.kind == "duckdb" else "destination.postgres.credentials",
            f"names {warehouse.describe()}, which holds data `finsync run` wrote (from the tenants its settings "
            "named, the sandbox's too when run pointed at `finsync sandbox serve`), not `finsync demo`",
            "`finsync demo` writes only into a warehouse of its own: give it another --duckdb-path, or move that "
            "file away.",
        )
    if not sandbox and marked == SANDBOX:
        raise ConfigurationError(
            "--duckdb-path" if warehouse.kind == "duckdb" else "destination.postgres.credentials",
            f"names {warehouse.describe()}, which holds the sandbox's demo data (written by `finsync demo`)",
            "Real tenants' data must not be mixed into it: give `finsync run` another warehouse (its default is "
            f"{DEFAULT_DUCKDB_PATH}), or delete this one.",
        )


def is_source_dataset(schema: str) -> bool:
    return any(schema == name or schema.startswith(f"{name}_") for name in SOURCES)


def check_personal_columns(connection: Any, spec: SourceSpec, target: Target, pii: str) -> None:
    """Under pii = "drop" the warehouse holds no personal column: one left by an earlier run in "mask" mode
    needs a full refresh (which reloads every table without them)."""
    if pii != "drop":
        return
    present = existing_columns(connection, target.dataset)
    found = {
        table.name: [
            c.name
            for c in table.columns
            if c.sensitivity is not Sensitivity.NONE and c.name in present.get(table.name, ())
        ]
        for table in spec.tables
    }
    holding = {name: columns for name, columns in found.items() if columns}
    if holding:
        where = ", ".join(f"{target.dataset}.{name} ({len(columns)})" for name, columns in holding.items())
        example = next(iter(holding.values()))[:3]
        raise ConfigurationError(
            f"sources.{'.'.join(target.section)}.pii",
            f'is "drop", but the warehouse still holds personal columns written under "mask", in {where} '
            f"(such as {', '.join(example)})",
            f"Run `finsync run {run_flags(target)} --full-refresh` once: it reloads every table without them.",
        )
