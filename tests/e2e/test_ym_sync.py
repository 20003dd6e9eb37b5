"""YM end to end: sandbox -> finsync -> DuckDB, compared with what the sandbox says a warehouse must hold."""

from __future__ import annotations

import logging

import pytest

from finsync.errors import BatchExportError, SyncError
from finsync.warehouse.runner import Warehouse, sync
from finsync_sandbox import SandboxServer

from .conftest import column_types, query, ym_settings
from .expect import assert_ym_matches_sandbox

pytestmark = pytest.mark.slow


def test_a_first_sync_loads_exactly_the_sandbox_data(sandbox: SandboxServer, warehouse: Warehouse) -> None:
    report = sync("ym", warehouse, settings=ym_settings(sandbox))
    assert_ym_matches_sandbox(warehouse, sandbox)
    assert report.table_rows["invoice_items"] == sandbox.sandbox.dataset.items
    types = column_types(warehouse, "ym.invoice_items")
    assert types["line_total"] == "DECIMAL(19,4)" and types["line_item_date_entered"] == "TIMESTAMP WITH TIME ZONE"
    cards = query(
        warehouse,
        "SELECT DISTINCT length(payment_card_number), left(payment_card_number, 4) "
        "FROM ym.invoice_items WHERE payment_card_number IS NOT NULL",
    )
    assert cards == [(8, "****")], "card numbers must be masked to their last four digits"


def test_a_rerun_after_new_data_reads_only_what_is_new(sandbox: SandboxServer, warehouse: Warehouse) -> None:
    sync("ym", warehouse, settings=ym_settings(sandbox))
    closed_before = {b.batch_id for b in sandbox.sandbox.dataset.batches() if not b.is_open}
    sandbox.sandbox.dataset.advance(700)
    newly_closed = {b.batch_id for b in sandbox.sandbox.dataset.batches() if not b.is_open} - closed_before
    sandbox.sandbox.requests.clear()

    sync("ym", warehouse, settings=ym_settings(sandbox))

    assert_ym_matches_sandbox(warehouse, sandbox)
    requests = sandbox.sandbox.requests
    assert requests["ym.export_start"] == len(newly_closed), "only newly closed batches are exported"
    # 700 new items plus a one-hour overlap, at 500 a page: two or three pages (the last one short, confirmed
    # by asking for the next, which pages read ahead may already have asked for), not the whole history.
    whole_history = len(sandbox.sandbox.dataset.expected_invoice_item_ids()) // 500
    assert requests["ym.invoice_items"] <= 4 < whole_history


def test_a_rerun_with_nothing_new_changes_nothing(sandbox: SandboxServer, warehouse: Warehouse) -> None:
    sync("ym", warehouse, settings=ym_settings(sandbox))
    before = query(warehouse, "SELECT count(*), sum(line_total), max(_dlt_load_id) FROM ym.finance_batch_items")
    sandbox.sandbox.requests.clear()

    report = sync("ym", warehouse, settings=ym_settings(sandbox))

    assert query(warehouse, "SELECT count(*), sum(line_total), max(_dlt_load_id) FROM ym.finance_batch_items") == before
    assert sandbox.sandbox.requests["ym.export_start"] == 0
    # The overlap's one short page, and the empty page after it that proves it was the last.
    assert sandbox.sandbox.requests["ym.invoice_items"] == 2
    assert report.rows_loaded.get("finance_batch_items", 0) == 0
    assert_ym_matches_sandbox(warehouse, sandbox)


