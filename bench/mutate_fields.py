"""Every declared wire field drifting upstream: `python bench/mutate_fields.py [--only T[.C]] [--jobs N] [--list]`.

For each column of each table of both systems (`finsync.warehouse.registry.SOURCES`) that comes from the wire
(not derived by finsync, not a tenant row), two mutants: the sandbox serves the list that carries it with
the field removed, then renamed (`InvoiceNo` served as `InvoiceNo__renamed`), on every request of the run
(a drift fault, `finsync_sandbox.kernel.drift`). Each mutant starts a small sandbox of its own with the
fault armed and runs a first sync of that system into a fresh DuckDB file; it is caught when

- the sync raises (`PartlyLoaded`, from `ContractBroken`) naming the field (`<path> is absent or null`),
- or the run's notes say the field "came in none of the" records read,
- or `finsync_meta.upstream_fields` has `missing_since` set for the field;

and survived when none of these: the column went empty with nothing said. A run that failed otherwise
(another error) is neither, and is listed with its message. A field the contract declares OPTIONAL is not
flagged on a first read by design, nor is a Younium field (absent may mean null there): its mutant runs a
clean first sync, then arms the drift and syncs again with `sweep` (the swept lists read whole again), so the
history rules of `finsync.warehouse.upstream` apply; a list never swept (the journals) is read whole again only
by a full refresh, which follows when the sweep did not catch the mutant (the report says so).

A field is mutated on the list whose census covers it (`ROUTES`): YM's finance batch items on the export
file (`ym.export_download`, the default `batch_items_mode`; `--ym-items details` covers FinanceBatchDetails
instead), invoice items on InvoiceItems; Younium's invoice lines on `GET /Invoices` (the by-id reads take no
drift), vouchers and their lines on `GET /Journals`, settlements on `GET /Payments`, accounting periods on
`GET /Journals/JournalDetails`. Younium's sandbox gets one invoice batch generated with an `invoiceDate`
before its first sync (no seeded batch has one). Before the mutants, a clean first sync of each system must
flag nothing; a field it does not see at all cannot be measured and is listed as such.
Exit 1 if any mutant survived. A full run (no `--only`, exports mode) writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from harness import machine, write_section

from finsync.sources.ym.schema import DETAILS_FIELD_NAMES
from finsync.values import Wire
from finsync.warehouse.registry import SOURCES

REPOSITORY = Path(__file__).resolve().parent.parent
SUFFIX = "__renamed"
MUTATIONS = ("remove", "rename")
# Small sandboxes, one system each: a first sync in a few seconds, every declared field sent by some record.
CONFIGS: dict[str, dict[str, Any]] = {
    "ym": {
        "ym_items": 150,
        "batch_size": 50,
        "export_latency_seconds": 0.01,
        "export_not_ready_count": 0,
        "younium_invoices": 0,
        "younium_accounts": 1,
        "younium_batches": 0,
    },
    "younium": {
        "ym_items": 0,
        "younium_invoices": 120,
        "younium_accounts": 120,
        "younium_job_seconds": 0.02,
        "lines_per_invoice": 3,
        "younium_subscriptions": 20,
        "younium_usage": 40,
    },
}


def dated_batch(server: Any) -> None:
    """One invoice batch generated as a user's job may date it (`invoiceDate` set): no seeded batch carries
    one, so without it the field could not be measured."""
    tenant = server.sandbox.younium
    invoices = tenant.dataset.invoices
    newest = max(invoices.invoice_day(n) for n in invoices.numbers())
    tenant.start_generate(newest, newest, None, None, None, lambda refs: False)
    time.sleep(CONFIGS["younium"]["younium_job_seconds"] * 3)
    tenant.settle()


# Readies a system's sandbox before its first sync: records every declared field needs to be seen.
PREPARE = {"younium": dated_batch}
# Table -> (the sandbox's route of the list read that carries its fields, the path of its records in that
# list's records). Tables not here are not read from the wire (the tenant rows).
ROUTES: dict[str, dict[str, tuple[str, str]]] = {
    "ym": {
        "finance_batches": ("ym.finance_batches", ""),
        "finance_batch_items": ("ym.export_download", ""),
        "invoice_items": ("ym.invoice_items", ""),
    },
    "younium": {
        "invoice_batches": ("younium.invoice_batches", ""),
        "invoice_batches__invoices": ("younium.invoice_batches", "invoices."),
        "invoice_batches__batch_groups": ("younium.invoice_batches", ""),
        "invoice_batch_log": ("younium.batch_log", ""),
        "invoices": ("younium.invoices", ""),
        "invoice_lines": ("younium.invoices", "invoiceLines."),
        "accounts": ("younium.accounts", ""),
        "products": ("younium.products", ""),
        "charge_plans": ("younium.products", "chargePlans."),
        "catalogue_charges": ("younium.products", "chargePlans.charges."),
        "catalogue_price_details": ("younium.products", "chargePlans.charges.priceDetails."),
        "usage": ("younium.usage", ""),
        "journals": ("younium.journals", ""),
        "accounting_transactions": ("younium.journals", "vouchers."),
        "accounting_transaction_lines": ("younium.journals", "vouchers.transactions."),
        "payments": ("younium.payments", ""),
        "payment_settlements": ("younium.payments", "paymentSettlements."),
        "accounting_periods": ("younium.journal_details", "accountingPeriod."),
        "chart_of_accounts": ("younium.chart_of_accounts", ""),
        "currencies": ("younium.currencies", ""),
        "exchange_rates": ("younium.exchange_rates", ""),
        "subscriptions": ("younium.subscriptions", ""),
        "subscription_versions": ("younium.subscription_versions", ""),
        "order_products": ("younium.subscription_versions", "products."),
        "order_charges": ("younium.subscription_versions", "products.charges."),
        "order_charge_price_details": ("younium.subscription_versions", "products.charges.priceDetails."),
        "order_discounts": ("younium.subscription_versions", "orderDiscounts."),
        "order_discount_charges": ("younium.subscription_versions", "orderDiscounts.orderProductCharges."),
        "order_milestones": ("younium.subscription_versions", "milestones."),
        "revenue_schedule_items": ("younium.revenue_schedule", ""),
        "sales_orders": ("younium.sales_orders", ""),
        "sales_order_versions": ("younium.sales_order_versions", ""),
        "bookings": ("younium.bookings", ""),
        "booking_lines": ("younium.bookings", "bookingLines."),
    },
}
# Each route's list read as its census names it (`finsync_meta.upstream_fields.endpoint`, the notes).
ENDPOINTS = {
    "ym.finance_batches": "GET FinanceBatches",
    "ym.export_download": "the export file (POST FinanceBatches)",
    "ym.batch_details": "GET FinanceBatchDetails",
    "ym.invoice_items": "GET InvoiceItems",
    "younium.invoice_batches": "GET /InvoiceBatches",
    "younium.batch_log": "GET /InvoiceBatches/{id}/BatchLog",
    "younium.invoices": "GET /Invoices",
    "younium.accounts": "GET /Accounts",
    "younium.products": "GET /Products",
    "younium.journals": "GET /Journals",
    "younium.payments": "GET /Payments",
    "younium.journal_details": "GET /Journals/JournalDetails",
    "younium.chart_of_accounts": "GET /ChartOfAccounts",
    "younium.currencies": "GET /Currency",
    "younium.exchange_rates": "GET /ExchangeRate",
    "younium.subscriptions": "GET /Subscriptions",
    "younium.subscription_versions": "GET /Subscriptions/{orderNumber}/versions",
    "younium.revenue_schedule": "GET /RevenueSchedule/Charge/{chargeNumber}",
    "younium.sales_orders": "GET /SalesOrders",
    "younium.sales_order_versions": "GET /SalesOrders/{orderNumber}/versions",
    "younium.bookings": "GET /Bookings",
    "younium.usage": "GET /Usage",
}
# A column whose wire field is not its own name: the batch groups are a list of plain values.
WIRE_NAMES = {("younium", "invoice_batches__batch_groups", "batch_group"): "batchGroups"}
DETAILS_NAMES = {ours: theirs for theirs, ours in DETAILS_FIELD_NAMES.items()}
MODES = {"export": "from the export file (the default `batch_items_mode`)", "details": "from FinanceBatchDetails"}
STOPPED = re.compile(r"declared field\(s\) (.+?) came in none of the")


@dataclass(frozen=True)
class Mutant:
    system: str
    table: str
    column: str
    wire: str  # the column's `Wire` value, as its table reads it
    route: str  # the sandbox route the drift is armed on
    path: str  # the field's dotted path in that route's records
    kind: str  # remove or rename

    @property
    def id(self) -> str:
        return f"{self.system}.{self.table}.{self.column}"


@dataclass
class Outcome:
    mutant: Mutant
    verdict: str  # caught, survived, failed (another error), unmeasured (the clean run lacked the field)
    by: str = ""  # what caught it, or why it is not caught
    seconds: float = 0.0


def declared(ym_items: str = "export") -> tuple[list[Mutant], list[str]]:
    """The mutants (per wire field, each mutation) and the columns not from the wire, `system.table.column`."""
    mutants: list[Mutant] = []
    skipped: list[str] = []
    for system, spec in SOURCES.items():
        for table in spec.tables:
            where = ROUTES[system].get(table.name)
            for column in table.columns:
                wire = table.wire_of(column)
                if where is None or wire is Wire.DERIVED:
                    skipped.append(f"{system}.{table.name}.{column.name}")
                    continue
                route, prefix = where
                field = WIRE_NAMES.get((system, table.name, column.name), column.source)
                if system == "ym" and table.name == "finance_batch_items" and ym_items == "details":
                    route, field = "ym.batch_details", DETAILS_NAMES.get(field, field)
                for kind in MUTATIONS:
                    mutants.append(Mutant(system, table.name, column.name, wire.value, route, prefix + field, kind))
    return mutants, skipped


def chosen(mutant: Mutant, only: list[str]) -> bool:
    names = {mutant.system, mutant.table, f"{mutant.system}.{mutant.table}"}
    names |= {f"{n}.{mutant.column}" for n in names if n != mutant.system}
    return not only or bool(names & set(only))


# -- one run ------------------------------------------------------------------------------------------------


def settings_of(system: str, server: Any, **more: Any) -> dict[str, Any]:
    """The source's arguments pointing at the sandbox, tuned as the end-to-end tests tune them."""
    raw = server.ym_settings if system == "ym" else server.younium_settings
    prefix = f"SOURCES__{system.upper()}__"
    settings: dict[str, Any] = {key.removeprefix(prefix).lower(): value for key, value in raw.items()}
    if system == "ym":
        settings.update(export_poll_interval=0.02, overlap_hours=1.0, max_attempts=3, invoice_items_page_size=500)
    else:
        settings.update(max_attempts=4)
    return {**settings, **more}


