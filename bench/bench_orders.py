"""What Younium's commercial side costs a run (on demand: `python bench/bench_orders.py [--orders N]`).

Through finsync's runner into DuckDB, against a sandbox in its own process (the subscription story of
`--orders` orders over 500 accounts, beside 2,000 invoices and 2,000 usage records), in one go:

- a first run (everything, every order's versions read);
- the no-op incremental run of the whole Younium source (the baseline; it should stay under 2.5 s);
- an incremental run after `--changed` orders had a charge invoiced (a change to a child only, which moves
  the order's `lastUpdated`): the list pages, plus one versions read per changed order
  (`/Subscriptions/{orderNumber}/versions`) and one revenue-schedule read per charge of theirs, against the
  baseline;
- the sweep (`finsync run --sweep`), which reads every order's versions again.

Requests are counted by the sandbox, per route; the timings are one run each (the no-op run: the median of
five).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from harness import machine, sandbox_process, write_section

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.runner import sync

COMMERCIAL = ("younium.subscriptions", "younium.subscription_versions", "younium.bookings", "younium.booking",
              "younium.sales_orders", "younium.sales_order_versions", "younium.revenue_schedule")  # fmt: skip


def timed_run(warehouse: Warehouse, settings: dict[str, Any], control: httpx.Client) -> dict[str, Any]:
    control.delete("/requests")
    started = time.perf_counter()
    sync("younium", warehouse, settings=settings)
    seconds = time.perf_counter() - started
    requests = {k: v for k, v in control.get("/requests").json().items() if k.startswith("younium.") and v}
    return {"seconds": seconds, "requests": requests}


def total(run: dict[str, Any], routes: tuple[str, ...] | None = None) -> int:
    return sum(v for k, v in run["requests"].items() if routes is None or k in routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=3_000)
    parser.add_argument("--changed", type=int, default=1_000)
    args = parser.parse_args()
    scale = (
        f"ym_items=10,younium_invoices=2000,younium_accounts=500,younium_usage=2000,younium_subscriptions={args.orders}"
    )
    with sandbox_process(scale) as settings, tempfile.TemporaryDirectory() as tmp:
        younium = settings["younium"]
        control_url = younium["base_url"].rsplit("/younium", 1)[0] + "/_sandbox"
        with httpx.Client(base_url=control_url, timeout=600) as control:
            warehouse = Warehouse("duckdb", Path(tmp) / "orders.duckdb")
            first = timed_run(warehouse, younium, control)
            quiet = [timed_run(warehouse, younium, control) for _ in range(5)]
            baseline = min(quiet, key=lambda run: abs(run["seconds"] - statistics.median(r["seconds"] for r in quiet)))
            with warehouse.connect() as connection:
                active = [n for (n,) in query(connection, "SELECT order_number FROM younium.subscriptions WHERE "
                                                          "status = 'Active' ORDER BY order_number")]  # fmt: skip
            touched = active[: args.changed]
            for number in touched:
                control.post("/younium/change", json={"change": "touch_charge", "order": number}).raise_for_status()
            changed = timed_run(warehouse, younium, control)
            swept = timed_run(warehouse, {**younium, "sweep": True}, control)
            with warehouse.connect() as connection:
                rows = {t: query(connection, f"SELECT COUNT(*) FROM younium.{t}")[0][0]
                        for t in ("subscriptions", "subscription_versions", "order_charges", "bookings")}  # fmt: skip
    extra = changed["seconds"] - baseline["seconds"]
    versions = changed["requests"].get("younium.subscription_versions", 0)
    schedules = changed["requests"].get("younium.revenue_schedule", 0)
    per_thousand = 1000 / max(len(touched), 1)
    lines = [
        "## Younium: subscriptions, their versions and bookings",
        "",
        f"_Machine: {machine()}._",
        "",
        f"{args.orders:,} subscription orders over 500 accounts (beside 2,000 invoices and 2,000 usage records), "
        "into DuckDB through finsync's runner; the sandbox runs in its own process and counts requests per "
        "route. Loaded: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()) + ".",
        "",
        "| run | wall time | requests | of which commercial | versions reads | revenue-schedule reads |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, run in (
        ("first run (everything)", first),
        ("no-op incremental run (baseline, median of 5)", baseline),
        (f"incremental, {len(touched):,} orders with a charge invoiced", changed),
        ("sweep (`--sweep`)", swept),
    ):
        lines.append(
            f"| {label} | {run['seconds']:.2f} s | {total(run):,} | {total(run, COMMERCIAL):,} | "
            f"{run['requests'].get('younium.subscription_versions', 0):,} | "
            f"{run['requests'].get('younium.revenue_schedule', 0):,} |"
        )
    lines += [
        "",
        f"Per 1,000 changed orders: {versions * per_thousand:,.0f} versions reads and {schedules * per_thousand:,.0f} "
        f"revenue-schedule reads, {extra * per_thousand:+.1f} s over the no-op run "
        f"({changed['seconds'] / baseline['seconds']:.1f}x its {baseline['seconds']:.2f} s). The no-op run of the "
        f"whole Younium source took {baseline['seconds']:.2f} s (median of five; the bound is 2.5 s).",
    ]
    write_section("orders", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
