"""An Airflow DAG that syncs every configured tenant (`pip install "finsync[airflow]"`).

    from finsync.orchestration.airflow import finsync_dag
    dag = finsync_dag("finsync", schedule="@hourly")   # in a file of the DAGs folder

One task group per tenant of each system (`ym`, `younium_norway`, …) holding its `sync` task; the groups
do not depend on one another, so tenants run in parallel, at most `max_parallel` at once (the DAG's
`max_active_tasks`, and the Airflow pool `pool` when given). Once all have finished, failed or not,
`refresh_views` rebuilds the analytics views and `check` runs `finsync check`: the run fails when any
tenant failed or the check found a problem, and the failed task's log holds finsync's own explanation.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, TaskGroup, TriggerRule, task

from finsync.warehouse import DEFAULT_DUCKDB_PATH
from finsync.warehouse.database import DestinationKind

from . import Plan, check, refresh, sync_tenant


def finsync_dag(
    dag_id: str = "finsync",
    *,
    schedule: str | None = "@hourly",
    sources: tuple[str, ...] = ("ym", "younium"),
    tenants: list[str] | None = None,
    destination: DestinationKind = "postgres",
    duckdb_path: Path = DEFAULT_DUCKDB_PATH,
    max_parallel: int = 4,
    pool: str | None = None,
    start_date: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc),
    retries: int = 1,
    **dag_arguments: Any,
) -> DAG:
    """The DAG over the tenants the settings name (read when the DAG file is parsed)."""
    plan = Plan.configured(sources, tenants, destination, duckdb_path)
    defaults = {"retries": retries, "retry_delay": timedelta(minutes=5), **({"pool": pool} if pool else {})}
    with DAG(
        dag_id,
        schedule=schedule,
        start_date=start_date,
        catchup=False,
        max_active_runs=1,  # a tenant's runs hold its lock: two DAG runs at once would only wait on each other
        max_active_tasks=max_parallel,
        default_args=defaults,
        tags=["finsync"],
        **dag_arguments,
    ) as dag:
        synced = []
        for target in plan.targets:
            with TaskGroup(group_id=target.dataset, tooltip=f"finsync {target.label}"):
                synced.append(task(task_id="sync")(sync_tenant)(plan, target.label))
        views = task(task_id="refresh_views", trigger_rule=TriggerRule.ALL_DONE, retries=0)(refresh)(plan)
        gate = task(task_id="check", trigger_rule=TriggerRule.ALL_DONE, retries=0)(check)(plan)
        synced >> views >> gate
    return dag
