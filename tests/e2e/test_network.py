"""A run talks to its upstreams and its warehouse and to nothing else: no telemetry, no lookups of other
hosts. Every connection and name lookup the finsync process makes is recorded by an audit hook."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from finsync.warehouse.database import Warehouse
from finsync_sandbox import SandboxServer

from .conftest import finsync_env, run_finsync

pytestmark = pytest.mark.slow

# Loaded by the finsync process at start (it is on its PYTHONPATH): records where each socket connects.
RECORDER = """
import json, os, sys

_log = os.environ["FINSYNC_TEST_NETWORK_LOG"]

def _record(event, args):
    if event == "socket.connect":
        address = args[1]
        entry = {"connect": list(address) if isinstance(address, tuple) else str(address)}
    elif event == "socket.getaddrinfo":
        entry = {"lookup": str(args[0])}
    else:
        return
    with open(_log, "a") as out:
        out.write(json.dumps(entry) + "\\n")

sys.addaudithook(_record)
"""

LOCAL = {"127.0.0.1", "::1", "localhost"}


def recorded(tmp_path: Path) -> list[dict[str, object]]:
    log = tmp_path / "network.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_a_run_connects_only_to_the_upstreams_and_the_warehouse(
    sandbox: SandboxServer, postgres: Warehouse, tmp_path: Path
) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(RECORDER)
    env = finsync_env(
        tmp_path,
        {
            **sandbox.settings,
            "DESTINATION__POSTGRES__CREDENTIALS": str(postgres.postgres_credentials),
            "FINSYNC_TEST_NETWORK_LOG": str(tmp_path / "network.log"),
        },
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hooks), env.get("PYTHONPATH", "")]))
    env.pop("RUNTIME__DLTHUB_TELEMETRY", None)  # finsync's own default must keep telemetry off

    result = run_finsync(["run", "--destination", "postgres"], env, tmp_path, timeout=300)

    assert result.returncode == 0, result.stderr
    seen = recorded(tmp_path)
    connections = [entry["connect"] for entry in seen if "connect" in entry]
    assert connections, "the recorder saw the run's connections"
    hosts = {c[0] if isinstance(c, list) else c for c in connections}
    lookups = {str(entry["lookup"]) for entry in seen if "lookup" in entry}
    sandbox_port, postgres_port = sandbox.port, 5432
    ports = {c[1] for c in connections if isinstance(c, list)}
    assert hosts <= LOCAL | {h for h in hosts if h.startswith("/")}, f"connected elsewhere: {hosts}"
    assert lookups <= LOCAL, f"looked up other hosts: {lookups}"
    assert ports <= {sandbox_port, postgres_port}, ports