@dataclass
class Seen:
    """What a sync said and left: its error (if any), its notes, and the fields it recorded as stopped."""

    error: BaseException | None
    notes: list[str]
    stopped: dict[str, set[str]]  # endpoint -> declared fields with `missing_since`
    fields: dict[str, set[str]]  # endpoint -> declared fields recorded (the census)
    present: dict[str, set[str]]  # endpoint -> declared fields some record held


def synced(system: str, server: Any, warehouse: Any, full_refresh: bool = False, **more: Any) -> Seen:
    from finsync.warehouse.database import query
    from finsync.warehouse.runner import sync

    error: BaseException | None = None
    settings = settings_of(system, server, **more)
    try:
        report = sync(system, warehouse, settings=settings, sandbox=True, views=False, full_refresh=full_refresh)
    except Exception as failed:  # the outcome measured
        error, report = failed, getattr(failed, "report", None)
    seen = Seen(error, list(getattr(report, "notes", []) or []), defaultdict(set), defaultdict(set), defaultdict(set))
    if warehouse.exists():
        with warehouse.connect(read_only=True) as connection:
            tables = query(connection, "SELECT 1 FROM information_schema.tables WHERE table_name = 'upstream_fields'")
            rows = query(
                connection,
                "SELECT endpoint, field, missing_since IS NOT NULL, records_with > 0, declared "
                "FROM finsync_meta.upstream_fields",
            ) if tables else []  # fmt: skip
        for endpoint, path, missing, held, own in rows:
            if not own:
                continue
            seen.fields[endpoint].add(path)
            if missing:
                seen.stopped[endpoint].add(path)
            if held:
                seen.present[endpoint].add(path)
    return seen


