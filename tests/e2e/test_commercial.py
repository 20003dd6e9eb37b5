"""Younium's commercial figures end to end, on DuckDB and PostgreSQL: sales orders loaded exactly,
`analytics.bookings_by_month` and `analytics.deferred_revenue` equal to the sandbox's own figures (computed from
its story, not from what it serves) through a year of subscription events read incrementally, the roll-forward
tied to the ledger, and the three commercial reconciliations of `finsync check` passing on a clean sync and
each failing, naming the record, on a difference planted in the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from finsync.warehouse.database import Warehouse, query as execute
from finsync.warehouse.reconcile import Finding, reconcile
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import query, younium_records, younium_settings
from .expect import assert_younium_matches_sandbox

pytestmark = pytest.mark.slow

CHECKS = ("account_cmrr_tie_out", "booking_cmrr_tie_out", "deferred_revenue_tie_out")
SUMS = ("cmrr_base", "acv_base", "tcv_base", "one_time_fees_base")


@pytest.fixture
def tenant() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        ym_items=0, younium_invoices=30, younium_accounts=20, younium_subscriptions=30, younium_job_seconds=0.05
    )
    with SandboxServer(config=config) as server:
        yield server


def loaded(server: SandboxServer, warehouse: Warehouse) -> None:
    sync("younium", warehouse, settings=younium_settings(server), sandbox=True)


def instant(text: str) -> datetime:
    """A Younium time (UTC, with or without its `Z`) as an aware instant."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=timezone.utc)


def commercial_findings(warehouse: Warehouse) -> list[Finding]:
    return [f for f in reconcile(warehouse, ["younium"]).findings if f.kind in CHECKS]


def assert_matches_story(warehouse: Warehouse, server: SandboxServer) -> None:
    expected = server.sandbox.younium.commercial_expected()
    sales = query(
        warehouse,
        "SELECT s.id, s.order_number, s.status, s.account_id, SUM(c.one_time_fees), SUM(c.one_time_fees_base) "
        "FROM younium.sales_orders AS s JOIN younium.order_charges AS c ON c.order_version_id = s.id "
        "WHERE s.deleted_at IS NULL GROUP BY s.id, s.order_number, s.status, s.account_id",
    )
    assert sorted(sales) == sorted(
        (o["id"], o["orderNumber"], o["status"], o["account_id"], o["one_time_fees"], o["one_time_fees_base"])
        for o in expected["sales_orders"]
    )
    assert expected["sales_orders"], "the story has sales orders"
    # Never in MRR: no customer-month counts a sales order's charge.
    assert query(
        warehouse,
        "SELECT COUNT(*) FROM younium.order_charges WHERE charge_type = 'Recurring' AND order_number IN "
        "(SELECT order_number FROM younium.sales_orders)",
    ) == [(0,)]

    booked = {
        (f"{month:%Y-%m}", *keys): dict(zip(SUMS, sums, strict=True))
        for month, *keys, cmrr, acv, tcv, fees in query(
            warehouse,
            "SELECT month, booking_type, change_type, classification_type, account_category, SUM(cmrr_base), "
            "SUM(acv_base), SUM(tcv_base), SUM(one_time_fees_base) FROM analytics.bookings_by_month "
            "GROUP BY month, booking_type, change_type, classification_type, account_category",
        )
        for sums in [(cmrr, acv, tcv, fees or Decimal(0))]
    }
    assert booked == expected["bookings_by_month"]

    rolled = {
        f"{month:%Y-%m}": (opening, billed, recognised, closing, ledger)
        for month, opening, billed, recognised, closing, *ledger in query(
            warehouse,
            "SELECT month, opening_base, billed_base, recognised_base, closing_base, ledger_billed_base, "
            "ledger_recognised_base, ledger_closing_base FROM analytics.deferred_revenue",
        )
    }
    told = expected["deferred_revenue"]
    assert told, "the story bills its subscriptions"
    for period, figure in told.items():
        opening, billed, recognised, closing, ledger = rolled[period]
        assert (opening, billed, recognised, closing) == tuple(
            figure[k] for k in ("opening", "billed", "recognised", "closing")
        ), period
        assert ledger == [billed, recognised, closing], f"{period}: tied to the ledger"
    # Months after the story's (the view runs to today) move nothing.
    assert all(not row[1] and not row[2] for period, row in rolled.items() if period not in told)
    assert commercial_findings(warehouse) == []


