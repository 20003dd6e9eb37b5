"""Typed settings for a source: one dlt `@configspec` per upstream (connection and tuning), resolved and
checked in one place, and every problem with them named at once.

A source's settings come from dlt's providers (environment, `.dlt/secrets.toml`, `.dlt/config.toml`) under
`sources.<section>`, or explicitly (the demo and tests pass them as arguments; text is read as dlt reads an
environment variable). Each field's default is the documented default: nothing restates it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timezone, tzinfo
from typing import Any, ClassVar, TypeVar

from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigValueCannotBeCoercedException
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.configuration.utils import deserialize_value
from dlt.common.typing import extract_inner_type

from finsync.errors import ConfigurationError
from finsync.http import HttpSettings
from finsync.values import PII_MODES, parse_timestamp

SettingsT = TypeVar("SettingsT", bound="SourceSettings")
Problem = tuple[str, str]  # (field, what is wrong with it)

WHERE_TO_SET = "Set it in the environment, in .dlt/secrets.toml (secrets) or .dlt/config.toml."


@configspec
class SourceSettings(BaseConfiguration):
    """What every source has: where reads start on a first run, personal data, and the HTTP policy."""

    section: ClassVar[str] = ""
    start_date: str = "2000-01-01"
    pii: str = "mask"  # "mask": card numbers keep their last four digits; "drop": no personal column
    request_timeout: float = 30.0
    max_attempts: int = 5

    @classmethod
    def from_config(cls: type[SettingsT], explicit: Mapping[str, Any] | None = None) -> SettingsT:
        """The settings from dlt's providers, with `explicit` values over them, checked."""
        try:
            return resolve_configuration(cls(), sections=("sources", cls.section), explicit_value=cls._typed(explicit))
        except ConfigFieldMissingException as missing:
            raise missing_setting(missing, cls.section) from None
        except ConfigValueCannotBeCoercedException as wrong:
            raise wrong_type_setting(wrong, cls.section) from None

    @classmethod
    def _typed(cls, explicit: Mapping[str, Any] | None) -> dict[str, Any]:
        hints = cls.get_resolvable_fields()
        typed: dict[str, Any] = {}
        for name, value in (explicit or {}).items():
            if name not in hints:
                raise ConfigurationError(f"sources.{cls.section}.{name}", "is not a setting of this source")
            kind = extract_inner_type(hints[name])
            typed[name] = deserialize_value(name, value, kind) if isinstance(value, str) and kind is not str else value
        return typed

    def on_resolved(self) -> None:
        problems = list(self.problems())
        if problems:
            raise settings_error(self.section, problems)

    def problems(self) -> Iterator[Problem]:
        """Everything wrong with these settings, each as (field, problem)."""
        if self.pii not in PII_MODES:
            yield "pii", f"must be one of {PII_MODES}, not {self.pii!r}"
        yield from at_least_one(self, "max_attempts")
        if self.request_timeout <= 0:
            yield "request_timeout", f"must be a positive number of seconds, not {self.request_timeout}"
        if _moment(self.start_date, timezone.utc) is None:
            yield "start_date", f"must be an ISO date such as 2020-01-01, not {self.start_date!r}"

    @property
    def zone(self) -> tzinfo:
        """The zone of upstream date-times sent without an offset."""
        return timezone.utc

    def http(self) -> HttpSettings:
        return HttpSettings(timeout=self.request_timeout, max_attempts=self.max_attempts)

    def start(self, zone: tzinfo) -> datetime:
        """The configured start date (without an offset, in `zone`) as an aware UTC moment."""
        return _moment(self.start_date, zone) or datetime.min.replace(tzinfo=timezone.utc)


def at_least_one(settings: BaseConfiguration, *names: str) -> Iterator[Problem]:
    for name in names:
        if getattr(settings, name) < 1:
            yield name, f"must be at least 1, not {getattr(settings, name)}"


def not_blank(settings: BaseConfiguration, *names: str) -> Iterator[Problem]:
    for name in names:
        if not str(getattr(settings, name) or "").strip():
            yield name, "is empty"


def http_url(value: str) -> Iterator[Problem]:
    if not value.startswith(("http://", "https://")):
        yield "base_url", f"must be an http(s) URL, not {value!r}"


def settings_error(section: str, problems: list[Problem], hint: str = "") -> ConfigurationError:
    return ConfigurationError.several([(f"sources.{section}.{name}", problem) for name, problem in problems], hint)


def missing_setting(missing: ConfigFieldMissingException, section: str) -> ConfigurationError:
    """dlt's report of unresolved settings, as the message finsync gives for any bad setting (all of them)."""
    return settings_error(section, [(name, "is not set") for name in missing.fields or ["?"]], WHERE_TO_SET)


KIND_NAMES = {int: "a whole number", float: "a number", bool: "true or false"}


def wrong_type_setting(wrong: ConfigValueCannotBeCoercedException, section: str) -> ConfigurationError:
    """A value dlt could not read as its setting's type, repeated in the message (never a secret's: those
    are text, which every value is)."""
    kind = extract_inner_type(wrong.hint)
    expected = KIND_NAMES.get(kind, f"of type {getattr(kind, '__name__', kind)}")
    return ConfigurationError(
        f"sources.{section}.{wrong.field_name}", f"is {str(wrong.field_value)!r}, which is not {expected}"
    )


def _moment(value: str, zone: tzinfo) -> datetime | None:
    try:
        return parse_timestamp(value, zone)
    except ValueError:
        return None