def named_in_error(error: BaseException, path: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(path)} is ", " ".join(str(error).split())) is not None


def noted(notes: list[str], endpoint: str, path: str) -> str:
    for note in notes:
        for found in STOPPED.finditer(note):
            if f" {endpoint}: declared" in note and path in found.group(1).split(", "):
                return note.split(":", 1)[0]
    return ""


def measure(mutant: Mutant, work: str) -> Outcome:
    """Runs one mutant in a sandbox and a warehouse of its own."""
    from finsync.errors import PartlyLoaded
    from finsync.http.wire import ContractBroken
    from finsync.warehouse.runner import Warehouse
    from finsync_sandbox import SandboxConfig, SandboxServer

    start = time.monotonic()
    label = f"{mutant.id}.{mutant.kind}"
    try:
        with tempfile.TemporaryDirectory(prefix="mutant-", dir=work) as directory:
            warehouse = Warehouse("duckdb", Path(directory) / "warehouse.duckdb")
            with SandboxServer(config=SandboxConfig(**CONFIGS[mutant.system])) as server:
                PREPARE.get(mutant.system, lambda _: None)(server)
                # FinanceBatchDetails is read only in details mode (every YM list of the run then reads through it).
                more: dict[str, Any] = {"batch_items_mode": "details"} if mutant.route == "ym.batch_details" else {}
                # Flagged only once seen before: an optional field, and any field where nulls are left out
                # (Younium), whose absence only its history can judge: a clean read first.
                if mutant.wire == Wire.OPTIONAL.value or mutant.system == "younium":
                    clean = synced(mutant.system, server, warehouse, **more)
                    if clean.error is not None:
                        return Outcome(mutant, "failed", f"the clean first sync failed: {clean.error}")
                    more["sweep"] = True
                fault: dict[str, Any] = {"kind": mutant.kind, "route": mutant.route, "field": mutant.path}
                if mutant.kind == "rename":
                    fault["name"] = mutant.path.rsplit(".", 1)[-1] + SUFFIX
                server.sandbox.faults.add(**fault, times=0)
                seen = synced(mutant.system, server, warehouse, **more)
                outcome = classify(mutant, seen, (PartlyLoaded, ContractBroken))
                if outcome.verdict == "survived" and mutant.system == "younium":
                    # A list read in windows and never swept (the journals) is read whole only by a full refresh.
                    seen = synced(mutant.system, server, warehouse, full_refresh=True, **more)
                    outcome = classify(mutant, seen, (PartlyLoaded, ContractBroken))
                    outcome.by += " (at a full refresh)" if outcome.verdict == "caught" else ""
    except Exception as error:  # the harness's own failure: reported, not counted as caught
        outcome = Outcome(mutant, "failed", f"{label}: {type(error).__name__}: {error} {traceback.format_exc()[-300:]}")
    outcome.seconds = time.monotonic() - start
    return outcome


