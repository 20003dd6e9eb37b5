"""The scheduling recipes in examples/ work as written: the cron script and the GitHub Actions workflow's
commands run against the sandbox, and every line they log is a JSON object."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
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


def installed_as_the_crontab_says(sandbox: SandboxServer, tmp_path: Path) -> tuple[dict[str, str], str, Path, Path]:
    """The crontab's environment and job line, with its /srv/finsync (holding the script, the settings file
    and the virtualenv finsync is installed in) and its log moved under `tmp_path`; and the two paths."""
    lines = [line for line in (EXAMPLES / "cron" / "crontab").read_text().splitlines() if not line.startswith("#")]
    *assignments, job = [line for line in lines if line.strip()]
    home, log = tmp_path / "srv" / "finsync", tmp_path / "finsync.log"
    home.mkdir(parents=True)
    (home / ".venv").symlink_to(Path(sys.prefix))
    shutil.copy(EXAMPLES / "cron" / "finsync-hourly.sh", home)
    settings = {**sandbox.settings, "DLT_DATA_DIR": str(tmp_path / "dlt")}
    (home / "finsync.env").write_text("".join(f"{key}={shlex.quote(value)}\n" for key, value in settings.items()))

    def moved(text: str) -> str:
        return text.replace("/srv/finsync", str(home)).replace("/var/log/finsync.log", str(log))

    # cron's own environment: HOME, LOGNAME, SHELL and PATH=/usr/bin:/bin, then the crontab's assignments.
    env = {"HOME": str(tmp_path), "LOGNAME": "finsync", "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin"}
    env.update(dict(moved(line).split("=", 1) for line in assignments))
    *schedule, command = job.split(" ", 5)
    assert len(schedule) == 5 and all(re.fullmatch(r"[\d*/,-]+", field) for field in schedule)
    return env, moved(command), home, log


def test_the_crontab_line_runs_the_hourly_script_under_crons_path_and_logs_json_lines(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env, command, home, log = installed_as_the_crontab_says(sandbox, tmp_path)

    ran = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=300)

    assert ran.returncode == 0, log.read_text()
    lines = json_lines(log.read_text())  # every line of the log is one JSON object
    events = [line.get("event") for line in lines]
    assert events.count("summary") == 2 and "progress" in events
    assert lines[-1]["ok"] is True, "the last line is the check's result: it passed"
    assert (home / "finsync.duckdb").exists()


def test_without_finsync_on_the_path_the_script_says_so_in_a_json_line_and_exits_2(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env, command, _, log = installed_as_the_crontab_says(sandbox, tmp_path)
    env["PATH"] = "/usr/bin:/bin"  # the crontab's PATH line left out

    ran = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=60)

    assert ran.returncode == 2
    [line] = json_lines(log.read_text())
    assert "no finsync command on PATH" in line["message"] and "FINSYNC" in line["message"]


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