def test_a_sync_that_crashes_midway_leaves_nothing_half_done_and_a_rerun_completes_it(
    sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    sync("ym", warehouse, settings=ym_settings(sandbox))
    sandbox.sandbox.dataset.advance(1500)
    loaded_before = query(warehouse, "SELECT count(*) FROM ym.invoice_items")
    # The third page of invoice items keeps failing past the retry budget: the run dies midway.
    sandbox.sandbox.faults.add(kind="status", route="ym.invoice_items", status=500, times=10, after=2)

    with pytest.raises(SyncError) as raised:
        sync("ym", warehouse, settings=ym_settings(sandbox))
    assert raised.value.exit_code == 1 and "HTTP 500" in str(raised.value)
    assert query(warehouse, "SELECT count(*) FROM ym.invoice_items") == loaded_before

    sandbox.sandbox.faults.clear()
    sync("ym", warehouse, settings=ym_settings(sandbox))
    assert_ym_matches_sandbox(warehouse, sandbox)


def test_a_failed_export_is_reported_the_rest_loads_and_the_next_run_retries_it(
    sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    failing = sandbox.sandbox.dataset.batches()[3].batch_id
    sandbox.sandbox.faults.add(kind="export_failure", batch_id=failing)

    with pytest.raises(BatchExportError) as raised:
        sync("ym", warehouse, settings=ym_settings(sandbox))
    assert list(raised.value.failures) == [failing] and failing in str(raised.value)
    loaded_batches = {row[0] for row in query(warehouse, "SELECT DISTINCT batch_id FROM ym.finance_batch_items")}
    closed = {b.batch_id for b in sandbox.sandbox.dataset.batches() if not b.is_open}
    assert loaded_batches == closed - {failing}

    sandbox.sandbox.requests.clear()
    sync("ym", warehouse, settings=ym_settings(sandbox))
    assert sandbox.sandbox.requests["ym.export_start"] == 1, "only the failed batch is exported again"
    assert_ym_matches_sandbox(warehouse, sandbox)


def test_transient_faults_sessions_expiring_and_slow_exports_do_not_change_the_result(
    sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    faults = sandbox.sandbox.faults
    faults.add(kind="status", route="ym.invoice_items", status=429, retry_after=0.1, after=1)
    faults.add(kind="status", route="ym.finance_batches", status=503)
    faults.add(kind="drop", route="ym.invoice_items", after=3)
    faults.add(kind="truncate", route="ym.export_status", after=2)
    faults.add(kind="status", route="ym.export_download", status=502, after=4)
    faults.add(kind="expire_sessions", route="ym.invoice_items", after=2)
    sandbox.sandbox.config.export_not_ready_count = 3

    sync("ym", warehouse, settings=ym_settings(sandbox, export_concurrency=4))

    assert_ym_matches_sandbox(warehouse, sandbox)
    assert sandbox.sandbox.requests["ym.authenticate"] >= 2, "the expired session was replaced"


def test_exports_running_at_once_cost_about_one_status_poll_each(sandbox: SandboxServer, warehouse: Warehouse) -> None:
    sandbox.sandbox.config.export_latency_seconds = 0.4  # long enough that a first poll finds each one WORKING
    settings = ym_settings(sandbox)
    del settings["export_poll_interval"]  # the shipped polling, not the suite's quick one

    sync("ym", warehouse, settings=settings)

    exports, polls = sandbox.sandbox.requests["ym.export_start"], sandbox.sandbox.requests["ym.export_status"]
    assert exports >= 10
    # Each export polling on its own would ask about every one at least twice (WORKING, then COMPLETE).
    assert polls <= 1.5 * exports, (polls, exports)
    assert_ym_matches_sandbox(warehouse, sandbox)


def test_details_mode_loads_the_same_batch_items_without_exports(sandbox: SandboxServer, warehouse: Warehouse) -> None:
    sync("ym", warehouse, settings=ym_settings(sandbox, batch_items_mode="details", details_page_size=70))
    assert sandbox.sandbox.requests["ym.export_start"] == 0
    assert_ym_matches_sandbox(warehouse, sandbox)


def test_pii_drop_keeps_no_personal_column(sandbox: SandboxServer, warehouse: Warehouse) -> None:
    sync("ym", warehouse, settings=ym_settings(sandbox, pii="drop"))
    columns = {
        row[0]
        for row in query(warehouse, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ym'")
    }
    assert not columns & {"payment_card_number", "email_address", "invoice_name_last", "phone", "address1"}
    assert_ym_matches_sandbox(warehouse, sandbox, pii="drop")
    # The views read no personal column either: an invoice without an organization is named by member id.
    unnamed = query(warehouse, "SELECT COUNT(DISTINCT invoice_no) FROM ym.invoice_items WHERE organization IS NULL")
    members = query(warehouse, "SELECT COUNT(*) FROM analytics.invoices WHERE customer_name LIKE 'Member %'")
    assert unnamed[0][0] and members == unnamed


def test_no_secret_reaches_the_logs_even_at_debug_level(
    sandbox: SandboxServer, warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    from finsync.http import install_log_redaction

    install_log_redaction()
    sandbox.sandbox.faults.add(kind="expire_sessions", route="ym.invoice_items", after=1)
    with caplog.at_level(logging.DEBUG):
        sync("ym", warehouse, settings=ym_settings(sandbox))
    sessions = sandbox.sandbox.sessions.issued
    assert len(sessions) >= 2, "the session expired midway and a new one was opened"
    for secret in [sandbox.sandbox.config.api_password, sandbox.sandbox.config.api_key, *sessions]:
        assert secret not in caplog.text
