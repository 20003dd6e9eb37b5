"""What an operator meets: help and version everywhere, flags that are flags, a full refresh that asks first on
a terminal (and never without one)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from finsync.cli import app
from finsync_sandbox import SandboxServer

from .conftest import finsync_env, query, run_finsync
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
