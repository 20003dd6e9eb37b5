"""The public contract a BI tool and a notebook rely on: every table and view of a demo warehouse, with each
column's type, exactly as recorded in `contract/demo_warehouse_schema.json`.

A change to a table declaration, a view or a type shows up here as a difference to review; when the change
is meant, rewrite the file with `FINSYNC_RECORD_CONTRACT=1` and say so in the changelog of the release.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from finsync.cli import app

pytestmark = pytest.mark.slow

CONTRACT = Path(__file__).parent / "contract" / "demo_warehouse_schema.json"
PUBLIC_SCHEMAS = ("ym", "younium", "analytics")


def warehouse_schema(path: Path) -> dict[str, dict[str, str]]:
    """Every public table and view (dlt's own bookkeeping tables left out), column by column."""
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema IN {PUBLIC_SCHEMAS} AND table_name NOT LIKE '\\_dlt\\_%' ESCAPE '\\' "
            "ORDER BY ALL"
        ).fetchall()
    schema: dict[str, dict[str, str]] = {}
    for table_schema, table, column, data_type in rows:
        schema.setdefault(f"{table_schema}.{table}", {})[column] = data_type
    return schema


def test_a_demo_warehouse_has_exactly_the_documented_tables_columns_and_types(tmp_path: Path) -> None:
    warehouse = tmp_path / "finsync-demo.duckdb"
    demo = CliRunner().invoke(app, ["demo", "--duckdb-path", str(warehouse)])
    assert demo.exit_code == 0, demo.output

    found = warehouse_schema(warehouse)
    if os.environ.get("FINSYNC_RECORD_CONTRACT") == "1":
        CONTRACT.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(CONTRACT.read_text())

    assert sorted(found) == sorted(recorded), "tables and views"
    for table, columns in recorded.items():
        assert found[table] == columns, table
