"""The crash-point matrix: `finsync run` killed at each named point (`finsync.crashpoints`), then run again,
must leave every table, every column and every version as a run that was never killed does, and as the
sandbox says. Shared by `test_crash_points.py` (a subset in CI) and `bench/crash_matrix.py` (all of it).

A stage is one sandbox and one warehouse engine in one situation: `first` (an empty warehouse: a source's
first load) or `incremental` (a warehouse that loaded the sandbox once, after which the upstream changed:
new YM items and batches, new and edited Younium invoices and accounts, a line removed from a draft,
subscriptions changed by their story, a charge invoiced). Each
scenario starts from a copy of the stage's base warehouse, runs one source with one point armed, runs it
again, and is compared with the stage's reference for that source: the base warehouse after one run of
that source never killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finsync.crashpoints import ARMED_VARIABLE, POINTS, SIGNAL_VARIABLE
from finsync.tables import LOAD_TIME
from finsync.warehouse.database import query as rows_of
from finsync.warehouse.registry import SOURCES
from finsync.warehouse.runner import Warehouse
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import FINSYNC
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox
from .story import assert_matches_story

MODES = ("first", "incremental")
# Where a load job's rows are committed but the job not yet recorded: the tables that matter most (YM's
# are appended to while empty; Younium's invoices are merged through the staging dataset, an order version's
# charges replaced whole).
JOB_TABLES = {"ym": ("invoice_items",), "younium": ("invoices", "order_charges")}
# A signal other than SIGKILL goes through finsync's own stop, which matters where it can land mid-step.
TERM_POINTS = ("load.job_committed", "load.between_jobs", "load.completed", "after_load.versions", "views")
# What the stop says a SIGTERM at each of those points left loaded.
STOP_SAYS = {
    "load.job_committed": "load jobs had committed",
    "load.between_jobs": "load jobs had committed",
    "load.completed": "every load job had committed",
    "after_load.versions": "its data was loaded, but the steps after the load",
    "views": "the analytics views were not refreshed",
}
# Columns whose value is the moment of a load, not data: compared only for being set.
LOAD_MOMENTS = ("deleted_at",)
NOT_COMPARED = ("_dlt_load_id", "first_load_id")


@dataclass(frozen=True)
class Scenario:
    point: str
    source: str
    mode: str
    signal: str = "KILL"
    table: str = ""  # the table whose load job the point waits for (load.job_committed)

    @property
    def where(self) -> str:
        """The point, with its table if it has one: `load.job_committed=invoices`."""
        return f"{self.point}={self.table}" if self.table else self.point

    @property
    def armed(self) -> str:
        return f"{self.source}:{self.where}"

    def __str__(self) -> str:
        return f"{self.mode}-{self.source}-{self.where}-{self.signal}"


def scenarios(modes: tuple[str, ...] = MODES, signals: tuple[str, ...] = ("KILL", "TERM")) -> list[Scenario]:
    """Every point, for each source and mode, killed by SIGKILL; the points in TERM_POINTS by SIGTERM too."""
    found = []
    for mode in modes:
        for source in SOURCES:
            for point in POINTS:
                if point == "upgrade" or (point == "views" and mode == "incremental"):
                    continue  # an upgrade needs a warehouse of an earlier layout; unchanged views stand as they are
                tables = JOB_TABLES[source] if point == "load.job_committed" else ("",)
                found += [
                    Scenario(point, source, mode, sig, table)
                    for table in tables
                    for sig in signals
                    if sig == "KILL" or point in TERM_POINTS
                ]
    return found


def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        ym_items=2400,
        batch_size=200,
        export_latency_seconds=0.05,
        younium_invoices=150,
        younium_accounts=15,
        younium_subscriptions=20,
    )


def change_upstream(server: SandboxServer) -> None:
    """Ordinary edits between two runs, on both systems."""
    server.sandbox.dataset.advance(300)
    tenant = server.sandbox.younium
    data = tenant.dataset
    invoices, lines = data.invoices, data.lines
    drafts = [
        n
        for n in invoices.numbers()
        if invoices.status_name(n) == "Draft" and data.billing.batch_of(n) is None and len(lines.numbers(n)) > 1
    ]
    tenant.remove_line(invoices.id(drafts[0]), lines.id(drafts[0], lines.numbers(drafts[0])[0]))
    story = tenant.dataset.story
    tenant.advance(new_invoices=12, modified_invoices=4, new_accounts=2, subscription_events=len(story.pending) // 2)
    active = sorted(o.order_number for o in data.orders.live() if o.latest.status == "Active")
    tenant.touch_charge(active[0])


@dataclass
class Stage:
    """One sandbox, one engine, one mode: the base warehouse scenarios start from and the reference."""

    engine: str
    mode: str
    root: Path
    server: SandboxServer
    dsn: str | None
    base: Warehouse = field(init=False)
    references: dict[str, Warehouse] = field(default_factory=dict)
    expected: dict[str, dict[str, list[tuple[Any, ...]]]] = field(default_factory=dict)

    def env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__", "FINSYNC_"))}
        env.update(self.server.settings)
        env.update(DLT_DATA_DIR=str(data_dir), SOURCES__YM__EXPORT_POLL_INTERVAL="0.05", **extra)
        return env

    def new_warehouse(self, name: str, template: Warehouse | None = None) -> Warehouse:
        if self.engine == "duckdb":
            path = self.root / f"{name}.duckdb"
            if template is not None and template.duckdb_path.exists():
                shutil.copyfile(template.duckdb_path, path)
            return Warehouse("duckdb", path)
        assert self.dsn
        database = f"finsync_crash_{uuid.uuid4().hex[:10]}"
        with admin(self.dsn) as cursor:
            copied = f" TEMPLATE {template_name(template)}" if template is not None else ""
            cursor.execute(f"CREATE DATABASE {database}{copied}")
        return Warehouse("postgres", postgres_credentials=self.dsn.rsplit("/", 1)[0] + f"/{database}")

    def run(
        self, warehouse: Warehouse, name: str, source: str = "all", **extra: str
    ) -> subprocess.CompletedProcess[str]:
        args = [*FINSYNC, "run", "--source", source, "--destination", warehouse.kind]
        if warehouse.kind == "duckdb":
            args += ["--duckdb-path", str(warehouse.duckdb_path)]
        else:
            extra["DESTINATION__POSTGRES__CREDENTIALS"] = str(warehouse.postgres_credentials)
        env = self.env(self.root / f"{name}.dlt", **extra)
        return subprocess.run(args, env=env, cwd=self.root, capture_output=True, text=True, timeout=300)

    def prepare(self) -> None:
        self.base = self.new_warehouse("base")
        if self.mode == "incremental":
            first = self.run(self.base, "base")
            assert first.returncode == 0, first.stderr
            change_upstream(self.server)

    def reference(self, source: str) -> dict[str, list[tuple[Any, ...]]]:
        """What the base warehouse holds after one run of `source` never killed."""
        if source not in self.expected:
            self.references[source] = self.new_warehouse(f"reference-{source}", self.base)
            clean = self.run(self.references[source], f"reference-{source}", source)
            assert clean.returncode == 0, clean.stderr
            self.expected[source] = snapshot(self.references[source])
        return self.expected[source]

    def crash_and_rerun(self, scenario: Scenario) -> Warehouse:
        """A copy of the base warehouse, run with `scenario`'s point armed, then run again."""
        # No `=` in a path: DuckDB reads a `key=value` directory of a load file as a hive partition column.
        name = str(scenario).replace("=", "-")
        warehouse = self.new_warehouse(name, self.base)
        armed = {ARMED_VARIABLE: scenario.armed, SIGNAL_VARIABLE: scenario.signal}
        crashed = self.run(warehouse, name, scenario.source, **armed)
        assert f"crash point {scenario.armed} reached" in crashed.stderr, crashed.stderr[-2000:]
        wanted = -signal.SIGKILL if scenario.signal == "KILL" else 128 + signal.SIGTERM
        assert crashed.returncode == wanted, crashed.stderr[-2000:]
        if scenario.signal == "TERM":
            assert STOP_SAYS[scenario.point] in crashed.stderr, crashed.stderr[-2000:]
        rerun = self.run(warehouse, name, scenario.source)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert "upgraded" not in rerun.stderr, "a warehouse of today's layout is never upgraded"
        return warehouse

    def assert_exact(self, warehouse: Warehouse, source: str) -> None:
        """Every table and view as the reference has them (every column, versions included), the source's
        tables as the sandbox says (Younium's subscriptions as its story tells), and no key twice."""
        expected = self.reference(source)
        if source == "ym":
            assert_ym_matches_sandbox(warehouse, self.server)
        else:
            assert_younium_matches_sandbox(warehouse, self.server)
            assert_matches_story(warehouse, self.server)
        got = snapshot(warehouse)
        assert sorted(got) == sorted(expected), "the warehouses hold different tables"
        for table, rows in expected.items():
            assert got[table] == rows, f"{table}: {len(got[table])} rows against {len(rows)} in a run never killed"

    def drop(self, warehouse: Warehouse) -> None:
        if warehouse.kind == "postgres" and self.dsn:
            with admin(self.dsn) as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {template_name(warehouse)} WITH (FORCE)")


