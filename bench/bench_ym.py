"""YM benchmarks (run on demand: `python bench/bench_ym.py`).

1. Concurrent batch exports: 50 closed batches whose exports take 2 s each, against a serial baseline
   measured in the same run.
2. Invoice items end to end into DuckDB: rows/s of the Arrow path at 100k items, against a baseline of
   the same records yielded as plain dict rows, and peak memory at two volumes (flat memory check).
3. One large batch export (300k items): peak memory against an export a tenth of its size.
4. 100k and 1M invoice items on DuckDB and PostgreSQL (with --postgres-dsn or FINSYNC_TEST_POSTGRES_DSN):
   peak memory at both volumes, and PostgreSQL's load step against a raw COPY + merge of the same rows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import dlt
from harness import BENCH_DIR, bar_chart, machine, measure, postgres_database, sandbox_process, write_section

from finsync.sources.ym import YMClient
from finsync.sources.ym.schema import INVOICE_ITEMS
from finsync.warehouse.database import DEFAULT_DUCKDB_MEMORY_LIMIT

EXPORT_LATENCY = 2.0
BATCHES = 50
BATCH_SIZE = 200
DECODE_ROUNDS = 3


def export_settings(settings: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The sandbox's settings without its request cap (it has no limit): YM's own defaults apply unless
    `overrides` set them."""
    return {k: v for k, v in settings.items() if k != "max_requests_per_second"} | overrides


def dict_rows_source(settings: dict[str, Any]) -> Any:
    """Baseline: the same InvoiceItems pages, yielded as the plain dict rows a naive dlt resource would."""

    @dlt.resource(name="invoice_items", primary_key="LineItemID", write_disposition="merge")
    def invoice_items() -> Iterator[list[dict[str, Any]]]:
        client = YMClient(
            settings["base_url"], int(settings["client_id"]), settings["api_key"], settings["api_password"]
        )
        records = INVOICE_ITEMS.wire_schema()
        pages = client.invoice_items(
            date_from="2000-01-01", entered_from="2000-01-01T00:00:00", page_size=1000, records=records
        )
        for page in pages:
            yield page.to_pylist()

    return invoice_items()


def json_pages_source(settings: dict[str, Any]) -> Any:
    """finsync as it was before pages were decoded straight into Arrow: each page read as exact JSON (a Python
    object per value), then converted to Arrow (the exact fallback of every page)."""
    from finsync.http.columnar import ListPage
    from finsync.sources.ym import ym

    ListPage.read = lambda self, content: None  # type: ignore[method-assign]  # in the measuring child only
    return ym(**settings).with_resources("invoice_items")


EXPORT_ROUNDS = 3
# The serial baseline and the ceiling poll at most every second; finsync's defaults poll as they ship.
UNCAPPED = {"export_poll_interval": 1.0, "max_requests_per_second": 0}
SERIAL = ("serial baseline: one export at a time, no request cap", {**UNCAPPED, "export_concurrency": 1})
DEFAULTS = ("finsync's defaults: 50 at a time, 2 requests/s at first, ramping up to at most 50/s", {})
CEILING = ("ceiling: 50 at a time, no request cap", UNCAPPED)
FIXED = (
    "held at 2 requests/s throughout (the pace of YM's public connectors)",
    {"start_requests_per_second": 0, "max_requests_per_second": 2.0},
)
# Upstream limits (requests per second per credential, the sandbox's --rate-limit) the defaults run against.
UPSTREAM_LIMITS = (5, 20)


def _export_run(batches: int, overrides: dict[str, Any], limit: float = 0) -> tuple[float, dict[str, int]]:
    """Wall time of one run of `batches` exports against an upstream allowing `limit` requests per second
    (0: any), and the requests the sandbox answered by route (`rate_limited.<route>`: answered 429)."""
    import httpx

    scale = f"ym_items={batches * BATCH_SIZE + 1},batch_size={BATCH_SIZE}"
    upstream = ("--export-latency", str(EXPORT_LATENCY), "--rate-limit", str(limit))
    with sandbox_process(scale, *upstream) as settings:
        result = measure("ym", export_settings(settings["ym"], **overrides), ["finance_batches", "finance_batch_items"])
        control = settings["ym"]["base_url"].rsplit("/ym", 1)[0] + "/_sandbox/requests"
        requests = {k: v for k, v in httpx.get(control).json().items() if "ym." in k and v}
    assert result["rows"]["finance_batch_items"] == batches * BATCH_SIZE
    return float(result["seconds"]), requests


