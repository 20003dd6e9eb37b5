"""No silent loss: every trap that could make a run exit 0 with rows missing, each served by the sandbox.

For each, the run either repairs the read itself or fails naming what it could not read, and a clean run
afterwards holds exactly the sandbox's data.
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from base64 import b64decode
from pathlib import Path

import pytest

from finsync.errors import BatchExportError, SyncError
from finsync.warehouse.runner import SOURCES, Warehouse, make_pipeline, sync
from finsync_sandbox import SandboxServer

from .conftest import query, ym_settings, younium_settings
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox

pytestmark = pytest.mark.slow


def one_export_at_a_time(server: SandboxServer) -> dict[str, object]:
    """Downloads in a predictable order, and files ready at once, so a fault hits the download it names."""
    server.sandbox.config.export_not_ready_count = 0
    return ym_settings(server, export_concurrency=1)


def test_an_export_file_cut_short_once_is_downloaded_again_and_the_run_is_exact(
    sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    settings = one_export_at_a_time(sandbox)
    sandbox.sandbox.faults.add(kind="short_file", route="ym.export_download", rows=50, after=2)

    sync("ym", warehouse, settings=settings)

    assert_ym_matches_sandbox(warehouse, sandbox)
    requests = sandbox.sandbox.requests
    assert requests["ym.export_download"] == requests["ym.export_start"] + 1, "the cut file was downloaded again"


@pytest.mark.parametrize(
    ("kind", "rows", "problem"),
    [
        ("short_file", 50, "holds 50 items, but YM lists the batch with ItemCount 200"),
        ("short_file", 0, "holds 0 items"),
        ("empty_file", None, "is empty"),
        ("malformed_row", 7, "row 7 has"),
        ("truncate", None, "does not end with a line break"),
    ],
    ids=["cut at a row boundary", "header only", "empty", "malformed row", "cut inside a row"],
)
def test_an_export_file_that_stays_incomplete_fails_its_batch_alone_and_the_next_run_repairs_it(
    sandbox: SandboxServer, warehouse: Warehouse, kind: str, rows: int | None, problem: str
) -> None:
    settings = one_export_at_a_time(sandbox)
    victim = sandbox.sandbox.dataset.batches()[2].batch_id
    sandbox.sandbox.faults.add(kind=kind, route="ym.export_download", rows=rows, after=2, times=3)

    with pytest.raises(BatchExportError) as raised:
        sync("ym", warehouse, settings=settings)

    assert list(raised.value.failures) == [victim] and problem in str(raised.value)
    assert raised.value.exit_code == 1
    loaded = {row[0] for row in query(warehouse, "SELECT DISTINCT batch_id FROM ym.finance_batch_items")}
    assert victim not in loaded and len(loaded) > 3, "the other batches loaded, this one not at all"

    sandbox.sandbox.faults.clear()
    sync("ym", warehouse, settings=settings)
    assert_ym_matches_sandbox(warehouse, sandbox)


def test_no_personal_data_reaches_an_error_a_log_or_the_saved_state(
    sandbox: SandboxServer, warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    settings = one_export_at_a_time(sandbox)
    batch = sandbox.sandbox.dataset.batches()[0]
    sandbox.sandbox.faults.add(kind="malformed_row", route="ym.export_download", rows=3, times=3)
    # Every personal value of the batch, the malformed row's among them.
    personal = {
        record[field]
        for record in sandbox.sandbox.dataset.records(batch.first_item, batch.last_item)
        for field in ("InvoiceNameLast", "InvoiceNameFirst", "EmailAddress", "Address1", "Phone", "PostalCode")
        if record[field] and len(str(record[field])) >= 4
    }

    with caplog.at_level(logging.DEBUG), pytest.raises(BatchExportError) as raised:
        sync("ym", warehouse, settings=settings)

    pipeline = make_pipeline(SOURCES["ym"], warehouse)
    local_state = json.dumps(pipeline.state, default=str)
    (stored,) = query(warehouse, "SELECT state FROM ym._dlt_pipeline_state ORDER BY created_at DESC LIMIT 1")[0]
    warehouse_state = zlib.decompress(b64decode(stored)).decode()
    assert batch.batch_id in warehouse_state, "the failure is recorded, for the next run to retry"
    texts = {"error": str(raised.value), "logs": caplog.text, "local state": local_state}
    texts["warehouse's saved state"] = warehouse_state
    for where, text in texts.items():
        leaked = sorted(value for value in personal if _holds(text, str(value)))
        assert not leaked, f"personal data in the {where}: {leaked[:3]}"


def _holds(text: str, value: str) -> bool:
    """Whether `text` holds `value` whole: a postal code inside a longer number (a timestamp's microseconds,
    say) is not that postal code."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text) is not None


