"""History and deletions benchmark (run on demand: `python bench/bench_history.py`).

What keeping Younium exact costs, measured through finsync's runner into DuckDB against a sandbox in its
own process (20k invoices with 5 lines each by default), in one run:

- the plain incremental run with nothing changed (the baseline);
- an incremental run after 1,000 invoices changed: the list pages plus one by-id read per changed invoice
  (`GET /Invoices/{id}`, for their complete lines), against the list pages alone;
- the deletion sweep (`finsync run --sweep`): invoices, accounts and invoice batches read whole;
- the versions kept on the way, and what a rerun adds (nothing).

Requests are counted by the sandbox, per route.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
from harness import machine, write_section, younium_sandbox

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.runner import sync

CHANGED = 1_000


def timed_run(warehouse: Warehouse, settings: dict[str, Any], control: httpx.Client) -> dict[str, Any]:
    control.delete("/requests")
    started = time.perf_counter()
    report = sync("younium", warehouse, settings=settings)
    seconds = time.perf_counter() - started
    requests = {k: v for k, v in control.get("/requests").json().items() if k.startswith("younium.") and v}
    return {"seconds": seconds, "requests": requests, "report": report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=20_000)
    args = parser.parse_args()
    with younium_sandbox(args.invoices) as (younium, control, tmp):
        warehouse = Warehouse("duckdb", tmp / "history.duckdb")
        first = timed_run(warehouse, younium, control)
        quiet = timed_run(warehouse, younium, control)
        advanced = control.post("/advance", json={"modified_invoices": CHANGED}).json()["younium"]
        changed = timed_run(warehouse, younium, control)
        swept = timed_run(warehouse, {**younium, "sweep": True}, control)
        rerun = timed_run(warehouse, younium, control)
        with warehouse.connect() as connection:
            versions = dict(
                (table, query(connection, f"SELECT COUNT(*) FROM younium.{table}__versions")[0][0])
                for table in ("invoices", "invoice_lines", "accounts", "invoice_batches", "payments")
            )
    modified = len(advanced["modified_invoice_ids"])
    by_id = changed["requests"].get("younium.invoice", 0)
    listed = changed["requests"].get("younium.invoices", 0)
    extra = changed["seconds"] - quiet["seconds"]

    def total(run: dict[str, Any]) -> int:
        return sum(run["requests"].values())

    lines = [
        "## Younium: history, by-id line reads and the deletion sweep",
        "",
        f"_Machine: {machine()}._",
        "",
        f"{args.invoices:,} invoices with 5 lines each, into DuckDB through finsync's runner; the sandbox runs in its "
        "own process and counts requests per route.",
        "",
        "| run | wall time | requests | of which invoice pages | invoices read by id | new versions |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, run in (
        ("first run (everything)", first),
        ("incremental, nothing changed (baseline)", quiet),
        (f"incremental, {modified:,} invoices changed", changed),
        ("sweep (`--sweep`): invoices, accounts, batches whole", swept),
        ("rerun after the sweep", rerun),
    ):
        lines.append(
            f"| {label} | {run['seconds']:.1f} s | {total(run):,} | {run['requests'].get('younium.invoices', 0):,} | "
            f"{run['requests'].get('younium.invoice', 0):,} | {sum(run['report'].versions_added.values()):,} |"
        )
    per_thousand = extra / max(by_id, 1) * 1000
    lines += [
        "",
        f"By-id line reads: {by_id:,} requests for {modified:,} changed invoices (each change is read once: the "
        f"overlap lists it again, but finsync remembers it read it), beside {listed:,} list pages; the run took "
        f"{extra:+.1f} s over the baseline, about "
        f"{per_thousand:.1f} s per 1,000 changed invoices at the default concurrency.",
        "",
        f"Sweep: {total(swept):,} requests in {swept['seconds']:.1f} s, against {total(quiet):,} requests in "
        f"{quiet['seconds']:.1f} s for the plain incremental run ({swept['seconds'] / quiet['seconds']:.1f}x); it "
        "runs once a day by default. One run of each, not the minimum of several.",
        "",
        "Versions kept: " + ", ".join(f"{table} {count:,}" for table, count in versions.items()) + "; the rerun "
        f"added {sum(rerun['report'].versions_added.values())}.",
    ]
    write_section("history", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
