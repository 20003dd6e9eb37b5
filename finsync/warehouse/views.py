"""The `analytics` views: both systems' invoices, lines and batches in one shape, and the finance figures
built on them, for SQL, notebooks and BI.

Each view is the UNION ALL of one SQL file per source (`models/<view>.<source>.sql`; a view built on other
views has one part, `<view>.analytics.sql`), written in SQL that DuckDB and PostgreSQL both run, and is
described column by column in `models/<view>.md`. A source's part is written for its default tenant's dataset
(`ym.invoice_items`) and repeated for every tenant the warehouse holds, reading that tenant's dataset
(`{tenant}` in it is the tenant's name, for joins to other views), each row led by its `tenant`. A part is
included once the tables it names on its `-- requires:` line exist, so a warehouse fed by one system still
gets its views; views are created after the views they require, and dropped before them. A part's `-- optional
<table>: <refs>` line names columns a warehouse may lack (personal ones under pii = "drop", ones a table gains
when its source next loads): where the table has no such column, the reference reads NULL. A `-- absent
<table>: <columns>` line names a table of a feature that may be left out (the Younium ledger, payments, the
tenant row of a tenant whose base currency is unknown), and the columns the part reads of it: while it is
missing, the part reads it as empty (those columns, text, no row) instead of being left out. The history views
are built from the table declarations (`history`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from finsync import crashpoints
from finsync.errors import FinsyncError, SyncError
from finsync.http import redact
from finsync.sources.tenants import Target

from .accounts import render
from .database import Warehouse, existing_columns, existing_tables, meta_value, query, set_meta_value
from .history import Versioned, history_sql, versioned
from .locks import patiently
from .registry import SOURCES
from .targets import loaded_targets

SCHEMA = "analytics"
# finsync's fact (`database.meta_value`) naming the views standing: a digest of their SQL and descriptions.
VIEWS_KEY = "views"


@dataclass(frozen=True)
class ViewPart:
    view: str
    source: str
    sql: str
    requires: frozenset[str]
    optional: tuple[tuple[str, str], ...] = ()  # (schema.table, alias.column) of each column it may lack
    absent: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (schema.table, the columns read) of tables it may lack

    def text(self, columns: dict[str, set[str]]) -> str:
        """The part's SQL for a warehouse whose tables have `columns` (by `schema.table`), with the settings it
        names (`accounts.render`)."""
        sql = render(self.sql)
        for table, reference in self.optional:
            if reference.split(".")[1] not in columns.get(table, set()):
                sql = re.sub(rf"\b{re.escape(reference)}\b", "CAST(NULL AS VARCHAR)", sql)
        for table, read in self.absent:
            if table not in columns:
                sql = _read_as_empty(sql, table, read)
        return sql

    def for_tenant(self, target: Target) -> ViewPart:
        """This source's part over `target`'s dataset, its rows led by the tenant's name."""
        moved = target.over_dataset
        return ViewPart(
            self.view,
            self.source,
            tenant_led(target, moved(self.sql).replace("{tenant}", target.tenant)),
            frozenset(moved(name) for name in self.requires),
            tuple((moved(table), reference) for table, reference in self.optional),
            tuple((moved(table), read) for table, read in self.absent),
        )


def _read_as_empty(sql: str, table: str, read: tuple[str, ...]) -> str:
    """`sql` with `table` read as a table of no row with the text columns `read` (under its alias, if any)."""
    empty = ", ".join(f"CAST(NULL AS VARCHAR) AS {column}" for column in read)
    name = table.split(".")[1]
    return re.sub(
        rf"\b{re.escape(table)}\b(?:\s+AS\s+(\w+))?",
        lambda found: f"(SELECT {empty} WHERE 1 = 0) AS {found.group(1) or name}",
        sql,
    )


@cache
def view_parts() -> tuple[ViewPart, ...]:
    parts = []
    for entry in sorted(resources.files("finsync.warehouse").joinpath("models").iterdir(), key=lambda e: e.name):
        view, source, suffix = [*entry.name.split("."), "", ""][:3]
        if suffix != "sql":
            continue
        text = entry.read_text()
        required = re.search(r"^-- requires:(.*)$", text, flags=re.M)
        optional = tuple(
            (table, reference)
            for table, references in re.findall(r"^-- optional (\S+):(.*)$", text, flags=re.M)
            for reference in references.split()
        )
        absent = tuple(
            (table, tuple(read.split())) for table, read in re.findall(r"^-- absent (\S+):(.*)$", text, re.M)
        )
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip()
        requires = frozenset(required.group(1).split() if required else ())
        parts.append(ViewPart(view, source, body, requires, optional, absent))
    return tuple(parts)


