"""The data dictionary: what every table, view and column of the warehouse means, from one place each.

Tables are described by their declarations (`Table.doc`, `Column.doc`), views by `models/<view>.md`
beside their SQL. The descriptions are written into the warehouse as comments (`COMMENT ON`), so BI tools,
`information_schema`, DuckDB's `duckdb_columns()` and PostgreSQL's `col_description` show them, and they
make the README's table and view sections and `docs/data-dictionary.md`:

    python -m finsync.warehouse.dictionary          # rewrite both from the declarations
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from finsync.tables import LOAD_TIME, Kind, Sensitivity, Table

from .database import existing_tables, is_postgres, query
from .history import HISTORY_COLUMNS, NOT_CONTENT, VERSION_COLUMNS, versioned
from .views import SCHEMA as VIEW_SCHEMA, view_order

# The column dlt adds to every table finsync loads (its Arrow batches get no `_dlt_id`).
LOAD_COLUMNS = {
    "_dlt_load_id": "The load that last wrote the row: its id in the dataset's _dlt_loads table",
}
KIND_TYPES = {
    Kind.TEXT: "text",
    Kind.INT: "bigint",
    Kind.MONEY: "decimal(19,4)",
    Kind.RATE: "decimal(18,8)",
    Kind.TIMESTAMP: "timestamptz (UTC)",
    Kind.DATE: "date",
    Kind.BOOL: "boolean",
    Kind.JSON: "json",
}
PERSONAL_NOTE = 'Personal data: left out under pii = "drop"'


@dataclass(frozen=True)
class Described:
    """A table or view: what one row is, and (column, type, description) for each column."""

    name: str  # schema.name
    doc: str
    columns: tuple[tuple[str, str, str], ...]
    key: str = ""
    written: str = ""


def _columns(table: Table) -> list[tuple[str, str, str]]:
    return [
        (
            c.name,
            KIND_TYPES[c.kind],
            f"{c.doc}. {PERSONAL_NOTE}" if c.sensitivity is not Sensitivity.NONE else c.doc,
        )
        for c in table.columns
    ]


def describe_table(dataset: str, table: Table) -> Described:
    columns = [*_columns(table), *((name, "text", doc) for name, doc in LOAD_COLUMNS.items())]
    written = "merge"
    if table.replaced_per:
        written += f", replaced per {table.replaced_per}"
    if any(c.name == "deleted_at" for c in table.columns):
        written += ", `deleted_at`"
    if table.history:
        written += ", versions kept"
    return Described(f"{dataset}.{table.name}", table.doc, tuple(columns), table.primary_key, written)


def describe_versions(dataset: str, table: Table) -> Described:
    content = [c for c in _columns(table) if c[0] not in NOT_CONTENT and not table.column(c[0]).calendar]
    if table.history == LOAD_TIME:
        began = " or ".join(f"`{c}`" for c in table.created)
        first = f"its {began}" if began else "the load that found it"
        dated = f"the load that found the change (a record's first version: {first})"
    else:
        dated = f"its own `{table.history}` when later than the version before, else the load that found the change"
    versions = [
        ("valid_from", "timestamptz (UTC)", f"When this version became current: {dated}, in UTC")
        if name == "valid_from"
        else (name, "text", d)
        for name, d in VERSION_COLUMNS.items()
    ]
    doc = (
        f"Every version of a row of {dataset}.{table.name}: one each time its content changed (a return to an earlier "
        f"state too), dated by {dated} (append-only)"
    )
    return Described(f"{dataset}.{table.name}__versions", doc, tuple(content + versions), "", "")


def describe_history(dataset: str, table: Table) -> Described:
    versions = describe_versions(dataset, table)
    added = [
        (name, "boolean" if name == "is_current" else "timestamptz (UTC)", d) for name, d in HISTORY_COLUMNS.items()
    ]
    doc = (
        f"Every version of {dataset}.{table.name} with the span it was current (valid_from to valid_to); the version "
        "as of an instant T is the one with valid_from <= T and (valid_to IS NULL or valid_to > T)"
    )
    tenant = ("tenant", "text", "The tenant the version is from (see the views' `tenant`)")
    columns = [
        (name, kind, f"{d}; lower-cased here, as every analytics view spells a status")
        if name.endswith("status")
        else (name, kind, d)
        for name, kind, d in versions.columns
    ]
    return Described(f"{VIEW_SCHEMA}.{table.name}_history", doc, (tenant, *columns, *added))


@cache
def views() -> tuple[Described, ...]:
    """Every analytics view: those of `models/<view>.md`, then the history views."""
    models = resources.files("finsync.warehouse").joinpath("models")
    described = []
    for view in view_order():
        text = models.joinpath(f"{view}.md").read_text()
        doc = " ".join(text.split("\n\n")[1].split())
        rows = re.findall(r"^\| `(\w+)` \| (.+?) \|$", text, flags=re.M)
        described.append(Described(f"{VIEW_SCHEMA}.{view}", doc, tuple((name, "", d) for name, d in rows)))
    return (*described, *(describe_history(v.dataset, v.table) for v in _versioned()))


def tables() -> tuple[Described, ...]:
    from .registry import SOURCES

    current = [describe_table(spec.name, table) for spec in SOURCES.values() for table in spec.tables]
    return (*current, *(describe_versions(v.dataset, v.table) for v in _versioned()))


def _versioned() -> list[Any]:
    from .registry import SOURCES

    return [v for spec in SOURCES.values() for v in versioned(spec.name, spec.tables)]


# -- into the warehouse ---------------------------------------------------------------------------------------


def describe_tables(connection: Any, dataset: str, declared: Sequence[Table]) -> None:
    """Comment `dataset`'s tables and their columns (only where the comment differs: a rerun writes none)."""
    described = [describe_table(dataset, table) for table in declared]
    described += [describe_versions(v.dataset, v.table) for v in versioned(dataset, declared)]
    _comment(connection, described, "TABLE")


