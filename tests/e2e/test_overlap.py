"""Runs that overlap on one DuckDB warehouse: what another run holds is left for later (exit 75), what is free
is loaded, and the message says another finsync run is in the way, not a notebook."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from finsync.warehouse.runner import Warehouse
from finsync_sandbox import SandboxServer

from .conftest import FINSYNC, finsync_env, query, run_finsync
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox

pytestmark = pytest.mark.slow


def env_for(server: SandboxServer, tmp_path: Path) -> dict[str, str]:
    return finsync_env(tmp_path, {**server.settings, "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05"})


@contextmanager
def run_held_at(point: str, env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A `finsync run --source ym` frozen (SIGSTOP) at a crash point, holding what it holds there; killed after."""
    stderr = tmp_path / "held.stderr"
    frozen = {**env, "FINSYNC_CRASH_AT": f"ym:{point}", "FINSYNC_CRASH_SIGNAL": "STOP"}
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            [*FINSYNC, "run", "--source", "ym"], env=frozen, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=sink
        )
    try:
        deadline = time.monotonic() + 60
        while f"crash point ym:{point} reached" not in stderr.read_text(errors="replace"):
            assert process.poll() is None and time.monotonic() < deadline, stderr.read_text(errors="replace")
            time.sleep(0.05)
        yield process
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_a_run_of_both_sources_while_another_run_holds_ym_loads_younium_and_exits_75(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = env_for(sandbox, tmp_path)
    with run_held_at("extract", env, tmp_path):
        result = run_finsync(["--log-format", "json", "run"], env, tmp_path)  # as examples/cron runs it

    assert result.returncode == 75, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert [r["message"] for r in records if r["event"] == "error"] == [
        "Another finsync run of ym into finsync.duckdb is in progress; nothing was done. Let it finish (or stop "
        "it) and run again: a scheduler may simply retry later."
    ]
    assert {r["source"]: r["outcome"] for r in records if r["event"] == "summary"} == {
        "ym": "busy",
        "younium": "loaded",
    }
    assert [r["message"] for r in records if r["event"] == "busy"] == [
        "busy: ym (another run or program held what it needs; run again later); the others loaded"
    ]
    assert [r["message"] for r in records if r["event"] == "summary" and r["source"] == "ym"] == [
        "ym: busy: nothing of it was loaded and no cursor moved; another run or program holds what it needs (see "
        "the error above)"
    ]
    warehouse = Warehouse("duckdb", tmp_path / "finsync.duckdb")
    assert_younium_matches_sandbox(warehouse, sandbox)
    assert query(warehouse, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ym'") == [(0,)]

    again = run_finsync(["run"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert_ym_matches_sandbox(warehouse, sandbox)


def test_a_run_that_finds_the_duckdb_file_held_by_another_finsync_run_says_so_and_exits_75(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = env_for(sandbox, tmp_path)
    with run_held_at("after_load.recorded", env, tmp_path) as holder:
        result = run_finsync(["run", "--source", "younium"], env, tmp_path)

    assert result.returncode == 75, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error"))
    assert error == (
        f"error (younium): The DuckDB file finsync.duckdb is in use by another finsync run (process {holder.pid}): "
        "DuckDB lets one program write a file at a time, and that run holds it while it loads. Nothing was done: "
        "run again once it has finished (a scheduler may simply retry later)."
    )
    again = run_finsync(["run"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    warehouse = Warehouse("duckdb", tmp_path / "finsync.duckdb")
    assert_ym_matches_sandbox(warehouse, sandbox)
    assert_younium_matches_sandbox(warehouse, sandbox)
