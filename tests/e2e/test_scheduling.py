"""The scheduling recipes in examples/ work as written: the cron script and the GitHub Actions workflow's
commands run against the sandbox, and every line they log is a JSON object."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from finsync.warehouse.database import Warehouse
from finsync_sandbox import SandboxServer

from .conftest import finsync_env

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).parents[2] / "examples"
BIN = Path(sys.executable).parent
README = (Path(__file__).parents[2] / "README.md").read_text()


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_the_crontab_line_runs_the_hourly_script_which_syncs_and_checks(sandbox: SandboxServer, tmp_path: Path) -> None:
    *schedule, command = (EXAMPLES / "cron" / "crontab").read_text().strip().splitlines()[-1].split(" ", 5)
    assert len(schedule) == 5 and all(re.fullmatch(r"[\d*/,-]+", field) for field in schedule)
    assert "./finsync-hourly.sh" in command and "FINSYNC_ENV_FILE=" in command
    env_file = tmp_path / "finsync.env"
    env_file.write_text("".join(f"{key}={shlex.quote(value)}\n" for key, value in sandbox.settings.items()))
    env = {**finsync_env(tmp_path, {}), "FINSYNC_ENV_FILE": str(env_file), "FINSYNC": str(BIN / "finsync")}

    ran = subprocess.run(
        [str(EXAMPLES / "cron" / "finsync-hourly.sh"), "--duckdb-path", "finsync.duckdb"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert ran.returncode == 0, ran.stderr
    events = [line["event"] for line in json_lines(ran.stderr)]
    assert events.count("summary") == 2 and "progress" in events
    assert json.loads(ran.stdout)["ok"] is True, "the check passed"


def test_the_github_workflow_is_scheduled_and_its_commands_sync_and_check(
    sandbox: SandboxServer, postgres: Warehouse, tmp_path: Path
) -> None:
    workflow = yaml.safe_load((EXAMPLES / "github-actions" / "finsync.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"].count(" ") == 4
    job = workflow["jobs"]["sync"]
    for name in job["env"]:
        assert name in README, f"{name} is not a documented setting"
    commands = [step["run"] for step in job["steps"] if str(step.get("run", "")).startswith("finsync")]
    assert len(commands) == 2
    env = finsync_env(
        tmp_path, {**sandbox.settings, "DESTINATION__POSTGRES__CREDENTIALS": str(postgres.postgres_credentials)}
    )
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for command in commands:
        ran = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert ran.returncode == 0, f"{command}: {ran.stderr}"
        json_lines(ran.stderr)
