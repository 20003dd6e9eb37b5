"""End-to-end fixtures: a sandbox on loopback, a fresh DuckDB warehouse (or PostgreSQL database) per test,
and `finsync` run as a separate process, as a user runs it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from finsync.warehouse.runner import Warehouse
from finsync_sandbox import SandboxConfig, SandboxServer


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


# Before a run reads a feature the API user may not be allowed to read (the ledger, payments), it asks each of
# the feature's endpoints for one record (`sources.younium.features`).
PERMISSION_CHECKED = frozenset(
    {
        "younium.journals",
        "younium.journal_details",
        "younium.chart_of_accounts",
        "younium.currencies",
        "younium.exchange_rates",
        "younium.payments",
    }
)


def pages_read(server: SandboxServer, route: str) -> int:
    """The requests a run made of a Younium list route, less its one-record permission check."""
    return server.sandbox.requests[route] - (route in PERMISSION_CHECKED)


def younium_settings(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    """Younium source arguments pointing at the sandbox."""
    settings: dict[str, Any] = {
        key.removeprefix("SOURCES__YOUNIUM__").lower(): value for key, value in server.younium_settings.items()
    }
    settings.update(max_attempts=4)
    settings.update(overrides)
    return settings


def query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` on either warehouse (DuckDB opened read-only)."""
    if warehouse.kind == "duckdb":
        with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()
    with warehouse.connect() as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def column_types(warehouse: Warehouse, table: str) -> dict[str, str]:
    """`schema.table`'s columns and their types, as the warehouse names them."""
    schema, name = table.split(".")
    return dict(
        query(
            warehouse,
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{schema}' AND table_name = '{name}'",
        )
    )


# What an earlier finsync wrote (layout 1): these calendar dates as the UTC instant of their midnight in the
# source's zone, empty strings where upstream sent them, and no layout recorded.
DATE_COLUMNS = {
    "ym": {"invoice_items": ("line_item_date", "date_invoice_last_sent")},
    "younium": {"invoices": ("invoice_date", "due_date"), "invoice_lines": ("service_period_start_date",)},
}
ZONES = {"ym": "America/New_York", "younium": "UTC"}


def to_first_layout(warehouse: Warehouse) -> None:
    """Turn a warehouse back into the layout an earlier finsync wrote (its next run upgrades it in place)."""
    from finsync.warehouse.database import existing_tables, query as execute
    from finsync.warehouse.views import drop_views

    drop_views(warehouse)
    with warehouse.connect() as connection:
        present = existing_tables(connection)
        for schema, tables in DATE_COLUMNS.items():
            for table, columns in tables.items():
                for column in columns if f"{schema}.{table}" in present else ():
                    execute(
                        connection,
                        f"ALTER TABLE {schema}.{table} ALTER COLUMN {column} TYPE TIMESTAMP WITH TIME ZONE "
                        f"USING CAST({column} AS TIMESTAMP) AT TIME ZONE '{ZONES[schema]}'",
                    )
        execute(connection, "UPDATE ym.invoice_items SET organization = '' WHERE organization IS NULL")
        execute(connection, "DELETE FROM finsync_meta.warehouse WHERE key LIKE 'layout.%'")


DSN_VARIABLE = "FINSYNC_TEST_POSTGRES_DSN"


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Warehouse]:
    """A fresh PostgreSQL database per test on the server named by FINSYNC_TEST_POSTGRES_DSN."""
    dsn = os.environ.get(DSN_VARIABLE)
    if not dsn:
        pytest.skip(f"NO POSTGRESQL: set {DSN_VARIABLE}=postgresql://user:password@host:port/db to run this test")
    with fresh_postgres(dsn) as warehouse:
        yield warehouse


