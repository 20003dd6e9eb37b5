"""A run killed at any named point, then run again, leaves every table exactly as a run never killed does.

CI runs the share of the matrix in `IN_CI`; `bench/crash_matrix.py` runs all of it (as does setting
FINSYNC_CRASH_MATRIX=all here).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from finsync.crashpoints import ARMED_VARIABLE, POINTS, SIGNAL_VARIABLE
from finsync.warehouse.registry import SOURCES
from finsync.warehouse.runner import Warehouse
from finsync_sandbox import SandboxServer

from .conftest import DSN_VARIABLE, column_types, finsync_env, query, run_finsync, to_first_layout
from .crashes import MODES, Scenario, Stage, scenarios, stage
from .expect import assert_ym_matches_sandbox

pytestmark = pytest.mark.slow

WHOLE = os.environ.get("FINSYNC_CRASH_MATRIX") == "all"
# CI's share of the matrix: every point of a first load of YM (its empty tables are appended to), and the
# points where each other situation differs (how a load commits, the steps after it); all of it on demand.
IN_CI = {
    ("duckdb", "first", "ym", "KILL"): tuple(p for p in POINTS if p != "upgrade"),
    ("duckdb", "first", "ym", "TERM"): ("load.job_committed",),
    ("duckdb", "first", "younium", "KILL"): ("load.job_committed=invoices", "load.completed", "after_load.versions"),
    ("duckdb", "incremental", "ym", "KILL"): ("load.job_committed", "load.between_jobs", "after_load.dedupe"),
    ("duckdb", "incremental", "younium", "KILL"): (
        "extracted",
        "load.job_committed=invoices",
        "load.job_committed=order_charges",
        "load.jobs_done",
        "after_load.children",
        "after_load.deleted",
        "after_load.versions",
    ),
    ("duckdb", "incremental", "younium", "TERM"): ("after_load.versions",),
    ("postgres", "first", "ym", "KILL"): ("load.job_committed",),
    ("postgres", "first", "younium", "KILL"): ("load.completed",),
    ("postgres", "incremental", "younium", "KILL"): ("load.job_committed=order_charges",),
}


def chosen(engine: str) -> list[Scenario]:
    """The scenarios CI runs on `engine`: a point named alone covers each of its tables."""
    return [
        s for s in scenarios() if WHOLE or {s.point, s.where} & set(IN_CI.get((engine, s.mode, s.source, s.signal), ()))
    ]


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, str], Stage]]:
    """The stage of an engine and a mode, built on first use and kept for the module's other tests."""
    built: dict[tuple[str, str], Stage] = {}
    with contextlib.ExitStack() as stack:

        def get(engine: str, mode: str) -> Stage:
            if (engine, mode) not in built:
                dsn = os.environ.get(DSN_VARIABLE)
                if engine == "postgres" and not dsn:
                    pytest.skip(f"NO POSTGRESQL: set {DSN_VARIABLE} to run this test")
                root = tmp_path_factory.mktemp(f"crash-{engine}-{mode}")
                built[(engine, mode)] = stack.enter_context(stage(engine, mode, root, dsn))
            return built[(engine, mode)]

        yield get


CASES = [
    pytest.param(engine, scenario, id=f"{engine}-{scenario}")
    for engine in ("duckdb", "postgres")
    for mode in MODES
    for scenario in chosen(engine)
    if scenario.mode == mode
]


@pytest.mark.parametrize(("engine", "scenario"), CASES)
def test_a_run_killed_at_a_named_point_then_run_again_is_exact(
    stages: Callable[[str, str], Stage], engine: str, scenario: Scenario
) -> None:
    current = stages(engine, scenario.mode)
    warehouse = current.crash_and_rerun(scenario)
    try:
        current.assert_exact(warehouse, scenario.source)
        held = {name for (name,) in query(warehouse, "SELECT table_schema || '.' || table_name FROM "
                                                     "information_schema.tables")}  # fmt: skip
        for table in SOURCES[scenario.source].tables:
            name, key = f"{scenario.source}.{table.name}", table.primary_key
            if name not in held:
                continue  # upstream has none (the sandbox's tenant sells no subscriptions): no table to check
            repeats = query(warehouse, f"SELECT COUNT(*) - COUNT(DISTINCT {key}) FROM {name}")[0][0]
            assert repeats == 0, f"{name}: {repeats} keys held twice"
    finally:
        current.drop(warehouse)


def test_the_matrix_names_every_point() -> None:
    covered = {s.point for s in scenarios()} | {"upgrade"}
    assert covered == set(POINTS)


@pytest.mark.parametrize("how", ["KILL", "TERM"])
def test_a_layout_upgrade_killed_midway_is_redone_whole_by_the_next_run(
    sandbox: SandboxServer, tmp_path: Path, how: str
) -> None:
    env = finsync_env(tmp_path, {**sandbox.ym_settings, "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05"})
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    warehouse = Warehouse("duckdb", tmp_path / "finsync.duckdb")
    before = query(warehouse, "SELECT line_item_id, line_item_date FROM ym.invoice_items ORDER BY 1")
    to_first_layout(warehouse)

    killed = run_finsync(
        ["run", "--source", "ym"], {**env, ARMED_VARIABLE: "ym:upgrade", SIGNAL_VARIABLE: how}, tmp_path
    )
    assert "crash point ym:upgrade reached" in killed.stderr
    assert column_types(warehouse, "ym.invoice_items")["line_item_date"].startswith("TIMESTAMP"), "none of it applied"
    rerun = run_finsync(["run", "--source", "ym"], env, tmp_path)
    again = run_finsync(["run", "--source", "ym"], env, tmp_path)

    assert rerun.returncode == 0 and "were upgraded" in rerun.stderr, rerun.stderr
    assert column_types(warehouse, "ym.invoice_items")["line_item_date"] == "DATE"
    assert query(warehouse, "SELECT line_item_id, line_item_date FROM ym.invoice_items ORDER BY 1") == before
    assert again.returncode == 0 and "upgraded" not in again.stderr
    assert_ym_matches_sandbox(warehouse, sandbox)