@contextlib.contextmanager
def stage(engine: str, mode: str, root: Path, dsn: str | None) -> Iterator[Stage]:
    with SandboxServer(config=sandbox_config(), log_level="critical") as server:
        built = Stage(engine, mode, root, server, dsn)
        try:
            built.prepare()
            yield built
        finally:
            for warehouse in (getattr(built, "base", None), *built.references.values()):
                if warehouse is not None:
                    built.drop(warehouse)


@contextlib.contextmanager
def admin(dsn: str) -> Iterator[Any]:
    import psycopg2

    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        yield connection.cursor()
    finally:
        connection.close()


def template_name(warehouse: Warehouse | None) -> str:
    assert warehouse is not None and warehouse.postgres_credentials
    return warehouse.postgres_credentials.rsplit("/", 1)[1]


def load_timed() -> set[str]:
    """Tables (and their history views) whose versions are dated by the load that saw them."""
    names = {t.name for spec in SOURCES.values() for t in spec.tables if t.history == LOAD_TIME}
    return {f"{n}__versions" for n in names} | {f"{n}_history" for n in names}


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table and view finsync writes, sorted: columns that name a load left out, those
    that hold a load's moment reduced to whether they are set."""
    listed = ", ".join(f"'{d}'" for d in (*SOURCES, "analytics"))
    timed = load_timed()
    found = {}
    with warehouse.connect(read_only=True) as connection:
        columns = rows_of(
            connection,
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            f"WHERE table_schema IN ({listed}) ORDER BY table_schema, table_name, ordinal_position",
        )
        by_table: dict[str, list[str]] = {}
        for schema, table, column in columns:
            if not table.startswith("_dlt"):
                by_table.setdefault(f"{schema}.{table}", []).append(column)
        for table, names in by_table.items():
            name = table.split(".")[1]
            # A version's end is the next one's start, or when the record was found deleted (a load's moment).
            moments = (
                *LOAD_MOMENTS,
                *(("valid_from",) if name in timed else ()),
                *(("valid_to",) * name.endswith("_history")),
            )
            selected = [f"{c} IS NULL" if c in moments else c for c in names if c not in NOT_COMPARED]
            rows = rows_of(connection, f"SELECT {', '.join(selected)} FROM {table}")
            found[table] = sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row))
    return found
