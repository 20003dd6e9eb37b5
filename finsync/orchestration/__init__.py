"""finsync under an orchestrator: one task per tenant of each system, the analytics views rebuilt once
after all of them, and `finsync check` as the gate at the end (`airflow`, `dagster`).

Each tenant's task runs finsync's own runner, as `finsync run --source S --tenant T` does (the lock, the
pending loads, the steps after each load, the readable errors), not a bare dlt pipeline: that is why
dlt's Airflow helper and the dagster-dlt integration, which run `pipeline.run` on a source, do not fit.
Tenants' tasks touch only their own datasets and locks, so they run in parallel on PostgreSQL (on DuckDB,
one file takes one writer: run them one at a time). Settings come from the worker's environment or
`.dlt/` files, as for the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from finsync.errors import SyncError
from finsync.sources.tenants import Target
from finsync.warehouse import DEFAULT_DUCKDB_PATH
from finsync.warehouse.database import DestinationKind, Warehouse


@dataclass(frozen=True)
class Plan:
    """What an orchestrated run covers: which tenants, into which warehouse."""

    targets: tuple[Target, ...]
    destination: DestinationKind = "postgres"
    duckdb_path: Path = DEFAULT_DUCKDB_PATH

    @classmethod
    def configured(
        cls,
        sources: tuple[str, ...] = ("ym", "younium"),
        tenants: list[str] | None = None,
        destination: DestinationKind = "postgres",
        duckdb_path: Path = DEFAULT_DUCKDB_PATH,
    ) -> Plan:
        """Every tenant the settings name (or those in `tenants`) of `sources`."""
        from finsync.warehouse.targets import configured_targets

        return cls(tuple(configured_targets(list(sources), tenants)), destination, Path(duckdb_path))

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.destination, self.duckdb_path)


def sync_tenant(plan: Plan, label: str) -> dict[str, int]:
    """Load one tenant (views untouched: `refresh` rebuilds them once); return its rows per table."""
    from finsync.warehouse.runner import sync

    target = Target.parse(label)
    report = sync(target.source, plan.warehouse, tenant=target.tenant, views=False)
    return report.table_rows


def refresh(plan: Plan) -> None:
    """Rebuild the analytics views over every tenant the warehouse holds."""
    from finsync.warehouse.views import refresh_views

    refresh_views(plan.warehouse)


def check(plan: Plan) -> dict[str, object]:
    """`finsync check` over the plan's tenants: raise a `SyncError` listing what does not add up."""
    from finsync.warehouse.reconcile import reconcile

    result = reconcile(plan.warehouse, [t.label for t in plan.targets])
    if not result.ok:
        listed = "; ".join(f"{f.source} {f.kind} {f.batch_id}: {f.detail}".strip() for f in result.findings[:10])
        raise SyncError(f"finsync check found {len(result.findings)} problem(s): {listed}")
    return result.as_dict()
