"""What a warehouse must hold after a complete sync of a sandbox, asserted table by table: keys and exact money,
then every column of every row (`columns`, from what the sandbox serves: `upstream`)."""

from __future__ import annotations

from datetime import timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from finsync.warehouse.runner import Target, Warehouse
from finsync_sandbox import SandboxServer, YouniumTenant
from finsync_sandbox.kernel.formats import money

from .columns import assert_tables_match
from .conftest import query
from .upstream import younium_tables
from .upstream_ym import ym_tables


def rows(warehouse: Warehouse, target: Target, sql: str) -> list[tuple[Any, ...]]:
    """`sql`, written for the default tenant's dataset, over `target`'s."""
    return query(warehouse, target.over_dataset(sql))


def assert_ym_matches_sandbox(
    warehouse: Warehouse, server: SandboxServer, tenant: str = "default", pii: str = "mask"
) -> None:
    """The warehouse's tables of YM tenant `tenant`, loaded with personal data as `pii` says, hold exactly the
    sandbox's YM data."""
    target = Target("ym", tenant)

    dataset = server.sandbox.dataset
    for table, ids in (
        ("invoice_items", dataset.expected_invoice_item_ids()),
        ("finance_batch_items", dataset.expected_batch_item_ids()),
    ):
        loaded = [row[0] for row in rows(warehouse, target, f"SELECT line_item_id FROM ym.{table} ORDER BY 1")]
        assert loaded == list(ids), f"{table}: keys differ from the sandbox"
        money = dataset.expected_money(ids)
        totals = rows(warehouse, target, f"SELECT sum(line_total), sum(line_item_amount) FROM ym.{table}")[0]
        assert totals == (money.line_total, money.line_item_amount), f"{table}: money differs"
    batches = dataset.batches()
    loaded_batches = rows(
        warehouse, target, "SELECT batch_id, item_count, closed_date IS NULL FROM ym.finance_batches ORDER BY 1"
    )
    assert loaded_batches == [(b.batch_id, b.item_count, b.is_open) for b in batches]
    # YM writes its times in the server's zone, without an offset.
    assert_tables_match(warehouse, target, ym_tables(server), ZoneInfo(server.sandbox.config.server_timezone), pii)


# Rows found deleted upstream stay in the warehouse, marked: the sandbox's expectations leave them out.
LIVE = "deleted_at IS NULL"


def assert_younium_matches_sandbox(
    warehouse: Warehouse,
    server: SandboxServer,
    tenant_name: str = "default",
    entity: YouniumTenant | None = None,
    pii: str = "mask",
) -> None:
    """The warehouse's tables of Younium tenant `tenant_name`, loaded with personal data as `pii` says, hold
    exactly the data of the sandbox's legal entity `entity` (its default one unless given)."""
    target = Target("younium", tenant_name)

    tenant = entity or server.sandbox.younium
    expected, ids = tenant.expected(), tenant.expected_ids()
    for table, keys in ids.items():
        loaded = [row[0] for row in rows(warehouse, target, f"SELECT id FROM younium.{table} WHERE {LIVE} ORDER BY 1")]
        assert loaded == keys, f"{table}: keys differ from the sandbox"

    def sums(sql: str) -> tuple[Any, ...]:
        return rows(warehouse, target, sql)[0]

    invoices, lines = expected["invoices"], expected["invoice_lines"]
    assert sums(
        "SELECT sum(subtotal), sum(tax), sum(total_amount), sum(total_base_amount) FROM younium.invoices WHERE " + LIVE
    ) == (
        Decimal(invoices["subtotal"]),
        Decimal(invoices["tax"]),
        Decimal(invoices["total_amount"]),
        Decimal(invoices["total_base_amount"]),
    )
    assert sums(
        f"SELECT count(*), sum(subtotal), sum(tax), sum(total), sum(quantity) FROM younium.invoice_lines WHERE {LIVE}"
    ) == (
        lines["rows"],
        Decimal(lines["subtotal"]),
        Decimal(lines["tax"]),
        Decimal(lines["total"]),
        lines["quantity"],
    )
    batched = expected["invoice_batches__invoices"]
    assert sums("SELECT count(*), sum(subtotal), sum(total_amount) FROM younium.invoice_batches__invoices") == (
        batched["rows"],
        Decimal(batched["subtotal"]),
        Decimal(batched["total_amount"]),
    )
    for table in ("invoice_batch_log", "invoice_batches__batch_groups"):
        assert sums(f"SELECT count(*) FROM younium.{table}") == (expected[table]["rows"],), table
    for table in ("payments", "payment_settlements"):
        assert sums(f"SELECT count(*), sum(amount) FROM younium.{table} WHERE {LIVE}") == (
            expected[table]["rows"],
            Decimal(expected[table]["amount"]),
        ), table
    # Row by row, each invoice's state: status, batch and total.
    dataset = tenant.dataset
    wanted = sorted(
        (
            dataset.invoices.id(n),
            dataset.invoices.status_name(n),
            batch.id if (batch := dataset.billing.batch_of(n)) else None,
            money(dataset.lines.totals(n).total),
        )
        for n in dataset.invoices.live()
    )
    loaded = rows(
        warehouse,
        target,
        "SELECT id, status, invoice_batch_id, total_amount FROM younium.invoices WHERE deleted_at IS NULL ORDER BY id",
    )
    assert loaded == wanted
    assert_tables_match(warehouse, target, younium_tables(tenant), timezone.utc, pii)  # Younium's times are UTC
