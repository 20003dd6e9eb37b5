"""Checks both sources apply to their settings, each failing with the setting's name and what to do."""

from __future__ import annotations

from datetime import datetime, tzinfo

from dlt.common.configuration.exceptions import ConfigFieldMissingException

from finsync.errors import ConfigurationError
from finsync.tables import parse_timestamp


def require(ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ConfigurationError(key, problem)


def whole_number(value: object, key: str) -> int:
    """Explicit arguments reach a source uncoerced (env vars and the demo pass text)."""
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigurationError(key, f"must be a whole number, not {value!r}") from None


def start_moment(value: str, zone: tzinfo, key: str) -> datetime:
    """A configured start date (date or date-time; without an offset, in `zone`) as aware UTC."""
    try:
        moment = parse_timestamp(value, zone)
    except ValueError:
        moment = None
    if moment is None:
        raise ConfigurationError(key, f"must be an ISO date such as 2020-01-01, not {value!r}")
    return moment


def missing_setting(missing: ConfigFieldMissingException, section: str) -> ConfigurationError:
    """dlt's report of an unresolved setting, as the message finsync gives for any bad setting."""
    name = missing.fields[0] if missing.fields else "?"
    return ConfigurationError(
        f"sources.{section}.{name}",
        "is not set",
        "Set it in the environment, in .dlt/secrets.toml (secrets) or .dlt/config.toml.",
    )
