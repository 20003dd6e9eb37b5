"""Every declared wire field under mutation: `python bench/mutate_fields.py [--only T[.C]] [--jobs 2] [--list]`.

For each column of each declared table (`finsync.warehouse.registry.SOURCES`), its upstream field is renamed
in the declaration (`InvoiceNo` becomes `InvoiceNo__renamed`) while the warehouse column keeps its name: the
warehouse looks the same, the column simply stops being filled, as when a declaration and upstream disagree.
Each such mutant runs a selection of tests (the contract test against the sandbox's names, and the end-to-end
tests comparing the warehouse with the sandbox on DuckDB) and is caught when one of them fails (a failure is
confirmed by running the failing test again). The rename is applied in every Python process of the run by a
generated `sitecustomize.py` first on PYTHONPATH, in place on the Column (shared columns are one mutant).
Columns finsync sets itself (keys, parents' ids, positions, `deleted_at`, the tenant rows) are listed, not run.
Exit 1 if any mutant survived. A full run with the default tests writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from harness import machine, write_section

from finsync.tables import Column
from finsync.warehouse.registry import SOURCES

REPOSITORY = Path(__file__).resolve().parent.parent
SUFFIX = "__renamed"
E2E = "tests/e2e"
CONTRACT = "tests/unit/test_sandbox_fields.py"
YM_E2E = (
    "a_first_sync_loads_exactly_the_sandbox_data",
    "a_rerun_after_new_data_reads_only_what_is_new",
    "a_rerun_with_nothing_new_changes_nothing",
    "details_mode_loads_the_same_batch_items_without_exports",
    "pii_drop_keeps_no_personal_column",
)
YOUNIUM_E2E = (
    "a_first_sync_loads_exactly_the_sandbox_data",
    "a_rerun_after_advancing_has_the_new_and_changed_rows_and_still_every_untouched_line",
    "a_rerun_with_nothing_new_reads_at_most_one_page_per_list",
)
DEFAULT_TESTS = {  # per source: a YM field cannot reach a Younium test, nor the reverse
    "ym": [CONTRACT, *(f"{E2E}/test_ym_sync.py::test_{t}" for t in YM_E2E)],
    "younium": [CONTRACT, *(f"{E2E}/test_younium_sync.py::test_{t}" for t in YOUNIUM_E2E), f"{E2E}/test_ledger.py"],
}
PYTEST = ["-x", "-q", "-p", "no:cacheprovider", "-m", "not postgres"]
DERIVED_DOC = re.compile(r"\b(set|derived|counted)( from 1)? by finsync", re.IGNORECASE)
# Set by finsync though their docs do not say so: the ledger's row functions and the tenant rows.
DERIVED = {"tenant.*", "accounting_transactions.journal_id"} | {
    f"accounting_transaction_lines.{c}" for c in ("journal_id", "transaction_key")
}

SITECUSTOMIZE = '''"""Renames the field FINSYNC_MUTANT (dataset.table.column) names; see bench/mutate_fields.py."""
import os
import sys

def _apply(mutant):
    from finsync.warehouse.registry import SOURCES
    if mutant == "none":
        return "none"
    dataset, table, name = mutant.split(".")
    column = next(c for t in SOURCES[dataset].tables if t.name == table for c in t.columns if c.name == name)
    # In place: every tuple holding it sees it, and each list's records are built from the declarations per run.
    object.__setattr__(column, "source", column.source + "__renamed")
    return column.source

if os.environ.get("FINSYNC_MUTANT"):
    _failed = None
    try:
        _done = _apply(os.environ["FINSYNC_MUTANT"])
    except Exception as error:
        _done = _failed = f"(failed: {type(error).__name__}: {error})"
    with open(os.environ["FINSYNC_MUTANT_LOG"], "a") as _log:
        _log.write(f"{os.getpid()} {_done} {' '.join(getattr(sys, 'argv', []))}\\n")
    if _failed:  # the product cannot start with this rename: the run stops here
        sys.stderr.write(f"finsync mutant {os.environ['FINSYNC_MUTANT']}: {_failed}\\n")
        os._exit(3)
'''


@dataclass
class Mutant:
    id: str  # dataset.table.column, of the first table declaring the column
    dataset: str
    tables: tuple[str, ...]  # every table of the dataset declaring this very Column
    column: Column


@dataclass
class Outcome:
    mutant: Mutant
    caught: bool
    by: str = ""  # the failing test, or why it counts as caught
    seconds: float = 0.0
    crashed: bool = False
    flaky: bool = False


def derived(table: str, column: Column) -> bool:
    named = {f"{table}.{column.name}", f"{table}.*"}
    return column.name == "deleted_at" or bool(DERIVED_DOC.search(column.doc) or DERIVED & named)


def declared() -> tuple[list[Mutant], list[str]]:
    """The mutants (one per Column object, in declaration order) and the derived columns, `dataset.table.column`."""
    mutants: dict[int, Mutant] = {}
    skipped: list[str] = []
    for dataset, spec in SOURCES.items():
        for table in spec.tables:
            for column in table.columns:
                if derived(table.name, column):
                    skipped.append(f"{dataset}.{table.name}.{column.name}")
                elif id(column) in mutants:
                    mutants[id(column)].tables += (table.name,)
                else:
                    mutant = Mutant(f"{dataset}.{table.name}.{column.name}", dataset, (table.name,), column)
                    mutants[id(column)] = mutant
    return list(mutants.values()), skipped


def chosen(mutant: Mutant, only: list[str]) -> bool:
    names = {n for t in mutant.tables for n in (t, f"{mutant.dataset}.{t}")} | {mutant.dataset}
    return not only or any(p in names or p in {f"{n}.{mutant.column.name}" for n in names} for p in only)


def pytest(mutant: str, tests: list[str], work: Path, label: str) -> tuple[int, str, list[str]]:
    """Run `tests` with `mutant` applied: (exit code, first failing test, the processes that applied it)."""
    log = work / f"{label}.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "FINSYNC_MUTANT": mutant, "FINSYNC_MUTANT_LOG": str(log)}
    env["PYTHONPATH"] = os.pathsep.join([str(work / "site"), str(REPOSITORY), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "pytest", *PYTEST, "--basetemp", str(work / label), *tests]
    done = subprocess.run(command, cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=1800)
    failed = re.search(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.MULTILINE)
    applied = log.read_text().splitlines() if log.exists() else []
    return done.returncode, failed.group(1) if failed else "", applied


def run(mutant: Mutant, tests: list[str], work: Path) -> Outcome:
    """Caught when a test fails and fails again alone; a failure that passes alone is run once more in full."""
    start, label = time.monotonic(), mutant.id.replace(".", "-")
    outcome = Outcome(mutant, caught=False)
    for attempt in (1, 2):
        code, failed, applied = pytest(mutant.id, tests, work, label)
        if not applied or not all(line.split()[1].endswith(SUFFIX) for line in applied):
            outcome = Outcome(mutant, True, "crashed at start: " + "; ".join(applied)[:200], crashed=True)
            break
        if code == 0:
            break
        if not failed:  # no test ran to fail: the run itself broke (collection, start-up)
            outcome = Outcome(mutant, True, f"pytest exited {code} before any test failed", crashed=True)
            break
        if pytest(mutant.id, [failed], work, label)[0] != 0:
            outcome = Outcome(mutant, True, failed, flaky=attempt > 1)
            break
        outcome = Outcome(mutant, False, f"{failed} failed once, passed alone", flaky=True)
    outcome.seconds = time.monotonic() - start
    return outcome


def baseline(tests: list[str], work: Path) -> str:
    """Why `tests` cannot measure anything (they fail with no mutant, twice), or "" when they pass."""
    failures = []
    for _attempt in (1, 2):
        code, failed, applied = pytest("none", tests, work, f"baseline-{abs(hash(tuple(tests)))}")
        if code == 0 and applied:
            return ""
        failures.append(f"exit {code}, {failed or 'no failing test'}")
    return f"{' '.join(tests)} fail without any mutant ({'; '.join(failures)})"


def described(tests: list[str]) -> str:
    files: dict[str, list[str]] = defaultdict(list)
    for test in tests:
        path, _, name = test.partition("::")
        files[path] += [name.removeprefix("test_")] if name else []
    return ", ".join(f"`{f}`" + (f" ({', '.join(n)})" if n else "") for f, n in files.items())


def report(outcomes: list[Outcome], skipped: list[str], tests: str, wall: float) -> str:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[f"{o.mutant.dataset}.{' + '.join(o.mutant.tables)}"].append(o)
    caught = sum(o.caught for o in outcomes)
    seconds = [o.seconds for o in outcomes]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True)
    lines = [
        "## Declared fields under mutation",
        "",
        f"_{date.today()}, commit {commit.stdout.strip()}; machine: {machine()}._",
        "",
        "`python bench/mutate_fields.py`: each declared wire field renamed in finsync's declaration (the warehouse "
        "column keeping its name), then the tests run; caught when one fails (and fails again alone). "
        f"Tests: {tests}.",
        "",
        f"**{caught} of {len(outcomes)} fields caught**; {len(skipped)} derived columns (set by finsync, not a wire "
        f"field) not mutated. Wall time {wall / 60:.1f} min; per mutant median {statistics.median(seconds or [0]):.1f}"
        f" s, mean {statistics.fmean(seconds or [0]):.1f} s, max {max(seconds or [0]):.1f} s.",
        "",
        "| table | fields mutated | caught | survivors |",
        "|---|---:|---:|---|",
    ]
    for name, group in groups.items():
        survivors = ", ".join(o.mutant.column.name for o in group if not o.caught) or "none"
        lines.append(f"| {name} | {len(group)} | {sum(o.caught for o in group)} | {survivors} |")
    marked = [o for o in outcomes if o.crashed or o.flaky]
    if marked:
        lines += ["", "Flagged: " + "; ".join(f"{o.mutant.id} ({o.by})" for o in marked) + "."]
    by_table: dict[str, list[str]] = defaultdict(list)
    for name in skipped:
        by_table[name.rsplit(".", 1)[0]].append(name.rsplit(".", 1)[1])
    derived_list = "; ".join(f"{t} ({', '.join(c)})" for t, c in by_table.items()) or "none"
    lines += ["", f"Derived, not a wire field ({len(skipped)}): {derived_list}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="table or table.column (repeatable)")
    parser.add_argument("--tests", help="pytest arguments for every mutant, instead of the default selection")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once")
    parser.add_argument("--list", action="store_true", help="print the mutants and the derived columns, run nothing")
    args = parser.parse_args()
    mutants, skipped = declared()
    mutants = [m for m in mutants if chosen(m, args.only)]
    skipped = [s for s in skipped if not args.only or any(f".{p}." in f".{s}." for p in args.only)]
    if args.list:
        for m in mutants:
            print(f"{m.id:60} {m.column.source} -> {m.column.source}{SUFFIX}  ({', '.join(m.tables)})")
        print(f"{len(mutants)} mutants; derived, not a wire field ({len(skipped)}): {', '.join(skipped)}")
        return
    selection = {d: shlex.split(args.tests) if args.tests else t for d, t in DEFAULT_TESTS.items()}
    with tempfile.TemporaryDirectory(prefix="finsync-mutants-") as temporary:
        work = Path(temporary)
        (work / "site").mkdir()
        (work / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
        start = time.monotonic()
        selections = {tuple(selection[m.dataset]) for m in mutants}
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            broken = [e for e in pool.map(lambda t: baseline(list(t), work), selections) if e]
        if broken:
            sys.exit("\n".join(broken))
        print(f"baselines pass ({time.monotonic() - start:.0f} s); {len(mutants)} mutants", flush=True)
        outcomes: list[Outcome] = []
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(run, m, selection[m.dataset], work) for m in mutants]
            for number, future in enumerate(futures, start=1):
                o = future.result()
                outcomes.append(o)
                verdict = f"caught by {o.by}" if o.caught else "SURVIVED" + (f" ({o.by})" if o.by else "")
                elapsed = (time.monotonic() - start) / 60
                print(f"[{number:3}/{len(mutants)}] {o.mutant.id:55} {verdict} ({o.seconds:.0f} s; {elapsed:.1f} min)")
                sys.stdout.flush()
        wall = time.monotonic() - start
    tests = f"`{args.tests}`" if args.tests else "; ".join(f"{d}: {described(t)}" for d, t in DEFAULT_TESTS.items())
    text = report(outcomes, skipped, f"{tests}; each with `pytest {' '.join(PYTEST[:-1])} '{PYTEST[-1]}'`", wall)
    print("\n" + text)
    if not args.only and not args.tests:
        write_section("mutate_fields", text)
    sys.exit(1 if any(not o.caught for o in outcomes) else 0)


if __name__ == "__main__":
    main()
