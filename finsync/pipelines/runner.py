"""Running a source into a warehouse: one dlt pipeline per upstream system, one dataset each."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigValueCannotBeCoercedException
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from finsync.errors import BatchExportError, ConfigurationError, FinsyncError, SyncError
from finsync.sources import ym as ym_source
from finsync.sources import younium as younium_source
from finsync.sources._http import redact
from finsync.sources._settings import missing_setting

from .views import refresh_views
from .warehouse import DEFAULT_DUCKDB_PATH, Warehouse, count_rows, existing_tables, query

__all__ = ["DEFAULT_DUCKDB_PATH", "SOURCES", "SourceSpec", "SyncReport", "Warehouse", "sync"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceSpec:
    """How finsync runs one upstream system."""

    name: str
    factory: Callable[..., DltSource]
    failures: Callable[[dict[str, Any]], dict[str, str]] = lambda _state: {}
    # Lists each run reads whole (proven complete), by the table they fill first, with all the tables they
    # fill: rows a run did not write are marked deleted_at.
    whole_reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def pipeline_name(self) -> str:
        return f"finsync_{self.name}"


SOURCES: dict[str, SourceSpec] = {
    "ym": SourceSpec("ym", ym_source.ym, ym_source.failed_batches),
    "younium": SourceSpec("younium", younium_source.younium, whole_reads=younium_source.WHOLE_READS),
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


def make_pipeline(spec: SourceSpec, warehouse: Warehouse) -> dlt.Pipeline:
    # Arrow rows get no load id unless asked; every table keeps one, so each row says which load wrote it.
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    return dlt.pipeline(
        pipeline_name=spec.pipeline_name,
        destination=warehouse.destination(),
        dataset_name=spec.name,
        pipelines_dir=str(pipelines_dir(warehouse)),
    )


def sync(
    source: str,
    warehouse: Warehouse,
    *,
    full_refresh: bool = False,
    settings: Mapping[str, Any] | None = None,
) -> SyncReport:
    """Load one source incrementally; raise a `FinsyncError` that says what to do when it cannot.

    `settings` are explicit source arguments (the demo passes the sandbox's); everything else comes
    from dlt's config providers (env vars, .dlt/config.toml, .dlt/secrets.toml).
    """
    spec = SOURCES[source]
    started = time.monotonic()
    report = SyncReport(source, warehouse.describe())
    with exclusive_run(spec, warehouse):
        _sync(spec, warehouse, report, full_refresh, settings)
    report.seconds = time.monotonic() - started
    if report.failures:
        raise BatchExportError(report.failures)
    return report


@contextlib.contextmanager
def exclusive_run(spec: SourceSpec, warehouse: Warehouse) -> Iterator[None]:
    """One run per source and warehouse at a time: two would share, and corrupt, one working directory."""
    directory = pipelines_dir(warehouse)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{spec.pipeline_name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncError(
                f"Another finsync run of {spec.name} into {warehouse.describe()} is in progress; "
                "let it finish (or stop it) and run again."
            ) from None
        yield


def _sync(
    spec: SourceSpec,
    warehouse: Warehouse,
    report: SyncReport,
    full_refresh: bool,
    settings: Mapping[str, Any] | None,
) -> None:
    source = spec.name
    try:
        pipeline = make_pipeline(spec, warehouse)
        if pipeline.has_pending_data:
            # A previous run extracted data it did not finish loading: load it before reading more.
            logger.warning("%s: finishing the load a previous run left pending", source)
            pipeline.run()
        else:
            # Adopt the warehouse's own state, never a stale local copy (the warehouse may have been
            # replaced or restored): the cursor in the warehouse is the one committed with its data.
            pipeline = pipeline.drop()
        data = spec.factory(**dict(settings or {}))
        info = pipeline.run(
            data, refresh="drop_sources" if full_refresh else None, loader_file_format=warehouse.loader_file_format
        )
        info.raise_on_failed_jobs()
        normalize = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
        if normalize:
            report.rows_loaded = {t: n for t, n in normalize.row_counts.items() if not t.startswith("_dlt")}
        report.failures = spec.failures(pipeline.state.get("sources", {}).get(source, {}))
        with warehouse.connect() as connection:
            mark_unseen_deleted(connection, source, spec.whole_reads, info.loads_ids, report.rows_loaded)
            report.table_rows = count_rows(connection, source)
        if not any(report.rows_loaded.values()) and any(report.table_rows.values()):
            report.notes.append(
                f"nothing was read from {source} this run, though the warehouse holds rows from earlier runs: "
                "normal when nothing changed upstream; if data was expected, check the source's settings"
            )
        refresh_views(warehouse)
    except Exception as error:  # translated into one readable error; nothing else escapes
        raise explain(error, source, warehouse) from None


def mark_unseen_deleted(
    connection: Any,
    schema: str,
    whole_reads: Mapping[str, tuple[str, ...]],
    load_ids: list[str],
    rows_loaded: Mapping[str, int],
) -> None:
    """Rows of a whole read's tables that this run's loads did not write are gone upstream: mark them. A
    read that returned nothing marks nothing: an upstream emptied at once is far likelier to be a fault."""
    present = existing_tables(connection)
    ids = ", ".join(f"'{load_id}'" for load_id in load_ids if load_id.replace(".", "").isdigit())
    tables = [table for read, filled in whole_reads.items() if rows_loaded.get(read) for table in filled]
    for table in tables:
        if ids and f"{schema}.{table}" in present:
            query(
                connection,
                f"UPDATE {schema}.{table} SET deleted_at = CURRENT_TIMESTAMP "
                f"WHERE deleted_at IS NULL AND _dlt_load_id NOT IN ({ids})",
            )


def explain(error: BaseException, source: str, warehouse: Warehouse) -> FinsyncError:
    """The one readable error for anything a sync raised: ours as is, dlt's translated."""
    cause = _find(error, FinsyncError)
    if cause is not None:
        return cause
    missing = _find(error, ConfigFieldMissingException)
    if missing is not None:
        return missing_setting(missing, source)
    wrong_type = _find(error, ConfigValueCannotBeCoercedException)
    if wrong_type is not None:
        expected = getattr(wrong_type.hint, "__name__", str(wrong_type.hint))
        return ConfigurationError(f"sources.{source}.{wrong_type.field_name}", f"must be of type {expected}")
    step = getattr(_find(error, PipelineStepFailed), "step", None)
    text = redact(f"{type(error).__name__}: {error}").splitlines()[0][:500]
    if step == "load":
        return SyncError(
            f"Loading {source} into {warehouse.describe()} failed ({text}). The extracted data is kept and "
            "the next run loads it first; check that the warehouse is reachable and writable."
        )
    return SyncError(f"The {source} sync failed ({text}). Nothing was half-applied; rerun to resume.")


def _find(error: BaseException | None, kind: type[Any]) -> Any:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, kind):
            return error
        nested = getattr(error, "exception", None)
        if isinstance(nested, BaseException) and isinstance(nested, kind):
            return nested
        error = error.__cause__ or error.__context__ or (nested if isinstance(nested, BaseException) else None)
    return None
