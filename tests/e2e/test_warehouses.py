"""The warehouse side: PostgreSQL equals DuckDB, the analytics views, `check` and `status`, on both."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from finsync.cli import app
from finsync.warehouse.database import Warehouse, existing_tables, query
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxServer

from .conftest import column_types, ym_settings, younium_settings

pytestmark = pytest.mark.slow


def sync_sources(server: SandboxServer, warehouse: Warehouse) -> None:
    sync("ym", warehouse, settings=ym_settings(server))
    sync("younium", warehouse, settings=younium_settings(server))


def fingerprint(warehouse: Warehouse) -> dict[str, Any]:
    """Per table and view: row count, key set, and the exact sum of every money column."""
    result: dict[str, Any] = {}
    with warehouse.connect() as connection:
        tables = sorted(t for t in existing_tables(connection) if t.split(".")[0] in ("ym", "younium", "analytics"))
        for table in tables:
            schema, name = table.split(".")
            if name.startswith("_dlt"):
                continue
            columns = query(
                connection,
                "SELECT column_name, data_type FROM information_schema.columns "
                f"WHERE table_schema = '{schema}' AND table_name = '{name}' ORDER BY column_name",
            )
            money = [c for c, t in columns if t.lower().startswith(("decimal", "numeric"))]
            names = dict(columns)
            key = next(
                (c for c in ("line_item_id", "line_id", "invoice_id", "id", "key", "batch_id") if c in names), None
            )
            content = [c for c, _ in columns if not c.startswith("_dlt")]
            key = key or "CONCAT_WS('|', " + ", ".join(f"CAST({c} AS VARCHAR)" for c in content) + ")"
            sums = ", ".join(f"SUM({c})" for c in money) or "0"
            count, *totals = query(connection, f"SELECT COUNT(*), {sums} FROM {table}")[0]
            keys = query(connection, f"SELECT CAST({key} AS VARCHAR) FROM {table} ORDER BY 1")
            result[table] = (count, [Decimal(t or 0) for t in totals], [k[0] for k in keys])
    return result


def test_postgres_holds_exactly_what_duckdb_holds_in_every_table_and_view(
    sandbox: SandboxServer, warehouse: Warehouse, postgres: Warehouse
) -> None:
    sync_sources(sandbox, warehouse)
    sync_sources(sandbox, postgres)
    duck, pg = fingerprint(warehouse), fingerprint(postgres)
    assert set(duck) == set(pg)
    assert {"analytics.invoice_lines", "analytics.batches", "ym.invoice_items", "younium.invoice_lines"} <= set(duck)
    for table in duck:
        assert duck[table] == pg[table], f"{table} differs between DuckDB and PostgreSQL"
    types = column_types(postgres, "ym.invoice_items")
    assert types["line_total"] == "numeric" and types["line_item_date_entered"] == "timestamp with time zone"


def cli_args(warehouse: Warehouse) -> list[str]:
    if warehouse.kind == "duckdb":
        return ["--duckdb-path", str(warehouse.duckdb_path)]
    return ["--destination", "postgres"]


def run_cli(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    if warehouse.kind == "postgres":
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", warehouse.postgres_dsn())
    return CliRunner().invoke(app, [*args, *cli_args(warehouse)])


def test_check_passes_on_a_clean_sync_and_names_the_batch_when_an_item_is_deleted(
    sandbox: SandboxServer, any_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_sources(sandbox, any_warehouse)
    clean = run_cli(any_warehouse, monkeypatch, "check")
    assert clean.exit_code == 0, clean.output
    assert "Every selected source is loaded and reconciles" in clean.output
    # A batch is complete or open (a draft), never both: the two add up to the batches.
    summaries = json.loads(run_cli(any_warehouse, monkeypatch, "check", "--json").stdout)["batches"]
    assert summaries and all(s["complete"] + s["pending"] == s["batches"] for s in summaries), summaries

    victim = sandbox.sandbox.dataset.batches()[2].batch_id
    with any_warehouse.connect() as connection:
        query(
            connection,
            "DELETE FROM ym.finance_batch_items WHERE line_item_id = "
            f"(SELECT MIN(line_item_id) FROM ym.finance_batch_items WHERE batch_id = '{victim}')",
        )

    broken = run_cli(any_warehouse, monkeypatch, "check")
    assert broken.exit_code == 1
    assert "incomplete batch" in broken.output and victim in broken.output

    # A batch holding more items than it should is no "incomplete" one: the finding says how many more.
    other = sandbox.sandbox.dataset.batches()[3]
    with any_warehouse.connect() as connection:
        query(
            connection,
            "INSERT INTO ym.finance_batch_items SELECT * REPLACE (line_item_id + 1000000000 AS line_item_id) "
            f"FROM ym.finance_batch_items WHERE batch_id = '{other.batch_id}'"
            if any_warehouse.kind == "duckdb"
            else "CREATE TEMP TABLE extra AS SELECT * FROM ym.finance_batch_items "
            f"WHERE batch_id = '{other.batch_id}'; UPDATE extra SET line_item_id = line_item_id + 1000000000; "
            "INSERT INTO ym.finance_batch_items SELECT * FROM extra",
        )
    doubled = run_cli(any_warehouse, monkeypatch, "check", "--json")
    # (The copies are no invoice items either: that is a finding of its own.)
    found = [
        f
        for f in json.loads(doubled.stdout)["findings"]
        if f["batch_id"] == other.batch_id and f["kind"] != "item missing from invoice_items"
    ]
    count = other.item_count
    assert [(f["kind"], f["detail"]) for f in found] == [
        (
            "batch holds more than expected",
            f"expected {count} items, loaded {2 * count}: {count} more than the batch holds",
        )
    ]


def test_status_shows_the_last_load_cursors_and_rows(
    sandbox: SandboxServer, any_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finsync.warehouse.status import all_statuses

    sync_sources(sandbox, any_warehouse)
    statuses = {s.source: s for s in all_statuses(any_warehouse)}
    ym, younium = statuses["ym"], statuses["younium"]
    assert ym.loads == 1 and ym.last_load_at is not None and ym.pending_packages == 0
    assert {"invoice_items", "finance_batches (StartBatchID)"} <= set(ym.cursors)
    assert ym.tables["invoice_items"] == sandbox.sandbox.dataset.items
    assert {"invoices", "accounts", "invoice_batches"} <= set(younium.cursors)
    assert younium.tables["invoice_lines"] == sandbox.sandbox.younium.expected()["invoice_lines"]["rows"]

    result = run_cli(any_warehouse, monkeypatch, "status")
    assert result.exit_code == 0, result.output
    assert "finsync status" in result.output and f"{sandbox.sandbox.dataset.items:,}" in result.output

    # The command status gives for dlt's own tools finds the pipeline (with its state) where finsync keeps it.
    given = re.search(
        r"ym: working data in .*?read it: RUNTIME__DLTHUB_TELEMETRY=false (dlt pipeline --pipelines-dir \S+ "
        r"finsync_ym info)",
        result.output,
    )
    assert given is not None, result.output
    dlt_cli = str(Path(sys.executable).with_name("dlt"))
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    shown = subprocess.run([dlt_cli, *given.group(1).split()[1:]], capture_output=True, text=True, timeout=120, env=env)
    assert shown.returncode == 0 and "Found pipeline finsync_ym" in shown.stdout, shown.stdout + shown.stderr


def test_the_views_carry_every_line_and_batch_of_both_systems_with_their_money(
    sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    sync_sources(sandbox, warehouse)
    dataset = sandbox.sandbox.dataset
    younium = sandbox.sandbox.younium.expected()
    with warehouse.connect() as connection:
        lines = dict(
            (system, (rows, total, batched))
            for system, rows, total, batched in query(
                connection,
                "SELECT source_system, COUNT(*), SUM(line_total), COUNT(batch_id) "
                "FROM analytics.invoice_lines GROUP BY source_system",
            )
        )
        batches = dict(query(connection, "SELECT source_system, COUNT(*) FROM analytics.batches GROUP BY 1"))
        younium_lines = query(connection, "SELECT COUNT(*), SUM(subtotal) FROM younium.invoice_lines")[0]
    ym_money = dataset.expected_money(dataset.expected_invoice_item_ids())
    assert lines["ym"] == (dataset.items, ym_money.line_total, len(dataset.expected_batch_item_ids()))
    assert lines["younium"][:2] == younium_lines
    assert younium_lines == (younium["invoice_lines"]["rows"], Decimal(younium["invoice_lines"]["subtotal"]))
    assert batches == {"ym": len(dataset.batches()), "younium": younium["invoice_batches"]["rows"]}


def staging_rows(warehouse: Warehouse) -> dict[str, int]:
    """Rows per data table of dlt's staging schemas (`ym_staging`, `younium_staging`), where they exist (dlt's
    `_dlt_version` there records the staging tables' schema, never data)."""
    with warehouse.connect() as connection:
        staged = sorted(
            t
            for t in existing_tables(connection)
            if t.split(".")[0].endswith("_staging") and t.split(".")[1] != "_dlt_version"
        )
        return {table: query(connection, f"SELECT COUNT(*) FROM {table}")[0][0] for table in staged}


def test_no_staged_rows_are_left_after_a_load(sandbox: SandboxServer, any_warehouse: Warehouse) -> None:
    sync_sources(sandbox, any_warehouse)  # a first load: YM's items append, every other table merges
    first = staging_rows(any_warehouse)
    sync_sources(sandbox, any_warehouse)  # an incremental load re-reads its overlap: merged through staging
    second = staging_rows(any_warehouse)

    assert any(t.startswith("younium_staging.") for t in first), "the merges went through dlt's staging"
    assert any(t.startswith("ym_staging.") for t in second)
    assert {t: n for t, n in {**first, **second}.items() if n} == {}