def classify(mutant: Mutant, seen: Seen, contract_errors: tuple[type[BaseException], ...]) -> Outcome:
    path, endpoint = mutant.path, ENDPOINTS[mutant.route]
    if seen.error is not None and isinstance(seen.error, contract_errors) and named_in_error(seen.error, path):
        return Outcome(mutant, "caught", f"{type(seen.error).__name__}: `{path} is …`")
    where = noted(seen.notes, endpoint, path)
    if where:
        return Outcome(mutant, "caught", f"note: {where} came in none")
    if path in seen.stopped.get(endpoint, ()):
        return Outcome(mutant, "caught", f"upstream_fields.missing_since ({endpoint})")
    if seen.error is not None:
        message = " ".join(str(seen.error).split())
        return Outcome(mutant, "failed", f"{type(seen.error).__name__}: {message[:300]}")
    if path in seen.fields.get(endpoint, ()):
        return Outcome(mutant, "survived", f"in the census of {endpoint}, yet not flagged")
    why = f"{endpoint} has no census" if endpoint not in seen.fields else f"{path} is not in the census of {endpoint}"
    return Outcome(mutant, "survived", why)


def baseline(system: str, work: str, **more: Any) -> Seen:
    """A clean first sync of the system: it must flag nothing."""
    from finsync.warehouse.runner import Warehouse
    from finsync_sandbox import SandboxConfig, SandboxServer

    with tempfile.TemporaryDirectory(prefix="baseline-", dir=work) as directory:
        warehouse = Warehouse("duckdb", Path(directory) / "warehouse.duckdb")
        with SandboxServer(config=SandboxConfig(**CONFIGS[system])) as server:
            PREPARE.get(system, lambda _: None)(server)
            return synced(system, server, warehouse, **more)


