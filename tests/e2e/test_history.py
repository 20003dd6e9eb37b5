"""History and deletions end to end, on DuckDB and PostgreSQL: versions dated by the source's own time,
as-of queries, a sweep that finds deleted invoices, and invoice lines exactly as upstream has them."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxServer

from .conftest import ym_settings, younium_settings
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox

pytestmark = pytest.mark.slow


def rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.connect() as connection:
        return [tuple(r) for r in query(connection, sql)]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=timezone.utc)


def test_versions_as_of_queries_deletions_and_removed_lines(
    younium_sandbox: SandboxServer, any_warehouse: Warehouse
) -> None:
    tenant = younium_sandbox.sandbox.younium
    invoices = tenant.dataset.invoices
    settings = younium_settings(younium_sandbox)
    sync("younium", any_warehouse, settings=settings)
    drafts = [invoices.id(n) for n in invoices.numbers() if invoices.is_open_draft(n)]
    posted, trimmed, deleted = drafts[:3]
    as_draft = tenant.records.invoice(invoices.find(posted))["modified"]
    lines = [line["id"] for line in tenant.records.invoice(invoices.find(trimmed))["invoiceLines"]]

    tenant.set_status(posted, "Posted")
    tenant.remove_line(trimmed, lines[0])
    tenant.delete_invoice(deleted)
    as_posted = tenant.records.invoice(invoices.find(posted))["modified"]
    sync("younium", any_warehouse, settings=settings)

    # An invoice posted after run 1 has two versions, dated by its own modified times.
    versions = rows(
        any_warehouse, f"SELECT status, valid_from FROM younium.invoices__versions WHERE id = '{posted}' ORDER BY 2"
    )
    assert versions == [("Draft", instant(as_draft)), ("Posted", instant(as_posted))]
    between = instant(as_draft) + (instant(as_posted) - instant(as_draft)) / 2
    as_of = rows(
        any_warehouse,
        f"SELECT status FROM analytics.invoices_history WHERE id = '{posted}' "
        f"AND valid_from <= TIMESTAMP WITH TIME ZONE '{between.isoformat()}' "
        f"AND (valid_to IS NULL OR valid_to > TIMESTAMP WITH TIME ZONE '{between.isoformat()}')",
    )
    assert as_of == [("draft",)]

    # A line removed from a draft is gone from the current lines; the invoice's other lines are intact.
    kept = rows(
        any_warehouse,
        f"SELECT id, deleted_at IS NULL FROM younium.invoice_lines WHERE invoice_id = '{trimmed}' ORDER BY id",
    )
    assert dict(kept) == {line: line != lines[0] for line in lines}
    shown = rows(any_warehouse, f"SELECT line_id FROM analytics.invoice_lines WHERE invoice_id = '{trimmed}'")
    assert sorted(s[0] for s in shown) == sorted(lines[1:])

    # The draft deleted upstream is found by the sweep, marked deleted and left out of the views.
    assert rows(any_warehouse, f"SELECT deleted_at IS NULL FROM younium.invoices WHERE id = '{deleted}'") == [(True,)]
    report = sync("younium", any_warehouse, settings={**settings, "sweep": True})
    assert any(note.startswith("swept invoices for deletions") for note in report.notes), report.notes
    assert rows(any_warehouse, f"SELECT deleted_at IS NULL FROM younium.invoices WHERE id = '{deleted}'") == [(False,)]
    assert rows(any_warehouse, f"SELECT COUNT(*) FROM analytics.invoices WHERE invoice_id = '{deleted}'") == [(0,)]
    gone = rows(any_warehouse, "SELECT id FROM younium.invoices WHERE deleted_at IS NOT NULL")
    assert sorted(g[0] for g in gone) == sorted(tenant.expected()["invoices"]["deleted"])
    history = rows(any_warehouse, f"SELECT valid_to IS NULL FROM analytics.invoices_history WHERE id = '{deleted}'")
    assert history == [(False,)], "the history closes the deleted invoice's version"

    # The warehouse now holds what the sandbox has; a rerun that changes nothing adds no version.
    assert_younium_matches_sandbox(any_warehouse, younium_sandbox)
    expected = tenant.expected()
    live = rows(any_warehouse, "SELECT COUNT(*) FROM younium.invoices WHERE deleted_at IS NULL")
    assert live == [(expected["invoices"]["rows"],)]
    before = rows(any_warehouse, "SELECT COUNT(*) FROM younium.invoices__versions")
    again = sync("younium", any_warehouse, settings=settings)
    assert rows(any_warehouse, "SELECT COUNT(*) FROM younium.invoices__versions") == before
    assert not any(again.versions_added.values()), again.versions_added


def readme_sql(section: str) -> list[str]:
    """The SQL statements of the README section titled `section`."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sql\n(.*?)```", body, flags=re.S)
    return [statement.strip() for block in blocks for statement in block.split(";") if statement.strip()]


def test_the_readmes_queries_run_on_both_engines(sandbox: SandboxServer, any_warehouse: Warehouse) -> None:
    sync("ym", any_warehouse, settings=ym_settings(sandbox))
    sync("younium", any_warehouse, settings=younium_settings(sandbox))
    statements = readme_sql("Views") + readme_sql("History and deletions")
    assert len(statements) >= 4
    for statement in statements:
        assert rows(any_warehouse, statement), statement


def test_a_batch_ym_revised_after_it_closed_is_read_again_versioned_and_named_by_check(
    sandbox: SandboxServer, any_warehouse: Warehouse
) -> None:
    from finsync.warehouse.reconcile import reconcile

    sync("ym", any_warehouse, settings=ym_settings(sandbox))
    dataset = sandbox.sandbox.dataset
    batch = dataset.batches()[1]  # closed and loaded, long before the oldest open batch
    before = batch.item_count
    added = dataset.revise_batch(batch.batch_id)

    sync("ym", any_warehouse, settings=ym_settings(sandbox, sweep=True))

    assert_ym_matches_sandbox(any_warehouse, sandbox)
    counts = rows(
        any_warehouse,
        f"SELECT item_count FROM ym.finance_batches__versions WHERE batch_id = '{batch.batch_id}' ORDER BY valid_from",
    )
    assert counts == [(before,), (before + 1,)]
    held = rows(any_warehouse, f"SELECT batch_id FROM ym.finance_batch_items WHERE line_item_id = {added}")
    assert held == [(batch.batch_id,)]
    assert rows(
        any_warehouse,
        f"SELECT complete FROM analytics.batches WHERE source_system = 'ym' AND batch_id = '{batch.batch_id}'",
    ) == [(True,)]
    result = reconcile(any_warehouse, ["ym"])
    assert result.ok, result.findings
    assert [(n.kind, n.batch_id) for n in result.notices] == [("batch revised after it closed", batch.batch_id)]
    assert f"ItemCount {before} then {before + 1}" in result.notices[0].detail
