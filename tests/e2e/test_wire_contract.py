"""Upstream that differs from its declarations, end to end on DuckDB and PostgreSQL (the sandbox serving the
drift): a required field missing fails its list alone, a declared field that stops arriving is flagged and
recorded until it comes back, and fields upstream adds are named and recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from finsync.errors import PartlyLoaded
from finsync.sources.state import SourceState
from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.reconcile import reconcile
from finsync.warehouse.runner import Target, sync
from finsync.warehouse.status import committed_state
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import ym_settings, younium_records, younium_settings
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox

pytestmark = pytest.mark.slow

ALWAYS = 0  # a fault's `times` that keeps it until the faults are cleared
# What a run's notes say when declared fields of the order versions stopped arriving.
VERSIONS_FLAGGED = "GET /Subscriptions/{orderNumber}/versions: declared field(s)"


def drift(server: SandboxServer, route: str, kind: str, field: str, **options: Any) -> None:
    server.sandbox.faults.add(kind=kind, route=route, field=field, times=ALWAYS, **options)


def rows_of(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.connect(read_only=True) as connection:
        return sorted(tuple(map(repr, row)) for row in query(connection, sql))


def cursor(warehouse: Warehouse, source: str, listed: str) -> str | None:
    """The list's cursor as committed in the warehouse (what the next run reads from)."""
    with warehouse.connect(read_only=True) as connection:
        state = committed_state(connection, Target(source)).get("sources", {}).get(source, {})
    return SourceState(state).cursors().get(listed)


def test_a_required_money_field_missing_on_some_records_fails_its_list_alone(
    younium_sandbox: SandboxServer, any_warehouse: Warehouse
) -> None:
    server = younium_sandbox
    sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    invoices_before = rows_of(any_warehouse, "SELECT * FROM younium.invoices")
    lines_before = rows_of(any_warehouse, "SELECT * FROM younium.invoice_lines")
    cursor_before = cursor(any_warehouse, "younium", "invoices")
    server.sandbox.younium.advance(new_invoices=30, modified_invoices=10, new_accounts=3)
    drift(server, "younium.invoices", "missing", "totalAmount", rows=2)

    with pytest.raises(PartlyLoaded) as raised:
        sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    message = " ".join(str(raised.value).split())
    assert raised.value.exit_code == 1
    assert "GET /Invoices" in message and "totalAmount is absent or null in" in message, message
    assert "(one is " in message, "one record's key is named"
    assert rows_of(any_warehouse, "SELECT * FROM younium.invoices") == invoices_before
    assert rows_of(any_warehouse, "SELECT * FROM younium.invoice_lines") == lines_before
    assert cursor(any_warehouse, "younium", "invoices") == cursor_before, "the cursor moved past what was not loaded"
    # The other lists loaded this run: the three new accounts are there.
    accounts = {repr(a.id) for a in server.sandbox.younium.dataset.accounts.all()}
    assert {r[0] for r in rows_of(any_warehouse, "SELECT id FROM younium.accounts")} == accounts

    server.sandbox.faults.clear()
    sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
    assert_younium_matches_sandbox(any_warehouse, server)


def test_a_declared_field_renamed_upstream_is_flagged_recorded_and_fails_check_until_it_is_back(
    any_warehouse: Warehouse,
) -> None:
    config = SandboxConfig(ym_items=300, batch_size=100, export_latency_seconds=0.05, younium_invoices=0)
    with SandboxServer(config=config) as server:
        drift(server, "ym.invoice_items", "rename", "InvoiceNameLast>LastName")
        report = sync("ym", any_warehouse, settings=ym_settings(server), sandbox=True)
        said = " ".join(report.notes)
        assert "GET InvoiceItems: declared field(s) InvoiceNameLast came in none of the" in said, said
        assert "sends field(s) finsync does not declare: LastName" in said, said
        assert "`finsync run --source ym --full-refresh` fills the rows" in said, said
        with any_warehouse.connect(read_only=True) as connection:
            recorded = query(
                connection,
                "SELECT field, declared, missing_since IS NOT NULL FROM finsync_meta.upstream_fields "
                "WHERE endpoint = 'GET InvoiceItems' AND field IN ('InvoiceNameLast', 'LastName') ORDER BY field",
            )
        assert [tuple(r) for r in recorded] == [("InvoiceNameLast", True, True), ("LastName", False, False)]
        found = [f for f in reconcile(any_warehouse, ["ym"]).findings if f.kind == "field stopped arriving"]
        assert len(found) == 1, [f.detail for f in found]
        assert "GET InvoiceItems has not sent InvoiceNameLast" in found[0].detail
        assert "sources.ym.optional_fields" in found[0].detail

        # Waived in the settings, the field is no longer flagged; upstream sending it again clears it too.
        sync("ym", any_warehouse, settings=ym_settings(server, optional_fields=["InvoiceNameLast"]), sandbox=True)
        server.sandbox.faults.clear()
        # Sent again, the field fills the rows loaded without it once the tenant is loaded anew.
        sync("ym", any_warehouse, settings=ym_settings(server), sandbox=True, full_refresh=True)
        assert not [f for f in reconcile(any_warehouse, ["ym"]).findings if f.kind == "field stopped arriving"]
        assert_ym_matches_sandbox(any_warehouse, server)