def describe_views(connection: Any) -> None:
    _comment(connection, views(), "VIEW")


def _comment(connection: Any, described: Iterable[Described], kind: str) -> None:
    present = existing_tables(connection)
    current = _comments(connection)
    for item in described:
        if item.name not in present:
            continue
        schema, name = item.name.split(".")
        if current.get((schema, name, "")) != item.doc:
            query(connection, f"COMMENT ON {kind} {item.name} IS {_literal(item.doc)}")
        for column, _type, doc in item.columns:
            existing = current.get((schema, name, column))
            if existing is not None and existing != doc:
                query(connection, f"COMMENT ON COLUMN {item.name}.{column} IS {_literal(doc)}")


def _comments(connection: Any) -> dict[tuple[str, str, str], str]:
    """(schema, table, column) -> comment of every column of finsync's schemas ('' for none), and
    (schema, table, '') -> the table's own comment."""
    if not is_postgres(connection):
        columns = query(
            connection, "SELECT schema_name, table_name, column_name, COALESCE(comment, '') FROM duckdb_columns()"
        )
        own = query(
            connection,
            "SELECT schema_name, table_name, COALESCE(comment, '') FROM duckdb_tables() UNION ALL "
            "SELECT schema_name, view_name, COALESCE(comment, '') FROM duckdb_views() WHERE NOT internal",
        )
    else:
        columns = query(
            connection,
            "SELECT n.nspname, c.relname, a.attname, COALESCE(col_description(c.oid, a.attnum), '') "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v')",
        )
        own = query(
            connection,
            "SELECT n.nspname, c.relname, COALESCE(obj_description(c.oid, 'pg_class'), '') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v')",
        )
    found = {(schema, table, column): str(comment) for schema, table, column, comment in columns}
    found.update({(schema, table, ""): str(comment) for schema, table, comment in own})
    return found


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- into the documentation ---------------------------------------------------------------------------------


def readme_tables() -> str:
    """The README's table list: each table, its key, how it is written and what a row is."""
    lines = ["| table | key | written | one row is |", "|---|---|---|---|"]
    lines += [f"| {t.name} | {t.key or '(key, first_load_id)'} | {t.written or 'append'} | {t.doc} |" for t in tables()]
    return "\n".join(lines)


def readme_views() -> str:
    return "\n".join(f"- **{v.name}**: {v.doc}" for v in views())


def data_dictionary() -> str:
    """docs/data-dictionary.md: every column of every table and view."""
    out = [
        "# Data dictionary",
        "",
        "Every table and view finsync writes, column by column. The same descriptions are in the warehouse",
        "as column comments. Generated from the table declarations (`finsync/sources/*/schema.py`) and the",
        "view descriptions (`finsync/warehouse/models/*.md`) by `python -m finsync.warehouse.dictionary`.",
    ]
    for item in (*tables(), *views()):
        out += ["", f"## {item.name}", "", item.doc, ""]
        if item.key:
            out += [f"Key: `{item.key}`; written by {item.written}.", ""]
        if item.columns and item.columns[0][1]:
            out += ["| column | type | description |", "|---|---|---|"]
            out += [f"| `{name}` | {kind} | {doc} |" for name, kind, doc in item.columns]
        else:
            out += ["| column | description |", "|---|---|"]
            out += [f"| `{name}` | {doc} |" for name, _kind, doc in item.columns]
    return "\n".join(out) + "\n"


MARKERS = {"tables": readme_tables, "views": readme_views}


def with_generated_sections(readme: str) -> str:
    """`readme` with each `<!-- dictionary:NAME -->` … `<!-- /dictionary:NAME -->` section regenerated."""
    for name, make in MARKERS.items():
        readme = _with_section(readme, name, make())
    return readme


def _with_section(readme: str, name: str, section: str) -> str:
    pattern = rf"(<!-- dictionary:{name} -->\n)(?:.*?\n)?(<!-- /dictionary:{name} -->)"
    return re.sub(pattern, lambda m: m.group(1) + section + "\n" + m.group(2), readme, flags=re.S)


def main(root: Path) -> None:
    readme = root / "README.md"
    readme.write_text(with_generated_sections(readme.read_text()))
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "data-dictionary.md").write_text(data_dictionary())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
