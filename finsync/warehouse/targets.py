"""Which tenants a run is about: those the settings name (`configured_targets`), and those a warehouse
holds data of (`loaded_targets`, for the views, status and check)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finsync.errors import ConfigurationError
from finsync.sources.tenants import DEFAULT, Target, check_name, is_set, named_tenants

from .database import existing_tables, meta_items, meta_value, set_meta_value
from .registry import SOURCES


def settings_from_env(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """`{"SOURCES__YM__BASE_URL": …, "SOURCES__YM__TENANTS__ACME__BASE_URL": …}` -> `{"ym": {"base_url": …},
    "ym:acme": {"base_url": …}}`: the same settings as source arguments, by tenant label."""
    settings: dict[str, dict[str, Any]] = {}
    for key, value in env.items():
        section, source, name = [*key.lower().split("__", 2), "", ""][:3]
        if section != "sources" or source not in SOURCES or not name:
            continue
        target = Target(source)
        if name.startswith("tenants__") and name.count("__") >= 2:
            _, tenant, name = name.split("__", 2)
            target = Target(source, tenant)
        settings.setdefault(target.label, {})[name] = value
    return settings


def configured_targets(sources: list[str], tenants: list[str] | None = None) -> list[Target]:
    """The tenants of `sources` the settings name (all, or those named in `tenants`), in order.

    With no tenant named, a system has its default tenant (today's `[sources.<system>]` settings). Beside
    named tenants, the default one is synced when `[sources.<system>]` sets its identity (YM's client_id,
    Younium's legal_entity) or when asked for by name (`default`)."""
    targets = []
    for source in sources:
        names = named_tenants(source)
        marker = SOURCES[source].settings.tenant_own[0]
        has_default = not names or is_set(source, marker) or DEFAULT in (tenants or ())
        targets += [Target(source)] * has_default + [Target(source, name) for name in names]
    if tenants:
        for name in tenants:
            check_name(name, "--tenant")
        unknown = sorted(set(tenants) - {t.tenant for t in targets})
        if unknown:
            by_system = {source: [t.tenant for t in targets if t.source == source] for source in sources}
            known = "; ".join(f"{source}: {', '.join(names)}" for source, names in by_system.items() if names) or "none"
            raise ConfigurationError(
                "--tenant",
                f"names {', '.join(unknown)}, which no selected system has a tenant called "
                f"(tenants configured: {known})",
                "Name tenants under [sources.<system>.tenants.<name>] (or SOURCES__<SYSTEM>__TENANTS__<NAME>__...).",
            )
        targets = [t for t in targets if t.tenant in tenants]
    return targets


def loaded_targets(connection: Any) -> list[Target]:
    """Every tenant whose data this warehouse holds: the default datasets, and each named tenant its loads
    recorded (see `record_target`)."""
    tables = existing_tables(connection)
    found = {Target(source) for source in SOURCES if f"{source}._dlt_loads" in tables}
    found |= {Target.parse(label) for _, label in meta_items(connection, "tenant.")}
    return sorted(t for t in found if t.source in SOURCES and f"{t.dataset}._dlt_loads" in tables)


def run_flags(target: Target) -> str:
    """The `finsync run` options that run exactly this tenant."""
    return f"--source {target.source}" + ("" if target.is_default else f" --tenant {target.tenant}")


def record_target(connection: Any, target: Target) -> None:
    """Note a named tenant's dataset beside the data, so the views, status and check find it."""
    if not target.is_default and meta_value(connection, f"tenant.{target.dataset}") != target.label:
        set_meta_value(connection, f"tenant.{target.dataset}", target.label)
