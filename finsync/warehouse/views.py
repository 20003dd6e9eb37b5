"""The `analytics` views: both systems' line items and batches in one shape, for SQL, notebooks and BI.

Each view is the UNION ALL of one SQL file per source (`models/<view>.<source>.sql`), written in SQL that
DuckDB and PostgreSQL both run. A part is included once the tables it names on its `-- requires:` line
exist, so a warehouse fed by one system still gets its views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from finsync.errors import FinsyncError, SyncError
from finsync.http import redact

from .database import Warehouse, existing_tables, query

SCHEMA = "analytics"


@dataclass(frozen=True)
class ViewPart:
    view: str
    source: str
    sql: str
    requires: frozenset[str]


def view_parts() -> list[ViewPart]:
    parts = []
    for entry in sorted(resources.files("finsync.warehouse").joinpath("models").iterdir(), key=lambda e: e.name):
        view, source, suffix = [*entry.name.split("."), "", ""][:3]
        if suffix != "sql":
            continue
        text = entry.read_text()
        required = re.search(r"^-- requires:(.*)$", text, flags=re.M)
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip()
        parts.append(ViewPart(view, source, body, frozenset(required.group(1).split() if required else ())))
    return parts


def drop_views(warehouse: Warehouse) -> None:
    """Drop every analytics view (before tables they read are dropped: PostgreSQL refuses otherwise)."""
    with warehouse.connect() as connection:
        for view in sorted({p.view for p in view_parts()}):
            query(connection, f"DROP VIEW IF EXISTS {SCHEMA}.{view}")


def refresh_views(warehouse: Warehouse) -> None:
    """(Re)create every analytics view over the sources present."""
    try:
        with warehouse.connect() as connection:
            tables = existing_tables(connection)
            query(connection, f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            for view in sorted({p.view for p in view_parts()}):
                present = [p for p in view_parts() if p.view == view and p.requires <= tables]
                query(connection, f"DROP VIEW IF EXISTS {SCHEMA}.{view}")
                if present:
                    union = "\nUNION ALL\n".join(f"({p.sql})" for p in present)
                    query(connection, f"CREATE VIEW {SCHEMA}.{view} AS\n{union}")
    except FinsyncError:
        raise
    except Exception as error:
        raise SyncError(
            f"The data loaded, but refreshing the {SCHEMA} views failed ({redact(str(error)).strip()}); "
            "the next run tries again."
        ) from None
