"""What an operator meets: help and version everywhere, flags that are flags, a full refresh that asks first on
a terminal (and never without one)."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import typer
from typer.testing import CliRunner

from finsync.cli import app
from finsync.warehouse.runner import SOURCES
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import FINSYNC, finsync_env, query, run_finsync
from .terminal import run_in_terminal

pytestmark = pytest.mark.slow


def every_command(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += every_command(sub, (*path, name))
    return found


def test_every_command_answers_dash_h_and_shows_flags_as_flags() -> None:
    root = typer.main.get_command(app)
    commands = every_command(root)
    assert ("younium", "generate-batch") in commands and ("sandbox", "serve") in commands
    for path in commands:
        shown = CliRunner().invoke(app, [*path, "-h"])
        assert shown.exit_code == 0 and "Usage: " in shown.output, path
        assert "<bool>" not in shown.output, f"a flag shown as taking a value in {' '.join(path)} -h"
    run_help = CliRunner().invoke(app, ["run", "-h"]).output
    assert "--full-refresh " in run_help and "--yes" in run_help


def test_the_readme_documents_every_option_of_every_command() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    reference = readme.split("## Command reference", 1)[1].split("\n## ", 1)[0]
    sections = dict(re.findall(r"### `([^`]+)`\n(.*?)(?=\n### |\Z)", reference, re.S))
    root = typer.main.get_command(app)
    for path in every_command(root):
        command = root
        for name in path:
            command = command.commands[name]
        if getattr(command, "commands", None) and path:
            continue  # a group: its commands have sections of their own
        title = " ".join(("finsync", *path))
        assert title in sections, f"no section for {title}"
        for param in command.params:
            names = [param.metavar or param.name.upper()] if param.param_type_name == "argument" else param.opts
            assert all(f"`{n}`" in sections[title] for n in names), f"{title}: {names} undocumented"


def test_version_prints_the_installed_version() -> None:
    shown = CliRunner().invoke(app, ["--version"])
    assert shown.exit_code == 0 and shown.output.strip() == f"finsync {version('finsync')}"


def env_for(server: SandboxServer, tmp_path: Path) -> dict[str, str]:
    return finsync_env(tmp_path, {**server.settings, "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05"})


def test_a_full_refresh_asks_on_a_terminal_and_a_no_changes_nothing(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    loads = query_loads(tmp_path)

    declined = run_in_terminal(
        ["run", "--source", "ym", "--full-refresh"], env, tmp_path, answer=lambda t: "n\n" if "Continue?" in t else None
    )

    assert declined.returncode == 1 and "drops ym.*" in declined.text and "nothing was changed" in declined.text
    assert query_loads(tmp_path) == loads

    confirmed = run_in_terminal(
        ["run", "--source", "ym", "--full-refresh"], env, tmp_path, answer=lambda t: "y\n" if "Continue?" in t else None
    )
    assert confirmed.returncode == 0, confirmed.text
    assert query_loads(tmp_path) == loads + 1


def test_a_full_refresh_never_asks_without_a_terminal_or_with_yes(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    scheduled = run_finsync(["run", "--source", "ym", "--full-refresh"], env, tmp_path)
    assert scheduled.returncode == 0 and "Continue?" not in scheduled.stderr
    told = run_in_terminal(["run", "--source", "ym", "--full-refresh", "--yes"], env, tmp_path)
    assert told.returncode == 0 and "Continue?" not in told.text
    assert query_loads(tmp_path) == 3


def query_loads(tmp_path: Path) -> int:
    from finsync.warehouse.database import Warehouse

    return query(Warehouse("duckdb", tmp_path / "finsync.duckdb"), "SELECT count(*) FROM ym._dlt_loads")[0][0]


# -- progress while a run goes, and the summary after it ------------------------------------------------------


@pytest.fixture
def slow_exports() -> Iterator[SandboxServer]:
    """A sandbox whose every YM export stays WORKING for a while, as on a busy tenant."""
    with SandboxServer(config=SandboxConfig(export_latency_seconds=3.0)) as server:
        yield server


def test_a_terminal_shows_rows_per_table_and_the_export_total_while_running_then_the_summary(
    slow_exports: SandboxServer, tmp_path: Path
) -> None:
    screen = run_in_terminal(["run"], env_for(slow_exports, tmp_path), tmp_path)

    assert screen.returncode == 0, screen.text
    exports = [(int(d), int(t)) for d, t in re.findall(r"batches read\W+(\d+)/(\d+)", screen.text)]
    assert any(done < total for done, total in exports), "the export total is shown while exports run"
    assert screen.seen_while_running(r"rows: invoice_items\W+[\d,]+"), screen.text
    assert screen.seen_while_running(r"Invoices pages\W+\d+/\d+"), screen.text
    final = screen.text[screen.text.rindex("what this run changed") :]
    for table in ("finance_batch_items", "invoice_items", "invoice_lines", "payments"):
        assert table in final


def test_without_a_terminal_a_timestamped_line_comes_at_least_every_ten_seconds(tmp_path: Path) -> None:
    with (
        SandboxServer(config=SandboxConfig(export_latency_seconds=24.0)) as server,
        (tmp_path / "stderr.log").open("w") as log,
    ):
        env = env_for(server, tmp_path)
        done = subprocess.run(
            [*FINSYNC, "run", "--source", "ym"], env=env, cwd=tmp_path, stderr=log, stdout=subprocess.PIPE
        )
    assert done.returncode == 0
    lines = (tmp_path / "stderr.log").read_text().splitlines()
    stamps = [datetime.strptime(line[:20], "%Y-%m-%dT%H:%M:%SZ") for line in lines]
    assert all(re.search(r"\bym\b", line) for line in lines), lines  # each names its source
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
    assert (stamps[-1] - stamps[0]).total_seconds() >= 20, lines
    assert max(gaps) <= 11, lines
    assert any("batches read" in line for line in lines)


def test_json_logs_are_one_object_per_line_and_hold_no_secret(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    env["SOURCES__YM__API_PASSWORD"] = "wrong-password-1234"  # YM fails: its error must be a JSON line too
    result = run_finsync(["--log-format", "json", "-v", "run"], env, tmp_path)
    assert result.returncode == 1  # Younium loaded, YM did not: a run in which some tenants failed exits 1
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert {"progress", "summary", "error", "log"} <= {r["event"] for r in records}
    assert any(r["event"] == "log" and r["message"].startswith("HTTP Request: ") for r in records), "-v: requests"
    assert all(set(r) >= {"time", "level", "event", "message"} for r in records)
    summaries = {r["source"]: r["outcome"] for r in records if r["event"] == "summary"}
    assert summaries == {"ym": "failed", "younium": "loaded"}, "every source appears in the summary"
    secrets = [env["SOURCES__YM__API_KEY"], env["SOURCES__YOUNIUM__SECRET"], "wrong-password-1234"]
    for secret in secrets:
        assert secret not in result.stderr and secret not in result.stdout


def test_a_rerun_that_changed_nothing_shows_no_new_row_or_version_in_any_table(tmp_path: Path) -> None:
    # Every table has rows: the Younium tenant sells subscriptions and usage too.
    config = SandboxConfig(
        ym_items=3000, batch_size=200, export_latency_seconds=0.05, younium_subscriptions=12, younium_usage=30
    )
    with SandboxServer(config=config) as sandbox:
        env = env_for(sandbox, tmp_path)
        assert run_finsync(["run"], env, tmp_path).returncode == 0
        again = run_finsync(["--log-format", "json", "run"], env, tmp_path)
    assert again.returncode == 0
    summaries = [json.loads(line) for line in again.stderr.splitlines() if '"summary"' in line]
    tables = {f"{s['source']}.{t}": figures for s in summaries for t, figures in s["tables"].items()}
    declared = {f"{name}.{t.name}" for name, spec in SOURCES.items() for t in spec.tables}
    versions = {f"{name}.{t.name}__versions" for name, spec in SOURCES.items() for t in spec.tables if t.history}
    assert set(tables) == declared | versions
    assert all(figures["new"] == 0 and figures["in_warehouse"] > 0 for figures in tables.values()), tables
    assert tables["ym.invoice_items"]["read"] > 0, "the overlap was read again, and merged"


def test_quiet_prints_only_errors_and_the_summary(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    quiet = run_finsync(["-q", "run"], env, tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "what this run changed" in quiet.stdout and "invoice_lines" in quiet.stdout
    env["SOURCES__YOUNIUM__SECRET"] = "wrong-secret-5678"
    failing = run_finsync(["-q", "run", "--source", "younium"], env, tmp_path)
    assert failing.returncode == 2 and failing.stderr.startswith("error (younium): ")


def test_a_reader_holding_the_reader_copy_open_never_makes_a_run_fail(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    copy = tmp_path / "reader.duckdb"
    assert run_finsync(["run", "--duckdb-reader-copy", str(copy)], env, tmp_path).returncode == 0
    before = sandbox.sandbox.dataset.items

    with duckdb.connect(str(copy), read_only=True) as dashboard:  # a BI tool keeps the copy open
        assert dashboard.execute("SELECT count(*) FROM ym.invoice_items").fetchone() == (before,)
        httpx.post(f"{sandbox.url}/_sandbox/advance", json={"ym_items": 500}).raise_for_status()

        # The setting does what the flag does.
        again = run_finsync(["run"], {**env, "WAREHOUSE__DUCKDB_READER_COPY": str(copy)}, tmp_path)

        assert again.returncode == 0, again.stderr
        assert dashboard.execute("SELECT count(*) FROM ym.invoice_items").fetchone() == (before,)
    with duckdb.connect(str(copy), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM ym.invoice_items").fetchone() == (before + 500,)
        assert fresh.execute("SELECT count(*) FROM analytics.invoice_lines").fetchone()[0] > before


def test_the_reader_copy_is_only_for_duckdb(sandbox: SandboxServer, tmp_path: Path) -> None:
    refused = run_finsync(
        ["run", "--destination", "postgres", "--duckdb-reader-copy", "r.duckdb"], env_for(sandbox, tmp_path), tmp_path
    )
    assert refused.returncode == 2 and "only DuckDB needs a reader copy" in refused.stderr
