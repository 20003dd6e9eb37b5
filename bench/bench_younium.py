"""Younium benchmark (run on demand: `python bench/bench_younium.py`).

20k invoices with 5 lines each, end to end into DuckDB (tables `invoices` and `invoice_lines`), reading
pages concurrently (the default) against reading them one at a time, in the same run; once as the
sandbox answers (milliseconds) and once with 200 ms added to every page, closer to a real API.
"""

from __future__ import annotations

import argparse

from harness import BENCH_DIR, bar_chart, machine, measure, sandbox_process, write_section

LATENCY = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=20_000)
    args = parser.parse_args()
    scale = f"ym_items=10,younium_invoices={args.invoices},lines_per_invoice=5,younium_accounts=500"
    lines = [
        "## Younium: invoices and lines end to end",
        "",
        f"{args.invoices:,} invoices with 5 lines each (100 invoices a page), into DuckDB; "
        "rows are invoices plus lines.",
        "",
        "| page latency | paging | wall time | rows | rows/s | speed-up |",
        "|---|---|---:|---:|---:|---:|",
    ]
    labels, rates = [], []
    for latency in (0.0, LATENCY):
        faults = ("--faults", f"younium.invoices:slow={latency}:times=1000000") if latency else ()
        results = {}
        for paging, sequential in (("sequential", True), ("concurrent (4)", False)):
            with sandbox_process(scale, *faults) as settings:
                results[paging] = measure(
                    "younium", {**settings["younium"], "sequential": sequential}, ["invoices", "invoice_lines"]
                )
        base = results["sequential"]["seconds"]
        for paging, result in results.items():
            rows = sum(result["rows"].get(t, 0) for t in ("invoices", "invoice_lines"))
            assert result["rows"]["invoices"] == args.invoices and result["rows"]["invoice_lines"] == 5 * args.invoices
            rate = rows / result["seconds"]
            delay = f"+{latency * 1000:.0f} ms" if latency else "sandbox (ms)"
            lines.append(
                f"| {delay} | {paging} | {result['seconds']:.1f} s | {rows:,} | {rate:,.0f} | "
                f"{base / result['seconds']:.2f}x |"
            )
            labels.append(f"{paging}, {delay}")
            rates.append(rate)
    bar_chart(
        BENCH_DIR / "younium.png",
        f"Younium: {args.invoices:,} invoices x 5 lines",
        labels,
        rates,
        "rows per second (higher is better)",
    )
    lines += ["", "![younium](younium.png)"]
    write_section("younium", f"_Machine: {machine()}._\n\n" + "\n".join(lines))
    print((BENCH_DIR / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
