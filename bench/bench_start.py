"""Start-up benchmarks (run on demand: `python bench/bench_start.py`): how long a user waits, as a whole
process started from a shell (interpreter, imports, the work, exit), for `finsync --help` and for an
incremental `finsync run --source younium` that finds nothing new, against a sandbox in its own process
at its default size. Each is run `--runs` times after one run not counted; min and median are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import machine, sandbox_env, write_section

FINSYNC = [sys.executable, "-m", "finsync"]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds, done.stdout + done.stderr


def summary_of(output: str) -> dict[str, Any]:
    """The run's JSON summary line (`--log-format json`): its requests and rows."""
    for line in reversed(output.splitlines()):
        if line.startswith("{") and '"http"' in line:
            return json.loads(line)
    raise RuntimeError("the run printed no JSON summary")


def repeated(command: list[str], env: dict[str, str], runs: int) -> tuple[list[float], str]:
    timed(command, env)  # not counted: file caches warm, as for every run after the first
    results = [timed(command, env) for _ in range(runs)]
    return [seconds for seconds, _ in results], results[-1][1]


def bench_start(runs: int) -> str:
    with sandbox_env("") as sandbox, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **sandbox, "DLT_DATA_DIR": str(Path(tmp) / "dlt")}
        run = [*FINSYNC, "--log-format", "json", "run", "--source", "younium", "--duckdb-path", f"{tmp}/w.duckdb"]
        first, _ = timed(run, env)
        help_seconds, _ = repeated([*FINSYNC, "--help"], env, runs)
        noop_seconds, output = repeated(run, env, runs)
    noop = summary_of(output)
    requests = noop.get("http", {}).get("requests")
    read = sum(table["read"] for table in noop.get("tables", {}).values())
    lines = [
        "## Start-up: `finsync --help` and a no-op incremental run",
        "",
        f"_Machine: {machine()}._",
        "",
        "Each a whole process from a shell (interpreter, imports, the work, exit), against the sandbox at its "
        f"default size in its own process, into DuckDB; {runs} runs after one not counted. The no-op run is "
        "`finsync run --source younium` on a warehouse the first run filled, so it reads one page of each "
        "list and finds nothing new.",
        "",
        "| command | min | median |",
        "|---|---:|---:|",
        f"| `finsync --help` | {min(help_seconds):.2f} s | {statistics.median(help_seconds):.2f} s |",
        f"| `finsync run --source younium`, nothing new | {min(noop_seconds):.2f} s | "
        f"{statistics.median(noop_seconds):.2f} s |",
        "",
        f"The first run (everything) took {first:.1f} s. The no-op run sent {requests} requests and wrote {read} "
        "rows: what the overlap lists again, the lists read whole and the tenant row are written only where they "
        f"changed. The run itself (the summary's own clock) took {noop['seconds']:.1f} s of its wall time, the "
        "rest is starting Python, importing dlt, DuckDB and pyarrow, and exiting.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="counted runs of each command")
    args = parser.parse_args()
    write_section("start", bench_start(args.runs))
    print((Path(__file__).parent / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
