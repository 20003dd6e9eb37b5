"""What exactly-once costs (run on demand: `python bench/bench_replay.py [--postgres-dsn ...]`).

1. A first load: `finsync run --source ym` of 100k YM items into an empty warehouse, as a whole process,
   before the replay fix (`--before`, a commit of this repository, run from a temporary worktree) and after
   (this checkout), in interleaved rounds, on DuckDB and on PostgreSQL.
2. The gate: `finsync check --source ym` on a warehouse of 1M YM items, as a whole process, and its
   duplicate-key rule alone (every table's key and every history table's version counted once).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from harness import machine, postgres_database, sandbox_env, write_section

from finsync.sources.tenants import Target
from finsync.warehouse.database import Warehouse, existing_tables
from finsync.warehouse.reconcile import repeated_keys

FINSYNC = [sys.executable, "-m", "finsync"]
REPOSITORY = Path(__file__).resolve().parent.parent
BEFORE = "1bd3248"  # the last commit before a replayed load was made exact


@contextlib.contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """This repository at `commit`, checked out in a temporary directory."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "finsync"
        subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", str(path), commit], check=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "remove", "--force", str(path)], check=False)


def first_load(env: dict[str, str], code: Path | None, destination: str, dsn: str | None) -> float:
    """Seconds of one first load into an empty warehouse, by the code at `code` (None: this checkout)."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        run_env = {**env, "DLT_DATA_DIR": f"{tmp}/dlt"}
        if code is not None:
            run_env["PYTHONPATH"] = str(code)
        args = [*FINSYNC, "run", "--source", "ym", "--destination", destination, "--duckdb-path", f"{tmp}/w.duckdb"]
        if destination == "postgres":
            run_env["DESTINATION__POSTGRES__CREDENTIALS"] = stack.enter_context(postgres_database(str(dsn)))
        started = time.perf_counter()
        done = subprocess.run(args, env=run_env, cwd=tmp, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"the first load exited {done.returncode}: {done.stderr[-2000:]}")
        return seconds


def first_load_cost(before: str, rounds: int, dsn: str | None) -> list[str]:
    destinations = ["duckdb", *(["postgres"] if dsn else [])]
    times: dict[tuple[str, str], list[float]] = {}
    with worktree(before) as old, sandbox_env("ym_items=100000,batch_size=1000", "--export-latency", "0.2") as env:
        env = {**os.environ, **env, "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.1"}
        for destination in destinations:
            first_load(env, None, destination, dsn)  # not counted: file caches warm
            for _ in range(rounds):
                for label, code in (("before", old), ("after", None)):
                    times.setdefault((destination, label), []).append(first_load(env, code, destination, dsn))
    lines = [
        "| warehouse | before (min) | before (median) | after (min) | after (median) | after / before (medians) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for destination in destinations:
        was, now = times[(destination, "before")], times[(destination, "after")]
        lines.append(
            f"| {destination} | {min(was):.2f} s | {statistics.median(was):.2f} s | {min(now):.2f} s | "
            f"{statistics.median(now):.2f} s | {statistics.median(now) / statistics.median(was):.2f}x |"
        )
    return lines


def check_cost(rounds: int) -> list[str]:
    with (
        sandbox_env("ym_items=1000000,batch_size=20000", "--export-latency", "0.2") as env,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = {**os.environ, **env, "DLT_DATA_DIR": f"{tmp}/dlt", "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.1"}
        path = f"{tmp}/w.duckdb"
        loaded = subprocess.run(
            [*FINSYNC, "run", "--source", "ym", "--duckdb-path", path], env=env, capture_output=True, text=True
        )
        if loaded.returncode != 0:
            raise RuntimeError(loaded.stderr[-2000:])
        whole, rule = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            subprocess.run(
                [*FINSYNC, "check", "--source", "ym", "--duckdb-path", path], env=env, capture_output=True, check=True
            )
            whole.append(time.perf_counter() - started)
            warehouse = Warehouse("duckdb", Path(path))
            with warehouse.connect(read_only=True) as connection:
                started = time.perf_counter()
                found = repeated_keys(connection, existing_tables(connection), Target("ym"))
                rule.append(time.perf_counter() - started)
            assert not found, found
    return [
        "| `finsync check --source ym`, 1M items (DuckDB) | min | median |",
        "|---|---:|---:|",
        f"| the whole command | {min(whole):.2f} s | {statistics.median(whole):.2f} s |",
        f"| its duplicate-key rule alone | {min(rule):.3f} s | {statistics.median(rule):.3f} s |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE, help="the commit to measure the first load of, before the fix")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres-dsn", default=os.environ.get("FINSYNC_TEST_POSTGRES_DSN"))
    options = parser.parse_args()
    cost = first_load_cost(options.before, options.rounds, options.postgres_dsn)
    gate = check_cost(options.rounds)
    text = "\n".join(
        [
            "## Exactly once: what replay safety and the duplicate-key gate cost",
            "",
            f"_Machine: {machine()}._",
            "",
            "A first load of 100k YM items (`finsync run --source ym` into an empty warehouse, a whole process, "
            f"the sandbox in its own process), {options.rounds} interleaved rounds after one not counted: before "
            f"the fix ({options.before}: an empty table is appended to, and a replayed append job writes its rows "
            "again) and after it (the same append, then the step after the load looks for keys a load holds twice "
            "in the tables it wrote, and removes repeats; the after-load steps commit in one transaction).",
            "",
            *cost,
            "",
            *gate,
        ]
    )
    print(text)
    write_section("replay", text)


if __name__ == "__main__":
    main()