@contextlib.contextmanager
def fresh_postgres(dsn: str) -> Iterator[Warehouse]:
    """A PostgreSQL database of its own on the server of `dsn`, dropped afterwards."""
    import psycopg2

    name = f"finsync_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        yield Warehouse("postgres", postgres_credentials=dsn.rsplit("/", 1)[0] + f"/{name}")
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(params=["duckdb", "postgres"])
def any_warehouse(request: pytest.FixtureRequest, warehouse: Warehouse) -> Warehouse:
    """The test once on a DuckDB file and once on PostgreSQL."""
    return request.getfixturevalue("postgres") if request.param == "postgres" else warehouse


FINSYNC = [sys.executable, "-m", "finsync"]


def finsync_env(tmp_path: Path, settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    return {**env, "DLT_DATA_DIR": str(tmp_path / "dlt"), **settings}


def run_finsync(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FINSYNC, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


# -- several tenants: two YM clients (north the default tenant, south a named one), one Younium tenant with
# two legal entities (named tenants se and no) ------------------------------------------------------------

ENTITIES = ("Nordic AB", "Nordic AS")  # one Younium tenant's two legal entities


@pytest.fixture
def ym_north() -> Iterator[SandboxServer]:
    config = SandboxConfig(ym_items=1200, batch_size=200, export_latency_seconds=0.05, younium_invoices=0)
    with SandboxServer(config=config) as server:
        yield server


@pytest.fixture
def ym_south() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        seed=11,
        client_id=13579,
        api_key="south-api-key",
        api_password="south-api-password",
        ym_items=900,
        batch_size=150,
        export_latency_seconds=0.05,
        younium_invoices=0,
    )
    with SandboxServer(config=config) as server:
        yield server


@pytest.fixture
def nordic() -> Iterator[SandboxServer]:
    """One Younium tenant with two legal entities, each with data of its own."""
    config = SandboxConfig(
        ym_items=0,
        younium_invoices=150,
        younium_accounts=20,
        younium_legal_entity=ENTITIES[0],
        younium_legal_entities=ENTITIES[1:],
    )
    with SandboxServer(config=config) as server:
        yield server


def tenant_env(ym_north: SandboxServer, ym_south: SandboxServer, nordic: SandboxServer) -> dict[str, str]:
    """YM: north is the default tenant (today's settings), south a named one. Younium: one API client shared
    under [sources.younium], each legal entity a named tenant (so there is no default Younium tenant)."""
    younium = {k: v for k, v in nordic.younium_settings.items() if not k.endswith("__LEGAL_ENTITY")}
    return {
        **ym_north.ym_settings,
        "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05",
        **{k.replace("SOURCES__YM__", "SOURCES__YM__TENANTS__SOUTH__"): v for k, v in ym_south.ym_settings.items()},
        **younium,
        "SOURCES__YOUNIUM__TENANTS__SE__LEGAL_ENTITY": ENTITIES[0],
        "SOURCES__YOUNIUM__TENANTS__NO__LEGAL_ENTITY": ENTITIES[1],
        "SOURCES__YOUNIUM__TENANTS__NO__START_DATE": "2000-01-01",
    }


def younium_records(server: SandboxServer, path: str, page_size: int = 100) -> list[dict[str, Any]]:
    """Page 1 of a Younium list as the sandbox serves it over HTTP (drift included), amounts exact."""
    settings = server.younium_settings
    base = settings["SOURCES__YOUNIUM__BASE_URL"]
    secret = {"clientId": settings["SOURCES__YOUNIUM__CLIENT_ID"], "secret": settings["SOURCES__YOUNIUM__SECRET"]}
    token = httpx.post(f"{base}/auth/v2/token", json=secret).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "api-version": "2.1",
        "legal-entity": settings["SOURCES__YOUNIUM__LEGAL_ENTITY"],
    }
    page = httpx.get(f"{base}{path}", params={"PageSize": page_size, "PageNumber": 1}, headers=headers)
    records: list[dict[str, Any]] = page.json(parse_float=Decimal).get("data", [])
    return records
