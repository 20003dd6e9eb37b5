"""Younium end to end: sandbox -> finsync -> DuckDB, compared with what the sandbox says a warehouse must hold,
and the invoice-batch commands (`finsync younium generate-batch / post-batch`) run against the sandbox."""

from __future__ import annotations

import logging
import re

import pytest
from typer.testing import CliRunner, Result

from finsync.cli import app
from finsync.errors import AuthenticationError
from finsync.warehouse.runner import Warehouse, sync
from finsync_sandbox import SandboxServer

from .conftest import column_types, pages_read, query, younium_settings
from .expect import assert_younium_matches_sandbox

pytestmark = pytest.mark.slow

LIST_ROUTES = ("younium.invoices", "younium.accounts", "younium.invoice_batches", "younium.payments")


def cli(monkeypatch: pytest.MonkeyPatch, server: SandboxServer, *args: str, **env: str) -> Result:
    """`finsync …` configured, as a user would, only by environment variables."""
    for key, value in {**server.younium_settings, **env}.items():
        monkeypatch.setenv(key, value)
    return CliRunner().invoke(app, list(args))


def test_a_first_sync_loads_exactly_the_sandbox_data(younium_sandbox: SandboxServer, warehouse: Warehouse) -> None:
    report = sync("younium", warehouse, settings=younium_settings(younium_sandbox))

    assert_younium_matches_sandbox(warehouse, younium_sandbox)
    assert report.table_rows["invoice_lines"] == len(younium_sandbox.sandbox.younium.dataset.invoices) * 5
    types = column_types(warehouse, "younium.invoices")
    assert types["total_amount"] == "DECIMAL(19,4)" and types["modified"] == "TIMESTAMP WITH TIME ZONE"
    logs = dict(query(warehouse, "SELECT invoice_batch_id, count(*) FROM younium.invoice_batch_log GROUP BY 1"))
    single = [b for b in younium_sandbox.sandbox.younium.dataset.batches.all() if len(b.log) == 1]
    assert single and all(logs[b.id] == 1 for b in single), "a log answered as one object is loaded as one row"


