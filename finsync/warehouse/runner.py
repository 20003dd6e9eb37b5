"""Running a source into a warehouse: one dlt pipeline per upstream system, one dataset each."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.extract.source import DltSource

from finsync import progress
from finsync.errors import BatchExportError, ConfigurationError, SyncError
from finsync.sources import ym as ym_source
from finsync.sources import younium as younium_source
from finsync.sources.settings import SourceSettings
from finsync.tables import Sensitivity, Table

from .after_load import after_load
from .database import (
    DEFAULT_DUCKDB_PATH,
    Warehouse,
    count_rows,
    existing_columns,
    existing_tables,
    mark_purpose,
    purpose,
)
from .diagnose import explain, first_line, root_cause
from .dictionary import describe_tables
from .layout import mark_layout, needs_upgrade, upgrade
from .views import drop_views, refresh_views

__all__ = ["DEFAULT_DUCKDB_PATH", "SOURCES", "SourceSpec", "SyncReport", "Warehouse", "sync"]

logger = logging.getLogger(__name__)

SANDBOX = "sandbox"  # the purpose `finsync demo` marks its warehouse with
# Every source writes its one-row `tenant` table on each run: what the settings (and Younium's base
# currency) say, not data read.
TENANT_TABLE = "tenant"


@dataclass(frozen=True)
class SourceSpec:
    """How finsync runs one upstream system."""

    name: str
    factory: Callable[..., DltSource]  # (settings, **options) -> the dlt source
    settings: type[SourceSettings]
    tables: tuple[Table, ...]
    # From the source's saved state: what the last run could not read (by item, with the reason), and
    # positions beside the cursors that status shows (by name, as text).
    failures: Callable[[dict[str, Any]], dict[str, str]] = lambda _state: {}
    positions: Callable[[dict[str, Any]], dict[str, str]] = lambda _state: {}
    # Run options the factory takes beside its settings (`finsync run --sweep`).
    options: tuple[str, ...] = ()
    # Lists a run may read whole (proven complete), by the table they fill first, with all the tables they
    # fill: rows a whole read did not write are marked deleted_at. From the source's state, which of them
    # the last run read whole (all, unless said otherwise).
    whole_reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    read_whole: Callable[[dict[str, Any]], set[str]] | None = None
    # Child tables whose rows come whole with each parent a run writes: (parent table, the child's key to
    # it). A child row of such a parent that the run did not write is gone upstream: marked deleted_at.
    complete_children: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # What the last run's state says the summary should note (a sweep's cost).
    notes: Callable[[dict[str, Any]], list[str]] = lambda _state: []

    @property
    def pipeline_name(self) -> str:
        return f"finsync_{self.name}"


SOURCES: dict[str, SourceSpec] = {
    "ym": SourceSpec(
        "ym",
        ym_source.ym,
        ym_source.YMSettings,
        ym_source.TABLES,
        ym_source.failed_batches,
        ym_source.batch_anchor,
        options=("sweep",),
    ),
    "younium": SourceSpec(
        "younium",
        younium_source.younium,
        younium_source.YouniumSettings,
        younium_source.TABLES,
        options=("sweep",),
        whole_reads=younium_source.WHOLE_READS,
        read_whole=younium_source.whole_reads_this_run,
        complete_children=younium_source.COMPLETE_CHILDREN,
        notes=younium_source.sweep_notes,
    ),
}


@dataclass
class SyncReport:
    source: str
    warehouse: str
    seconds: float = 0.0
    rows_loaded: dict[str, int] = field(default_factory=dict)
    table_rows: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Rows per table before this run (empty for a first run or a full refresh: everything is loaded anew).
    table_rows_before: dict[str, int] = field(default_factory=dict)
    failed: bool = False  # the run stopped on an error (the display shows it): nothing of it was loaded
    versions_added: dict[str, int] = field(default_factory=dict)  # new versions kept, by versioned table

    def new_rows(self, table: str) -> int:
        """Rows this run added to the warehouse (rows merged over existing ones are not new)."""
        return self.table_rows.get(table, 0) - self.table_rows_before.get(table, 0)


def settings_from_env(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """`{"SOURCES__YM__BASE_URL": …}` -> `{"ym": {"base_url": …}}`: the same settings as source arguments."""
    settings: dict[str, dict[str, Any]] = {}
    for key, value in env.items():
        section, source, name = [*key.lower().split("__", 2), "", ""][:3]
        if section == "sources" and source in SOURCES and name:
            settings.setdefault(source, {})[name] = value
    return settings


def pipelines_dir(warehouse: Warehouse) -> Path:
    """Working data lives per warehouse, so a pending load can only ever land where it was meant to."""
    digest = hashlib.sha256(warehouse.identity().encode()).hexdigest()[:16]
    return Path(dlt.current.run_context().data_dir) / "finsync" / digest


def make_pipeline(spec: SourceSpec, warehouse: Warehouse, run: progress.RunProgress | None = None) -> dlt.Pipeline:
    # Arrow rows get no load id unless asked; every table keeps one, so each row says which load wrote it.
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    # finsync's own signal handling stops a run at once (see cli); dlt's would defer it to the next step.
    dlt.config["runtime.intercept_signals"] = False
    return dlt.pipeline(
        pipeline_name=spec.pipeline_name,
        destination=warehouse.destination(),
        dataset_name=spec.name,
        pipelines_dir=str(pipelines_dir(warehouse)),
        progress=run,  # type: ignore[arg-type]
    )


def sync(
    source: str,
    warehouse: Warehouse,
    *,
    full_refresh: bool = False,
    settings: Mapping[str, Any] | None = None,
    sandbox: bool = False,
) -> SyncReport:
    """Load one source incrementally; raise a `FinsyncError` that says what to do when it cannot.

    `settings` are explicit source arguments (the demo passes the sandbox's); everything else comes
    from dlt's config providers (env vars, .dlt/config.toml, .dlt/secrets.toml). `sandbox` marks the
    warehouse as holding the sandbox's data (and refuses one holding real data).
    """
    spec = SOURCES[source]
    started = time.monotonic()
    report = SyncReport(source, warehouse.describe())
    run = progress.start(source)
    existed = warehouse.exists()
    try:
        run.enter("checking the warehouse")
        warehouse.check_usable()
        with warehouse.exclusive(spec.name):
            _sync(spec, warehouse, report, run, full_refresh, dict(settings or {}), sandbox)
    except Exception as error:  # translated into one readable error; nothing else escapes
        if not existed:
            remove_if_empty(warehouse)
        translated = explain(error, source, warehouse)
        report.seconds, report.failed = time.monotonic() - started, True
        translated.report = report  # type: ignore[attr-defined]  # every source appears in the summary
        raise translated from None
    run.enter("done")
    report.seconds = time.monotonic() - started
    if report.failures:
        raise BatchExportError(report.failures, report)
    return report


def _sync(
    spec: SourceSpec,
    warehouse: Warehouse,
    report: SyncReport,
    run: progress.RunProgress,
    full_refresh: bool,
    settings: dict[str, Any],
    sandbox: bool,
) -> None:
    source = spec.name
    options = {name: settings.pop(name) for name in spec.options if name in settings}
    resolved = spec.settings.from_config(settings)
    if warehouse.exists():
        with warehouse.connect() as connection:
            check_purpose(connection, warehouse, sandbox)
            if not full_refresh:
                check_personal_columns(connection, spec, resolved.pii)
                report.table_rows_before = count_rows(connection, source)
    pipeline = make_pipeline(spec, warehouse, run)
    # With nothing pending, adopt the warehouse's own state, never a stale local copy (the warehouse may
    # have been replaced or restored): the cursor in the warehouse is the one committed with its data.
    pipeline = finish_pending(pipeline, spec, warehouse, report) if pipeline.has_pending_data else pipeline.drop()
    if full_refresh and warehouse.exists():
        drop_views(warehouse)  # PostgreSQL refuses to drop a table a view depends on
    elif warehouse.exists():
        report.notes.extend(upgrade_layout(warehouse, spec, str(getattr(resolved.zone, "key", "UTC"))))
    data = spec.factory(resolved, **options)
    info = pipeline.run(
        data, refresh="drop_sources" if full_refresh else None, loader_file_format=warehouse.loader_file_format
    )
    info.raise_on_failed_jobs()
    normalize = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    if normalize:
        report.rows_loaded = {t: n for t, n in normalize.row_counts.items() if not t.startswith("_dlt")}
    state = pipeline.state.get("sources", {}).get(source, {})
    report.failures = spec.failures(state)
    report.notes.extend(spec.notes(state))
    whole = spec.read_whole(state) if spec.read_whole else set(spec.whole_reads)
    with warehouse.connect() as connection:
        report.versions_added = after_load(
            connection,
            source,
            spec.tables,
            info.loads_ids,
            whole_reads={read: tables for read, tables in spec.whole_reads.items() if read in whole},
            rows_loaded=report.rows_loaded,
            complete_children=spec.complete_children,
        )
        report.table_rows = count_rows(connection, source)
        mark_layout(connection, source)
        describe_tables(connection, source, spec.tables)
        # Another source's tables still in an earlier layout are upgraded by that source's next run; until
        # then the views leave its parts out (they read the current layout).
        waiting = {name for name, other in SOURCES.items() if needs_upgrade(connection, name, other.tables)}
        if sandbox:
            mark_purpose(connection, SANDBOX)
    read = [n for table, n in report.rows_loaded.items() if table != TENANT_TABLE]
    if not any(read) and any(report.table_rows.values()):
        report.notes.append(
            f"nothing was read from {source} this run, though the warehouse holds rows from earlier runs: "
            "normal when nothing changed upstream; if data was expected, check the source's settings"
        )
    for name in sorted(waiting):
        report.notes.append(
            f"the {name} tables were written by an earlier finsync: the views leave them out until the next "
            f"`finsync run --source {name}` upgrades them"
        )
    run.enter("refreshing views")
    refresh_views(warehouse, leave_out=waiting)


def upgrade_layout(warehouse: Warehouse, spec: SourceSpec, zone: str) -> list[str]:
    """Upgrade tables an earlier finsync wrote to today's layout, in place (see `layout`)."""
    with warehouse.connect() as connection:
        if not needs_upgrade(connection, spec.name, spec.tables):
            return []
    drop_views(warehouse)  # PostgreSQL refuses to change a column a view reads; they are rebuilt after the load
    with warehouse.connect() as connection:
        return upgrade(connection, spec.name, spec.tables, zone)


def remove_if_empty(warehouse: Warehouse) -> None:
    """A first run that failed before loading anything leaves no warehouse behind (dlt opens the DuckDB file,
    creating it, to look for state to adopt)."""
    if warehouse.kind != "duckdb" or not warehouse.duckdb_path.exists():
        return
    try:
        with warehouse.connect(read_only=True) as connection:
            holds_data = any(t.split(".")[0] not in ("main", "information_schema") for t in existing_tables(connection))
    except Exception:
        return
    if not holds_data:
        for path in (warehouse.duckdb_path, warehouse.duckdb_path.with_name(warehouse.duckdb_path.name + ".wal")):
            path.unlink(missing_ok=True)


def check_purpose(connection: Any, warehouse: Warehouse, sandbox: bool) -> None:
    """The demo's sandbox data and a real tenant's never share a warehouse."""
    marked = purpose(connection)
    if sandbox and marked != SANDBOX and any(t.split(".")[0] in SOURCES for t in existing_tables(connection)):
        raise ConfigurationError(
            "--duckdb-path" if warehouse.kind == "duckdb" else "destination.postgres.credentials",
            f"names {warehouse.describe()}, which holds data that did not come from the sandbox",
            "`finsync demo` writes only into a warehouse of its own: give it another --duckdb-path.",
        )
    if not sandbox and marked == SANDBOX:
        raise ConfigurationError(
            "--duckdb-path" if warehouse.kind == "duckdb" else "destination.postgres.credentials",
            f"names {warehouse.describe()}, which holds the sandbox's demo data (written by `finsync demo`)",
            "Real tenants' data must not be mixed into it: give `finsync run` another warehouse (its default is "
            f"{DEFAULT_DUCKDB_PATH}), or delete this one.",
        )


def check_personal_columns(connection: Any, spec: SourceSpec, pii: str) -> None:
    """Under pii = "drop" the warehouse holds no personal column: one left by an earlier run in "mask" mode
    needs a full refresh (which reloads every table without them)."""
    if pii != "drop":
        return
    present = existing_columns(connection, spec.name)
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
        where = ", ".join(f"{spec.name}.{name} ({len(columns)})" for name, columns in holding.items())
        example = next(iter(holding.values()))[:3]
        raise ConfigurationError(
            f"sources.{spec.name}.pii",
            f'is "drop", but the warehouse still holds personal columns written under "mask", in {where} '
            f"(such as {', '.join(example)})",
            f"Run `finsync run --source {spec.name} --full-refresh` once: it reloads every table without them.",
        )


# -- loads left pending ---------------------------------------------------------------------------------------


def finish_pending(pipeline: dlt.Pipeline, spec: SourceSpec, warehouse: Warehouse, report: SyncReport) -> dlt.Pipeline:
    """Load what a previous run extracted but did not load, before reading anything new.

    A pending load that fails twice in a row with the same error can never load as it is: it is set aside
    (kept, for inspection) and the pipeline adopts the warehouse's state, which never saw it, so the
    data is read again from the upstream.
    """
    logger.warning("%s: finishing the load a previous run left pending", spec.name)
    pending = [*pipeline.list_extracted_load_packages(), *pipeline.list_normalized_load_packages()]
    record = pipelines_dir(warehouse) / f"{spec.pipeline_name}.pending-failure.json"
    if warehouse.exists():
        drop_views(warehouse)  # the pending load may drop tables (a full refresh); the views are rebuilt after
    try:
        pipeline.run()
    except Exception as error:
        cause = first_line(root_cause(error))
        # The same error, whichever of the package's files it named this time.
        kind = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", cause)
        previous = json.loads(record.read_text()) if record.exists() else {}
        if previous.get("loads") != pending or previous.get("error") != kind:
            record.write_text(json.dumps({"loads": pending, "error": kind}))
            raise SyncError(
                f"Loading the data a previous run of {spec.name} left pending failed: {cause}. The next run tries "
                "once more; if it fails the same way, that load is set aside and its data read again."
            ) from error
        aside = set_aside(pipeline, pending)
        report.notes.append(
            f"a load left pending by an earlier run failed twice with the same error ({cause}); it was set aside "
            f"in {aside}, and its data is read again from {spec.name}"
        )
        logger.warning("%s: %s", spec.name, report.notes[-1])
        pipeline = pipeline.drop()
    record.unlink(missing_ok=True)
    return pipeline


def set_aside(pipeline: dlt.Pipeline, load_ids: list[str]) -> Path:
    """Move the packages of `load_ids` out of the pipeline's working directory; return where they went."""
    target = Path(pipeline.pipelines_dir) / "set-aside" / pipeline.pipeline_name
    target.mkdir(parents=True, exist_ok=True)
    for load_id in load_ids:
        for package in Path(pipeline.working_dir).rglob(load_id):
            if package.is_dir():
                shutil.move(str(package), str(target / f"{load_id}-{package.parent.name}"))
    pipeline.abort_packages()
    return target
