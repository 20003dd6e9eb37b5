"""Every error finsync raises on purpose, and the exit code each one means.

Each carries a message written for the person running finsync: what went wrong, and what to do.

    FinsyncError                    1   a sync could not complete (nothing half-applied)
    ├── ConfigurationError          2   a setting is missing or wrong: the message names it
    │   ├── WarehouseUnusable       2   the warehouse cannot be opened as given (flag, path, credentials)
    │   └── WrongBaseUrl            2   an upstream's base URL leads nowhere (no host, refused, no sign-in)
    ├── SyncError                   1   the sync failed; a rerun resumes from the last completed load
    │   ├── UpstreamError           1   YM or Younium answered with an error, or could not be reached
    │   │   └── AuthenticationError 2   the sign-in itself was refused: fix the credentials
    │   ├── DataError               1   the upstream sent something unreadable (named by row and column)
    │   ├── BatchReadFailed         1   one YM batch could not be read whole (the others loaded)
    │   │   └── IncompleteBatch     1   ... it held fewer items than its ItemCount, or a cut file
    │   ├── PartlyLoaded            1   parts of a source a run could not read (a denied feature); the rest loaded
    │   │   └── BatchExportError    1   the YM batches a run could not read, together
    │   └── BatchJobError           1   a Younium invoice-batch job failed or could not start
    ├── ReportFailed                1   `finsync report`: the notebook stopped on an error (quoted)
    ├── Busy                       75   another run holds the warehouse (or the DuckDB file): try later
    └── Interrupted           130/143   stopped by SIGINT / SIGTERM; a rerun resumes

Three exceptions live elsewhere because they never leave their module: `http.client`'s RetryableStatus and
TruncatedBody (signals to the retry policy) and `values.Inexact` (a column the fast conversion path hands
to the exact one).
"""

from __future__ import annotations

import signal
from typing import Any

EXIT_TEMPFAIL = 75  # sysexits.h EX_TEMPFAIL: try again later


class FinsyncError(Exception):
    """Base of all deliberate finsync errors."""

    exit_code = 1
    # The error it translates, if any (printed whole with FINSYNC_DEBUG=1), and what the run that failed had
    # loaded (a runner.SyncReport), for the summary.
    original: BaseException | None = None
    report: Any = None


class ConfigurationError(FinsyncError):
    """A setting is missing or wrong; the message names the setting and its environment variable."""

    exit_code = 2

    def __init__(self, key: str, problem: str, hint: str = "") -> None:
        self.key = key
        super().__init__(" ".join(filter(None, (_setting_problem(key, problem), hint))))

    @classmethod
    def several(cls, problems: list[tuple[str, str]], hint: str = "") -> ConfigurationError:
        """One error naming every (setting, problem), so they can all be fixed in one go."""
        if len(problems) == 1:
            return cls(*problems[0], hint)
        error = cls(*problems[0])
        listed = " ".join(_setting_problem(key, problem) for key, problem in problems)
        error.args = (" ".join(filter(None, (f"{len(problems)} settings need fixing: {listed}", hint))),)
        return error


def _setting_problem(key: str, problem: str) -> str:
    if key.startswith("--"):  # a command-line flag: it has no environment variable
        return f"Flag `{key}` {problem}."
    return f"Setting `{key}` (env {setting_env_var(key)}) {problem}."


class WarehouseUnusable(ConfigurationError):
    """The warehouse cannot be used as configured: a DuckDB path that is not a writable DuckDB file, a
    PostgreSQL server that cannot be reached or refuses the credentials. The message says what to change."""

    def __init__(self, message: str) -> None:
        FinsyncError.__init__(self, message)
        self.key = ""


class WrongBaseUrl(ConfigurationError):
    """An upstream's base URL leads nowhere: its host is not found or refuses the connection on the first
    request a client makes, or it serves no sign-in route (HTTP 404). Retrying would only delay the fix, and
    an outage that begins after a request got through stays an `UpstreamError`, retried."""

    def __init__(self, system: str, key: str, message: str) -> None:
        FinsyncError.__init__(self, message)  # it starts with the system's name
        self.system = system
        self.key = key


class SyncError(FinsyncError):
    """A sync could not complete. Nothing half-applied: a rerun resumes from the last loaded data."""


class UpstreamError(SyncError):
    """The upstream API answered with an error, or could not be reached."""

    def __init__(self, system: str, message: str, *, status: int | None = None) -> None:
        self.system = system
        self.status = status
        super().__init__(f"{system}: {message}")


class AuthenticationError(UpstreamError):
    """The upstream rejected our credentials. Fixing them is a configuration matter, hence exit code 2."""

    exit_code = 2


class DataError(SyncError):
    """The upstream sent data we cannot read (malformed JSON or CSV, a value of the wrong type)."""


class BatchReadFailed(SyncError):
    """One finance batch's items could not be read; the other batches are unaffected, and this one is read
    again by the next run."""


class IncompleteBatch(BatchReadFailed):
    """A batch read returned fewer items than the batch holds, or an export file that was cut short."""


class PartlyLoaded(SyncError):
    """Parts of a source could not be read (`failures`: each part, with why); everything else loaded."""

    def __init__(self, failures: dict[str, str], report: Any = None, message: str = "") -> None:
        self.failures = dict(failures)
        self.report = report  # what the run did load (a runner.SyncReport)
        super().__init__(message or " ".join(self.failures[part] for part in sorted(self.failures)))


class BatchExportError(PartlyLoaded):
    """Some finance batches could not be read; the others were loaded."""

    def __init__(self, failures: dict[str, str], report: Any = None) -> None:
        listed = "; ".join(f"batch {batch_id}: {why}" for batch_id, why in sorted(failures.items()))
        super().__init__(
            failures,
            report,
            f"{len(failures)} finance batch export(s) failed and will be retried by the next run "
            f"(every other batch was loaded): {listed}",
        )


class BatchJobError(SyncError):
    """A Younium invoice-batch job failed, could not be started, or did not finish in time."""

    def __init__(self, message: str, result: Any = None) -> None:
        self.result = result  # the job's JobResult, when it ran to an end
        super().__init__(f"Younium: {message}")


class ReportFailed(FinsyncError):
    """`finsync report` could not run its notebook to the end; the message quotes the error."""


class Busy(FinsyncError):
    """Another run (or program) holds what this run needs; nothing was done. Try again later."""

    exit_code = EXIT_TEMPFAIL


class Interrupted(FinsyncError):
    """The run was asked to stop (Ctrl-C, or SIGTERM from a scheduler)."""

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        self.exit_code = 128 + signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM
        super().__init__(message or f"stopped by {signal_name(signum)}")


def signal_name(signum: int) -> str:
    try:
        name = signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
    return "SIGINT (Ctrl-C)" if name == "SIGINT" else name


def setting_env_var(key: str) -> str:
    """`sources.ym.api_key` -> `SOURCES__YM__API_KEY`, dlt's environment form of a setting."""
    return key.replace(".", "__").upper()
