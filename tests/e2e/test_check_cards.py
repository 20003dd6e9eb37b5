"""`finsync check` proves the PCI promise on DuckDB and PostgreSQL: a card number in full in any text column of
any table (history tables included) fails the check, naming the table, the column and how many rows, never
the number; masked card numbers, ids and other digit runs pass."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from finsync.warehouse.cards import holds_card_number
from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.reconcile import reconcile
from finsync.warehouse.registry import SOURCES
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import DSN_VARIABLE, finsync_env, fresh_postgres, run_finsync, ym_settings, younium_settings

pytestmark = pytest.mark.slow

LABELS = list(SOURCES)
VISA = "4111 1111 1111 1111"  # 16 digits, passes the Luhn check
AMEX = "378282246310005"  # 15 digits, passes
NOT_A_CARD = "4111-1111-1111-1112"  # fails the Luhn check
# Where each is planted: (table, its key, text column, how many keys' rows, the value).
PLANTED = [
    ("ym.invoice_items", "line_item_id", "line_item_description", 1, f"paid by card {VISA}, thanks"),
    ("younium.accounts", "id", "name", 2, f"Acme {AMEX}"),
    ("younium.invoices__versions", "id", "notes", 1, AMEX),
    ("ym.finance_batch_items", "line_item_id", "line_item_description", 3, f"ref {NOT_A_CARD}"),
]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Both systems loaded from the sandbox, then card numbers planted where no upstream field carries one."""
    config = SandboxConfig(ym_items=400, batch_size=100, export_latency_seconds=0.05, younium_invoices=60)
    if request.param == "postgres":
        dsn = os.environ.get(DSN_VARIABLE)
        if not dsn:
            pytest.skip(f"NO POSTGRESQL: set {DSN_VARIABLE} to run this test")
        with fresh_postgres(dsn) as warehouse, SandboxServer(config=config) as server:
            yield load(warehouse, server)
    else:
        warehouse = Warehouse("duckdb", tmp_path_factory.mktemp("cards") / "warehouse.duckdb")
        with SandboxServer(config=config) as server:
            yield load(warehouse, server)


def load(warehouse: Warehouse, server: SandboxServer) -> Warehouse:
    sync("ym", warehouse, settings=ym_settings(server))
    sync("younium", warehouse, settings=younium_settings(server))
    assert not [f for f in reconcile(warehouse, LABELS).findings if f.kind == "card number stored"]
    with warehouse.connect() as connection:
        for table, key, column, keys, value in PLANTED:
            picked = f"SELECT {key} FROM {table} ORDER BY {key} LIMIT {keys}"
            query(connection, f"UPDATE {table} SET {column} = '{value}' WHERE {key} IN ({picked})")
    return warehouse


def planted(warehouse: Warehouse, table: str, column: str, value: str) -> str:
    with warehouse.connect(read_only=True) as connection:
        rows = query(connection, f"SELECT COUNT(*) FROM {table} WHERE {column} = '{value}'")[0][0]
    assert rows, f"nothing planted in {table}"
    return f"{rows:,} rows"


def test_a_card_number_in_any_text_column_fails_the_check_naming_table_column_and_rows(loaded: Warehouse) -> None:
    found = [f for f in reconcile(loaded, LABELS).findings if f.kind == "card number stored"]
    named = sorted((f.source, f.detail.split(" holds ")[0], f.actual) for f in found)
    assert named == [
        (table.split(".")[0], f"{table}.{column}", planted(loaded, table, column, value))
        for table, _, column, _, value in PLANTED
        if value != f"ref {NOT_A_CARD}"
    ]
    text = repr(found)
    for number in (VISA, AMEX, NOT_A_CARD):
        assert number not in text and number.replace(" ", "") not in text
    assert all("--full-refresh" in f.detail for f in found)


def test_the_command_exits_1_naming_the_column_and_never_the_number(loaded: Warehouse, tmp_path: Path) -> None:
    if loaded.kind != "duckdb":
        pytest.skip("the command line is the same over PostgreSQL")
    env = finsync_env(tmp_path, {})
    result = run_finsync(["check", "--json", "--duckdb-path", str(loaded.duckdb_path)], env, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "card number stored"]
    assert any(f["detail"].startswith("ym.invoice_items.line_item_description holds 1 value") for f in found)
    table = run_finsync(["check", "--duckdb-path", str(loaded.duckdb_path)], env, tmp_path)
    for output in (result.stdout, table.stdout):
        assert VISA.replace(" ", "") not in output.replace(" ", "") and AMEX not in output


@pytest.mark.parametrize(
    ("value", "card"),
    [
        ("4111111111111111", True),
        ("4111-1111-1111-1111", True),
        ("card: 5500 0000 0000 0004.", True),
        ("****1111", False),
        ("4111111111111112", False),  # Luhn fails
        ("41111111111111110000", False),  # 20 digits: no card
        ("87142cd9-c204-4d3b-8825-1672ab003a5a", False),
        ("INV-2024-000123", False),
        ("4111  1111 1111 1111", False),  # two spaces break the run
        ("3782 822463 10005", True),  # Amex's 4-6-5
        ("ref 4111 1111 1111 1111 2024", True),  # followed by another group
        ("12345678-1234-1234-4111-111111111111", False),  # a UUID's groups, though its digits pass
        ("0015g000004111111111111111", False),  # inside an id
        ("x4111111111111111", False),
    ],
)
def test_what_counts_as_a_card_number(value: str, card: bool) -> None:
    assert holds_card_number(value) is card
