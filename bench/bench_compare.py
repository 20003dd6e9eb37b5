"""finsync side by side with the alternatives (run on demand: `python bench/bench_compare.py`).

Two workloads, each against one sandbox process shared by every run of it:

1. YM InvoiceItems into DuckDB.
2. Younium invoices with their lines (5 an invoice) into DuckDB.

Three contenders for each:

- finsync: its source and pipeline, as `harness.measure` runs them;
- peer: dlt's `rest_api` source, configured as a user would from the API's documentation (its auth, its
  paging, the same query parameters), defaults otherwise;
- ceiling: no dlt at all: pages fetched concurrently with httpx, decoded with pyarrow's JSON reader into
  finsync's own wire schema, converted by finsync's own Arrow conversion, inserted into DuckDB.

Every run is a fresh spawned process; rounds interleave the contenders, so drift on a shared machine
spreads over all of them rather than favouring one.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import statistics
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ceiling import run_ceiling
from facts import Result, dlt_query, facts_of
from harness import machine, sandbox_process, write_section
from peer import PEER_LINES_TABLE, run_peer

from finsync.warehouse.database import DEFAULT_DUCKDB_MEMORY_LIMIT, DEFAULT_DUCKDB_THREADS

CHILD_TIMEOUT = 3600.0

CONTENDERS = ("finsync", "peer", "ceiling")
LABELS = {"finsync": "finsync", "peer": "dlt rest_api (peer)", "ceiling": "hand-written (ceiling)"}
WORKLOAD_TITLES = {"ym": "YM invoice items", "younium": "Younium invoices + lines"}


# -- finsync: what harness.measure runs, plus the fingerprint once the clock has stopped ---------------------

FINSYNC_RESOURCES = {"ym": ["invoice_items"], "younium": ["invoices", "invoice_lines"]}


def run_finsync(workload: str, settings: dict[str, Any], tmp: Path) -> Result:
    # harness.measure runs exactly this, but deletes the warehouse before the parent could look at it.
    from finsync.warehouse.runner import SOURCES, Warehouse, append_where_empty, extract_and_load, make_pipeline

    warehouse = Warehouse("duckdb", tmp / "finsync.duckdb")
    pipeline = make_pipeline(SOURCES[workload], warehouse)
    data = SOURCES[workload].factory(**settings).with_resources(*FINSYNC_RESOURCES[workload])
    append_where_empty(data, SOURCES[workload].tables, {})  # a fresh warehouse: as the runner's first load
    started = time.perf_counter()
    _info, rows = extract_and_load(pipeline, data, warehouse)
    seconds = time.perf_counter() - started
    with dlt_query(pipeline) as query:
        facts = facts_of(workload, query, pipeline.dataset_name)
    return {"seconds": seconds, "rows": {t: n for t, n in rows.items() if not t.startswith("_dlt")}, "facts": facts}


# -- one run in a fresh process ---------------------------------------------------------------------------

RUNNERS: dict[str, Callable[[str, dict[str, Any], Path], Result]] = {
    "finsync": run_finsync,
    "peer": run_peer,
    "ceiling": run_ceiling,
}


def _child(queue: Any, contender: str, workload: str, settings: dict[str, Any]) -> None:
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["DLT_DATA_DIR"] = tmp
            result = RUNNERS[contender](workload, settings, Path(tmp))
            result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            queue.put(result)
    except BaseException:
        # The parent waits on the queue: a failed run must answer too, or the parent waits out the timeout.
        queue.put({"error": traceback.format_exc()})
        raise


def run_once(contender: str, workload: str, settings: dict[str, Any]) -> Result:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue, contender, workload, settings))
    child.start()
    result = queue.get(timeout=CHILD_TIMEOUT)
    child.join()
    if "error" in result:
        raise RuntimeError(f"{contender} on {workload} failed:\n{result['error']}")
    return result


def interleaved(workload: str, settings: dict[str, Any], rounds: int, peer_rounds: int) -> dict[str, list[Result]]:
    """Each round runs each contender once (the slow peer only in the first `peer_rounds`)."""
    runs: dict[str, list[Result]] = {c: [] for c in CONTENDERS}
    for number in range(1, rounds + 1):
        for contender in CONTENDERS:
            if contender == "peer" and number > peer_rounds:
                continue
            result = run_once(contender, workload, settings)
            print(f"{workload} round {number} {contender}: {result['seconds']:.2f} s, {result['rows']}", flush=True)
            runs[contender].append(result)
    return runs


# -- workloads ---------------------------------------------------------------------------------------------


def ym_runs(items: int, rounds: int, peer_rounds: int) -> dict[str, list[Result]]:
    with sandbox_process(f"ym_items={items},batch_size=1000") as settings:
        return interleaved("ym", settings["ym"], rounds, peer_rounds)


def younium_runs(invoices: int, rounds: int, peer_rounds: int) -> dict[str, list[Result]]:
    scale = f"ym_items=10,younium_invoices={invoices},lines_per_invoice=5,younium_accounts=500"
    with sandbox_process(scale) as settings:
        return interleaved("younium", settings["younium"], rounds, peer_rounds)


# What counts as the workload's rows for each contender: dlt names the nested lines' table itself.
COUNTED = {
    ("ym", "finsync"): ("invoice_items",),
    ("ym", "peer"): ("invoice_items",),
    ("ym", "ceiling"): ("invoice_items",),
    ("younium", "finsync"): ("invoices", "invoice_lines"),
    ("younium", "peer"): ("invoices", PEER_LINES_TABLE),
    ("younium", "ceiling"): ("invoices", "invoice_lines"),
}


def summary(workload: str, contender: str, runs: list[Result]) -> dict[str, Any]:
    walls = [r["seconds"] for r in runs]
    rows = sum(runs[0]["rows"].get(t, 0) for t in COUNTED[(workload, contender)])
    return {
        "runs": len(runs),
        "min": min(walls),
        "median": statistics.median(walls),
        "rows": rows,
        "rows_per_s": rows / min(walls),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "facts": runs[0]["facts"],
    }


def check_identity(workload: str, stats: Mapping[str, dict[str, Any]]) -> None:
    """finsync and the ceiling must have loaded the same rows, to the cent: otherwise the ceiling's time
    is not a ceiling for the same work."""
    ours, ceiling = stats["finsync"]["facts"], stats["ceiling"]["facts"]
    for part in ("invoice_items",) if workload == "ym" else ("invoices", "lines"):
        assert ours[part] == ceiling[part], f"{workload} {part}: finsync {ours[part]} but ceiling {ceiling[part]}"


def peer_notes(workload: str, stats: Mapping[str, dict[str, Any]]) -> list[str]:
    """What the peer loaded differently from finsync, where it did."""
    ours, peer = stats["finsync"]["facts"], stats["peer"]["facts"]
    notes: list[str] = []
    amount = "line_total_type" if workload == "ym" else "total_amount_type"
    if peer[amount] != ours[amount]:
        notes.append(f"money is {peer[amount]} (finsync: {ours[amount]})")
    for part in ("invoice_items",) if workload == "ym" else ("invoices", "lines"):
        if peer[part]["sum"] != ours[part]["sum"]:
            notes.append(f"sum of {part} amounts {peer[part]['sum']} (finsync: {ours[part]['sum']})")
        if peer[part]["rows"] != ours[part]["rows"]:
            notes.append(f"{part}: {peer[part]['rows']:,} rows (finsync: {ours[part]['rows']:,})")
    if workload == "ym":
        notes += ym_peer_notes(ours, peer)
    return notes


def ym_peer_notes(ours: Mapping[str, Any], peer: Mapping[str, Any]) -> list[str]:
    notes: list[str] = []
    if peer["entered_type"] != ours["entered_type"]:
        notes.append(f"entry times are {peer['entered_type']} (finsync: {ours['entered_type']})")
    if peer["first_entered_epoch"] is not None and ours["first_entered_epoch"] is not None:
        shift = (peer["first_entered_epoch"] - ours["first_entered_epoch"]) / 3600
        if shift:
            notes.append(f"entry times are {shift:+g} h off (YM's server-local times read as UTC)")
    if peer["unmasked_card_numbers"]:
        notes.append(f"{peer['unmasked_card_numbers']:,} rows hold card numbers unmasked")
    return notes


# -- the section ---------------------------------------------------------------------------------------------


def table_lines(workload: str, stats: Mapping[str, dict[str, Any]]) -> list[str]:
    return [
        f"| {WORKLOAD_TITLES[workload]} | {LABELS[c]} ({s['runs']} run{'s' * (s['runs'] != 1)}) | {s['min']:.2f} s | "
        f"{s['median']:.2f} s | {s['rows']:,} | {s['rows_per_s']:,.0f} | {s['peak_rss_mb']:.0f} MB |"
        for c, s in stats.items()
    ]


def ratio_sentence(workload: str, stats: Mapping[str, dict[str, Any]]) -> str:
    ours = stats["finsync"]["min"]
    sentence = (
        f"**{WORKLOAD_TITLES[workload]}:** finsync is {stats['peer']['min'] / ours:.1f}× faster than the dlt "
        f"rest_api peer and {ours / stats['ceiling']['min']:.2f}× the hand-written ceiling's time."
    )
    notes = peer_notes(workload, stats)
    return sentence + (f" The peer's table differs: {'; '.join(notes)}." if notes else "")


def duckdb_defaults() -> str:
    """finsync's DuckDB defaults as the section states them (`1 thread and 192 MB`)."""
    memory = re.sub(r"^([\d.]+)\s*(\D+)$", r"\1 \2", DEFAULT_DUCKDB_MEMORY_LIMIT.strip())
    return f"{DEFAULT_DUCKDB_THREADS} thread{'s' * (DEFAULT_DUCKDB_THREADS != 1)} and {memory}"


