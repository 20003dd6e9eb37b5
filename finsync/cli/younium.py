"""`finsync younium …`: run Younium's invoice-batch jobs (generate a batch, post it) from the command line.

These write to Younium, so they run only when asked, never as part of `finsync run`. Each invocation
sends one idempotency key with its POST and prints it first: the HTTP layer's retries reuse it, and so
can a rerun (`--idempotency-key`) after an interruption, which then follows the job already started
instead of starting a second one (Younium keeps the key for 48 hours).

Exit codes: 0 the job succeeded; 1 it failed, timed out or Younium could not be reached; 2 a setting is
missing or wrong (credentials, legal entity): the message names it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.live import Live
from rich.text import Text

from finsync.errors import FinsyncError, Interrupted
from finsync.jobs import DEFAULT_JOB_POLL_INTERVAL, DEFAULT_JOB_TIMEOUT
from finsync.sources.tenants import DEFAULT, Target, check_name
from finsync.warehouse import DEFAULT_DUCKDB_PATH

if TYPE_CHECKING:  # the clients load when a command runs, not when the command line is built
    from finsync.jobs.younium import BatchJob, JobProgress, JobResult
    from finsync.sources.younium import YouniumClient
    from finsync.warehouse.database import Warehouse

from .options import DestinationChoice, DestinationOption, DuckdbPath, warehouse
from .output import console, out, say

younium_app = typer.Typer(
    help="Younium invoice-batch jobs: generate a batch, post it. These write to Younium.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


IdempotencyKey = Annotated[
    str | None,
    typer.Option(
        "--idempotency-key",
        metavar="KEY",
        help="The key printed by an earlier invocation: resume that job rather than start another "
        "(Younium keeps keys 48 hours). Default: a new key.",
    ),
]
PollInterval = Annotated[
    float,
    typer.Option("--poll-interval", min=0.01, metavar="SECONDS", help="Seconds between two polls of the job's status."),
]
Timeout = Annotated[
    float,
    typer.Option("--timeout", min=0.0, metavar="SECONDS", help="Give up waiting (exit 1) after this many seconds."),
]
SyncAfter = Annotated[bool, typer.Option("--sync", help="Once the job succeeded, sync Younium into the warehouse.")]
Tenant = Annotated[
    str,
    typer.Option(
        "--tenant",
        metavar="NAME",
        help="The Younium tenant (legal entity) to act on: a name under [sources.younium.tenants], or default.",
    ),
]


@younium_app.callback()
def _group() -> None:
    """Younium invoice-batch jobs: generate a batch, post it. These write to Younium."""


@younium_app.command("generate-batch")
def generate_batch_command(
    target_date: Annotated[
        str,
        typer.Option(
            "--target-date", metavar="YYYY-MM-DD", help="Invoice every draft dated up to this day (YYYY-MM-DD)."
        ),
    ],
    invoice_date: Annotated[
        str | None,
        typer.Option("--invoice-date", metavar="YYYY-MM-DD", help="Date printed on the invoices (YYYY-MM-DD)."),
    ] = None,
    account: Annotated[
        list[str] | None,
        typer.Option("--account", metavar="ID", help="Only this account (id); repeat for several. Default: all."),
    ] = None,
    batch_group: Annotated[
        list[str] | None,
        typer.Option(
            "--batch-group", metavar="ID", help="Only this invoice batch group (id); repeat for several. Default: all."
        ),
    ] = None,
    minimum_amount: Annotated[
        str | None,
        typer.Option("--minimum-amount", metavar="AMOUNT", help="Leave out invoices whose total is below this amount."),
    ] = None,
    idempotency_key: IdempotencyKey = None,
    poll_interval: PollInterval = DEFAULT_JOB_POLL_INTERVAL,
    timeout: Timeout = DEFAULT_JOB_TIMEOUT,
    sync_after: SyncAfter = False,
    tenant: Tenant = DEFAULT,
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
) -> None:
    """Generate an invoice batch of the draft invoices due by --target-date, and wait until it is done."""
    target = _day(target_date, "--target-date")
    printed = _day(invoice_date, "--invoice-date") if invoice_date else None
    minimum = _amount(minimum_amount) if minimum_amount is not None else None

    from finsync.jobs.younium import generate_batch

    def start(client: YouniumClient, key: str) -> BatchJob:
        return generate_batch(
            client,
            target_date=target,
            invoice_date=printed,
            accounts=account or None,
            batch_groups=batch_group or None,
            minimum_amount=minimum,
            idempotency_key=key,
        )

    _run("Generated", start, idempotency_key, poll_interval, timeout, tenant)
    if sync_after:
        _sync(warehouse(destination, duckdb_path), tenant)


@younium_app.command("post-batch")
def post_batch_command(
    batch_id: Annotated[str, typer.Argument(metavar="BATCH_ID", help="Id of the invoice batch to post.")],
    idempotency_key: IdempotencyKey = None,
    poll_interval: PollInterval = DEFAULT_JOB_POLL_INTERVAL,
    timeout: Timeout = DEFAULT_JOB_TIMEOUT,
    sync_after: SyncAfter = False,
    tenant: Tenant = DEFAULT,
    destination: DestinationOption = DestinationChoice.duckdb,
    duckdb_path: DuckdbPath = DEFAULT_DUCKDB_PATH,
) -> None:
    """Post an invoice batch (its invoices become Posted), and wait until it is done."""
    from finsync.jobs.younium import post_batch

    _run(
        "Posted", lambda client, key: post_batch(client, batch_id, key), idempotency_key, poll_interval, timeout, tenant
    )
    if sync_after:
        _sync(warehouse(destination, duckdb_path), tenant)


def _run(
    kind: Literal["Generated", "Posted"],
    start: Callable[[YouniumClient, str], BatchJob],
    idempotency_key: str | None,
    poll_interval: float,
    timeout: float,
    tenant: str,
) -> None:
    """Start the job with one idempotency key, follow it to the end, report the batch and its log errors."""
    verb = "generate" if kind == "Generated" else "post"
    from finsync.jobs.younium import new_idempotency_key
    from finsync.sources.younium import YouniumSettings, younium_client

    from .display import print_error

    key = idempotency_key or new_idempotency_key()
    say(f"idempotency key: {key} (to resume this job after an interruption, rerun with --idempotency-key {key})")
    job: BatchJob | None = None
    try:
        with younium_client(
            YouniumSettings.from_config(target=Target("younium", check_name(tenant, "--tenant")))
        ) as client:
            job = start(client, key)
            batch = f"invoice batch {job.batch_number or job.batch_id or '?'}"
            if job.first_answered is not None:
                say(
                    f"Younium returned the job it started for this idempotency key at "
                    f"{job.first_answered:%Y-%m-%d %H:%M} UTC (it replays a key's first answer for 48 hours): this "
                    "command's parameters were ignored, the earlier job's apply. To start a new job, run without "
                    "--idempotency-key."
                )
            say(f"{verb} job for {batch} started (reference {job.reference})")
            result = _follow(client, job, kind, poll_interval, timeout)
            batch_id = result.batch_id or job.batch_id
            number = result.batch_number or job.batch_number
            done = "generated" if kind == "Generated" else "posted"
            message = result.message or "done"
            out.print(f"Invoice batch {number} ({batch_id}) {done}: {message}", highlight=False, soft_wrap=True)
            if batch_id:
                _print_log_errors(client, batch_id)
    except Interrupted as error:
        print_error(None, error)
        say(f"the {verb} job may still finish in Younium: rerun with --idempotency-key {key} to follow it")
        raise typer.Exit(error.exit_code) from None
    except FinsyncError as error:
        print_error(None, error)
        raise typer.Exit(error.exit_code) from None


def _follow(
    client: YouniumClient, job: BatchJob, kind: Literal["Generated", "Posted"], every: float, timeout: float
) -> JobResult:
    """Poll the job with one live progress line."""
    with Live(Text(f"{job.reference}: {job.result_status or 'Pending'}"), console=console, transient=True) as live:

        def show(progress: JobProgress) -> None:
            polled = f"poll {progress.polls}, {progress.elapsed:.1f}s"
            live.update(Text(f"{kind.lower()} job {progress.reference}: {progress.status} ({polled})"))

        from finsync.jobs.younium import wait_for_job

        return wait_for_job(client, job.reference, kind, poll_interval=every, timeout=timeout, on_progress=show)


def _print_log_errors(client: YouniumClient, batch_id: str) -> None:
    from finsync.jobs.younium import batch_log_errors

    errors = batch_log_errors(client, batch_id)
    if not errors:
        out.print("batch log: no errors")
        return
    out.print(f"batch log: {len(errors)} error(s)")
    for entry in errors:
        about = entry.get("reference") or entry.get("entityId") or "?"
        out.print(f"  - {about}: {entry.get('errorMessage')}", highlight=False, soft_wrap=True)


def _sync(warehouse: Warehouse, tenant: str) -> None:
    from .display import sync_with_progress

    code = sync_with_progress([Target("younium", tenant)], warehouse, False, {})
    if code:
        raise typer.Exit(code)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"expected a date such as 2025-03-31, not {text!r}", param_hint=option) from None


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise typer.BadParameter(f"expected an amount of 0 or more, not {text!r}", param_hint="--minimum-amount")
    return amount
