"""Shared benchmark plumbing: a sandbox in its own process, measurements in fresh child processes, results
written to bench/RESULTS.md (one section per benchmark) and a plot per benchmark."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty
from typing import Any

import dlt
from dlt.extract import DltSource

from finsync.warehouse.runner import (
    SOURCES,
    Warehouse,
    append_where_empty,
    extract_and_load,
    make_pipeline,
    settings_from_env,
)

BENCH_DIR = Path(__file__).parent
RESULTS = BENCH_DIR / "RESULTS.md"


@contextlib.contextmanager
def sandbox_process(scale: str, *extra: str) -> Iterator[dict[str, dict[str, Any]]]:
    """`finsync sandbox serve` in its own process (so it does not share a GIL with the measured sync): the
    settings of its systems."""
    with sandbox_env(scale, *extra) as env:
        yield settings_from_env(env)


@contextlib.contextmanager
def sandbox_env(scale: str, *extra: str) -> Iterator[dict[str, str]]:
    """The same sandbox, as the environment variables that point finsync at it."""
    with tempfile.TemporaryDirectory() as tmp:
        env_file = Path(tmp) / "sandbox.env"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "finsync",
                "sandbox",
                "serve",
                "--port",
                "0",
                "--scale",
                scale,
                "--env-file",
                str(env_file),
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not env_file.exists():
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the sandbox did not start")
                time.sleep(0.1)
            yield dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


@contextlib.contextmanager
def younium_sandbox(invoices: int) -> Iterator[tuple[dict[str, Any], Any, Path]]:
    """A sandbox process with `invoices` Younium invoices of 5 lines: (Younium settings, a client for its
    control API, a scratch directory)."""
    import httpx

    scale = f"ym_items=10,younium_invoices={invoices},lines_per_invoice=5,younium_accounts=500"
    with sandbox_process(scale) as settings, tempfile.TemporaryDirectory() as tmp:
        younium = settings["younium"]
        control_url = younium["base_url"].rsplit("/younium", 1)[0] + "/_sandbox"
        with httpx.Client(base_url=control_url, timeout=600) as control:
            yield younium, control, Path(tmp)


def _measure_child(
    queue: Any, source: str, settings: dict[str, Any], resources: list[str], data_factory: Any, postgres: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DLT_DATA_DIR"] = tmp
        warehouse = (
            Warehouse("postgres", postgres_credentials=postgres)
            if postgres
            else Warehouse("duckdb", Path(tmp) / "b.duckdb")
        )
        pipeline = make_pipeline(SOURCES[source], warehouse)
        data = (
            data_factory(settings) if data_factory else SOURCES[source].factory(**settings).with_resources(*resources)
        )
        if isinstance(data, DltSource):  # a fresh warehouse: as the runner's first load
            append_where_empty(data, SOURCES[source].tables, {})
        started = time.perf_counter()
        info, rows = extract_and_load(pipeline, data, warehouse)
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put(
            {
                "seconds": seconds,
                # the load step: from the staged files to the merged table (the rest is the extract)
                "load_seconds": (info.finished_at - info.started_at).total_seconds(),
                "rows": {k: v for k, v in rows.items() if not k.startswith("_dlt")},
                "peak_rss_mb": peak_mb,
            }
        )


def measure(
    source: str,
    settings: dict[str, Any],
    resources: list[str],
    data_factory: Callable[[dict[str, Any]], Any] | None = None,
    postgres: str | None = None,
) -> dict[str, Any]:
    """Run the given resources once into a fresh warehouse (DuckDB, or the PostgreSQL database `postgres`
    names) in a fresh process; wall time, the load step's time, rows, peak memory."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_measure_child, args=(queue, source, settings, resources, data_factory, postgres))
    child.start()
    deadline = time.monotonic() + 3600
    while True:  # a child that dies without an answer (a crash, the OOM killer) fails the benchmark
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if not child.is_alive():
                raise RuntimeError(f"the measured run died (exit code {child.exitcode}); its error is above") from None
            if time.monotonic() > deadline:
                child.kill()
                raise RuntimeError("the measured run took over an hour") from None
    child.join()
    return result


@contextlib.contextmanager
def postgres_database(dsn: str) -> Iterator[str]:
    """A scratch database on the server `dsn` names, dropped afterwards."""
    import psycopg2

    name = f"finsync_bench_{os.getpid()}"
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        yield dsn.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def write_section(name: str, markdown: str) -> None:
    """Replace this benchmark's section of RESULTS.md, keeping the others."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nWritten by the scripts in bench/.\n"
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    section = f"{begin}\n{markdown.strip()}\n{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _m: section, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def bar_chart(path: Path, title: str, labels: list[str], values: list[float], unit: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 0.6 + 0.5 * len(labels)))
    axis.barh(labels, values, color="#3b6ea5")
    axis.set_xlabel(unit)
    axis.set_title(title)
    for y, value in enumerate(values):
        axis.text(value, y, f" {value:,.1f}", va="center")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, dlt {dlt.__version__}"
