"""`finsync sandbox serve`: run the sandbox in the foreground for demos and manual runs."""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from .kernel.config import SCALE_KEYS, SandboxConfig
from .kernel.faults import FAULT_GRAMMAR, parse_fault_spec

if TYPE_CHECKING:
    from .sandbox import Sandbox
    from .server import SandboxServer

sandbox_app = typer.Typer(
    help="A local emulation of the upstream APIs (YourMembership, Younium), with their traps, over generated data.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@sandbox_app.callback()
def _group() -> None:
    """A local emulation of the upstream APIs, with their traps, over generated data."""


@sandbox_app.command(epilog="Fault grammar: " + FAULT_GRAMMAR.replace("\n", " "))
def serve(
    host: str = typer.Option("127.0.0.1", help="Loopback address to listen on."),
    port: int = typer.Option(0, help="Port to listen on; 0 picks a free one."),
    seed: int = typer.Option(SandboxConfig.seed, help="Seed of the generated data; equal seeds, equal data."),
    scale: str = typer.Option(
        "",
        help=f"Dataset size as key=value pairs, comma-separated (keys: {', '.join(SCALE_KEYS)}), "
        "e.g. ym_items=100000,batch_size=500,younium_invoices=20000.",
    ),
    faults: str = typer.Option(
        "",
        help="Faults armed at start, ';'-separated, e.g. 'ym.invoice_items:status=503:times=2;"
        "ym.export_status:slow=3' (grammar below).",
    ),
    env_file: Path | None = typer.Option(
        None,
        help="Also write both sources' settings to this file as KEY=VALUE lines, which both `set -a; . FILE` "
        "and `docker --env-file FILE` read.",
    ),
    export_latency: float | None = typer.Option(
        None, help="Seconds a YM export stays WORKING before it completes.", min=0
    ),
    job_seconds: float | None = typer.Option(
        None, help="Seconds a Younium batch job stays Pending before it finishes.", min=0
    ),
    rate_limit: float = typer.Option(
        SandboxConfig.rate_limit_per_second,
        help="Requests per second each credential may make (YM: its ClientID; Younium: its API client), "
        "in bursts of at most max(1, N); more are answered HTTP 429 with Retry-After. 0: no limit.",
        min=0,
    ),
) -> None:
    """Serve the sandbox until Ctrl-C, printing the settings that point finsync at it."""
    from .sandbox import Sandbox
    from .server import loopback_host

    try:
        loopback_host(host)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--host") from None
    config = _config(seed, scale, export_latency, job_seconds, rate_limit)
    try:
        armed = parse_fault_spec(faults)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--faults") from None
    if env_file is not None:
        check_writable(env_file)
    sandbox = Sandbox(config)
    for fault in armed:
        sandbox.faults.add(fault)
    console = Console()
    try:
        serve_forever(sandbox, host=host, port=port, on_ready=_announcer(console, config, env_file))
    except OSError as error:
        console.print(f"[red]Cannot listen on {host}:{port}: {error}[/]")
        raise typer.Exit(1) from None


def _config(
    seed: int, scale: str, export_latency: float | None, job_seconds: float | None, rate_limit: float
) -> SandboxConfig:
    """The configuration `serve`'s options ask for."""
    try:
        config = SandboxConfig(seed=seed).scaled(scale)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--scale") from None
    if export_latency is not None:
        config.export_latency_seconds = export_latency
    if job_seconds is not None:
        config.younium_job_seconds = job_seconds
    if not math.isfinite(rate_limit):
        raise typer.BadParameter("a rate limit is a finite number of requests per second", param_hint="--rate-limit")
    config.rate_limit_per_second = rate_limit
    return config


def _announcer(console: Console, config: SandboxConfig, env_file: Path | None) -> Callable[[SandboxServer], None]:
    """What `serve` prints (and writes to `env_file`) once the server listens."""

    def announce(server: SandboxServer) -> None:
        limit = config.rate_limit_per_second
        console.print(
            f"[bold]finsync sandbox[/] listening on {server.url} (seed {config.seed}; YM: {config.ym_items} "
            f"items in batches of {config.batch_size}; Younium: {config.younium_invoices} invoices of "
            f"{config.lines_per_invoice} lines, {config.younium_accounts} accounts); controls at {server.url}/_sandbox"
            + (f"; at most {limit:g} requests per second per credential" if limit else "")
        )
        for key, value in server.settings.items():
            # Quoted for the shell (the legal entity has a space); the env file below holds raw values.
            console.print(f"export {key}={shlex.quote(value)}", highlight=False, soft_wrap=True, markup=False)
        if env_file is not None:
            write_env_file(env_file, env_file_settings(server))
            console.print(f"Settings written to {env_file}")
        console.print("Press Ctrl-C to stop.")

    return announce


def serve_forever(sandbox: Sandbox, *, host: str, port: int, on_ready: Callable[[SandboxServer], None]) -> None:
    from .server import serve

    serve(sandbox, host=host, port=port, on_ready=on_ready)


def check_writable(path: Path) -> None:
    """Refuse before serving, rather than after, when the settings file cannot be written."""
    partial = path.with_name(path.name + ".partial")
    try:
        partial.touch()
        partial.unlink()
    except OSError as error:
        raise typer.BadParameter(f"{path} cannot be written: {error.strerror}", param_hint="--env-file") from None


def env_file_settings(server: SandboxServer) -> dict[str, str]:
    """The settings, with the legal entity named by its id: a docker env file takes every character after
    `=` as the value (quotes included), a shell splits at a space, so the file holds no value either would
    read differently."""
    settings = dict(server.settings)
    settings["SOURCES__YOUNIUM__LEGAL_ENTITY"] = server.sandbox.younium.dataset.legal_entity_id
    return settings


def write_env_file(path: Path, settings: dict[str, str]) -> None:
    """Written whole and then renamed, so that a reader waiting for the file never sees half of it. A value
    that a shell would split is quoted for it (none of the sandbox's own is)."""
    lines = [
        f"{key}={value if shlex.quote(value) == value else shlex.quote(value)}\n" for key, value in settings.items()
    ]
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(lines), encoding="utf-8")
    partial.replace(path)
