"""Soak: seeded schedules of upstream faults, data changes and killed runs, then an exact comparison.

Each schedule gets a fresh sandbox (both systems) and a fresh warehouse (DuckDB or PostgreSQL, in turn),
then a few steps. A step may change the upstream data, arms a random mix of faults (429/5xx, dropped and
truncated replies, slow pages, expired sessions, failed, cut, empty and malformed exports, "nothing found"
midway through a list, records changing between pages, unknown anchors) and runs `finsync run` as a user
would, sometimes killing it. Every run that exits 0 must leave the warehouse exactly equal to the sandbox's
data; after the last step the faults are cleared and a clean run must too.

Kills are aimed as well as random: a schedule's first kill lands inside the load step of a first load, or
(every third schedule) of the first load after a layout upgrade (the warehouse is turned back into the
layout an earlier finsync wrote), at a named crash point (`finsync.crashpoints`), by SIGKILL or SIGTERM.
Later kills are either aimed at a random point of any step or timed at random.

    python bench/soak.py --schedules 60 [--seed 1] [--postgres-dsn postgresql://…]

Run on demand (not in CI). Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from harness import machine, postgres_database, write_section

from finsync.crashpoints import ARMED_VARIABLE, POINTS, SIGNAL_VARIABLE
from finsync_sandbox import SandboxConfig, SandboxServer

FINSYNC = [sys.executable, "-m", "finsync"]
# The steps of a run, by the crash points inside each.
STEPS = {
    "extract": ("extract", "extracted"),
    "normalize": ("normalize", "normalize.committed"),
    "load": ("load.job_committed", "load.between_jobs", "load.jobs_done", "load.completed"),
    "after load": tuple(p for p in POINTS if p.startswith("after_load.")),
    "views": ("views",),
    "upgrade": ("upgrade",),
}
assert {p for points in STEPS.values() for p in points} == set(POINTS)
SITUATIONS = ("first load", "first load after an upgrade", "incremental")

# (weight, fault) pairs: what a step may arm. "Nothing found" is aimed at a later page: on page 1 it
# means "empty" by the API's own rule.
FAULTS: list[tuple[int, dict[str, Any]]] = [
    (3, {"kind": "status", "route": "ym.invoice_items", "status": 429, "retry_after": 0.2}),
    (3, {"kind": "status", "route": "younium.invoices", "status": 503}),
    (2, {"kind": "status", "route": "ym.finance_batches", "status": 502}),
    (2, {"kind": "status", "route": "younium.payments", "status": 500}),
    (2, {"kind": "drop", "route": "ym.invoice_items"}),
    (2, {"kind": "drop", "route": "younium.accounts"}),
    (2, {"kind": "truncate", "route": "younium.invoices"}),
    (2, {"kind": "truncate", "route": "ym.export_status"}),
    (2, {"kind": "truncate", "route": "ym.export_download"}),
    (1, {"kind": "slow", "route": "ym.invoice_items", "delay": 1.0}),
    (2, {"kind": "expire_sessions", "route": "ym.invoice_items"}),
    (2, {"kind": "expire_sessions", "route": "younium.invoices"}),
    (2, {"kind": "export_failure"}),
    (3, {"kind": "short_file", "route": "ym.export_download", "rows": 40}),
    (2, {"kind": "short_file", "route": "ym.export_download", "rows": 0}),
    (2, {"kind": "empty_file", "route": "ym.export_download"}),
    (2, {"kind": "malformed_row", "route": "ym.export_download", "rows": 5}),
    (3, {"kind": "nothing_found", "route": "younium.payments", "page": 2, "after": 0}),
    (3, {"kind": "nothing_found", "route": "younium.invoices", "page": 2, "after": 0}),
    (2, {"kind": "nothing_found", "route": "younium.invoices", "page": 3, "after": 0}),
    (3, {"kind": "modify", "route": "younium.invoices", "rows": 4}),
    (2, {"kind": "unknown_anchor", "route": "ym.finance_batches"}),
]


@dataclass
class Tally:
    schedules: int = 0
    runs: int = 0
    kills: int = 0
    exits: Counter[int] = field(default_factory=Counter)
    faults: int = 0
    checked_exit_0: int = 0
    exit_0_missing: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    by_destination: Counter[str] = field(default_factory=Counter)
    # Aimed kills that landed, by (situation, step, destination); random timed kills by destination.
    aimed: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    timed: Counter[str] = field(default_factory=Counter)


def sandbox_config(rng: random.Random) -> SandboxConfig:
    return SandboxConfig(
        seed=rng.randrange(1, 10_000),
        ym_items=rng.randrange(800, 1600),
        batch_size=rng.choice((80, 100, 120)),
        export_latency_seconds=0.05,
        younium_invoices=rng.randrange(150, 260),
        younium_accounts=20,
        younium_job_seconds=0.05,
    )


def run_env(server: SandboxServer, data_dir: Path, destination: str, dsn: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update(server.settings)
    env.update(
        DLT_DATA_DIR=str(data_dir),
        SOURCES__YM__EXPORT_POLL_INTERVAL="0.05",
        SOURCES__YM__INVOICE_ITEMS_PAGE_SIZE="150",
        SOURCES__YM__OVERLAP_HOURS="1",
        SOURCES__YM__MAX_ATTEMPTS="4",
        SOURCES__YOUNIUM__PAGE_SIZE="25",
        SOURCES__YOUNIUM__MAX_ATTEMPTS="4",
    )
    if destination == "postgres" and dsn:
        env["DESTINATION__POSTGRES__CREDENTIALS"] = dsn
    return env


VERBOSE = False


@dataclass(frozen=True)
class Kill:
    """How a step's run is stopped: at a named crash point of one source (by SIGKILL or SIGTERM), or by SIGKILL
    after a random time."""

    situation: str = ""
    step: str = ""
    point: str = ""  # "ym:load.job_committed"
    signal: str = "KILL"
    after: float | None = None


def run_finsync(args: list[str], env: dict[str, str], cwd: Path, kill: Kill | None) -> tuple[int | None, bool, str]:
    """Exit code of `finsync run` (None when it was killed), whether an aimed kill landed where aimed, and
    the error it printed last."""
    if kill is not None and kill.point:
        env = {**env, ARMED_VARIABLE: kill.point, SIGNAL_VARIABLE: kill.signal}
    process = subprocess.Popen(
        [*FINSYNC, "run", *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    timed = kill is not None and kill.after is not None
    try:
        _, errors = process.communicate(timeout=kill.after if timed else 300)  # type: ignore[union-attr]
    except subprocess.TimeoutExpired:
        if not timed:
            raise
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        return None, False, ""
    if kill is not None and kill.point and f"crash point {kill.point} reached" in errors:
        return None, True, ""
    last = next((line for line in reversed(errors.splitlines()) if line.startswith("error")), "")
    if VERBOSE and process.returncode:
        print(f"  exit {process.returncode}: …{errors.strip()[-300:]}", flush=True)
    return process.returncode, False, last


def choose_kill(rng: random.Random, situation: str, step: int) -> Kill | None:
    """A first load (and the first load after an upgrade) is killed inside its load step (or its upgrade);
    later steps are killed 30% of the time, half at a named point of any step, half after a random time."""
    source = rng.choice(("ym", "younium"))
    how = rng.choice(("KILL", "KILL", "TERM"))
    if situation == "first load" and step == 0:
        return Kill(situation, "load", f"{source}:{rng.choice(STEPS['load'])}", how)
    if situation == SITUATIONS[1] and step == 1:
        aimed = rng.choice(("load", "load", "upgrade"))
        return Kill(situation, aimed, f"{source}:{rng.choice(STEPS[aimed])}", how)
    if (situation == SITUATIONS[1] and step == 0) or rng.random() >= 0.3:
        return None
    if rng.random() < 0.5:
        aimed = rng.choice([name for name in STEPS if name != "upgrade"])
        return Kill("incremental", aimed, f"{source}:{rng.choice(STEPS[aimed])}", how)
    return Kill(after=rng.uniform(0.3, 4.0))


# What an earlier finsync wrote (layout 1): these calendar dates as the instant of their midnight in the
# source's zone, and no layout recorded.
OLD_LAYOUT_DATES = {
    "ym": ("America/New_York", {"invoice_items": ("line_item_date", "date_invoice_last_sent")}),
    "younium": ("UTC", {"invoices": ("invoice_date", "due_date"), "invoice_lines": ("service_period_start_date",)}),
}


def downgrade(reader: Reader) -> None:
    """Turn the warehouse back into the layout an earlier finsync wrote (its next run upgrades it in place)."""
    with reader.connect(write=True) as connection:
        cursor = connection.cursor()
        cursor.execute("DROP SCHEMA IF EXISTS analytics CASCADE")
        for schema, (zone, tables) in OLD_LAYOUT_DATES.items():
            for table, columns in tables.items():
                for column in columns:
                    cursor.execute(
                        f"ALTER TABLE {schema}.{table} ALTER COLUMN {column} TYPE TIMESTAMP WITH TIME ZONE "
                        f"USING CAST({column} AS TIMESTAMP) AT TIME ZONE '{zone}'"
                    )
        cursor.execute("DELETE FROM finsync_meta.warehouse WHERE key LIKE 'layout.%' OR key = 'views'")
        connection.commit()


# -- the comparison: written here from the sandbox's own expectations, not from finsync's code ----------


class Reader:
    def __init__(self, destination: str, path: Path, dsn: str | None) -> None:
        self.destination, self.path, self.dsn = destination, path, dsn

    @contextlib.contextmanager
    def connect(self, write: bool = False) -> Iterator[Any]:
        if self.destination == "duckdb":
            import duckdb

            connection = duckdb.connect(str(self.path), read_only=not write)
        else:
            import psycopg2

            connection = psycopg2.connect(self.dsn)
        try:
            yield connection
        finally:
            connection.close()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect() as connection:
            cursor = connection.cursor()
            cursor.execute(sql)
            return [tuple(r) for r in cursor.fetchall()]


def differences(reader: Reader, server: SandboxServer) -> list[str]:
    """What the warehouse holds that the sandbox does not say it must, table by table (empty: exact)."""
    found: list[str] = []
    dataset = server.sandbox.dataset

    def check(label: str, got: object, want: object) -> None:
        if got != want:
            found.append(f"{label}: warehouse {str(got)[:120]} != sandbox {str(want)[:120]}")

    try:
        for table, ids in (
            ("invoice_items", dataset.expected_invoice_item_ids()),
            ("finance_batch_items", dataset.expected_batch_item_ids()),
        ):
            keys = [r[0] for r in reader.rows(f"SELECT line_item_id FROM ym.{table} ORDER BY 1")]
            check(f"ym.{table} keys", keys, list(ids))
            money = dataset.expected_money(ids)
            sums = reader.rows(f"SELECT SUM(line_total), SUM(line_item_amount) FROM ym.{table}")[0]
            check(f"ym.{table} money", tuple(Decimal(s or 0) for s in sums), (money.line_total, money.line_item_amount))
        batches = reader.rows("SELECT batch_id, item_count, closed_date IS NULL FROM ym.finance_batches ORDER BY 1")
        check("ym.finance_batches", batches, [(b.batch_id, b.item_count, b.is_open) for b in dataset.batches()])
        tenant = server.sandbox.younium
        expected, ids = tenant.expected(), tenant.expected_ids()
        for table, keys in ids.items():
            # Rows found deleted upstream stay, marked: the sandbox's expectations leave them out.
            loaded = [r[0] for r in reader.rows(f"SELECT id FROM younium.{table} WHERE deleted_at IS NULL ORDER BY 1")]
            if loaded != keys:
                missing, extra = sorted(set(keys) - set(loaded)), sorted(set(loaded) - set(keys))
                found.append(f"younium.{table} keys: {len(missing)} missing {missing[:2]}, {len(extra)} extra")
        invoices, lines = expected["invoices"], expected["invoice_lines"]
        check(
            "younium.invoices money",
            reader.rows("SELECT SUM(subtotal), SUM(tax), SUM(total_amount) FROM younium.invoices")[0],
            (Decimal(invoices["subtotal"]), Decimal(invoices["tax"]), Decimal(invoices["total_amount"])),
        )
        check(
            "younium.invoice_lines money",
            reader.rows("SELECT COUNT(*), SUM(subtotal), SUM(total) FROM younium.invoice_lines")[0],
            (lines["rows"], Decimal(lines["subtotal"]), Decimal(lines["total"])),
        )
        for table in ("payments", "payment_settlements"):
            check(
                f"younium.{table}",
                reader.rows(f"SELECT COUNT(*), SUM(amount), COUNT(deleted_at) FROM younium.{table}")[0],
                (expected[table]["rows"], Decimal(expected[table]["amount"]), 0),
            )
        check(
            "younium.invoice_batches__invoices",
            reader.rows("SELECT COUNT(*) FROM younium.invoice_batches__invoices")[0][0],
            expected["invoice_batches__invoices"]["rows"],
        )
    except Exception as error:  # a table missing altogether is a difference too
        found.append(f"unreadable warehouse: {type(error).__name__}: {str(error).splitlines()[0][:160]}")
    return found


# -- schedules -------------------------------------------------------------------------------------------


def change_upstream(rng: random.Random, server: SandboxServer) -> bool:
    """Move the sandbox on a little; True when entries were back-dated (the next run must sweep)."""
    dataset = server.sandbox.dataset
    if rng.random() < 0.6:
        dataset.advance(rng.randrange(0, 300))
    backdated = rng.random() < 0.25
    if backdated:
        dataset.backdate(rng.randrange(1, 3), days=rng.randrange(3, 25))
    if rng.random() < 0.6:
        tenant = server.sandbox.younium
        drafts = sum(
            1
            for n in tenant.dataset.invoices.numbers()
            if tenant.dataset.invoices.status_name(n) == "Draft" and tenant.dataset.billing.batch_of(n) is None
        )
        tenant.advance(
            new_invoices=rng.randrange(0, 30),
            modified_invoices=min(drafts - 1, rng.randrange(0, 8)) if drafts > 1 else 0,
            new_accounts=rng.randrange(0, 3),
        )
    return backdated


def arm_faults(rng: random.Random, server: SandboxServer) -> int:
    """Faults for the next run only: what the last run did not use is dropped, so every fault's `after` counts
    from the start of a run (a "nothing found" armed for page 2 never lands on a later run's page 1)."""
    server.sandbox.faults.clear()
    weights = [w for w, _ in FAULTS]
    chosen = rng.choices([f for _, f in FAULTS], weights=weights, k=rng.randrange(1, 5))
    for fault in chosen:
        fault = dict(fault)
        fault.setdefault("after", rng.randrange(0, 4))
        fault["times"] = rng.choice((1, 1, 1, 2))
        if fault["kind"] == "export_failure":
            batches = [b for b in server.sandbox.dataset.batches() if not b.is_open]
            fault["batch_id"] = rng.choice(batches).batch_id if batches else None
            fault.pop("after")
        server.sandbox.faults.add(**fault)
        if VERBOSE:
            print(f"  fault {fault}", flush=True)
    return len(chosen)


def schedule(number: int, seed: int, steps: int, dsn: str | None, tally: Tally) -> None:
    rng = random.Random(seed * 1_000_003 + number)
    destination = "postgres" if dsn and number % 2 else "duckdb"
    situation = SITUATIONS[(number // 2) % len(SITUATIONS)]  # each situation on both engines in turn
    tally.schedules += 1
    tally.by_destination[destination] += 1
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="finsync-soak-")))
        database = stack.enter_context(postgres_database(dsn)) if destination == "postgres" and dsn else None
        server = stack.enter_context(SandboxServer(config=sandbox_config(rng), log_level="critical"))
        env = run_env(server, tmp / "dlt", destination, database)
        reader = Reader(destination, tmp / "finsync.duckdb", database)
        args = ["--destination", destination]
        sweep = False
        code: int | None = None
        for step in range(steps):
            if step:
                sweep = change_upstream(rng, server) or sweep
            kill = choose_kill(rng, situation, step)
            aimed_first = kill is not None and kill.situation != "incremental" and bool(kill.point)
            if situation == SITUATIONS[1] and step == 1 and code == 0:
                downgrade(reader)
            if aimed_first or (situation == SITUATIONS[1] and step == 0):
                server.sandbox.faults.clear()  # a first load is killed where aimed, not stopped by a fault first
            else:
                tally.faults += arm_faults(rng, server)
            if VERBOSE:
                print(f"  step {step}: run {kill or ''}", flush=True)
            code, landed, _ = run_finsync([*args, *(["--sweep"] if sweep else [])], env, tmp, kill)
            tally.runs += 1
            if code is None:
                tally.kills += 1
                if landed and kill is not None:
                    tally.aimed[(kill.situation, kill.step, destination)] += 1
                else:
                    tally.timed[destination] += 1
                continue
            tally.exits[code] += 1
            if code == 0:
                sweep = False
                tally.checked_exit_0 += 1
                missing = differences(reader, server)
                if missing:
                    tally.exit_0_missing.append(f"schedule {number} step {step} ({destination}): {missing[0]}")
                    print(f"  EXIT 0 WITH DATA MISSING: {tally.exit_0_missing[-1]}", flush=True)
        server.sandbox.faults.clear()
        for _ in range(3):
            code, _, error = run_finsync([*args, *(["--sweep"] if sweep else [])], env, tmp, None)
            tally.runs += 1
            tally.exits[code or 0] += 1
            if code == 0:
                break
        final = differences(reader, server) if code == 0 else [f"the clean reruns exited {code}: {error[:300]}"]
        if final:
            tally.mismatches.append(f"schedule {number} ({destination}): {final[0]}")
            print(f"  MISMATCH: {tally.mismatches[-1]}", flush=True)