def section(args: argparse.Namespace, results: Mapping[str, Mapping[str, dict[str, Any]]]) -> str:
    sizes = []
    if "ym" in results:
        sizes.append(f"{args.ym_items:,} YM invoice items (pages of 1,000)")
    if "younium" in results:
        sizes.append(f"Younium at sandbox scale `younium_invoices={args.invoices}`, 5 lines each (pages of 100)")
    peer_rounds = min(args.peer_rounds, args.rounds)
    rounds = f"{args.rounds} round{'s' * (args.rounds != 1)} (the peer in {peer_rounds} of them)"
    lines = [
        "## finsync against dlt rest_api and a hand-written loader",
        "",
        f"_Machine: {machine()}._",
        "",
        f"{'; '.join(sizes)}; into DuckDB. {rounds}, "
        "contenders interleaved within each round; each run is a fresh process against one sandbox process "
        "per workload, shared by all its runs. Rows/s is from the fastest run; peak RSS is the largest over "
        "the runs.",
        "",
        "- **finsync**: its source and pipeline as `harness.measure` runs them, a first load into a fresh "
        "warehouse (YM items, unique per load, are appended to the empty table; Younium's tables are merged); "
        f"defaults: 4 pages in flight for YM and Younium, DuckDB at {duckdb_defaults()}.",
        "- **dlt rest_api (peer)**: `rest_api_source` as a user configures it from the API docs: YM signs in "
        "with POST /Ams/Authenticate and sends X-SS-ID, Younium gets a bearer token from /auth/v2/token and "
        "sends api-version and legal-entity; `PageNumberPaginator` (YM until an empty page, Younium until "
        "totalPages); finsync's first-run query parameters; merge on the primary key; dlt defaults otherwise.",
        "- **hand-written (ceiling)**: no dlt; 8 pages in flight with httpx, each decoded by pyarrow's JSON "
        "reader into finsync's wire schema and converted by finsync's own Arrow conversion (so its tables are "
        "finsync's, checked: same rows, keys and exact sums), inserted into DuckDB (fresh table, no merge).",
        "",
        "| workload | contender | min wall | median wall | rows | rows/s | peak RSS |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for workload, stats in results.items():
        lines += table_lines(workload, stats)
    sentences = [ratio_sentence(workload, stats) for workload, stats in results.items()]
    return "\n".join(lines) + "\n\n" + "\n\n".join(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ym-items", type=int, default=100_000, help="YM invoice items")
    parser.add_argument("--invoices", type=int, default=20_000, help="Younium invoices (5 lines each)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of finsync and the ceiling")
    parser.add_argument("--peer-rounds", type=int, default=1, help="rounds the (slow) peer takes part in")
    parser.add_argument("--only", choices=["ym", "younium"], help="run one workload")
    args = parser.parse_args()
    if min(args.ym_items, args.invoices, args.rounds, args.peer_rounds) < 1:
        # Every contender needs a run to be summed up, and an empty workload measures nothing.
        parser.error("--ym-items, --invoices, --rounds and --peer-rounds must be at least 1")
    raw: dict[str, dict[str, list[Result]]] = {}
    if args.only in (None, "ym"):
        raw["ym"] = ym_runs(args.ym_items, args.rounds, args.peer_rounds)
    if args.only in (None, "younium"):
        raw["younium"] = younium_runs(args.invoices, args.rounds, args.peer_rounds)
    results = {w: {c: summary(w, c, runs[c]) for c in CONTENDERS} for w, runs in raw.items()}
    for workload, stats in results.items():
        check_identity(workload, stats)
    text = section(args, results)
    write_section("compare", text)
    print(json.dumps({"raw": raw, "summary": results}, indent=2, default=str))
    print(text)


if __name__ == "__main__":
    main()
