"""Dagster assets that sync every configured tenant (`pip install "finsync[dagster]"`).

    from finsync.orchestration.dagster import finsync_definitions
    defs = finsync_definitions()                     # in the code location's module

One asset per tenant of each system (keys `ym/default`, `younium/norway`, …, group `finsync`), each a
finsync run of that tenant; `analytics/views` depends on all of them and rebuilds the views once; the
blocking asset check `finsync_check` on it runs `finsync check`. The job `finsync` materializes the group
with at most `max_parallel` tenants at once (the multiprocess executor), on the schedule `cron`.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from finsync.sources.tenants import Target
from finsync.warehouse import DEFAULT_DUCKDB_PATH
from finsync.warehouse.database import DestinationKind

from . import Plan, refresh, sync_tenant

GROUP = "finsync"


def finsync_definitions(
    *,
    sources: tuple[str, ...] = ("ym", "younium"),
    tenants: list[str] | None = None,
    destination: DestinationKind = "postgres",
    duckdb_path: Path = DEFAULT_DUCKDB_PATH,
    cron: str = "0 * * * *",
    max_parallel: int = 4,
) -> dg.Definitions:
    """The assets, check, job and schedule over the tenants the settings name (read when the code location
    loads)."""
    plan = Plan.configured(sources, tenants, destination, duckdb_path)
    synced = [tenant_asset(plan, target) for target in plan.targets]

    @dg.asset(
        key=["analytics", "views"],
        deps=[asset.key for asset in synced],
        group_name=GROUP,
        description="The analytics views over every tenant, rebuilt once after the tenants' syncs.",
    )
    def views() -> None:
        refresh(plan)

    @dg.asset_check(asset=views, name="finsync_check", blocking=True, description="`finsync check`")
    def finsync_check() -> dg.AssetCheckResult:
        from finsync.warehouse.reconcile import reconcile

        result = reconcile(plan.warehouse, [t.label for t in plan.targets])
        problems = [f"{f.source} {f.kind} {f.batch_id}: {f.detail}".strip() for f in result.findings]
        return dg.AssetCheckResult(
            passed=result.ok,
            metadata={"problems": len(problems), "first problems": "\n".join(problems[:20]) or "none"},
        )

    job = dg.define_asset_job(
        "finsync",
        selection=dg.AssetSelection.groups(GROUP),
        config={"execution": {"config": {"multiprocess": {"max_concurrent": max_parallel}}}},
    )
    return dg.Definitions(
        assets=[*synced, views],
        asset_checks=[finsync_check],
        jobs=[job],
        schedules=[dg.ScheduleDefinition(job=job, cron_schedule=cron)],
    )


def tenant_asset(plan: Plan, target: Target) -> dg.AssetsDefinition:
    @dg.asset(
        key=[target.source, target.tenant],
        group_name=GROUP,
        description=f"finsync run --source {target.source} --tenant {target.tenant}: its dataset {target.dataset}",
    )
    def synced() -> dg.MaterializeResult[None]:
        rows = sync_tenant(plan, target.label)
        return dg.MaterializeResult(metadata={"dataset": target.dataset, "rows": sum(rows.values()), **rows})

    return synced
