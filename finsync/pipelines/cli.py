"""The `finsync` command line: run, demo, sandbox."""

from __future__ import annotations

import logging
import os
import sys
import time
from enum import Enum
from typing import Annotated

import typer
from rich.table import Table as RichTable

from finsync.errors import FinsyncError
from finsync.sources._http import install_log_redaction, redact

from .display import console, out, sync_with_progress
from .options import DestinationChoice, DestinationOption, DuckdbPath, warehouse
from .runner import DEFAULT_DUCKDB_PATH, SOURCES, Warehouse, settings_from_env

app = typer.Typer(
    name="finsync",
    help="Keep a finance warehouse in sync with YourMembership and Younium.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class SourceChoice(str, Enum):
    ym = "ym"
    younium = "younium"
    all = "all"


@app.command()
def run(
    source: Annotated[SourceChoice, typer.Option(help="Which upstream system to sync.")] = SourceChoice.all,
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Drop the source's tables and state, then reload everything.")
    ] = False,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep", help="Also re-read the wide window now (YM: sweep_days of invoice items), whether due or not."
        ),
    ] = False,
) -> None:
    """Sync incrementally from the configured tenants (settings: env vars or .dlt/*.toml)."""
    names = list(SOURCES) if source is SourceChoice.all else [source.value]
    settings = {"ym": {"sweep": True}} if sweep else {}
    raise typer.Exit(sync_with_progress(names, warehouse(destination, duckdb_path), full_refresh, settings))


@app.command()
def demo(duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH) -> None:
    """Start the bundled sandbox, sync every source from it into DuckDB, and print a summary."""
    from finsync.sandbox import SandboxConfig, SandboxServer

    started = time.monotonic()
    with SandboxServer(config=SandboxConfig()) as sandbox:
        console.print(f"sandbox listening on {sandbox.url}", highlight=False)
        settings = settings_from_env(sandbox.settings)
        settings["ym"]["export_poll_interval"] = 0.1  # the sandbox's exports finish in a fraction of a second
        code = sync_with_progress(list(settings), Warehouse("duckdb", duckdb_path), False, settings)
    console.print(
        f"demo finished in {time.monotonic() - started:.1f}s; query {duckdb_path} with DuckDB.", highlight=False
    )
    raise typer.Exit(code)


@app.command()
def status(
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
) -> None:
    """Per source: last successful load, cursor positions, rows per table, pending or failed work."""
    from .status import all_statuses

    statuses = all_statuses(warehouse(destination, duckdb_path))
    loads = RichTable(title="finsync status", title_justify="left")
    for column in ("source", "last successful load (UTC)", "loads", "pending packages", "failed batches"):
        loads.add_column(column)
    cursors = RichTable(title="cursors", title_justify="left")
    tables = RichTable(title="rows per table", title_justify="left")
    for table, columns in ((cursors, ("source", "cursor", "position")), (tables, ("table", "rows"))):
        for column in columns:
            table.add_column(column, justify="right" if column == "rows" else "left", overflow="fold")
    for s in statuses:
        last = f"{s.last_load_at:%Y-%m-%d %H:%M:%S}" if s.last_load_at else "never"
        failed = ", ".join(sorted(s.failed_batches)) or "-"
        loads.add_row(s.source, last, str(s.loads), str(s.pending_packages), failed)
        for name, value in s.cursors.items():
            cursors.add_row(s.source, name, value)
        for name, rows in s.tables.items():
            tables.add_row(f"{s.source}.{name}", f"{rows:,}")
    out.print(loads, cursors, tables)


@app.command()
def check(
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
) -> None:
    """Reconcile: batch item counts against what was loaded, orphaned items, money per batch. Exit 1 if off."""
    from .reconcile import reconcile

    result = reconcile(warehouse(destination, duckdb_path))
    summary = RichTable(title="batches", title_justify="left")
    for column in ("source", "batches", "complete", "open or draft", "items loaded", "total amount"):
        summary.add_column(column, justify="left" if column == "source" else "right")
    for s in result.summaries:
        summary.add_row(
            s.source, str(s.batches), str(s.complete), str(s.pending), f"{s.items:,}", f"{s.total_amount:,}"
        )
    out.print(summary)
    if result.ok:
        out.print("[green]All batches reconcile.[/]")
        return
    findings = RichTable(title=f"{len(result.findings)} problem(s)", title_justify="left")
    for column in ("problem", "source", "batch", "detail"):
        findings.add_column(column)
    for f in result.findings:
        findings.add_row(f.kind, f.source, f.batch_id, f.detail)
    out.print(findings)
    raise typer.Exit(1)


def _register_subcommands() -> None:
    from finsync.sandbox.cli import sandbox_app

    from .younium_cli import younium_app

    app.add_typer(sandbox_app, name="sandbox", help="The local emulator of both APIs.")
    app.add_typer(younium_app, name="younium", help="Younium invoice-batch jobs (generate, post): they write to it.")


_register_subcommands()


def main() -> None:
    install_log_redaction()
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)  # progress records are for the live status line only
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    try:
        app()
    except FinsyncError as error:  # raised outside a sync, e.g. while reading settings
        console.print(f"[red]error[/]: {error}", highlight=False)
        sys.exit(error.exit_code)
    except Exception as error:  # a defect: still one readable, redacted paragraph rather than a traceback
        if os.environ.get("FINSYNC_DEBUG"):
            raise
        console.print(
            f"[red]error[/]: finsync stopped on an unexpected {type(error).__name__}: {redact(str(error))}. "
            "Nothing was half-applied and a rerun resumes; run again with FINSYNC_DEBUG=1 to see the traceback.",
            highlight=False,
        )
        sys.exit(1)