def _sent(requests: dict[str, int]) -> int:
    """Requests the sandbox answered, 429s included (those are also counted apart, as `rate_limited.…`)."""
    return sum(v for k, v in requests.items() if k.startswith("ym."))


def bench_exports() -> str:
    serial = _export_run(10, SERIAL[1])[0] / 10 * BATCHES
    rounds: dict[str, list[float]] = {DEFAULTS[0]: [], CEILING[0]: []}
    requests: dict[str, dict[str, int]] = {}
    for _ in range(EXPORT_ROUNDS):  # interleaved, so drift in the machine's speed reaches both alike
        for label, overrides in (DEFAULTS, CEILING):
            seconds, requests[label] = _export_run(BATCHES, overrides)
            rounds[label].append(seconds)
    fixed, requests[FIXED[0]] = _export_run(BATCHES, FIXED[1])
    limited = {limit: _export_run(BATCHES, DEFAULTS[1], limit) for limit in UPSTREAM_LIMITS}
    defaults, ceiling = min(rounds[DEFAULTS[0]]), min(rounds[CEILING[0]])
    lines = [
        "## YM: concurrent batch exports",
        "",
        f"{BATCHES} closed batches of {BATCH_SIZE} items; every export stays WORKING for {EXPORT_LATENCY:.0f} s, "
        "and its file answers 404 once before it can be downloaded: at least 4 requests a batch (start, poll, "
        "404, download), 200 in all. Every request of a run, polls included, draws on one shared request "
        f"budget. Wall time of the run (extract and load); {EXPORT_ROUNDS} interleaved rounds of the defaults "
        "and the ceiling; requests as the sandbox counted them (sign-in and batch listing included), last round.",
        "",
        "| run | wall time (min) | median | against the defaults | requests | status polls |",
        "|---|---:|---:|---:|---:|---:|",
        f"| {SERIAL[0]} (measured on 10 batches, scaled to {BATCHES}) | ~{serial:.0f} s | | "
        f"{serial / defaults:.1f}x | | |",
    ]

    def counts(label: str) -> str:
        return f"{_sent(requests[label])} | {requests[label].get('ym.export_status', 0)}"

    for label in (DEFAULTS[0], CEILING[0]):
        times = rounds[label]
        lines.append(
            f"| {label} | {min(times):.1f} s | {statistics.median(times):.1f} s | {min(times) / defaults:.2f}x | "
            f"{counts(label)} |"
        )
    lines += [
        f"| {FIXED[0]} | {fixed:.1f} s | | {fixed / defaults:.1f}x | {counts(FIXED[0])} |",
        "",
        f"At finsync's defaults the {BATCHES} exports took {defaults:.1f} s (median "
        f"{statistics.median(rounds[DEFAULTS[0]]):.1f} s), **{serial / defaults:.0f}x** faster than serial and "
        f"{defaults / ceiling:.2f}x the {ceiling:.1f} s they take with no request cap at all (the speed of the "
        f"slowest export, plus the requests). Held at 2 requests/s throughout they take {fixed:.0f} s: 200 "
        "requests at that pace. The polls are few because they share one board: an export queued behind a "
        "running one no larger is asked only once that one is done.",
        "",
        "Against an upstream that allows fewer requests (the sandbox answering 429 with Retry-After above its "
        "limit per credential), the same defaults:",
        "",
        "| upstream limit | wall time | requests | answered 429 | at the limit's pace |",
        "|---:|---:|---:|---:|---:|",
    ]
    for limit, (seconds, answered) in limited.items():
        sent, refused = _sent(answered), sum(v for k, v in answered.items() if k.startswith("rate_limited."))
        lines.append(f"| {limit} requests/s | {seconds:.1f} s | {sent} | {refused} | {sent / limit:.1f} s |")
    lines += [
        "",
        "The ramp finds the limit from a few 429s (the rate halves from what the upstream accepted in the last "
        "second) and stays under it.",
    ]
    bar_chart(
        BENCH_DIR / "ym_exports.png",
        f"{BATCHES} batch exports, {EXPORT_LATENCY:.0f} s each",
        ["serial (from 10)", "2 requests/s throughout", "finsync's defaults", "no request cap"],
        [serial, fixed, defaults, ceiling],
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
    baseline_items = min(items, 10_000)
    with sandbox_process(f"ym_items={baseline_items},batch_size=1000") as settings:
        dicts = measure("ym", settings["ym"], ["invoice_items"], data_factory=dict_rows_source)
        arrow_baseline_volume = measure("ym", settings["ym"], ["invoice_items"])
    with sandbox_process(f"ym_items={items},batch_size=1000") as settings:
        # The two decodings differ by less than one run's noise: interleaved rounds, the fastest of each.
        rounds = [
            (
                measure("ym", settings["ym"], ["invoice_items"]),
                measure("ym", settings["ym"], ["invoice_items"], data_factory=json_pages_source),
            )
            for _ in range(DECODE_ROUNDS)
        ]
    arrow = min((r[0] for r in rounds), key=lambda r: r["seconds"])
    json_pages = min((r[1] for r in rounds), key=lambda r: r["seconds"])
    rows = {}
    for label, result in (
        ("dict rows (baseline)", dicts),
        ("finsync Arrow batches", arrow_baseline_volume),
        (f"finsync, pages read as JSON objects (fastest of {DECODE_ROUNDS})", json_pages),
        (f"finsync Arrow batches (fastest of {DECODE_ROUNDS})", arrow),
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
        f"**{json_pages['seconds'] / arrow['seconds']:.2f}x** as fast as reading each page as JSON objects "
        f"first (the fastest of {DECODE_ROUNDS} interleaved rounds each: the extract is bound by the sandbox "
        "serving the pages, so the difference is what the decoding costs the main thread). "
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
            items / arrow["seconds"],
        ],
        "rows per second (higher is better)",
    )
    lines += ["", "![invoice items](ym_invoice_items.png)"]
    return "\n".join(lines)


