"""Many tenants benchmark (run on demand: `python bench/bench_tenants.py`; needs FINSYNC_TEST_POSTGRES_DSN and
the `dagster` extra).

20 tenants, 10 YM clients and 10 Younium tenants, served by 10 sandbox processes (each with its own seed,
so every tenant's data differs), synced into one PostgreSQL database through finsync's Dagster job: once
with one tenant at a time, once with 4 in parallel (Dagster's multiprocess executor), each into a fresh
database. Every tenant's tables are compared with its sandbox's own expectations (rows and money), the
analytics views must carry all 20 tenants, and `finsync check` must pass. Reported: wall time, and the
peak memory (RSS) of each worker process, sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psutil
from harness import machine, postgres_database, sandbox_process, write_section

TENANTS_PER_SYSTEM = 10


def tenant_job() -> Any:
    """The Dagster job over the tenants the environment names (rebuilt in every worker process)."""
    from finsync.orchestration.dagster import finsync_definitions

    return finsync_definitions(max_parallel=int(os.environ["FINSYNC_BENCH_PARALLEL"])).get_job_def("finsync")


def tenant_env(sandboxes: list[dict[str, dict[str, Any]]]) -> dict[str, str]:
    """Tenant tNN of each system on sandbox NN: `SOURCES__<SYSTEM>__TENANTS__TNN__<SETTING>`."""
    env: dict[str, str] = {}
    for number, settings in enumerate(sandboxes, start=1):
        for system in ("ym", "younium"):
            for key, value in settings[system].items():
                env[f"SOURCES__{system.upper()}__TENANTS__T{number:02d}__{key.upper()}"] = str(value)
        env[f"SOURCES__YM__TENANTS__T{number:02d}__EXPORT_POLL_INTERVAL"] = "0.1"
    return env


class PeakMemory:
    """The peak RSS of this process and of every process it starts, sampled in the background."""

    def __init__(self) -> None:
        self.peaks: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._done.wait(0.2):
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    rss = process.memory_info().rss / 1e6
                    self.peaks[process.pid] = max(self.peaks.get(process.pid, 0.0), rss)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def run_job(parallel: int, dsn: str) -> dict[str, Any]:
    import dagster as dg

    os.environ["FINSYNC_BENCH_PARALLEL"] = str(parallel)
    os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = dsn
    with dg.instance_for_test() as instance, PeakMemory() as memory:
        started = time.perf_counter()
        result = dg.execute_job(dg.reconstructable(tenant_job), instance=instance)
        seconds = time.perf_counter() - started
        checks = [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    me = os.getpid()
    workers = [mb for pid, mb in memory.peaks.items() if pid != me]
    return {
        "parallel": parallel,
        "seconds": seconds,
        "success": result.success,
        "check_passed": [e.event_specific_data.passed for e in checks],
        "workers": len(workers),
        "worker_peak_mb": max(workers, default=0.0),
        "worker_median_mb": statistics.median(workers) if workers else 0.0,
        "parent_peak_mb": memory.peaks.get(me, 0.0),
    }


def verify(dsn: str, controls: list[str]) -> list[str]:
    """Every tenant's rows and money against its sandbox's expectations; the views over all tenants."""
    import psycopg2

    problems = []
    with contextlib.closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:

        def one(sql: str) -> tuple[Any, ...]:
            cursor.execute(sql)
            return cursor.fetchone()

        for number, control in enumerate(controls, start=1):
            expected = httpx.get(f"{control}/expected", timeout=600).json()
            ym, younium = expected["ym"], expected["younium"]
            tenant = f"t{number:02d}"
            items = one(f"SELECT COUNT(*), SUM(line_total) FROM ym_{tenant}.invoice_items")
            if items != (ym["invoice_items"]["rows"], Decimal(ym["invoice_items"]["line_total"])):
                problems.append(f"ym:{tenant} invoice_items {items} != {ym['invoice_items']}")
            invoices = one(f"SELECT SUM(total_amount) FROM younium_{tenant}.invoices WHERE deleted_at IS NULL")
            if invoices != (Decimal(younium["invoices"]["total_amount"]),):
                problems.append(f"younium:{tenant} invoices total {invoices} != {younium['invoices']['total_amount']}")
            lines = one(f"SELECT COUNT(*) FROM younium_{tenant}.invoice_lines WHERE deleted_at IS NULL")
            if lines != (younium["invoice_lines"]["rows"],):
                problems.append(f"younium:{tenant} invoice_lines {lines} != {younium['invoice_lines']['rows']}")
        tenants = one("SELECT COUNT(DISTINCT source_system || tenant) FROM analytics.invoice_lines")[0]
        if tenants != 2 * len(controls):
            problems.append(f"analytics.invoice_lines carries {tenants} tenants, not {2 * len(controls)}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ym-items", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=2_000)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    dsn = os.environ.get("FINSYNC_TEST_POSTGRES_DSN")
    if not dsn:
        sys.exit("set FINSYNC_TEST_POSTGRES_DSN to a PostgreSQL server this benchmark may create databases on")
    scale = f"ym_items={args.ym_items},batch_size=1000,younium_invoices={args.invoices},younium_accounts=200"
    with contextlib.ExitStack() as stack:
        sandboxes = [
            stack.enter_context(sandbox_process(scale, "--seed", str(100 + n))) for n in range(TENANTS_PER_SYSTEM)
        ]
        controls = [s["younium"]["base_url"].rsplit("/younium", 1)[0] + "/_sandbox" for s in sandboxes]
        for key in [k for k in os.environ if k.startswith("SOURCES__")]:
            del os.environ[key]
        os.environ.update(tenant_env(sandboxes))
        os.environ.setdefault("DLT_DATA_DIR", str(Path(stack.enter_context(_scratch())) / "dlt"))
        runs = []
        for parallel in (1, args.parallel):
            with postgres_database(dsn) as database:
                run = run_job(parallel, database)
                run["problems"] = verify(database, controls)
                runs.append(run)
                print(run, flush=True)
    report(runs, args)


@contextlib.contextmanager
def _scratch() -> Any:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        yield tmp


def report(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    one, many = runs
    rows = "\n".join(
        f"| {r['parallel']} | {r['seconds']:.1f} s | {r['workers']} | {r['worker_peak_mb']:.0f} MB "
        f"| {r['worker_median_mb']:.0f} MB | {r['parent_peak_mb']:.0f} MB "
        f"| {'yes' if r['success'] and not r['problems'] else 'NO: ' + '; '.join(r['problems'][:3])} "
        f"| {'passed' if r['check_passed'] == [True] else r['check_passed']} |"
        for r in runs
    )
    write_section(
        "tenants",
        f"""## Many tenants: 20 tenants into one PostgreSQL through Dagster (`bench/bench_tenants.py`)

10 YM clients ({args.ym_items:,} invoice items each, batches of 1,000) and 10 Younium tenants
({args.invoices:,} invoices × 5 lines each), one sandbox process per YM/Younium pair (10 processes, each
its own seed), synced by finsync's Dagster job (an asset per tenant, then the views, then the
`finsync_check` asset check) into a fresh PostgreSQL database per row. {machine()}; one run each.

| at once | wall time | workers | peak RSS: largest worker | median worker | parent | all exact | check |
|---:|---:|---:|---:|---:|---:|---|---|
{rows}

{args.parallel} at once is {one["seconds"] / many["seconds"]:.2f}× as fast as one at a time, on 2 cores
shared with the 10 sandbox processes and PostgreSQL. Each worker is one tenant's sync in its own process
(Dagster's multiprocess executor), so memory per worker does not grow with the number of tenants.
""",
    )


if __name__ == "__main__":
    main()
