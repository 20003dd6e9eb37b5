"""Where the commands write, and how: a terminal gets Rich, anything else (cron, `| tee`, a scheduler) gets
timestamped lines, as plain text or one JSON object per line (`--log-format json`). Every line and message
passes redaction; data goes to stdout, everything about the run to stderr."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console

from finsync.http import redact

# Anywhere but a terminal (a file, a pipe, a scheduler's log) nothing is cut to fit: a table is as wide as its
# widest values (Rich would otherwise size it to 80 columns and cut values with "…"); COLUMNS still sets a width.
UNCUT_WIDTH = 1000
console = Console(stderr=True, soft_wrap=True)
out = Console()
if not out.is_terminal and "COLUMNS" not in os.environ:
    out = Console(width=UNCUT_WIDTH)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(stderr=True, soft_wrap=True, width=UNCUT_WIDTH)

LogFormat = Literal["text", "json"]


@dataclass
class OutputMode:
    log_format: LogFormat = "text"
    quiet: bool = False  # only errors and the summary
    verbose: bool = False  # also finsync's request-level lines

    @property
    def live(self) -> bool:
        """A live display: on a terminal, for a person, unless asked for lines or quiet."""
        return console.is_terminal and self.log_format == "text" and not self.quiet


mode = OutputMode()


def utc_stamp(seconds: float | None = None) -> str:
    """ISO-8601 UTC, to the second: now, or at `seconds` since the epoch."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def format_line(stamp: str, level: str, event: str, message: str, **fields: Any) -> str:
    """`<time> <LEVEL> <message>`, or under json one object with the fields as well; redacted either way."""
    text = redact(message)
    if mode.log_format == "json":
        record = {"time": stamp, "level": level.lower(), "event": event, "message": text, **fields}
        return redact(json.dumps(record, default=str))
    return f"{stamp} {level.upper():<7} {text}"


def emit(level: str, event: str, message: str, **fields: Any) -> None:
    """One line on stderr about the run."""
    console.file.write(format_line(utc_stamp(), level, event, message, **fields) + "\n")
    console.file.flush()


def print_result(result: dict[str, Any]) -> None:
    """A command's result as JSON on stdout: indented for a person on a terminal; one line for a log (under
    `--log-format json`, or wherever stdout is no terminal), so every line of a log parses on its own."""
    if mode.log_format == "text" and out.is_terminal:
        out.print_json(json.dumps(result, default=str))
    else:
        out.file.write(json.dumps(result, default=str) + "\n")
        out.file.flush()


def say(text: str, event: str = "note") -> None:
    """A message about the run for the person on a terminal, or a timestamped line for the log reading
    stderr (a JSON line under json); nothing under quiet."""
    if mode.log_format == "json":
        emit("info", event, text)
    elif mode.quiet:
        return
    elif console.is_terminal:
        console.print(redact(text), highlight=False, markup=False)
    else:
        emit("info", event, text)


class LineFormatter(logging.Formatter):
    """Log records as the same lines `emit` writes."""

    def format(self, record: logging.LogRecord) -> str:
        stamp, message = utc_stamp(record.created), record.getMessage()
        if mode.log_format == "json":
            return format_line(stamp, record.levelname, "log", message, logger=record.name)
        return format_line(stamp, record.levelname, "log", f"{record.name}: {message}")


class StderrHandler(logging.Handler):
    """Writes to whatever stderr is now (a live display redirects it above itself)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            console.file.write(self.format(record) + "\n")
        except Exception:  # a log line must never break a run
            self.handleError(record)


def configure(log_format: LogFormat = "text", quiet: bool = False, verbose: bool = False) -> None:
    """Logging as the mode asks: warnings and errors always; with `verbose`, finsync's INFO lines (pages,
    exports, retries) and httpx's line per request, redacted like every other."""
    mode.log_format, mode.quiet, mode.verbose = log_format, quiet, verbose
    handler = StderrHandler()
    handler.setFormatter(LineFormatter())
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in ("finsync", "httpx"):  # httpx logs one line per request at INFO
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