def raw_copy_and_merge(database: str) -> dict[str, float]:
    """The PostgreSQL floor for the same rows: finsync's loaded table written out as CSV (not timed), then a
    plain COPY into an empty table, and a COPY into a staging table merged into a keyed table as dlt merges
    (delete the staged keys, insert the staged rows)."""
    import psycopg2

    with tempfile.NamedTemporaryFile(suffix=".csv") as dump, psycopg2.connect(database) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
            "WHERE attrelid = 'ym.invoice_items'::regclass AND attnum > 0 AND NOT attisdropped"
        )
        columns = cursor.fetchone()[0]
        cursor.copy_expert(f"COPY (SELECT {columns} FROM ym.invoice_items) TO STDOUT WITH (FORMAT csv)", dump)
        dump.flush()
        cursor.execute("CREATE TABLE ym.raw_copy (LIKE ym.invoice_items)")
        cursor.execute("CREATE TABLE ym.raw_stage (LIKE ym.invoice_items)")
        cursor.execute("CREATE TABLE ym.raw_merged (LIKE ym.invoice_items INCLUDING ALL)")
        connection.commit()
        timings = {}
        for label, statements in (
            ("copy", ["COPY ym.raw_copy FROM STDIN WITH (FORMAT csv)"]),
            ("copy_and_merge", [
                "COPY ym.raw_stage FROM STDIN WITH (FORMAT csv)",
                "DELETE FROM ym.raw_merged AS m USING ym.raw_stage AS s WHERE m.line_item_id = s.line_item_id",
                "INSERT INTO ym.raw_merged SELECT * FROM ym.raw_stage",
            ]),
        ):  # fmt: skip
            started = time.perf_counter()
            for statement in statements:
                if statement.startswith("COPY"):
                    with open(dump.name, "rb") as rows:
                        cursor.copy_expert(statement, rows)
                else:
                    cursor.execute(statement)
            connection.commit()
            timings[label] = time.perf_counter() - started
        return timings


