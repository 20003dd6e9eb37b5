"""finsync under Airflow and Dagster, for real: the example DAG run by `airflow dags test` on Airflow's SQLite
metadata database, and the Dagster assets materialized in process, each syncing two YM clients and two
Younium legal entities into PostgreSQL and ending with a passing `finsync check`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from finsync.warehouse.runner import Warehouse
from finsync_sandbox import SandboxServer

from .conftest import ENTITIES, finsync_env, query, tenant_env
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AIRFLOW = [sys.executable, "-m", "airflow"]


def assert_every_tenant_loaded(postgres: Warehouse, north: SandboxServer, south: SandboxServer, nordic: SandboxServer):
    assert_ym_matches_sandbox(postgres, north)
    assert_ym_matches_sandbox(postgres, south, tenant="south")
    assert_younium_matches_sandbox(postgres, nordic, "se", nordic.sandbox.younium_entity(ENTITIES[0]))
    assert_younium_matches_sandbox(postgres, nordic, "no", nordic.sandbox.younium_entity(ENTITIES[1]))
    tenants = {row[0] for row in query(postgres, "SELECT DISTINCT tenant FROM analytics.invoices")}
    assert tenants == {"default", "south", "se", "no"}


def test_the_example_airflow_dag_syncs_every_tenant_then_checks(
    tmp_path: Path, postgres: Warehouse, ym_north: SandboxServer, ym_south: SandboxServer, nordic: SandboxServer
) -> None:
    env = finsync_env(
        tmp_path,
        {
            **tenant_env(ym_north, ym_south, nordic),
            "DESTINATION__POSTGRES__CREDENTIALS": str(postgres.postgres_credentials),
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLES / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "FINSYNC_DAG_ID": "finsync_test",
        },
    )

    def airflow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*AIRFLOW, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)

    migrated = airflow("db", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    listed = airflow("tasks", "list", "finsync_test")
    assert listed.returncode == 0, listed.stderr[-3000:]
    tasks = set(listed.stdout.split())
    assert {"ym.sync", "ym_south.sync", "younium_se.sync", "younium_no.sync", "refresh_views", "check"} <= tasks

    run = airflow("dags", "test", "finsync_test")

    assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]
    states = query_task_states(tmp_path / "airflow" / "airflow.db")
    assert states and set(states.values()) == {"success"}, states
    assert states["check"] == "success"
    assert_every_tenant_loaded(postgres, ym_north, ym_south, nordic)


def query_task_states(database: Path) -> dict[str, str]:
    import sqlite3

    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'finsync_test'").fetchall()
    return dict(rows)


def test_the_dagster_assets_materialize_every_tenant_and_the_check_passes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres: Warehouse,
    ym_north: SandboxServer,
    ym_south: SandboxServer,
    nordic: SandboxServer,
) -> None:
    import dagster as dg

    from finsync.orchestration.dagster import finsync_definitions

    for key in [k for k in os.environ if k.startswith(("SOURCES__", "DESTINATION__"))]:
        monkeypatch.delenv(key)
    for key, value in tenant_env(ym_north, ym_south, nordic).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", str(postgres.postgres_credentials))
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.chdir(tmp_path)

    definitions = finsync_definitions()
    assets = definitions.assets
    names = {key.to_user_string() for asset in assets for key in asset.keys}
    assert names == {"ym/default", "ym/south", "younium/se", "younium/no", "analytics/views"}
    assert definitions.schedules and definitions.schedules[0].cron_schedule == "0 * * * *"

    checked = [*assets, *definitions.asset_checks]
    result = dg.materialize(checked, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)

    assert result.success
    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [("finsync_check", True)]
    assert_every_tenant_loaded(postgres, ym_north, ym_south, nordic)
