"""YM benchmarks (run on demand: `python bench/bench_ym.py`).

1. Concurrent batch exports: 50 closed batches whose exports take 2 s each, against a serial baseline
   measured in the same run.
2. Invoice items end to end into DuckDB: rows/s of the Arrow path at 100k items, against a baseline of
   the same records yielded as plain dict rows, and peak memory at two volumes (flat memory check).
3. One large batch export (300k items): peak memory against an export a tenth of its size.
4. 1M invoice items into PostgreSQL (COPY) against DuckDB (with --postgres-dsn or FINSYNC_TEST_POSTGRES_DSN).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from typing import Any

import dlt
from harness import BENCH_DIR, bar_chart, machine, measure, postgres_database, sandbox_process, write_section

from finsync.sources.ym import YMClient

EXPORT_LATENCY = 2.0
BATCHES = 50
BATCH_SIZE = 200


def export_settings(settings: dict[str, Any], concurrency: int) -> dict[str, Any]:
    return {**settings, "export_concurrency": concurrency, "export_poll_interval": 1.0}


def dict_rows_source(settings: dict[str, Any]) -> Any:
    """Baseline: the same InvoiceItems pages, yielded as the plain dict rows a naive dlt resource would."""

    @dlt.resource(name="invoice_items", primary_key="LineItemID", write_disposition="merge")
    def invoice_items() -> Iterator[list[dict[str, Any]]]:
        client = YMClient(
            settings["base_url"], int(settings["client_id"]), settings["api_key"], settings["api_password"]
        )
        yield from client.invoice_items(date_from="2000-01-01", entered_from="2000-01-01T00:00:00", page_size=1000)

    return invoice_items()


def json_pages_source(settings: dict[str, Any]) -> Any:
    """finsync as it was before pages were decoded straight into Arrow: each page read as exact JSON (a Python
    object per value), then converted to Arrow."""
    from finsync.sources.ym import YMClient, ym

    as_json = YMClient.invoice_items

    def invoice_items(self: YMClient, **arguments: Any) -> Any:
        return as_json(self, **{**arguments, "records": None})

    YMClient.invoice_items = invoice_items  # type: ignore[method-assign]  # in the measuring child only
    return ym(**settings).with_resources("invoice_items")


def bench_exports() -> str:
    lines = [
        "## YM: concurrent batch exports",
        "",
        f"{BATCHES} closed batches of {BATCH_SIZE} items; every export stays WORKING for {EXPORT_LATENCY:.0f} s, "
        "and its file answers 404 once before it can be downloaded.",
        "",
        "| run | batches | wall time | per batch |",
        "|---|---:|---:|---:|",
    ]
    results = {}
    for label, concurrency, batches in (
        ("serial baseline (concurrency 1)", 1, 10),
        ("default concurrency (8)", 8, BATCHES),
        (f"concurrency {BATCHES}", BATCHES, BATCHES),
    ):
        scale = f"ym_items={batches * BATCH_SIZE + 1},batch_size={BATCH_SIZE}"
        with sandbox_process(scale, "--export-latency", str(EXPORT_LATENCY)) as settings:
            result = measure(
                "ym", export_settings(settings["ym"], concurrency), ["finance_batches", "finance_batch_items"]
            )
        assert result["rows"]["finance_batch_items"] == batches * BATCH_SIZE
        results[label] = (batches, result["seconds"])
        lines.append(f"| {label} | {batches} | {result['seconds']:.1f} s | {result['seconds'] / batches:.2f} s |")
    serial_per_batch = results["serial baseline (concurrency 1)"][1] / 10
    best = results[f"concurrency {BATCHES}"][1]
    lines += [
        "",
        f"Serial would take about {serial_per_batch * BATCHES:.0f} s for {BATCHES} batches "
        f"({serial_per_batch:.2f} s each, measured above on 10); concurrency {BATCHES} finished them in "
        f"{best:.1f} s: **{serial_per_batch * BATCHES / best:.0f}x** faster. "
        f"The default of 8 (gentle on a real tenant) took {results['default concurrency (8)'][1]:.1f} s.",
    ]
    bar_chart(
        BENCH_DIR / "ym_exports.png",
        f"{BATCHES} batch exports, {EXPORT_LATENCY:.0f} s each",
        ["serial (estimated from 10)", "concurrency 8", f"concurrency {BATCHES}"],
        [serial_per_batch * BATCHES, results["default concurrency (8)"][1], best],
        "seconds (lower is better)",
    )
    lines += ["", "![exports](ym_exports.png)"]
    return "\n".join(lines)


def bench_invoice_items(items: int) -> str:
    lines = [
        "## YM: invoice items end to end",
        "",
        "InvoiceItems (75 fields per record) from a sandbox in its own process, through finsync into DuckDB; "
        "each run in a fresh process.",
        "",
        "| run | items | wall time | rows/s | peak memory |",
        "|---|---:|---:|---:|---:|",
    ]
    with sandbox_process(f"ym_items={items},batch_size=1000") as settings:
        baseline_items = min(items, 10_000)
        arrow_small = measure("ym", {**settings["ym"], "start_date": "2000-01-01"}, ["invoice_items"])
        arrow = arrow_small if items == baseline_items else measure("ym", settings["ym"], ["invoice_items"])
    with sandbox_process(f"ym_items={baseline_items},batch_size=1000") as settings:
        dicts = measure("ym", settings["ym"], ["invoice_items"], data_factory=dict_rows_source)
        arrow_baseline_volume = measure("ym", settings["ym"], ["invoice_items"])
    with sandbox_process(f"ym_items={items},batch_size=1000") as settings:
        json_pages = measure("ym", settings["ym"], ["invoice_items"], data_factory=json_pages_source)
    rows = {}
    for label, result in (
        ("dict rows (baseline)", dicts),
        ("finsync Arrow batches", arrow_baseline_volume),
        ("finsync, pages read as JSON objects", json_pages),
        ("finsync Arrow batches", arrow),
    ):
        count = result["rows"]["invoice_items"]
        rate = count / result["seconds"]
        rows[(label, count)] = rate
        lines.append(
            f"| {label} | {count:,} | {result['seconds']:.1f} s | {rate:,.0f} | {result['peak_rss_mb']:.0f} MB |"
        )
    ratio = rows[("finsync Arrow batches", baseline_items)] / rows[("dict rows (baseline)", baseline_items)]
    lines += [
        "",
        f"At {baseline_items:,} items the Arrow path is **{ratio:.1f}x** the dict-rows baseline. At {items:,} "
        f"items, decoding pages straight into Arrow makes finsync "
        f"**{rows[('finsync Arrow batches', items)] / rows[('finsync, pages read as JSON objects', items)]:.2f}x** "
        "as fast as reading each page as JSON objects first (the same run). "
        f"Peak memory at {baseline_items:,} items: {arrow_baseline_volume['peak_rss_mb']:.0f} MB; at {items:,}: "
        f"{arrow['peak_rss_mb']:.0f} MB (pages are converted and handed to dlt one at a time).",
    ]
    bar_chart(
        BENCH_DIR / "ym_invoice_items.png",
        "YM invoice items into DuckDB",
        [f"dict rows, {baseline_items:,}", f"Arrow, {baseline_items:,}", f"Arrow, {items:,}"],
        [
            rows[("dict rows (baseline)", baseline_items)],
            rows[("finsync Arrow batches", baseline_items)],
            rows[("finsync Arrow batches", items)],
        ],
        "rows per second (higher is better)",
    )
    lines += ["", "![invoice items](ym_invoice_items.png)"]
    return "\n".join(lines)


def bench_postgres(items: int, dsn: str) -> str:
    lines = [
        "## YM: invoice items into PostgreSQL",
        "",
        "InvoiceItems from a sandbox in its own process into a fresh PostgreSQL database, loaded with COPY "
        "(Arrow batches written as CSV); the same run into DuckDB as the baseline.",
        "",
        "| warehouse | items | wall time | rows/s | peak memory |",
        "|---|---:|---:|---:|---:|",
    ]
    results = {}
    with sandbox_process(f"ym_items={items},batch_size=1000") as settings, postgres_database(dsn) as database:
        results["PostgreSQL (COPY)"] = measure("ym", settings["ym"], ["invoice_items"], postgres=database)
        results["DuckDB"] = measure("ym", settings["ym"], ["invoice_items"])
    for label, result in results.items():
        count = result["rows"]["invoice_items"]
        assert count == items
        lines.append(
            f"| {label} | {count:,} | {result['seconds']:.1f} s | {count / result['seconds']:,.0f} | "
            f"{result['peak_rss_mb']:.0f} MB |"
        )
    ratio = results["DuckDB"]["seconds"] / results["PostgreSQL (COPY)"]["seconds"]
    lines += ["", f"PostgreSQL ran at {ratio:.2f}x the speed of the embedded DuckDB on the same data."]
    return "\n".join(lines)


def bench_big_export(rows: int) -> str:
    """One batch export of `rows` items (about 700 bytes a row of CSV) against one a tenth of its size:
    the file is streamed to disk and converted block by block, so memory must not grow with it."""
    lines = [
        "## YM: one large batch export",
        "",
        "A closed batch exported as one CSV file, streamed to disk, checked whole (line break at the end, "
        "ItemCount rows) and converted 16 MB at a time; each run in a fresh process.",
        "",
        "| batch items | export file | wall time | rows/s | peak memory |",
        "|---:|---:|---:|---:|---:|",
    ]
    peaks = {}
    for count in (rows // 10, rows):
        with sandbox_process(f"ym_items={count + 1},batch_size={count}", "--export-latency", "0") as settings:
            result = measure("ym", export_settings(settings["ym"], 1), ["finance_batches", "finance_batch_items"])
        assert result["rows"]["finance_batch_items"] == count
        peaks[count] = result["peak_rss_mb"]
        lines.append(
            f"| {count:,} | ~{count * 700 / 1e6:.0f} MB | {result['seconds']:.1f} s | "
            f"{count / result['seconds']:,.0f} | {result['peak_rss_mb']:.0f} MB |"
        )
    lines += [
        "",
        f"Ten times the rows took {peaks[rows] / peaks[rows // 10]:.2f}x the peak memory "
        f"({peaks[rows // 10]:.0f} MB at {rows // 10:,}, {peaks[rows]:.0f} MB at {rows:,}).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000, help="invoice items for the end-to-end run")
    parser.add_argument("--only", choices=["exports", "items", "postgres", "big-export"], help="run one benchmark")
    parser.add_argument("--export-rows", type=int, default=300_000, help="items of the large batch export")
    parser.add_argument("--postgres-items", type=int, default=1_000_000, help="invoice items for the PostgreSQL run")
    parser.add_argument(
        "--postgres-dsn",
        default=os.environ.get("FINSYNC_TEST_POSTGRES_DSN"),
        help="server for the PostgreSQL run (a scratch database is created and dropped)",
    )
    args = parser.parse_args()
    sections = []
    if args.only in (None, "exports"):
        sections.append(bench_exports())
    if args.only in (None, "items"):
        sections.append(bench_invoice_items(args.items))
    if args.only in (None, "postgres") and args.postgres_dsn:
        write_section(
            "ym_postgres", f"_Machine: {machine()}._\n\n" + bench_postgres(args.postgres_items, args.postgres_dsn)
        )
    if args.only in (None, "big-export"):
        write_section("ym_big_export", f"_Machine: {machine()}._\n\n" + bench_big_export(args.export_rows))
    if sections:
        write_section("ym", f"_Machine: {machine()}._\n\n" + "\n\n".join(sections))
    print((BENCH_DIR / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