# -- the report ---------------------------------------------------------------------------------------------


def report(outcomes: list[Outcome], skipped: list[str], ym_items: str, wall: float) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True)
    seconds = [o.seconds for o in outcomes] or [0.0]
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in outcomes:
        counts[(o.mutant.system, o.mutant.kind)][o.verdict] += 1
    fields = len({o.mutant.id for o in outcomes})
    caught = sum(o.verdict == "caught" for o in outcomes)
    sizes = "; ".join(f"{s}: " + ", ".join(f"{k}={v}" for k, v in c.items()) for s, c in CONFIGS.items())
    lines = [
        "## Declared fields drifting upstream",
        "",
        f"_{date.today()}, commit {commit.stdout.strip()}; machine: {machine()}._",
        "",
        "`python bench/mutate_fields.py`: each declared wire field (not derived) of every table of both systems "
        f"served by the sandbox removed, then renamed (`<name>{SUFFIX}`), on the list read whose census covers it, "
        "for a whole first sync into a fresh DuckDB (Younium's fields, and YM's optional ones: a clean first "
        "sync, then a sync with the drift and `sweep`; for Younium, if that did not catch it, a full refresh); "
        "caught when the sync fails naming the field (`PartlyLoaded`), or its notes say the field came in none "
        "of the records read, or "
        "`finsync_meta.upstream_fields` has `missing_since` set for it. YM's finance batch items are read "
        f"{MODES[ym_items]}; "
        "Younium's invoice lines on `GET /Invoices` (the by-id reads take no drift). "
        f"Sandboxes: {sizes}.",
        "",
        f"**{caught} of {len(outcomes)} mutants caught** ({fields} fields). Wall time "
        f"{wall / 60:.1f} min; per mutant median {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s.",
        "",
        "| system | mutation | fields | caught | failed otherwise | unmeasured | survived |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (system, kind), c in sorted(counts.items()):
        lines.append(
            f"| {system} | {kind} | {sum(c.values())} | {c['caught']} | {c['failed']} | {c['unmeasured']} | "
            f"{c['survived']} |"
        )
    by_table: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_table[f"{o.mutant.system}.{o.mutant.table}"].append(o)
    lines += ["", "| table | route | mutants | caught | not caught |", "|---|---|---:|---:|---|"]
    for name, group in by_table.items():
        missed = sorted({f"{o.mutant.column} ({o.mutant.kind})" for o in group if o.verdict != "caught"})
        routes = ", ".join(sorted({o.mutant.route for o in group}))
        caught_here = sum(o.verdict == "caught" for o in group)
        lines.append(f"| {name} | {routes} | {len(group)} | {caught_here} | {', '.join(missed) or 'none'} |")
    for verdict, title in (("survived", "Survived"), ("failed", "Failed otherwise"), ("unmeasured", "Unmeasured")):
        grouped: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)  # one entry per field and reason
        for o in outcomes:
            if o.verdict == verdict:
                grouped[(o.mutant.id, o.mutant.path, o.mutant.route, o.by)].append(o.mutant.kind)
        if grouped:
            entries = [f"{i} (`{p}` on {r}; {', '.join(k)}: {by})" for (i, p, r, by), k in grouped.items()]
            lines += ["", f"{title} ({len(grouped)} fields): " + "; ".join(entries) + "."]
    by_skipped: dict[str, list[str]] = defaultdict(list)
    for name in skipped:
        by_skipped[name.rsplit(".", 1)[0]].append(name.rsplit(".", 1)[1])
    listed = "; ".join(f"{t} ({', '.join(c)})" for t, c in by_skipped.items()) or "none"
    lines += ["", f"Not from the wire (derived by finsync, or tenant rows), not mutated ({len(skipped)}): {listed}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="system, table or table.column (repeatable)")
    parser.add_argument("--kind", choices=MUTATIONS, action="append", help="only this mutation (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (one process each)")
    parser.add_argument("--ym-items", choices=("export", "details"), default="export", help="batch items mode")
    parser.add_argument("--list", action="store_true", help="print the mutants and the columns left out, run nothing")
    args = parser.parse_args()
    mutants, skipped = declared(args.ym_items)
    mutants = [m for m in mutants if chosen(m, args.only) and (not args.kind or m.kind in args.kind)]
    skipped = [s for s in skipped if not args.only or any(f".{p}." in f".{s}." for p in args.only)]
    if args.list:
        for m in mutants:
            print(f"{m.id:60} {m.kind:7} {m.wire:9} {m.route:26} {m.path}")
        print(f"{len(mutants)} mutants; not from the wire ({len(skipped)}): {', '.join(skipped)}")
        return
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="finsync-mutants-") as work:
        os.environ["DLT_DATA_DIR"] = str(Path(work) / "dlt")
        start = time.monotonic()
        unseen: set[tuple[str, str]] = set()  # (endpoint, path) recorded, yet held by no record of a clean run
        for system in sorted({m.system for m in mutants}):
            details = system == "ym" and args.ym_items == "details"
            clean = baseline(system, work, **({"batch_items_mode": "details"} if details else {}))
            flagged = [f"{e}: {', '.join(sorted(f))}" for e, f in clean.stopped.items() if f]
            if clean.error is not None or flagged:
                sys.exit(f"the clean first sync of {system} is not clean: {clean.error or '; '.join(flagged)}")
            unseen |= {(e, p) for e, paths in clean.fields.items() for p in paths - clean.present[e]}
        print(f"baselines clean ({time.monotonic() - start:.0f} s); {len(mutants)} mutants", flush=True)
        runnable = [m for m in mutants if (ENDPOINTS[m.route], m.path) not in unseen]
        outcomes = [Outcome(m, "unmeasured", "no record of the clean sandbox holds it") for m in mutants
                    if (ENDPOINTS[m.route], m.path) in unseen]  # fmt: skip
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) if args.jobs > 1 else None
        results = pool.map(measure, runnable, [work] * len(runnable)) if pool else (measure(m, work) for m in runnable)
        for number, o in enumerate(results, start=1):
            outcomes.append(o)
            verdict = o.verdict.upper() if o.verdict != "caught" else "caught"
            elapsed = (time.monotonic() - start) / 60
            print(
                f"[{number:3}/{len(runnable)}] {o.mutant.id:55} {o.mutant.kind:6} {verdict} ({o.by}) "
                f"({o.seconds:.1f} s; {elapsed:.1f} min)",
                flush=True,
            )
        if pool:
            pool.shutdown()
        wall = time.monotonic() - start
    order = {(m.id, m.kind): n for n, m in enumerate(mutants)}
    outcomes.sort(key=lambda o: order[(o.mutant.id, o.mutant.kind)])
    text = report(outcomes, skipped, args.ym_items, wall)
    print("\n" + text)
    if not args.only and not args.kind and args.ym_items == "export":
        write_section("mutate_fields", text)
    sys.exit(1 if any(o.verdict == "survived" for o in outcomes) else 0)


if __name__ == "__main__":
    main()