def test_nothing_found_on_a_later_page_is_read_again_and_never_ends_the_list(
    younium_sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    younium_sandbox.sandbox.faults.add(kind="nothing_found", route="younium.payments", page=2)

    sync("younium", warehouse, settings=younium_settings(younium_sandbox, page_size=20))

    assert_younium_matches_sandbox(warehouse, younium_sandbox)
    assert query(warehouse, "SELECT count(*) FROM younium.payments WHERE deleted_at IS NOT NULL") == [(0,)]


def test_a_list_that_keeps_answering_nothing_found_midway_fails_the_run_and_loads_nothing(
    younium_sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    settings = younium_settings(younium_sandbox, page_size=20)
    sync("younium", warehouse, settings=settings)
    younium_sandbox.sandbox.younium.advance(new_invoices=30)
    before = query(warehouse, "SELECT count(*), max(_dlt_load_id) FROM younium.invoices")
    younium_sandbox.sandbox.faults.add(kind="nothing_found", route="younium.invoices", page=2, times=20)

    with pytest.raises(SyncError, match="could not be read completely") as raised:
        sync("younium", warehouse, settings=settings)

    assert raised.value.exit_code == 1
    assert query(warehouse, "SELECT count(*), max(_dlt_load_id) FROM younium.invoices") == before
    younium_sandbox.sandbox.faults.clear()
    sync("younium", warehouse, settings=settings)
    assert_younium_matches_sandbox(warehouse, younium_sandbox)


def test_a_spurious_nothing_found_on_the_first_page_is_read_again_and_marks_no_payment_deleted(
    younium_sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    settings = younium_settings(younium_sandbox)
    sync("younium", warehouse, settings=settings)
    younium_sandbox.sandbox.faults.add(kind="nothing_found", route="younium.payments")

    sync("younium", warehouse, settings=settings)

    assert query(warehouse, "SELECT count(*) FROM younium.payments WHERE deleted_at IS NOT NULL") == [(0,)]
    assert_younium_matches_sandbox(warehouse, younium_sandbox)


def test_records_modified_while_a_run_pages_through_them_are_never_lost(
    younium_sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    # Five invoices at the head of the list change just before page 3 is served: everything after them
    # slides back by five, onto pages already read.
    younium_sandbox.sandbox.faults.add(kind="modify", route="younium.invoices", rows=5, after=2)

    sync("younium", warehouse, settings=younium_settings(younium_sandbox, page_size=20, sequential=True))

    # None is lost, and a record read twice is held as upstream changed it last (every column compared).
    assert_younium_matches_sandbox(warehouse, younium_sandbox)
    invoices = len(younium_sandbox.sandbox.younium.dataset.invoices)
    assert younium_sandbox.sandbox.requests["younium.invoices"] > invoices // 20 + 1, "the list was read again"


def test_entries_back_dated_past_the_overlap_are_loaded_by_the_sweep(
    sandbox: SandboxServer, warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    sync("ym", warehouse, settings=ym_settings(sandbox))
    imported = sandbox.sandbox.dataset.backdate(3, days=10)

    sync("ym", warehouse, settings=ym_settings(sandbox))
    ids = ", ".join(map(str, imported))
    assert query(warehouse, f"SELECT count(*) FROM ym.invoice_items WHERE line_item_id IN ({ids})") == [(0,)], (
        "an incremental run reads only the overlap"
    )

    with caplog.at_level(logging.INFO, logger="finsync"):
        sync("ym", warehouse, settings=ym_settings(sandbox, sweep=True))
    assert_ym_matches_sandbox(warehouse, sandbox)
    assert "swept from" in caplog.text


def test_the_sweep_runs_by_itself_once_it_is_due(sandbox: SandboxServer, warehouse: Warehouse) -> None:
    sync("ym", warehouse, settings=ym_settings(sandbox))
    sandbox.sandbox.dataset.backdate(2, days=20)

    sync("ym", warehouse, settings=ym_settings(sandbox, sweep_interval_hours=0.0001))

    assert_ym_matches_sandbox(warehouse, sandbox)


def test_an_anchor_batch_yms_no_longer_knows_falls_back_to_the_creation_time_and_loads_newer_batches(
    sandbox: SandboxServer, warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    sync("ym", warehouse, settings=ym_settings(sandbox))
    sandbox.sandbox.dataset.advance(700)
    sandbox.sandbox.faults.add(kind="unknown_anchor", route="ym.finance_batches")

    with caplog.at_level(logging.WARNING):
        sync("ym", warehouse, settings=ym_settings(sandbox))

    assert_ym_matches_sandbox(warehouse, sandbox)
    assert "lists no batch from StartBatchID" in caplog.text


def test_a_run_that_reads_nothing_from_a_source_with_data_says_so(
    younium_sandbox: SandboxServer, tmp_path: Path
) -> None:
    warehouse = Warehouse("duckdb", tmp_path / "w.duckdb")
    settings = younium_settings(younium_sandbox)
    sync("younium", warehouse, settings=settings)
    # Every list keeps answering "nothing found" (an empty answer is confirmed, and read again when rows were
    # expected, before it is believed).
    lists = ("invoices", "accounts", "products", "invoice_batches", "payments", "journals", "journal_details")
    for route in (*lists, "chart_of_accounts", "currencies", "exchange_rates"):
        younium_sandbox.sandbox.faults.add(kind="nothing_found", route=f"younium.{route}", times=20)

    report = sync("younium", warehouse, settings=settings)

    assert any("nothing was read from younium" in note for note in report.notes)
    assert query(warehouse, "SELECT count(*) FROM younium.payments WHERE deleted_at IS NOT NULL") == [(0,)]