def test_a_rerun_after_advancing_has_the_new_and_changed_rows_and_still_every_untouched_line(
    younium_sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    sync("younium", warehouse, settings=younium_settings(younium_sandbox))
    advanced = younium_sandbox.sandbox.younium.advance(new_invoices=40, modified_invoices=12, new_accounts=3)
    younium_sandbox.sandbox.requests.clear()

    report = sync("younium", warehouse, settings=younium_settings(younium_sandbox))

    assert_younium_matches_sandbox(warehouse, younium_sandbox)
    # Younium sent the changed invoices with their changed lines only: each was read again by id, whole.
    loaded = report.rows_loaded
    assert loaded["invoices"] >= 40 + 12 and loaded["invoice_lines"] == 5 * loaded["invoices"]
    assert younium_sandbox.sandbox.requests["younium.invoice"] == loaded["invoices"]
    ids = "', '".join(advanced.modified_invoice_ids)
    kept = query(warehouse, f"SELECT count(*) FROM younium.invoice_lines WHERE invoice_id IN ('{ids}')")
    assert kept == [(5 * 12,)]
    requests = younium_sandbox.sandbox.requests
    assert all(pages_read(younium_sandbox, route) == 1 for route in LIST_ROUTES), dict(requests)


def test_a_rerun_with_nothing_new_reads_at_most_one_page_per_list(
    younium_sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    sync("younium", warehouse, settings=younium_settings(younium_sandbox))
    before = query(warehouse, "SELECT count(*), sum(total) FROM younium.invoice_lines")
    younium_sandbox.sandbox.requests.clear()

    sync("younium", warehouse, settings=younium_settings(younium_sandbox))

    requests = younium_sandbox.sandbox.requests
    assert all(pages_read(younium_sandbox, route) <= 1 for route in LIST_ROUTES), dict(requests)
    assert requests["younium.token"] == 1
    assert query(warehouse, "SELECT count(*), sum(total) FROM younium.invoice_lines") == before
    assert_younium_matches_sandbox(warehouse, younium_sandbox)


def test_generate_then_post_a_batch_through_the_cli_and_sync_it_into_the_warehouse(
    younium_sandbox: SandboxServer, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = younium_sandbox.sandbox.younium.dataset
    invoices = dataset.invoices
    drafts = [invoices.id(n) for n in invoices.numbers() if invoices.is_open_draft(n)]
    sync("younium", warehouse, settings=younium_settings(younium_sandbox))
    target = ("--poll-interval", "0.02", "--sync", "--duckdb-path", str(warehouse.duckdb_path))

    dated = ("--target-date", "2030-12-31", "--invoice-date", "2031-01-02")
    generated = cli(monkeypatch, younium_sandbox, "younium", "generate-batch", *dated, *target)

    assert generated.exit_code == 0, generated.output
    batch = dataset.batches.all()[-1]
    assert f"Invoice batch {batch.batch_number} ({batch.id}) generated" in generated.output
    assert "invoice_batches" in generated.stdout, "the sync printed what it loaded"
    assert sorted(invoices.id(n) for n in batch.invoices) == sorted(drafts)
    listed = query(
        warehouse, f"SELECT i.status, count(*) FROM younium.invoices i WHERE invoice_batch_id = '{batch.id}' GROUP BY 1"
    )
    assert listed == [("Draft", len(drafts))]
    assert_younium_matches_sandbox(warehouse, younium_sandbox)

    posted = cli(monkeypatch, younium_sandbox, "younium", "post-batch", batch.id, *target)

    assert posted.exit_code == 0, posted.output
    assert f"Invoice batch {batch.batch_number} ({batch.id}) posted" in posted.output
    listed = query(
        warehouse, f"SELECT status, count(*) FROM younium.invoices WHERE invoice_batch_id = '{batch.id}' GROUP BY 1"
    )
    assert listed == [("Posted", len(drafts))]
    statuses = query(
        warehouse,
        f"SELECT DISTINCT status FROM younium.invoice_batches__invoices WHERE invoice_batch_id = '{batch.id}'",
    )
    assert statuses == [("Posted",)]
    assert_younium_matches_sandbox(warehouse, younium_sandbox)


def test_a_generate_retried_with_the_same_idempotency_key_creates_no_second_batch(
    younium_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = younium_sandbox.sandbox.younium.dataset
    batches = len(dataset.batches.all())
    # The reply to the POST is lost after Younium started the job: the client's retry carries the same key.
    younium_sandbox.sandbox.faults.add(kind="drop", route="younium.generate")
    args = ("younium", "generate-batch", "--target-date", "2030-12-31", "--poll-interval", "0.02")

    first = cli(monkeypatch, younium_sandbox, *args)

    assert first.exit_code == 0, first.output
    assert younium_sandbox.sandbox.requests["younium.generate"] == 2
    assert len(dataset.batches.all()) == batches + 1
    match = re.search(r"idempotency key: (\S+)", first.output)
    assert match is not None

    # Resuming the invocation with its key follows the same job rather than starting another.
    again = cli(monkeypatch, younium_sandbox, *args, "--idempotency-key", match.group(1))

    assert again.exit_code == 0, again.output
    assert len(dataset.batches.all()) == batches + 1
    batch = dataset.batches.all()[-1]
    assert f"Invoice batch {batch.batch_number} ({batch.id}) generated" in again.output
    fresh = cli(monkeypatch, younium_sandbox, *args)
    assert fresh.exit_code == 1 and "No invoices to generate" in fresh.output, "a new key is a new job"


def test_transient_faults_and_an_expired_token_do_not_change_the_result(
    younium_sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    faults = younium_sandbox.sandbox.faults
    faults.add(kind="status", route="younium.invoices", status=429, retry_after=0.1, after=1)
    faults.add(kind="status", route="younium.accounts", status=503)
    faults.add(kind="status", route="younium.token", status=503)
    faults.add(kind="drop", route="younium.invoice_batches")
    faults.add(kind="truncate", route="younium.invoices", after=2)
    faults.add(kind="drop", route="younium.payments")
    faults.add(kind="status", route="younium.batch_log", status=502, after=1)
    faults.add(kind="expire_sessions", route="younium.invoices", after=3)

    sync("younium", warehouse, settings=younium_settings(younium_sandbox))

    assert_younium_matches_sandbox(warehouse, younium_sandbox)
    assert faults.pending() == []
    assert younium_sandbox.sandbox.requests["younium.token"] >= 3, "refused once, then renewed after expiring"


def test_a_wrong_legal_entity_is_a_configuration_error_naming_the_setting(
    younium_sandbox: SandboxServer, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(AuthenticationError) as raised:
        sync("younium", warehouse, settings=younium_settings(younium_sandbox, legal_entity="Other AB"))
    assert raised.value.exit_code == 2 and "SOURCES__YOUNIUM__LEGAL_ENTITY" in str(raised.value)

    batches = len(younium_sandbox.sandbox.younium.dataset.batches.all())
    result = cli(
        monkeypatch,
        younium_sandbox,
        *("younium", "generate-batch", "--target-date", "2030-12-31"),
        SOURCES__YOUNIUM__LEGAL_ENTITY="Other AB",
    )

    assert result.exit_code == 2
    assert "SOURCES__YOUNIUM__LEGAL_ENTITY" in result.output and "Traceback" not in result.output
    assert len(younium_sandbox.sandbox.younium.dataset.batches.all()) == batches


def test_a_failed_job_exits_1_with_its_message_and_changes_nothing(
    younium_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = younium_sandbox.sandbox.younium
    before = tenant.expected()
    younium_sandbox.sandbox.faults.add(kind="job_failure", route="younium.generate")

    args = ("younium", "generate-batch", "--target-date", "2030-12-31", "--poll-interval", "0.02")
    result = cli(monkeypatch, younium_sandbox, *args)

    assert result.exit_code == 1, result.output
    assert "failed: An unexpected error occurred while generating invoice batch" in result.output
    assert "Traceback" not in result.output
    assert tenant.expected() == before


def test_a_generate_refused_by_younium_exits_1_saying_why(
    younium_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("younium", "generate-batch", "--target-date", "2030-12-31", "--account", "no-such-account")

    result = cli(monkeypatch, younium_sandbox, *args)

    assert result.exit_code == 1
    assert "accounts: Account 'no-such-account' could not be found" in result.output


def test_missing_credentials_exit_2_naming_the_setting(
    younium_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__YOUNIUM__BASE_URL", younium_sandbox.younium_base_url)
    for name in ("CLIENT_ID", "SECRET"):
        monkeypatch.delenv(f"SOURCES__YOUNIUM__{name}", raising=False)

    result = CliRunner().invoke(app, ["younium", "post-batch", "IB-00004"])

    assert result.exit_code == 2, result.output
    assert "SOURCES__YOUNIUM__CLIENT_ID" in result.output and "Traceback" not in result.output


def test_no_token_or_secret_reaches_the_logs_even_at_debug_level(
    younium_sandbox: SandboxServer, warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    from finsync.http import install_log_redaction

    install_log_redaction()
    younium_sandbox.sandbox.faults.add(kind="expire_sessions", route="younium.invoices", after=1)
    with caplog.at_level(logging.DEBUG):
        sync("younium", warehouse, settings=younium_settings(younium_sandbox))
    tokens = younium_sandbox.sandbox.younium.tokens.issued
    assert len(tokens) >= 4, "the token expired midway and a new one was issued"
    for secret in [younium_sandbox.sandbox.config.younium_secret, *tokens]:
        assert secret not in caplog.text
