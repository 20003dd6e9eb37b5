"""`finsync check` fails on any key held twice, in any table, naming the table."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.history import versioned
from finsync.warehouse.reconcile import reconcile
from finsync.warehouse.registry import SOURCES
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import ym_settings, younium_settings

pytestmark = pytest.mark.slow

LABELS = list(SOURCES)
TABLES = [f"{spec.name}.{table.name}" for spec in SOURCES.values() for table in spec.tables] + [
    item.versions for spec in SOURCES.values() for item in versioned(spec.name, spec.tables)
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Both systems loaded once; every table and history table holds rows."""
    config = SandboxConfig(
        ym_items=600,
        batch_size=100,
        export_latency_seconds=0.05,
        younium_invoices=80,
        younium_subscriptions=8,
        younium_usage=20,
    )
    warehouse = Warehouse("duckdb", tmp_path_factory.mktemp("keys") / "clean.duckdb")
    with SandboxServer(config=config) as server:
        sync("ym", warehouse, settings=ym_settings(server))
        sync("younium", warehouse, settings=younium_settings(server))
    yield warehouse


def test_a_clean_warehouse_holds_every_key_once_and_passes(clean: Warehouse) -> None:
    result = reconcile(clean, LABELS)
    assert result.ok, result.findings


@pytest.mark.parametrize("table", TABLES)
def test_one_row_written_twice_fails_the_check_naming_its_table(clean: Warehouse, table: str, tmp_path: Path) -> None:
    copy = Warehouse("duckdb", tmp_path / "copy.duckdb")
    shutil.copyfile(clean.duckdb_path, copy.duckdb_path)
    with copy.connect() as connection:
        assert query(connection, f"SELECT COUNT(*) FROM {table}")[0][0], f"{table} is empty in the sandbox's data"
        query(connection, f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1")

    findings = [f for f in reconcile(copy, LABELS).findings if f.kind == "duplicated key"]

    assert len(findings) == 1, findings
    assert findings[0].detail.startswith(f"{table} holds 1 row whose")
    assert "--full-refresh" in findings[0].detail