def bench_scale(small: int, large: int, dsn: str | None) -> str:
    """Wall time and peak memory at two volumes on each warehouse; PostgreSQL's load step against the raw
    COPY + merge of the same rows."""
    lines = [
        "## YM: invoice items at 1M rows, on both warehouses",
        "",
        "InvoiceItems from a sandbox in its own process into a fresh warehouse, each run in a fresh process, "
        "at the default settings (DuckDB: 1 thread and "
        f"{DEFAULT_DUCKDB_MEMORY_LIMIT}; PostgreSQL: Parquet files copied through ADBC). The load step is the "
        "time from the staged Parquet files to the merged table; the rest of the wall time is the extract "
        "(fetching and decoding the pages).",
        "",
        "| warehouse | items | wall time | load step | rows/s | peak memory |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    peaks: dict[tuple[str, int], float] = {}
    raw: dict[str, float] = {}
    load_step = 0.0
    warehouses = ["DuckDB"] + (["PostgreSQL"] if dsn else [])
    for count in (small, large):
        with sandbox_process(f"ym_items={count},batch_size=1000") as settings:
            for warehouse in warehouses:
                with contextlib.ExitStack() as stack:
                    database = stack.enter_context(postgres_database(dsn)) if warehouse == "PostgreSQL" else None
                    result = measure("ym", settings["ym"], ["invoice_items"], postgres=database)
                    if database and count == large:
                        raw, load_step = raw_copy_and_merge(database), result["load_seconds"]
                assert result["rows"]["invoice_items"] == count
                peaks[(warehouse, count)] = result["peak_rss_mb"]
                lines.append(
                    f"| {warehouse} | {count:,} | {result['seconds']:.1f} s | {result['load_seconds']:.1f} s | "
                    f"{count / result['seconds']:,.0f} | {result['peak_rss_mb']:.0f} MB |"
                )
    lines.append("")
    for warehouse in warehouses:
        at_small, at_large = peaks[(warehouse, small)], peaks[(warehouse, large)]
        lines.append(
            f"- {warehouse}: peak memory at {large:,} items is **{at_large / at_small:.2f}x** the peak at "
            f"{small:,} ({at_large:.0f} MB against {at_small:.0f} MB)."
        )
    if raw:
        lines.append(
            f"- PostgreSQL, the same {large:,} rows by hand (psycopg2, CSV): a plain COPY into an empty table "
            f"{raw['copy']:.1f} s; COPY into a staging table and merge into a keyed one {raw['copy_and_merge']:.1f} s. "
            f"finsync's load step (a first load: appended, the items being unique per load) took {load_step:.1f} s: "
            f"**{raw['copy'] / load_step:.2f}x** the speed of the plain COPY and "
            f"**{raw['copy_and_merge'] / load_step:.2f}x** that of the COPY + merge."
        )
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
            result = measure(
                "ym",
                export_settings(settings["ym"], export_concurrency=1, max_requests_per_second=0),
                ["finance_batches", "finance_batch_items"],
            )
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
    parser.add_argument("--only", choices=["exports", "items", "scale", "big-export"], help="run one benchmark")
    parser.add_argument("--export-rows", type=int, default=300_000, help="items of the large batch export")
    parser.add_argument("--scale-items", type=int, default=1_000_000, help="invoice items of the large runs")
    parser.add_argument(
        "--postgres-dsn",
        default=os.environ.get("FINSYNC_TEST_POSTGRES_DSN"),
        help="server for the PostgreSQL runs (a scratch database is created and dropped each time)",
    )
    args = parser.parse_args()
    # One section per benchmark, so running one (--only) leaves the others' figures as they were.
    runs = {
        "exports": ("ym_exports", bench_exports),
        "items": ("ym", lambda: bench_invoice_items(args.items)),
        "scale": ("ym_scale", lambda: bench_scale(args.items, args.scale_items, args.postgres_dsn)),
        "big-export": ("ym_big_export", lambda: bench_big_export(args.export_rows)),
    }
    for name, (section, bench) in runs.items():
        if args.only in (None, name):
            write_section(section, f"_Machine: {machine()}._\n\n" + bench())
    print((BENCH_DIR / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
