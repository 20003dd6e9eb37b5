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

from .contract import WireSettings
from .tenants import Target, own_values

SettingsT = TypeVar("SettingsT", bound="SourceSettings")
Problem = tuple[str, str]  # (field, what is wrong with it)

WHERE_TO_SET = "Set it in the environment, in .dlt/secrets.toml (secrets) or .dlt/config.toml."


@configspec
class SourceSettings(BaseConfiguration):
    """What every source has: where reads start on a first run, personal data, and the HTTP policy."""

    section: ClassVar[str] = ""
    # A named tenant sets at least one of these in its own section (see `tenants`): they say whose data it is.
    tenant_own: ClassVar[tuple[str, ...]] = ()
    start_date: str = "2000-01-01"
    pii: str = "mask"  # "mask": card numbers keep their last four digits; "drop": no personal column
    request_timeout: float = HttpSettings.timeout
    max_attempts: int = HttpSettings.max_attempts
    # Request starts per second, shared by all of a run's threads (0: no cap); each system sets its own.
    max_requests_per_second: float = 0.0
    # The rate a run starts at, ramping up to the cap while the upstream answers normally (0: at the cap).
    start_requests_per_second: float = 0.0
    # Declared fields this tenant does not send, by upstream name (`account.accountNumber`): their absence is
    # not taken for a rename (see `finsync.warehouse.upstream`).
    optional_fields: list[str] | None = None
    # Keep the fields upstream sends that finsync does not declare, per record, as JSON in `extra_fields`
    # (off: an unknown field may hold personal data; under pii = "drop" they are never kept).
    extra_fields: bool = False

    def wire(self) -> WireSettings:
        return WireSettings(frozenset(self.optional_fields or ()), self.extra_fields)

    @classmethod
    def from_config(
        cls: type[SettingsT], explicit: Mapping[str, Any] | None = None, target: Target | None = None
    ) -> SettingsT:
        """The settings of `target` (the default tenant unless named) from dlt's providers, with `explicit`
        values over them, checked. A named tenant's own section comes first, then the system's."""
        target = target or Target(cls.section)
        where = ".".join(target.section)
        given = {**own_values(target, cls.get_resolvable_fields()), **(explicit or {})}
        if not target.is_default and not any(name in given for name in cls.tenant_own):
            raise ConfigurationError(
                f"sources.{where}.{cls.tenant_own[0]}",
                "is not set",
                f"A tenant sets {' or '.join(cls.tenant_own)} in its own section: inherited from "
                f"[sources.{cls.section}], it would load another tenant's data under this one's name.",
            )
        try:
            settings = resolve_configuration(
                cls(), sections=("sources", cls.section), explicit_value=cls._typed(given, where)
            )
        except ConfigFieldMissingException as missing:
            raise missing_setting(missing, where) from None
        except ConfigValueCannotBeCoercedException as wrong:
            raise wrong_type_setting(wrong, where) from None
        problems = list(settings.problems())
        if problems:
            raise settings_error(where, problems)
        return settings

    @classmethod
    def _typed(cls, explicit: Mapping[str, Any], where: str) -> dict[str, Any]:
        hints = cls.get_resolvable_fields()
        typed: dict[str, Any] = {}
        for name, value in explicit.items():
            if name not in hints:
                raise ConfigurationError(f"sources.{where}.{name}", "is not a setting of this source")
            kind = extract_inner_type(hints[name])
            typed[name] = deserialize_value(name, value, kind) if isinstance(value, str) and kind is not str else value
        return typed

    def problems(self) -> Iterator[Problem]:
        """Everything wrong with these settings, each as (field, problem)."""
        if self.pii not in PII_MODES:
            yield "pii", f"must be one of {PII_MODES}, not {self.pii!r}"
        yield from at_least_one(self, "max_attempts")
        if self.max_requests_per_second < 0:
            yield "max_requests_per_second", f"must be 0 (no cap) or more, not {self.max_requests_per_second}"
        if self.start_requests_per_second < 0:
            yield (
                "start_requests_per_second",
                f"must be 0 (start at the cap) or more, not {self.start_requests_per_second}",
            )
        if self.request_timeout <= 0:
            yield "request_timeout", f"must be a positive number of seconds, not {self.request_timeout}"
        if _moment(self.start_date, timezone.utc) is None:
            yield "start_date", f"must be an ISO date such as 2020-01-01, not {self.start_date!r}"

    @property
    def zone(self) -> tzinfo:
        """The zone of upstream date-times sent without an offset."""
        return timezone.utc

    @property
    def in_flight(self) -> int:
        """The most requests a run of this source has in flight at once (its widest thread pool)."""
        return 1

    def http(self) -> HttpSettings:
        return HttpSettings(
            timeout=self.request_timeout,
            max_attempts=self.max_attempts,
            max_requests_per_second=self.max_requests_per_second,
            start_requests_per_second=self.start_requests_per_second,
            max_in_flight=self.in_flight,
        )

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
