"""The whole crash-point matrix, on demand: `python bench/crash_matrix.py [--postgres-dsn ...]`.

Every named point (`finsync.crashpoints`), for each source, on a first load and an incremental one, by
SIGKILL (and by SIGTERM at the points where finsync's own stop applies), on DuckDB and PostgreSQL: the
scenarios of `tests/e2e/test_crash_points.py` with FINSYNC_CRASH_MATRIX=all. Each kills `finsync run` at
its point, runs it again and compares every table, column and version with a run never killed and with
the sandbox. Writes the results, point by point, to RESULTS.md (CI runs the share named there).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

from harness import machine, write_section

from finsync.crashpoints import POINTS

REPOSITORY = Path(__file__).resolve().parent.parent
TEST = "tests/e2e/test_crash_points.py"
COLUMNS = [(engine, mode) for engine in ("duckdb", "postgres") for mode in ("first", "incremental")]


def run_matrix(dsn: str | None) -> tuple[dict[str, str], float]:
    """Each scenario's outcome (`passed`, `failed`), by its test id, and the minutes it all took."""
    env = {**os.environ, "FINSYNC_CRASH_MATRIX": "all"}
    if dsn:
        env["FINSYNC_TEST_POSTGRES_DSN"] = dsn
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "matrix.xml"
        started = time.monotonic()
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", TEST]
        subprocess.run(args, cwd=REPOSITORY, env=env, check=False)
        minutes = (time.monotonic() - started) / 60
        outcomes = {}
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            name = case.get("name", "")
            failed = case.find("failure") is not None or case.find("error") is not None
            skipped = case.find("skipped") is not None
            outcomes[name] = "failed" if failed else ("skipped" if skipped else "passed")
    return outcomes, minutes


def table(outcomes: dict[str, str]) -> list[str]:
    """Per point and signal: for each engine and kind of load, the scenarios that passed of those run."""
    lines = [
        "| point | signal | " + " | ".join(f"{engine} {mode}" for engine, mode in COLUMNS) + " |",
        "|---|---|" + "---:|" * len(COLUMNS),
    ]
    for point in POINTS:
        for signal in ("KILL", "TERM"):
            cells = []
            for engine, mode in COLUMNS:
                found = Counter(
                    outcome
                    for name, outcome in outcomes.items()
                    if f"[{engine}-{mode}-" in name and re.search(rf"-{re.escape(point)}(=\w+)?-{signal}\]$", name)
                )
                cells.append(f"{found['passed']}/{sum(found.values())}" if found else "")
            if any(cells):
                lines.append(f"| `{point}` | {signal} | " + " | ".join(cells) + " |")
    upgrade = {name: outcome for name, outcome in outcomes.items() if "layout_upgrade" in name}
    passed = sum(outcome == "passed" for outcome in upgrade.values())
    lines.append(f"| `upgrade` | KILL, TERM | {passed}/{len(upgrade)} (DuckDB, a warehouse of layout 1) | | | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-dsn", default=os.environ.get("FINSYNC_TEST_POSTGRES_DSN"))
    options = parser.parse_args()
    outcomes, minutes = run_matrix(options.postgres_dsn)
    counted = Counter(outcomes.values())
    text = "\n".join(
        [
            "## Crash points: a run killed at each, then run again",
            "",
            f"_Machine: {machine()}. {len(outcomes)} scenarios in {minutes:.1f} minutes: {counted['passed']} "
            f"passed, {counted['failed']} failed, {counted['skipped']} skipped._",
            "",
            "Each scenario kills `finsync run --source <system>` at one named point (a cell counts YM and "
            "Younium), runs it again, and compares every table and view of the warehouse (every column; load "
            "ids left out, load times compared for being set) with a run of the same upstream never killed, "
            "and the source's tables with the sandbox's own expectations (keys and money), with no key held "
            "twice. A first load starts from an empty warehouse; an incremental one from a warehouse that "
            "loaded the sandbox once, after which the upstream changed. The views are rebuilt only when they "
            "change, which an incremental load of these changes does not do. CI runs the share of this "
            "matrix named in `IN_CI` of the test.",
            "",
            *table(outcomes),
        ]
    )
    print(text)
    write_section("crash-points", text)


if __name__ == "__main__":
    main()
