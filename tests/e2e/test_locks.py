"""A PostgreSQL run never waits silently behind a reader, and never makes dashboards wait behind it."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from finsync.warehouse.runner import Warehouse
from finsync_sandbox import SandboxServer

from .conftest import FINSYNC, finsync_env, run_finsync
from .expect import assert_ym_matches_sandbox

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

LOCK_TIMEOUT = 1.0


def env_for(sandbox: SandboxServer, postgres: Warehouse, tmp_path: Path, wait: float) -> dict[str, str]:
    return finsync_env(
        tmp_path,
        {
            **sandbox.ym_settings,
            "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05",
            "DESTINATION__POSTGRES__CREDENTIALS": str(postgres.postgres_credentials),
            "WAREHOUSE__LOCK_TIMEOUT_SECONDS": str(LOCK_TIMEOUT),
            "WAREHOUSE__LOCK_WAIT_SECONDS": str(wait),
        },
    )


class Stderr:
    """A process's stderr, read as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.text += line

    def wait_for(self, needle: str, seconds: float) -> float:
        started = time.monotonic()
        while needle not in self.text:
            assert time.monotonic() - started < seconds, f"never said {needle!r}: {self.text[-1500:]}"
            time.sleep(0.05)
        return time.monotonic() - started


def reader_in_a_transaction(postgres: Warehouse) -> tuple[psycopg2.extensions.connection, int]:
    """A dashboard that read a view and left its transaction open."""
    connection = psycopg2.connect(str(postgres.postgres_credentials), application_name="dashboard")
    cursor = connection.cursor()
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]
    cursor.execute("SELECT COUNT(*) FROM analytics.invoice_lines")
    return connection, pid


def seconds_of_a_new_dashboard_query(postgres: Warehouse) -> float:
    with psycopg2.connect(str(postgres.postgres_credentials)) as connection, connection.cursor() as cursor:
        started = time.monotonic()
        cursor.execute("SELECT COUNT(*) FROM analytics.invoice_lines")
        cursor.fetchone()
        return time.monotonic() - started


def start_full_refresh(env: dict[str, str], tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*FINSYNC, "run", "--source", "ym", "--destination", "postgres", "--full-refresh", "--yes"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_run_behind_an_open_transaction_names_it_lets_dashboards_through_and_loads_once_it_ends(
    sandbox: SandboxServer, postgres: Warehouse, tmp_path: Path
) -> None:
    env = env_for(sandbox, postgres, tmp_path, wait=120)
    assert run_finsync(["run", "--source", "ym", "--destination", "postgres"], env, tmp_path).returncode == 0
    reader, pid = reader_in_a_transaction(postgres)

    process = start_full_refresh(env, tmp_path)
    stderr = Stderr(process)
    named_after = stderr.wait_for(f"PID {pid} (user", seconds=15)
    assert "application dashboard" in stderr.text and "waits for a lock" in stderr.text
    waits = [seconds_of_a_new_dashboard_query(postgres) for _ in range(4)]
    reader.rollback()  # the dashboard lets go
    process.wait(timeout=120)
    reader.close()

    assert named_after < 10, "the blocking session is named within seconds"
    assert max(waits) < LOCK_TIMEOUT + 1.0, f"a dashboard query waited {max(waits):.1f} s behind the run"
    assert process.returncode == 0, stderr.text[-2000:]
    assert_ym_matches_sandbox(postgres, sandbox)


def test_a_run_that_waits_too_long_for_a_lock_exits_75_naming_the_session_and_the_setting(
    sandbox: SandboxServer, postgres: Warehouse, tmp_path: Path
) -> None:
    env = env_for(sandbox, postgres, tmp_path, wait=5)
    assert run_finsync(["run", "--source", "ym", "--destination", "postgres"], env, tmp_path).returncode == 0
    reader, pid = reader_in_a_transaction(postgres)
    try:
        result = run_finsync(
            ["run", "--source", "ym", "--destination", "postgres", "--full-refresh", "--yes"], env, tmp_path
        )
    finally:
        reader.close()

    assert result.returncode == 75, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error"))
    assert f"PID {pid} (user" in error and "application dashboard" in error
    assert "warehouse.lock_wait_seconds" in error and "Nothing of that step was applied" in error
    rerun = run_finsync(["run", "--source", "ym", "--destination", "postgres"], env, tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert_ym_matches_sandbox(postgres, sandbox)