def test_a_field_upstream_adds_is_named_and_kept_only_when_asked(any_warehouse: Warehouse) -> None:
    config = SandboxConfig(ym_items=200, batch_size=100, export_latency_seconds=0.05, younium_invoices=60)
    with SandboxServer(config=config) as server:
        for route in ("younium.invoices", "ym.invoice_items", "ym.export_download"):
            drift(server, route, "add", "region")
        report = sync("younium", any_warehouse, settings=younium_settings(server), sandbox=True)
        assert "GET /Invoices sends field(s) finsync does not declare:" in " ".join(report.notes)
        undeclared = "SELECT field FROM finsync_meta.upstream_fields WHERE endpoint = 'GET /Invoices' AND NOT declared"
        assert ("'region'",) in rows_of(any_warehouse, undeclared)
        assert rows_of(any_warehouse, "SELECT count(*) FROM younium.invoices WHERE extra_fields IS NOT NULL") == [
            ("0",)
        ], "kept without being asked"

        keep = {"extra_fields": True}
        sync("younium", any_warehouse, settings=younium_settings(server, **keep), sandbox=True, full_refresh=True)
        sync("ym", any_warehouse, settings=ym_settings(server, **keep), sandbox=True)
        for table, key in (("younium.invoices", "id"), ("ym.invoice_items", "line_item_id"),
                           ("ym.finance_batch_items", "line_item_id")):  # fmt: skip
            with any_warehouse.connect(read_only=True) as connection:
                kept = query(connection, f"SELECT {key}, CAST(extra_fields AS VARCHAR) FROM {table}")
            assert kept and all("region" in json.loads(extra) for _, extra in kept), table
        # The value is the one served (the sandbox derives it from the record), exactly.
        served = {r["id"]: r["region"] for r in younium_records(server, "/Invoices")}
        with any_warehouse.connect(read_only=True) as connection:
            held = dict(query(connection, "SELECT id, CAST(extra_fields AS VARCHAR) FROM younium.invoices"))
        assert served and {k: json.loads(v)["region"] for k, v in held.items() if k in served} == served
        # Under pii = "drop" nothing unknown is kept: it may be personal.
        sync("ym", any_warehouse, settings=ym_settings(server, pii="drop", **keep), sandbox=True, full_refresh=True)
        with any_warehouse.connect(read_only=True) as connection:
            columns = query(
                connection,
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ym' "
                "AND table_name = 'invoice_items' AND column_name = 'extra_fields'",
            )
        assert not columns


def test_a_field_some_order_versions_carry_is_flagged_when_a_sweep_reads_every_version_without_it(
    warehouse: Warehouse,
) -> None:
    """Younium leaves null fields out, so a field only some versions carry (a cancellation date) is judged on a
    whole read: a sweep reads every order's versions, and one that finds the field on none is flagged at once.
    An incremental run after a sweep reads a few orders' versions: finding it on none of them says nothing."""
    config = SandboxConfig(ym_items=0, younium_invoices=30, younium_accounts=12, younium_subscriptions=12)
    with SandboxServer(config=config) as server:
        sync("younium", warehouse, settings=younium_settings(server), sandbox=True)
        younium = server.sandbox.younium
        story = younium.dataset.story
        younium.advance(subscription_events=len(story.pending) // 2)
        report = sync("younium", warehouse, settings=younium_settings(server, sweep=True), sandbox=True)
        assert VERSIONS_FLAGGED not in " ".join(report.notes)

        # A charge of an order never cancelled is invoiced: the next run reads its versions alone, none of which
        # carries a cancellation date.
        never = [o for o in younium_records(server, "/Subscriptions") if o["status"] == "Active"]
        younium.touch_charge(next(o["orderNumber"] for o in never if "cancellationDate" not in o))
        report = sync("younium", warehouse, settings=younium_settings(server), sandbox=True)
        assert VERSIONS_FLAGGED not in " ".join(report.notes), "judged on a partial read"

        drift(server, "younium.subscription_versions", "remove", "cancellationDate")
        report = sync("younium", warehouse, settings=younium_settings(server, sweep=True), sandbox=True)
        said = " ".join(report.notes)
        assert VERSIONS_FLAGGED in said, said
        assert "cancellationDate" in said.split("came in none")[0], said
        with warehouse.connect(read_only=True) as connection:
            flagged = query(
                connection,
                "SELECT missing_since IS NOT NULL FROM finsync_meta.upstream_fields "
                "WHERE endpoint = 'GET /Subscriptions/{orderNumber}/versions' AND field = 'cancellationDate'",
            )
        assert [tuple(r) for r in flagged] == [(True,)]