def test_commercial_figures_are_the_storys_and_the_checks_find_planted_differences(
    tenant: SandboxServer, any_warehouse: Warehouse
) -> None:
    younium = tenant.sandbox.younium
    loaded(tenant, any_warehouse)
    assert_matches_story(any_warehouse, tenant)
    expected = younium.commercial_expected()
    current = query(any_warehouse, "SELECT id, cmrr_base FROM younium.accounts WHERE cmrr_base IS NOT NULL")
    assert {a: b for a, b in current if b} == {a: f["base"] for a, f in expected["account_cmrr"].items() if f["base"]}

    # The rest of the story in two runs: changes, cancellations, invoices, recognition, read incrementally.
    while left := len(younium.dataset.story.pending):
        younium.advance(subscription_events=max(1, (left + 1) // 2))
        loaded(tenant, any_warehouse)
        assert_matches_story(any_warehouse, tenant)
        assert_younium_matches_sandbox(any_warehouse, tenant)

    # Each check names what a planted difference touches, and only that.
    account, cmrr = query(any_warehouse, "SELECT id, cmrr_base FROM younium.accounts WHERE cmrr_base > 0 LIMIT 1")[0]
    booking, order = query(
        any_warehouse, "SELECT id, order_number FROM younium.bookings WHERE cmrr <> 0 ORDER BY id LIMIT 1"
    )[0]
    item, month = query(
        any_warehouse,
        "SELECT id, invoice_date FROM younium.revenue_schedule_items WHERE deferred_revenue_base > 0 "
        "ORDER BY id LIMIT 1",
    )[0]
    with any_warehouse.connect() as connection:
        execute(connection, f"UPDATE younium.accounts SET cmrr_base = cmrr_base + 1 WHERE id = '{account}'")
        execute(connection, f"UPDATE younium.bookings SET cmrr = cmrr + 1 WHERE id = '{booking}'")
        execute(
            connection,
            "UPDATE younium.revenue_schedule_items SET deferred_revenue_base = deferred_revenue_base + 1 "
            f"WHERE id = '{item}'",
        )
    findings = commercial_findings(any_warehouse)
    assert sorted(f.kind for f in findings) == sorted(CHECKS), "one finding each"
    found = {f.kind: f for f in findings}
    planted: dict[str, Any] = {
        "account_cmrr_tie_out": (account, str(cmrr + 1)),
        "booking_cmrr_tie_out": (order, None),
        "deferred_revenue_tie_out": (f"{month:%Y-%m}-01", None),
    }
    for kind, (record, said) in planted.items():
        assert found[kind].batch_id == record and found[kind].detail, kind
        assert said is None or found[kind].expected == said, kind
    assert "booking_amounts = delta: a Change or Churn booking carries" in found["booking_cmrr_tie_out"].detail


def spanning_invoices(warehouse: Warehouse) -> set[str]:
    """The subscription invoices (their lines bill order charges) with a line whose service period runs past
    the end of the invoice's month: what they bill is recognised over later months too."""
    rows = query(
        warehouse,
        "SELECT i.id, i.invoice_date, MAX(l.service_period_end_date) FROM younium.invoices AS i "
        "JOIN younium.invoice_lines AS l ON l.invoice_id = i.id WHERE l.charge_number LIKE 'OPC-%' "
        "GROUP BY i.id, i.invoice_date",
    )
    spanning = set()
    for invoice, dated, end in rows:
        following = date(dated.year + dated.month // 12, dated.month % 12 + 1, 1)
        if date(end.year, end.month, end.day) >= following:
            spanning.add(invoice)
    return spanning


def assert_every_check_passes(warehouse: Warehouse) -> None:
    """Every check of `finsync check` passes: the subscription invoices billing beyond their own month are
    'recognised over time' in the revenue reconciliation (the deferred-revenue roll-forward ties them out)."""
    assert [f.as_dict() for f in reconcile(warehouse, ["younium"]).findings] == []
    spanning = spanning_invoices(warehouse)
    over_time = query(
        warehouse,
        "SELECT DISTINCT invoice_id FROM analytics.revenue_reconciliation_lines WHERE reason = 'recognised over time'",
    )
    # Those the ledger has begun to recognise; one not yet recognised is revenue the ledger has not booked yet.
    assert spanning & {invoice for (invoice,) in over_time}


def test_subscription_invoices_tie_out_to_the_ledger(tenant: SandboxServer, warehouse: Warehouse) -> None:
    """Every subscription billing is a posted invoice its Invoice journal books: receivables, journals,
    invoices and every other reconciliation tie out, before and after the rest of the story (credit notes
    included)."""
    loaded(tenant, warehouse)
    assert_every_check_passes(warehouse)
    younium = tenant.sandbox.younium
    younium.advance(subscription_events=len(younium.dataset.story.pending))
    loaded(tenant, warehouse)
    assert_every_check_passes(warehouse)
    credits = query(
        warehouse,
        "SELECT COUNT(DISTINCT i.id) FROM younium.invoices AS i JOIN younium.invoice_lines AS l "
        "ON l.invoice_id = i.id WHERE l.charge_number LIKE 'OPC-%' AND i.invoice_type = 'Credit'",
    )
    assert credits[0][0] > 0


def test_an_edited_booking_is_merged_and_keeps_its_earlier_version(tenant: SandboxServer, warehouse: Warehouse) -> None:
    """Bookings are edited after the fact (PATCH /Bookings/{id}): the edit is merged into the booking, and the
    version it replaced stays in bookings__versions and in analytics.bookings_history."""
    loaded(tenant, warehouse)
    booking = younium_records(tenant, "/Bookings")[0]
    edited = tenant.sandbox.younium.edit_booking(booking["id"], "Counted in Q3 by the sales team")
    loaded(tenant, warehouse)

    where = f"WHERE id = '{booking['id']}'"
    assert query(warehouse, f"SELECT notes, cmrr_base FROM younium.bookings {where}") == [
        ("Counted in Q3 by the sales team", booking["cmrr"]["amountInBaseCurrency"])
    ]
    versions = query(warehouse, f"SELECT notes, valid_from FROM younium.bookings__versions {where} ORDER BY 2")
    assert [(notes, moment.astimezone(timezone.utc)) for notes, moment in versions] == [
        (None, instant(booking["modified"])),
        ("Counted in Q3 by the sales team", instant(edited["modified"])),
    ]
    history = query(warehouse, f"SELECT notes, is_current FROM analytics.bookings_history {where} ORDER BY valid_from")
    assert history == [(None, False), ("Counted in Q3 by the sales team", True)]
    assert_younium_matches_sandbox(warehouse, tenant)


def test_bookings_carrying_totals_tie_out_under_the_setting_that_says_so(any_warehouse: Warehouse) -> None:
    """A tenant whose Change and Churn bookings carry the order's figures after them (not the change): read as
    deltas (the default), every changed order is a finding naming the setting; read with booking_amounts =
    total, the bookings tie out and bookings_by_month books the same changes as a tenant sending deltas."""
    config = SandboxConfig(
        ym_items=0,
        younium_invoices=30,
        younium_accounts=20,
        younium_subscriptions=30,
        younium_job_seconds=0.05,
        younium_booking_totals=True,
    )
    with SandboxServer(config=config) as server:
        younium = server.sandbox.younium
        younium.advance(subscription_events=len(younium.dataset.story.pending))
        changed = orders_whose_bookings_do_not_add_up(server)
        assert changed, "the story changes orders"
        loaded(server, any_warehouse)
        found = [f for f in commercial_findings(any_warehouse) if f.kind == "booking_cmrr_tie_out"]
        assert {f.batch_id for f in found} == changed
        assert all("set total" in f.detail for f in found), found[0].detail

        sync("younium", any_warehouse, settings=younium_settings(server, booking_amounts="total"), sandbox=True)
        assert query(any_warehouse, "SELECT booking_amounts FROM younium.tenant") == [("total",)]
        assert_matches_story(any_warehouse, server)  # the changes booked per month, and no finding


def orders_whose_bookings_do_not_add_up(server: SandboxServer) -> set[str]:
    """The live subscriptions whose bookings, as the sandbox serves them, do not add up to their CMRR."""
    orders = younium_records(server, "/Subscriptions")
    bookings = younium_records(server, "/Bookings")
    assert len(orders) < 100 and len(bookings) < 100, "one page holds them all"
    sums: dict[str, Decimal] = {}
    for booking in bookings:
        number = booking["order"]["orderNumber"]
        sums[number] = sums.get(number, Decimal(0)) + booking["cmrr"]["amount"]
    return {
        order["orderNumber"]
        for order in orders
        if order["status"] not in ("Draft", "Deleted")
        and sums.get(order["orderNumber"], Decimal(0)) != order["cmrr"]["amount"]
    }
