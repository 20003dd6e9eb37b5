"""The `finsync` command as a user runs it: separate processes, settings only from the environment."""

from __future__ import annotations

import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from finsync.warehouse.runner import Warehouse
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import FINSYNC, finsync_env, query, run_finsync

pytestmark = pytest.mark.slow


def test_sandbox_serve_and_run_configured_only_by_environment_variables(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    serve = subprocess.Popen(
        [
            *FINSYNC,
            "sandbox",
            "serve",
            "--port",
            "0",
            "--env-file",
            str(env_file),
            "--scale",
            "ym_items=2000,batch_size=100",
        ],
        env=finsync_env(tmp_path, {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not env_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert env_file.exists(), "sandbox serve did not write its settings"
        # As `docker --env-file` reads it: everything after the first `=`, literally.
        settings = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if line.strip())
        # As a shell reads it: `set -a; . FILE`.
        sourced = subprocess.run(
            ["bash", "-c", f"set -a; . {env_file}; env -0"], capture_output=True, text=True, env={}, check=True
        ).stdout
        shell = dict(item.split("=", 1) for item in sourced.split("\0") if item.startswith("SOURCES__"))
        assert shell == settings and len(settings) >= 8
        ym_only = {k: v for k, v in settings.items() if k.startswith("SOURCES__YM__")}
        assert set(ym_only) >= {"SOURCES__YM__BASE_URL", "SOURCES__YM__CLIENT_ID", "SOURCES__YM__API_KEY"}

        result = run_finsync(
            ["run", "--source", "ym", "--duckdb-path", "w.duckdb"], finsync_env(tmp_path, ym_only), tmp_path
        )

        assert result.returncode == 0, result.stderr
        assert "invoice_items" in result.stdout
        base = ym_only["SOURCES__YM__BASE_URL"].rsplit("/ym", 1)[0]
        expected = httpx.get(f"{base}/_sandbox/expected").json()["ym"]
        warehouse = Warehouse("duckdb", tmp_path / "w.duckdb")
        for table in ("invoice_items", "finance_batch_items"):
            rows, total = query(warehouse, f"SELECT count(*), sum(line_total) FROM ym.{table}")[0]
            assert (rows, total) == (expected[table]["rows"], Decimal(expected[table]["line_total"]))
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=15)


@pytest.fixture
def sandbox() -> SandboxServer:
    with SandboxServer(config=SandboxConfig(ym_items=3000, batch_size=200, export_latency_seconds=0.05)) as server:
        yield server


def test_sandbox_serve_refuses_an_env_file_it_cannot_write_before_serving(tmp_path: Path) -> None:
    served = subprocess.run(
        [*FINSYNC, "sandbox", "serve", "--env-file", str(tmp_path / "missing" / "sandbox.env")],
        env=finsync_env(tmp_path, {}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 2 and "--env-file" in served.stderr and "cannot be written" in served.stderr
    assert "listening" not in served.stdout


def test_wrong_credentials_exit_2_naming_the_settings_without_revealing_them(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    settings = {**sandbox.ym_settings, "SOURCES__YM__API_PASSWORD": "wrong-password-123"}
    result = run_finsync(["run", "--source", "ym"], finsync_env(tmp_path, settings), tmp_path)
    assert result.returncode == 2
    assert "SOURCES__YM__API_PASSWORD" in result.stderr and "Traceback" not in result.stderr
    assert "wrong-password-123" not in result.stderr + result.stdout


def test_a_bad_setting_exits_2_naming_it(sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = {**sandbox.ym_settings, "SOURCES__YM__BATCH_ITEMS_MODE": "fax"}
    result = run_finsync(["run", "--source", "ym"], finsync_env(tmp_path, settings), tmp_path)
    assert result.returncode == 2 and "SOURCES__YM__BATCH_ITEMS_MODE" in result.stderr


def test_an_upstream_that_keeps_failing_exits_1_and_says_a_rerun_is_safe(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.sandbox.faults.add(kind="status", route="ym.invoice_items", status=503, times=100)
    settings = {**sandbox.ym_settings, "SOURCES__YM__MAX_ATTEMPTS": "2", "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05"}
    result = run_finsync(["run", "--source", "ym"], finsync_env(tmp_path, settings), tmp_path)
    assert result.returncode == 1
    assert "HTTP 503" in result.stderr and "rerun" in result.stderr and "Traceback" not in result.stderr


def test_a_sync_killed_midway_then_rerun_ends_with_exactly_the_expected_data(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    settings = {
        **sandbox.ym_settings,
        "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05",
        "SOURCES__YM__INVOICE_ITEMS_PAGE_SIZE": "200",
    }
    env = finsync_env(tmp_path, settings)
    sandbox.sandbox.faults.add(kind="slow", route="ym.invoice_items", delay=0.3, times=100, after=3)
    process = subprocess.Popen(
        [*FINSYNC, "run", "--source", "ym"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while sandbox.sandbox.requests["ym.invoice_items"] < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    sandbox.sandbox.faults.clear()
    # What a run killed while exporting leaves behind (its spool directory is removed only on a clean exit).
    working_dir = next((tmp_path / "dlt").rglob("finsync_ym"))
    spools = [working_dir / "spool" / "exports-killed" / "batch-1001.arrow"]
    spools[0].parent.mkdir(parents=True, exist_ok=True)
    spools[0].write_bytes(b"left over")

    result = run_finsync(["run", "--source", "ym"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    assert not any(path.exists() for path in spools), "the next run clears what a killed run spooled"
    dataset = sandbox.sandbox.dataset
    warehouse = Warehouse("duckdb", tmp_path / "finsync.duckdb")
    for table, ids in (
        ("invoice_items", dataset.expected_invoice_item_ids()),
        ("finance_batch_items", dataset.expected_batch_item_ids()),
    ):
        rows = query(warehouse, f"SELECT count(*), count(DISTINCT line_item_id), sum(line_total) FROM ym.{table}")[0]
        assert rows == (len(ids), len(ids), dataset.expected_money(ids).line_total)


def test_a_setting_of_the_wrong_type_exits_2_naming_it(sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = {**sandbox.ym_settings, "SOURCES__YM__EXPORT_CONCURRENCY": "lots"}
    result = run_finsync(["run", "--source", "ym"], finsync_env(tmp_path, settings), tmp_path)
    assert result.returncode == 2
    assert "SOURCES__YM__EXPORT_CONCURRENCY) is 'lots', which is not a whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_base_url_where_nothing_listens_exits_2_at_once_naming_the_url_and_the_setting(tmp_path: Path) -> None:
    settings = {
        "SOURCES__YM__BASE_URL": "http://127.0.0.1:9/ym",  # port 9 (discard): nothing listens, refused
        "SOURCES__YM__CLIENT_ID": "4321",
        "SOURCES__YM__API_KEY": "api-key-1234",
        "SOURCES__YM__API_PASSWORD": "api-password-5678",
    }
    started = time.monotonic()
    result = run_finsync(["run", "--source", "ym"], finsync_env(tmp_path, settings), tmp_path)
    seconds = time.monotonic() - started

    assert result.returncode == 2, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error"))
    assert error == (
        "error (ym): YM cannot be reached at http://127.0.0.1:9/ym: the connection was refused (nothing listens at "
        "that host and port) on the first request (POST /Ams/Authenticate). Check the setting `sources.ym.base_url` "
        "(env SOURCES__YM__BASE_URL): the scheme, host, port and path of the YM API. Not retried: if the address is "
        "right, the service is not accepting connections; run again later."
    )
    assert "retrying" not in result.stderr and "attempt" not in result.stderr
    assert seconds < 10, f"took {seconds:.1f} s"