def report(tally: Tally, seconds: float, seed: int, steps: int) -> str:
    exits = ", ".join(f"{code}: {count}" for code, count in sorted(tally.exits.items()))
    destinations = ", ".join(f"{name} {count}" for name, count in sorted(tally.by_destination.items()))
    lines = [
        f"_Machine: {machine()}. Seed {seed}, {steps} faulty steps per schedule, {seconds / 60:.1f} minutes._",
        "",
        "## Soak: faults, changes and kills, then an exact comparison",
        "",
        "Every schedule: a fresh sandbox and warehouse; steps that change the upstream data, arm 1-4 random "
        "faults and run `finsync run`; then the faults are cleared and a clean run must leave the warehouse "
        "exactly equal to the sandbox's data (keys, each once, and money of every table of both systems, no "
        "payment marked deleted). Every run that exited 0 was compared too. Kills: a schedule's first load (a "
        "third of them: its first load after a layout upgrade) is killed inside its load step (or its upgrade) "
        "at a named crash point, by SIGKILL or SIGTERM; 30% of the later runs are killed, half at a named point "
        "of any step, half by SIGKILL after 0.3-4 s.",
        "",
        "| schedules | runs | kills | faults armed | exit codes | exit-0 runs compared "
        "| exit 0 with data missing or doubled | final mismatches |",
        "|---:|---:|---:|---:|---|---:|---:|---:|",
        f"| {tally.schedules} ({destinations}) | {tally.runs} | {tally.kills} | {tally.faults} | {exits} | "
        f"{tally.checked_exit_0} | **{len(tally.exit_0_missing)}** | **{len(tally.mismatches)}** |",
        "",
        "Where the kills landed (aimed kills by the crash point that fired; timed kills wherever they fell):",
        "",
        "| situation | step | DuckDB | PostgreSQL |",
        "|---|---|---:|---:|",
    ]
    for situation in SITUATIONS:
        for step in STEPS:
            counts = [tally.aimed[(situation, step, d)] for d in ("duckdb", "postgres")]
            if any(counts):
                lines.append(f"| {situation} | {step} | {counts[0]} | {counts[1]} |")
    lines.append(f"| any | random time | {tally.timed['duckdb']} | {tally.timed['postgres']} |")
    for problem in tally.exit_0_missing + tally.mismatches:
        lines.append(f"- {problem}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schedules", type=int, default=60)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=1, help="start at this schedule (to replay one)")
    parser.add_argument("--postgres-dsn", default=os.environ.get("FINSYNC_TEST_POSTGRES_DSN"))
    parser.add_argument("--no-write", action="store_true", help="print the results without writing RESULTS.md")
    parser.add_argument("--verbose", action="store_true", help="print why each failed run failed")
    options = parser.parse_args()
    global VERBOSE
    VERBOSE = options.verbose
    tally = Tally()
    started = time.monotonic()
    for number in range(options.first, options.schedules + 1):
        schedule(number, options.seed, options.steps, options.postgres_dsn, tally)
        print(
            f"schedule {number}/{options.schedules}: runs {tally.runs}, kills {tally.kills}, "
            f"exit-0 missing {len(tally.exit_0_missing)}, mismatches {len(tally.mismatches)}",
            flush=True,
        )
    text = report(tally, time.monotonic() - started, options.seed, options.steps)
    print(text)
    if not options.no_write:
        write_section("soak", text)


if __name__ == "__main__":
    main()
