"""Tenants: the YM clients and Younium legal entities one finsync syncs, each into a dataset of its own.

Today's settings, under `[sources.ym]` and `[sources.younium]`, are the `default` tenant, loaded into the
`ym` and `younium` datasets. More tenants are named under `[sources.<system>.tenants.<name>]` (or
`SOURCES__<SYSTEM>__TENANTS__<NAME>__<SETTING>`), each loaded into `<system>_<name>`. A named tenant's
settings fall back to the system's own (`[sources.ym]`) for anything it does not set, but for its
identity (`SourceSettings.tenant_own`: YM's client id, Younium's legal entity), which it must set itself:
inheriting it would load another tenant's data under this one's name.

A dataset per tenant, not a tenant column in shared tables: each tenant keeps its own dlt state, cursors,
lock, full refresh and deletion sweep, tenants load in parallel without contending for the same tables,
and keys that only one upstream tenant makes unique (YM's LineItemID) stay keys. The analytics views
union every tenant's tables with a `tenant` column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from finsync.errors import ConfigurationError

DEFAULT = "default"
TENANT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True, order=True)
class Target:
    """One tenant of one upstream system: what one run loads, under one lock, into one dataset."""

    source: str
    tenant: str = DEFAULT

    @property
    def is_default(self) -> bool:
        return self.tenant == DEFAULT

    @property
    def dataset(self) -> str:
        return self.source if self.is_default else f"{self.source}_{self.tenant}"

    @property
    def label(self) -> str:
        """How messages, the summary, status and check name it: `ym`, or `ym:acme`."""
        return self.source if self.is_default else f"{self.source}:{self.tenant}"

    @property
    def pipeline_name(self) -> str:
        return f"finsync_{self.dataset}"

    @property
    def section(self) -> tuple[str, ...]:
        """Where its own settings live, below `sources`."""
        return (self.source,) if self.is_default else (self.source, "tenants", self.tenant)

    def over_dataset(self, sql: str) -> str:
        """`sql` written for the default tenant's dataset (`ym.invoice_items`), reading this tenant's."""
        return re.sub(rf"(?<![\w.]){self.source}\.(?=\w)", f"{self.dataset}.", sql)

    def own_settings(self, text: str) -> str:
        """`text` naming the system's settings (`sources.ym.api_key`, `SOURCES__YM__API_KEY`) as this
        tenant's (`sources.ym.tenants.acme.api_key`): where this tenant sets them."""
        if self.is_default:
            return text
        text = re.sub(rf"\bsources\.{self.source}\.(?!tenants\.)", f"sources.{'.'.join(self.section)}.", text)
        prefix = "__".join(("SOURCES", *self.section)).upper()
        return re.sub(rf"\bSOURCES__{self.source.upper()}__(?!TENANTS__)", f"{prefix}__", text)

    @classmethod
    def parse(cls, label: str) -> Target:
        source, _, tenant = label.partition(":")
        return cls(source, tenant or DEFAULT)


def check_name(name: str, where: str) -> str:
    """A tenant name is part of a schema name: lower-case letters, digits and _, never dlt's own suffix."""
    if name == DEFAULT:
        return name
    if not TENANT_NAME.fullmatch(name) or name.endswith("staging"):
        raise ConfigurationError(
            where,
            f"names a tenant {name!r}; a tenant name is 1-40 lower-case letters, digits and _, starting with a "
            "letter and not ending in 'staging' (it becomes part of the dataset's name)",
        )
    return name


def named_tenants(source: str, env: Mapping[str, str] | None = None) -> list[str]:
    """The tenants named under `sources.<source>.tenants`, in the environment and dlt's TOML files."""
    prefix = f"SOURCES__{source.upper()}__TENANTS__"
    names = {
        key[len(prefix) :].split("__", 1)[0].lower()
        for key in (os.environ if env is None else env)
        if key.upper().startswith(prefix) and "__" in key[len(prefix) :]
    }
    for provider in _toml_providers():
        tables, _ = provider.get_value("tenants", Any, None, "sources", source)
        if isinstance(tables, Mapping):
            names |= {str(name) for name, table in tables.items() if isinstance(table, Mapping)}
    where = f"sources.{source}.tenants"
    return sorted(check_name(name, f"{where}.{name}") for name in names)


def own_values(target: Target, fields: Iterable[str]) -> dict[str, Any]:
    """The settings a named tenant sets itself (not inherited), from every provider, highest first."""
    if target.is_default:
        return {}
    values: dict[str, Any] = {}
    for provider in _providers():
        for name in fields:
            if name not in values:
                value, _ = provider.get_value(name, Any, None, "sources", *target.section)
                if value is not None:
                    values[name] = value
    return values


def is_set(source: str, field: str) -> bool:
    """Whether `sources.<source>.<field>` itself is set anywhere (the default tenant is configured)."""
    return any(provider.get_value(field, Any, None, "sources", source)[0] is not None for provider in _providers())


def _providers() -> list[Any]:
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    return list(Container()[PluggableRunContext].providers.providers)


def _toml_providers() -> list[Any]:
    return [p for p in _providers() if type(p).__name__ != "EnvironProvider"]
