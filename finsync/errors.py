"""The errors finsync raises on purpose.

Every error carries a message written for the person running the sync: what went wrong, and what to do.
The CLI maps the two families to exit codes: `ConfigurationError` -> 2, `SyncError` -> 1.
"""

from __future__ import annotations


class FinsyncError(Exception):
    """Base of all deliberate finsync errors."""

    exit_code = 1


class ConfigurationError(FinsyncError):
    """A setting is missing or wrong; the message names the setting and its environment variable."""

    exit_code = 2

    def __init__(self, key: str, problem: str, hint: str = "") -> None:
        self.key = key
        env = setting_env_var(key)
        text = f"Setting `{key}` (env {env}) {problem}."
        if hint:
            text += f" {hint}"
        super().__init__(text)


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


class BatchExportError(SyncError):
    """Some finance batches could not be exported; the others were loaded."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = dict(failures)
        listed = "; ".join(f"batch {batch_id}: {why}" for batch_id, why in sorted(self.failures.items()))
        super().__init__(
            f"{len(self.failures)} finance batch export(s) failed and will be retried by the next run "
            f"(every other batch was loaded): {listed}"
        )


def setting_env_var(key: str) -> str:
    """`sources.ym.api_key` -> `SOURCES__YM__API_KEY`, dlt's environment form of a setting."""
    return key.replace(".", "__").upper()
