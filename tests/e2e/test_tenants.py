"""Several tenants in one warehouse: two YM clients and two Younium legal entities, configured only by
environment variables, run by `finsync` as a user runs it, into one PostgreSQL database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finsync.warehouse.runner import Warehouse
from finsync_sandbox import SandboxServer

from .conftest import ENTITIES, finsync_env, query, run_finsync, tenant_env
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_two_ym_clients_and_two_younium_legal_entities_load_into_one_warehouse_each_exactly(
    tmp_path: Path, postgres: Warehouse, ym_north: SandboxServer, ym_south: SandboxServer, nordic: SandboxServer
) -> None:
    env = finsync_env(
        tmp_path,
        {**tenant_env(ym_north, ym_south, nordic), "DESTINATION__POSTGRES__CREDENTIALS": postgres.postgres_credentials},
    )

    result = run_finsync(["--log-format", "json", "run", "--destination", "postgres"], env, tmp_path, timeout=300)

    assert result.returncode == 0, result.stderr
    summaries = [json.loads(line) for line in result.stderr.splitlines() if '"summary"' in line]
    assert sorted(s["source"] for s in summaries) == ["ym", "ym:south", "younium:no", "younium:se"]
    # Each tenant's dataset holds exactly its own upstream's data.
    assert_ym_matches_sandbox(postgres, ym_north)
    assert_ym_matches_sandbox(postgres, ym_south, tenant="south")
    assert_younium_matches_sandbox(postgres, nordic, "se", nordic.sandbox.younium_entity(ENTITIES[0]))
    assert_younium_matches_sandbox(postgres, nordic, "no", nordic.sandbox.younium_entity(ENTITIES[1]))
    se, no = (set(r[0] for r in query(postgres, f"SELECT id FROM younium_{t}.invoices")) for t in ("se", "no"))
    assert se and no and not se & no, "the legal entities' invoices must differ"

    # The views carry every tenant, each row naming its tenant, and add up to each tenant's tables.
    by_tenant = dict(
        query(postgres, "SELECT source_system || '/' || tenant, COUNT(*) FROM analytics.invoice_lines GROUP BY 1")
    )
    assert by_tenant == {
        "ym/default": query(postgres, "SELECT COUNT(*) FROM ym.invoice_items")[0][0],
        "ym/south": query(postgres, "SELECT COUNT(*) FROM ym_south.invoice_items")[0][0],
        "younium/se": query(postgres, "SELECT COUNT(*) FROM younium_se.invoice_lines WHERE deleted_at IS NULL")[0][0],
        "younium/no": query(postgres, "SELECT COUNT(*) FROM younium_no.invoice_lines WHERE deleted_at IS NULL")[0][0],
    }
    tenants = {row[0] for row in query(postgres, "SELECT DISTINCT tenant FROM analytics.trial_balance")}
    assert tenants == {"se", "no"}

    status = run_finsync(["status", "--destination", "postgres"], env, tmp_path)
    assert status.returncode == 0, status.stderr
    for label in ("ym:south", "younium:se", "younium:no"):
        assert label in status.stdout
    check = run_finsync(["check", "--destination", "postgres", "--json"], env, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert {b["source"] for b in json.loads(check.stdout)["batches"]} == {"ym", "ym:south", "younium:se", "younium:no"}

    # One tenant's wrong secret fails that tenant only: the others load, the exit code and summary name it.
    nordic.sandbox.younium.advance(3600)
    broken = {**env, "SOURCES__YM__TENANTS__SOUTH__API_KEY": "not-the-key"}
    again = run_finsync(["--log-format", "json", "run", "--destination", "postgres"], broken, tmp_path, timeout=300)

    assert again.returncode == 1, again.stderr
    lines = [json.loads(line) for line in again.stderr.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["level"] == "error"]
    assert [e["source"] for e in errors] == ["ym:south"] and "sources.ym.tenants.south" in errors[0]["message"]
    outcomes = {s["source"]: s["outcome"] for s in lines if s["event"] == "summary"}
    assert outcomes == {"ym": "loaded", "ym:south": "failed", "younium:se": "loaded", "younium:no": "loaded"}
    assert any("ym:south" in line["message"] for line in lines if line["event"] == "failed")


def test_a_named_tenant_must_name_whose_data_it_is(tmp_path: Path, ym_north: SandboxServer) -> None:
    """A tenant that sets no client id of its own would read the default tenant's client under its name."""
    env = finsync_env(tmp_path, {**ym_north.ym_settings, "SOURCES__YM__TENANTS__COPY__START_DATE": "2020-01-01"})

    result = run_finsync(["run", "--source", "ym", "--tenant", "copy", "--duckdb-path", "w.duckdb"], env, tmp_path)

    assert result.returncode == 2
    assert "sources.ym.tenants.copy.client_id" in result.stderr
    assert "SOURCES__YM__TENANTS__COPY__CLIENT_ID" in result.stderr
    unknown = run_finsync(["run", "--tenant", "nobody", "--duckdb-path", "w.duckdb"], env, tmp_path)
    assert unknown.returncode == 2
    # Once, naming the tenants (not the systems) and the TOML table to name one under.
    assert [line for line in unknown.stderr.splitlines() if line.startswith("error")] == [
        "error: Flag `--tenant` names nobody, which no selected system has a tenant called (tenants configured: "
        "ym: default, copy; younium: default). Name tenants under [sources.<system>.tenants.<name>] (or "
        "SOURCES__<SYSTEM>__TENANTS__<NAME>__...)."
    ]
