"""`finsync probe` against the sandbox, as a new user runs it: a clean tenant passes (exit 0); drift and a
denied endpoint are each named (exit 1); the reports hold no value the tenant served."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import finsync_env, run_finsync, younium_records

pytestmark = pytest.mark.slow


@pytest.fixture
def tenant() -> Iterator[SandboxServer]:
    config = SandboxConfig(ym_items=300, batch_size=60, export_latency_seconds=0.05, younium_invoices=120)
    with SandboxServer(config=config) as server:
        yield server


def probe(server: SandboxServer, tmp_path: Path, **env: str) -> tuple[int, str, dict[str, Any]]:
    settings = {**server.ym_settings, **server.younium_settings, "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05", **env}
    result = run_finsync(["probe", "--out", str(tmp_path / "probe")], finsync_env(tmp_path, settings), tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    reports = {name: json.loads((tmp_path / "probe" / f"probe-{name}.json").read_text()) for name in ("ym", "younium")}
    return result.returncode, result.stdout + result.stderr, reports


def endpoint(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in report["endpoints"] if e["endpoint"] == name)


def test_a_clean_tenant_passes_with_every_endpoint_reachable(tenant: SandboxServer, tmp_path: Path) -> None:
    code, said, reports = probe(tenant, tmp_path)
    assert code == 0, said
    for report in reports.values():
        assert report["ok"]
        needed = [e for e in report["endpoints"] if e["needed"]]
        assert all(e["status"] == "reachable" and not e["problems"] for e in needed), needed
    invoices = endpoint(reports["younium"], "GET /Invoices")
    assert invoices["records_announced"] >= 120 and invoices["records_sampled"] == 100  # two pages of 50
    assert "totalAmount" in invoices["fields"]["declared and seen"]
    assert "invoiceLines.total" in invoices["fields"]["declared and seen"]
    export = endpoint(reports["ym"], "the export flow (POST FinanceBatches, status, file)")
    assert export["records_sampled"] == export["records_announced"] > 0, "the smallest closed batch read whole"
    assert any("ServerGmtBias" in line for line in endpoint(reports["ym"], "GET FinanceBatches")["evidence"])
    markdown = (tmp_path / "probe" / "probe-younium.md").read_text()
    assert "Everything a run needs is there." in markdown and "| GET /Invoices | reachable |" in markdown


def test_drift_and_a_denied_endpoint_are_each_named(tenant: SandboxServer, tmp_path: Path) -> None:
    faults = tenant.sandbox.faults
    faults.add(kind="rename", route="ym.invoice_items", field="InvoiceNameLast", name="LastName", times=0)
    faults.add(kind="missing", route="younium.invoices", field="totalAmount", rows=3, times=0)
    faults.add(kind="retype", route="younium.accounts", field="name", times=0)
    faults.add(kind="status", route="younium.journals", status=403, times=0)
    code, said, reports = probe(tenant, tmp_path)
    assert code == 1, said
    items = endpoint(reports["ym"], "GET InvoiceItems")["fields"]
    assert "InvoiceNameLast" in items["declared, not seen in the sample"]
    assert "LastName (string)" in items["sent, not declared"]
    invoices = endpoint(reports["younium"], "GET /Invoices")
    assert any("totalAmount is absent or null in" in p for p in invoices["problems"]), invoices["problems"]
    assert "totalAmount" in invoices["fields"]["declared, required, missing or of another type"]
    assert "name (number)" in endpoint(reports["younium"], "GET /Accounts")["fields"]["of another type than declared"]
    journals = endpoint(reports["younium"], "GET /Journals")
    assert journals["status"] == "denied" and journals["http_status"] == 403 and journals["problems"]
    assert "GET /Journals is denied (HTTP 403)" in " ".join(said.split())

    # With the ledger left out by the settings, a denied journal endpoint is no problem.
    faults.clear()
    faults.add(kind="status", route="younium.journals", status=403, times=0)
    code, said, reports = probe(tenant, tmp_path, SOURCES__YOUNIUM__LEDGER="false")
    assert code == 0, said
    assert endpoint(reports["younium"], "GET /Journals")["needed"] is False


def test_the_reports_hold_no_value_the_tenant_served(tenant: SandboxServer, tmp_path: Path) -> None:
    # Every field of every served page is a marker: the values the sandbox serves, of any list, as text.
    served = served_values(tenant)
    assert len(served) > 500
    code, said, _ = probe(tenant, tmp_path)
    assert code == 0, said
    written = "".join(path.read_text() for path in (tmp_path / "probe").iterdir()) + said
    leaked = sorted(value for value in served if value in written)
    assert not leaked, leaked[:10]


def served_values(server: SandboxServer) -> set[str]:
    """Distinctive values (text of eight characters or more, amounts with cents) of the first pages the
    sandbox serves for each Younium list and for YM's InvoiceItems."""
    found: set[str] = set()
    for path in ("/Invoices", "/Accounts", "/Payments", "/Journals", "/InvoiceBatches", "/Products"):
        walk(younium_records(server, path, 50), found)
    ym = server.ym_settings
    base, client = ym["SOURCES__YM__BASE_URL"], ym["SOURCES__YM__CLIENT_ID"]
    credentials = {"ClientID": int(client), "UserType": "Admin", "Username": ym["SOURCES__YM__API_KEY"]}
    session = httpx.post(
        f"{base}/Ams/Authenticate", json={**credentials, "Password": ym["SOURCES__YM__API_PASSWORD"]}
    ).json()["SessionId"]
    items = httpx.get(
        f"{base}/Ams/{client}/InvoiceItems",
        params={"PageSize": 100, "PageNumber": 1, "DateFrom": "2000-01-01", "LineItemDateEnteredFrom": "2000-01-01"},
        headers={"X-SS-ID": session},
    )
    walk(items.json(parse_float=Decimal)["InvoiceItemsList"], found)
    # A word alone (an enum's value, `Posted`) may also be part of a field's name: ids, names, dates and
    # amounts are what a report must never hold.
    return {v for v in found if not v.isalpha()}


def walk(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            walk(item, found)
    elif isinstance(value, list):
        for item in value:
            walk(item, found)
    elif isinstance(value, str) and len(value) >= 8:
        found.add(value)
    elif isinstance(value, Decimal) and value != value.to_integral_value():
        found.add(str(value))
