"""End-to-end fixtures: a sandbox on loopback and a fresh DuckDB warehouse per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from finsync.pipelines.runner import Warehouse
from finsync.sandbox import SandboxConfig, SandboxServer


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(config=SandboxConfig(ym_items=3000, batch_size=200, export_latency_seconds=0.05)) as server:
        yield server


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse("duckdb", tmp_path / "warehouse.duckdb")


def ym_settings(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    """Source arguments pointing at the sandbox, tuned so tests do not wait on polling or backoff."""
    settings: dict[str, Any] = {
        key.removeprefix("SOURCES__YM__").lower(): value for key, value in server.ym_settings.items()
    }
    settings.update(export_poll_interval=0.02, overlap_hours=1.0, max_attempts=3, invoice_items_page_size=500)
    settings.update(overrides)
    return settings


@pytest.fixture
def younium_sandbox() -> Iterator[SandboxServer]:
    """A sandbox sized for Younium tests: a few hundred invoices, jobs that finish in a blink."""
    config = SandboxConfig(ym_items=100, younium_invoices=400, younium_accounts=30, younium_job_seconds=0.05)
    with SandboxServer(config=config) as server:
        yield server


def younium_settings(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    """Younium source arguments pointing at the sandbox."""
    settings: dict[str, Any] = {
        key.removeprefix("SOURCES__YOUNIUM__").lower(): value for key, value in server.younium_settings.items()
    }
    settings.update(max_attempts=4)
    settings.update(overrides)
    return settings


def query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()
