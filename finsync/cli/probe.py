"""`finsync probe`: check a tenant before trusting it (see `finsync.sources.probe`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.table import Table as RichTable

from .output import out, say


def probe_targets(targets: list[Any], out_dir: Path) -> int:
    """Probe each tenant in turn, write its Markdown and JSON reports under `out_dir`, print what each
    found; the exit code: 0 when every tenant serves everything a run needs, else 1."""
    from finsync.sources.probe import ProbeReport
    from finsync.sources.ym.probe import probe as probe_ym
    from finsync.sources.younium.probe import probe as probe_younium
    from finsync.warehouse.registry import SOURCES

    probes = {"ym": probe_ym, "younium": probe_younium}
    out_dir.mkdir(parents=True, exist_ok=True)
    reports: list[ProbeReport] = []
    for target in targets:
        say(f"probing {target.label} …")
        settings = SOURCES[target.source].settings.from_config({}, target)
        report = probes[target.source](settings, target.label)  # type: ignore[operator]
        stem = out_dir / f"probe-{target.dataset}"
        stem.with_suffix(".md").write_text(report.markdown())
        stem.with_suffix(".json").write_text(json.dumps(report.as_json(), indent=2) + "\n")
        reports.append(report)
        _show(report)
        say(f"report written to {stem}.md and {stem}.json (names, types and counts only)")
    return 0 if all(r.ok for r in reports) else 1


def _show(report: Any) -> None:
    table = RichTable(title=f"{report.system} ({report.tenant})", title_justify="left")
    for column in ("endpoint", "status", "announced", "sampled", "seen", "undeclared", "problems"):
        table.add_column(column, justify="left" if column in ("endpoint", "status") else "right", overflow="fold")
    for e in report.endpoints:
        table.add_row(
            e.endpoint,
            e.status + ("" if e.needed else " (not read with these settings)"),
            "" if e.announced is None else f"{e.announced:,}",
            f"{e.census.records:,}",
            str(len(e.fields["declared and seen"])),
            str(len(e.census.undeclared)),
            str(len(e.problems)),
        )
    out.print(table)
    for e in report.endpoints:
        for problem in e.problems:
            out.print(f"[red]problem[/]: {problem}", highlight=False)
    if report.ok:
        out.print(f"[green]{report.system} ({report.tenant}) serves everything a run needs.[/]", highlight=False)