def view_order() -> list[str]:
    """Every view, each after the views it requires."""
    remaining: dict[str, set[str]] = {p.view: set() for p in view_parts()}
    for part in view_parts():
        remaining[part.view] |= {name.split(".", 1)[1] for name in part.requires if name.startswith(f"{SCHEMA}.")}
    ordered: list[str] = []
    while remaining:
        ready = sorted(view for view, needs in remaining.items() if needs <= set(ordered))
        if not ready:
            raise ValueError(f"the analytics views require each other in a cycle: {sorted(remaining)}")
        ordered.extend(ready)
        for view in ready:
            del remaining[view]
    return ordered


def drop_views(warehouse: Warehouse) -> None:
    """Drop every analytics view (before tables they read are dropped: PostgreSQL refuses otherwise)."""

    def drop() -> None:
        with warehouse.transaction() as connection:
            _drop(connection)

    patiently(warehouse, f"dropping the {SCHEMA} views", drop)


def _drop(connection: Any) -> None:
    for view in [*(item.view for item in history_views()), *reversed(view_order())]:
        query(connection, f"DROP VIEW IF EXISTS {SCHEMA}.{view}")


def history_views() -> list[Versioned]:
    """One per versioned table of each system (over its default dataset; `refresh_views` unions tenants)."""
    return [item for spec in SOURCES.values() for item in versioned(spec.name, spec.tables)]


def tenant_parts(view: str, targets: list[Target], leave_out: set[str] | frozenset[str]) -> list[ViewPart]:
    """The parts of `view`: each source's once per tenant (but those in `leave_out`), the analytics one once."""
    parts = []
    for part in view_parts():
        if part.view != view:
            continue
        if part.source not in SOURCES:
            parts.append(part)
            continue
        chosen = [t for t in targets if t.source == part.source and t.dataset not in leave_out]
        parts += [part.for_tenant(target) for target in chosen]
    return parts


def refresh_views(warehouse: Warehouse, leave_out: set[str] | frozenset[str] = frozenset()) -> None:
    """(Re)create every analytics view over the tenants present (but the datasets in `leave_out`), with its
    column descriptions. Views that would come out as they are (same SQL, same descriptions, all present:
    a rerun that changed no table's columns and no tenant) are left standing."""
    from .dictionary import describe_views, views

    def refresh() -> None:
        with warehouse.transaction() as connection:  # readers never see them missing, a kill never leaves them so
            present = existing_tables(connection)
            planned = planned_views(connection, present, leave_out)
            fingerprint = hashlib.sha256(repr((planned, views())).encode()).hexdigest()
            if meta_value(connection, VIEWS_KEY) == fingerprint and all(f"{SCHEMA}.{v}" in present for v, _ in planned):
                return
            query(connection, f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            _drop(connection)
            for view, sql in planned:
                query(connection, f"CREATE VIEW {SCHEMA}.{view} AS\n{sql}")
            describe_views(connection)
            set_meta_value(connection, VIEWS_KEY, fingerprint)
            crashpoints.reached("views")

    try:
        patiently(warehouse, f"refreshing the {SCHEMA} views", refresh)
    except FinsyncError:
        raise
    except Exception as error:
        raise SyncError(
            f"The data loaded, but refreshing the {SCHEMA} views failed ({redact(str(error)).strip()}); "
            "the next run tries again."
        ) from None


def planned_views(connection: Any, present: set[str], leave_out: set[str] | frozenset[str]) -> list[tuple[str, str]]:
    """(view, SQL) of every view the warehouse's tables (`present`, as `existing_tables` names them) make,
    in the order they are created."""
    own = {*view_order(), *(item.view for item in history_views())}
    tables = present - {f"{SCHEMA}.{view}" for view in own}
    targets = loaded_targets(connection)
    columns = {
        f"{schema}.{table}": names
        for schema in {SCHEMA, *(t.dataset for t in targets)}
        for table, names in existing_columns(connection, schema).items()
        if schema != SCHEMA or table not in own
    }
    planned = []
    for view in view_order():
        parts = [p for p in tenant_parts(view, targets, leave_out) if p.requires <= tables]
        if parts:
            planned.append((view, union([p.text(columns) for p in parts])))
            tables.add(f"{SCHEMA}.{view}")
    for item in history_views():
        held = [
            (t, Versioned(t.dataset, item.table))
            for t in targets
            if t.source == item.dataset and t.dataset not in leave_out
        ]
        held = [(t, one) for t, one in held if one.versions in tables]
        if held:
            # Tenants' tables may differ (pii = "drop" has fewer columns): the union keeps those all have.
            common = set.intersection(*(columns.get(f"{o.dataset}.{o.table.name}", set()) for _, o in held))
            planned.append((item.view, union([tenant_led(t, history_sql(one, common)) for t, one in held])))
    return planned


def tenant_led(target: Target, sql: str) -> str:
    return f"SELECT '{target.tenant}' AS tenant, part.* FROM ({sql}) AS part"


def union(parts: list[str]) -> str:
    return "\nUNION ALL\n".join(f"({sql})" for sql in parts)
