"""The `finsync` command line: run, demo, status, check, probe, report, sandbox, younium jobs.

Exit codes: 0 success; 1 a sync failed (nothing half-applied); 2 bad usage, configuration or credentials;
75 another run (or program) holds the warehouse, try later; 130 / 143 stopped by SIGINT / SIGTERM.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from enum import Enum
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.table import Table as RichTable

from finsync.errors import ConfigurationError, FinsyncError, Interrupted, signal_name
from finsync.http import install_log_redaction, redact, request_stop
from finsync.warehouse import DEFAULT_DUCKDB_PATH

from .options import DestinationChoice, DestinationOption, DuckdbPath, duration, warehouse
from .output import configure, console, out, print_result, say

DEFAULT_DEMO_PATH = Path("finsync-demo.duckdb")

app = typer.Typer(
    name="finsync",
    help="Keep a finance warehouse in sync with YourMembership and Younium.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: flags shown as flags, every option on one line (Rich's panels show flags as taking a value).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"finsync {version('finsync')}", highlight=False)
        raise typer.Exit(0)


class LogFormatChoice(str, Enum):
    text = "text"
    json = "json"


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print finsync's version and exit."),
    ] = False,
    log_format: Annotated[
        LogFormatChoice,
        typer.Option(
            "--log-format",
            help="Lines on stderr: text, or one JSON object per line (for log shippers). A terminal gets a live "
            "display unless json is asked for.",
        ),
    ] = LogFormatChoice.text,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the summary.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also log each request and page (redacted).")
    ] = False,
) -> None:
    """Keep a finance warehouse in sync with YourMembership and Younium."""
    configure(log_format.value, quiet=quiet, verbose=verbose)


class SourceChoice(str, Enum):
    ym = "ym"
    younium = "younium"
    all = "all"


SourceOption = Annotated[SourceChoice, typer.Option(help="Which upstream system.")]
TenantOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tenant",
        metavar="NAME",
        help="Only this tenant (repeatable): a name under [sources.<system>.tenants], or default. All by default.",
    ),
]


def _names(source: SourceChoice) -> list[str]:
    return (
        [s.value for s in SourceChoice if s is not SourceChoice.all] if source is SourceChoice.all else [source.value]
    )


def _targets(source: SourceChoice, tenants: list[str] | None, also_loaded_in: Any = None) -> list[Any]:
    """The tenants the settings name (all, or those in `tenants`), and those the warehouse `also_loaded_in`
    holds data of."""
    from finsync.warehouse.targets import configured_targets, loaded_targets

    targets = configured_targets(_names(source), tenants or None)
    if also_loaded_in is not None and also_loaded_in.exists():
        with also_loaded_in.connect(read_only=True) as connection:
            held = loaded_targets(connection)
        targets += [t for t in held if t.source in _names(source) and (not tenants or t.tenant in tenants)]
    return sorted(set(targets))


@app.command()
def run(
    source: SourceOption = SourceChoice.all,
    tenant: TenantOption = None,
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Drop the source's tables and state, then reload everything.")
    ] = False,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep",
            help="Sweep now, whether due or not: YM re-reads sweep_days of invoice items and lists every batch "
            "(revised ones are read again); Younium reads invoices, accounts, products and batches whole, to find "
            "deletions.",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before a --full-refresh.")] = False,
    reader_copy: Annotated[
        Path | None,
        typer.Option(
            "--duckdb-reader-copy",
            metavar="FILE",
            help="After a successful run, publish a read-only copy of the DuckDB warehouse here, for BI tools "
            "and notebooks (setting warehouse.duckdb_reader_copy).",
        ),
    ] = None,
) -> None:
    """Sync incrementally from the configured tenants (settings: env vars or .dlt/*.toml); a tenant that
    fails does not stop the others."""
    from finsync.warehouse.reader_copy import publish_reader_copy, reader_copy_path

    from .display import sync_with_progress

    target = warehouse(destination, duckdb_path)
    if reader_copy is not None and target.kind != "duckdb":
        raise typer.BadParameter("PostgreSQL serves readers while it loads: only DuckDB needs a reader copy")
    targets = _targets(source, tenant)
    if full_refresh and not yes:
        _confirm_full_refresh([t.dataset for t in targets])
    settings = {t.label: {"sweep": True} for t in targets} if sweep else {}
    code = sync_with_progress(targets, target, full_refresh, settings)
    copy = reader_copy_path(reader_copy) if target.kind == "duckdb" else None
    if code == 0 and copy is not None:
        say(f"reader copy published to {publish_reader_copy(target, copy)}")
    raise typer.Exit(code)


def _confirm_full_refresh(names: list[str]) -> None:
    """Ask on a terminal only: a schedule (no terminal) runs what it was told."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return
    tables = ", ".join(f"{name}.*" for name in names)
    if not typer.confirm(
        f"--full-refresh drops {tables} and the cursors, then reloads everything from the upstream. Continue?",
        err=True,
    ):
        say("nothing was changed")
        raise typer.Exit(1)


@app.command()
def demo(duckdb_path: DuckdbPath = DEFAULT_DEMO_PATH) -> None:
    """Start the bundled sandbox, sync every source from it into a DuckDB file of its own, print a summary."""
    from finsync.warehouse.database import Warehouse
    from finsync.warehouse.runner import Target, settings_from_env
    from finsync_sandbox import SandboxConfig, SandboxServer

    from .display import sync_with_progress

    started = time.monotonic()
    # The sandbox's data is dated relative to today (UTC, the day the views' receivables are as of), and
    # Younium's invoices are batched and posted month by month up to the last few weeks, so they have every age;
    # its customers subscribe, upgrade, downgrade, churn and come back, so there is recurring revenue to show, and
    # they import usage, rated and invoiced in arrears.
    today = datetime.now(timezone.utc).date()
    config = SandboxConfig(
        today=today, younium_batches=10, younium_batched_share=0.97, younium_subscriptions=40, younium_usage=120
    )
    with SandboxServer(config=config) as sandbox:
        say(f"sandbox listening on {sandbox.url}")
        settings = settings_from_env(sandbox.settings)
        settings["ym"]["export_poll_interval"] = 0.1  # the sandbox's exports finish in a fraction of a second
        targets = [Target.parse(label) for label in settings]
        code = sync_with_progress(targets, Warehouse("duckdb", duckdb_path), False, settings, sandbox=True)
    if code == 0:
        say(f"demo finished in {time.monotonic() - started:.1f}s; query {duckdb_path} with DuckDB (see README).")
    raise typer.Exit(code)


@app.command()
def status(
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
) -> None:
    """Per tenant: last successful load, cursor positions, rows per table, pending or failed work (reads only)."""
    from finsync.warehouse.status import all_statuses

    chosen = warehouse(destination, duckdb_path)
    if chosen.kind == "duckdb" and not chosen.exists():  # a typo, not a warehouse that never loaded
        raise ConfigurationError(
            "--duckdb-path",
            f"names {duckdb_path}, which does not exist",
            f"Give the file `finsync run` writes (by default {DEFAULT_DUCKDB_PATH}, in the directory it runs in).",
        )
    statuses = all_statuses(chosen)
    loads = RichTable(title="finsync status", title_justify="left")
    for column in ("source", "last successful load (UTC)", "loads", "pending packages", "failed batches"):
        loads.add_column(column)
    cursors = RichTable(title="cursors", title_justify="left")
    tables = RichTable(title="rows per table", title_justify="left")
    for table, columns in ((cursors, ("source", "table", "position")), (tables, ("table", "rows"))):
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
    for s in statuses:
        if s.working_dir is not None:
            out.print(
                f"{s.source}: working data in {s.working_dir}; dlt's own tools read it: "
                f"RUNTIME__DLTHUB_TELEMETRY=false dlt pipeline --pipelines-dir {s.working_dir.parent} "
                f"{s.working_dir.name} info",
                highlight=False,
                soft_wrap=True,
            )


@app.command()
def check(
    source: SourceOption = SourceChoice.all,
    tenant: TenantOption = None,
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
    max_age: Annotated[
        str | None,
        typer.Option(
            "--max-age",
            metavar="DURATION",
            help="Also fail when a source's last successful load is older than this (e.g. 26h, 90m, 2d).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
    acknowledge: Annotated[
        bool,
        typer.Option(
            "--acknowledge",
            help="Acknowledge the changes to closed periods listed now: later checks list only those loaded after.",
        ),
    ] = False,
) -> None:
    """Gate a schedule: every selected tenant loaded, holds rows, is recent enough, and adds up. Exit 1 if not."""
    from finsync.warehouse.reconcile import acknowledge as acknowledge_changes, reconcile

    limit: timedelta | None = duration(max_age, "--max-age") if max_age else None
    target = warehouse(destination, duckdb_path)
    labels = [t.label for t in _targets(source, tenant, also_loaded_in=target)]
    result = reconcile(target, labels, limit)
    if acknowledge:
        listed = [n for n in result.notices if n.kind == "closed_period_changed"]
        for label, load in acknowledge_changes(target, labels).items():
            say(f"acknowledged the closed-period changes of {label} loaded through load {load}")
        result.notices = [n for n in result.notices if n not in listed]
    if as_json:
        print_result(result.as_dict())
        raise typer.Exit(0 if result.ok else 1)
    summary = RichTable(title="batches", title_justify="left")
    for column in ("source", "batches", "complete", "open or draft", "items loaded", "total amount"):
        summary.add_column(column, justify="left" if column == "source" else "right")
    for s in result.summaries:
        summary.add_row(
            s.source, str(s.batches), str(s.complete), str(s.pending), f"{s.items:,}", f"{s.total_amount:,}"
        )
    out.print(summary)
    for notice in result.notices:
        out.print(f"[yellow]note[/] ({notice.source}, {notice.kind}): {notice.detail}", highlight=False)
    if result.ok:
        out.print("[green]Every selected source is loaded and reconciles.[/]")
        return
    findings = RichTable(title=f"{len(result.findings)} problem(s)", title_justify="left")
    for column in ("problem", "source", "batch", "expected", "actual", "detail"):
        findings.add_column(column, overflow="fold")
    for f in result.findings:
        findings.add_row(f.kind, f.source, f.batch_id, f.expected, f.actual, f.detail)
    out.print(findings)
    raise typer.Exit(1)


@app.command()
def probe(
    source: SourceOption = SourceChoice.all,
    tenant: TenantOption = None,
    out_dir: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Where to write the reports (probe-<tenant>.md and .json).")
    ] = Path("finsync-probe"),
) -> None:
    """Check a tenant before trusting it: read a few small pages of every endpoint a run uses (read-only) and
    report, field by field, what it serves against what finsync expects. The reports hold names, types and
    counts only, never a value. Exit 0 when everything a run needs is there, 1 when not."""
    from .probe import probe_targets

    raise typer.Exit(probe_targets(_targets(source, tenant), out_dir))


@app.command()
def report(
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
    out_path: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="The HTML file to write (charts embedded).")
    ] = Path("report.html"),
) -> None:
    """Run the finance overview notebook on the warehouse and write it as one self-contained HTML file."""
    from finsync.report import write_report

    written = write_report(warehouse(destination, duckdb_path), out_path)
    say(f"report written to {written} ({written.stat().st_size:,} bytes)")


def _register_subcommands() -> None:
    from finsync_sandbox.cli import sandbox_app

    from .younium import younium_app

    app.add_typer(sandbox_app, name="sandbox", help="The local emulator of both APIs.")
    app.add_typer(younium_app, name="younium", help="Younium invoice-batch jobs (generate, post): they write to it.")


_register_subcommands()


# After a stop request, how long the run may take to wind down (a load job finishing its statement) before
# the process exits anyway: as safe as a kill, since every load is atomic and a pending one is kept.
STOP_GRACE_SECONDS = 3.0


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """The first SIGINT/SIGTERM stops the run where it is (every wait ends at once); a second one exits now."""
    if signum in _received:
        _exit_now(128 + signum)
    _received.add(signum)
    request_stop(signum)
    threading.Thread(target=_exit_after_grace, args=(signum,), daemon=True).start()
    raise Interrupted(signum)


def _exit_after_grace(signum: int) -> None:
    from finsync import progress

    time.sleep(STOP_GRACE_SECONDS)
    run = progress.active()
    where = f"{run.source} did not wind down within {STOP_GRACE_SECONDS:.0f} s, {run.stopped_here()}" if run else ""
    note = f"stopped by {signal_name(signum)}: {where or 'nothing of this run was loaded'}. Rerun to resume.\n"
    with contextlib.suppress(OSError):
        os.write(sys.stderr.fileno(), note.encode())
    _exit_now(128 + signum)


def _exit_now(code: int) -> None:
    """Exit at once (no thread is waited for), leaving no spill directory of DuckDB's behind."""
    database = sys.modules.get("finsync.warehouse.database")  # not imported: no warehouse was opened
    if database is not None:
        database.remove_spill_dirs()
    os._exit(code)


_received: set[int] = set()


def main() -> None:
    # finsync reports every failure itself, in one paragraph; dlt's own log (tracebacks of load jobs it
    # retries) is for RUNTIME__LOG_LEVEL=INFO or WARNING when wanted.
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "CRITICAL")
    install_log_redaction()
    configure()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _on_signal)
    try:
        app()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except FinsyncError as error:  # raised outside a sync, e.g. while reading settings, or an interruption
        from .display import print_error

        print_error(None, error)
        code = error.exit_code
    except Exception as error:  # a defect: still one readable, redacted paragraph rather than a traceback
        if os.environ.get("FINSYNC_DEBUG"):
            raise
        console.print(
            f"[red]error[/]: finsync stopped on an unexpected {type(error).__name__}: {redact(str(error))}. "
            "Nothing was half-applied; run again with FINSYNC_DEBUG=1 to see the traceback.",
            highlight=False,
        )
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # The interpreter's last collections would walk every object the imports made (nearly half a second after
    # a run) only to free memory the process gives back anyway; exit handlers still run.
    gc.freeze()
    if _received:
        # Stopped: requests still in flight on worker threads would hold the exit up to their timeout.
        _exit_now(code)
    sys.exit(code)
