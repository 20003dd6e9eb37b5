"""The names the sandbox serves, pinned from the API references, and finsync's declarations checked against them.

The sandbox writes YM's and Younium's field names down itself (`finsync_sandbox.ym.fields`, the record
writers), so these tests fail when finsync declares a name the API does not send, even if the warehouse
column keeps its name.
"""

from __future__ import annotations

import csv
import io
import warnings
from datetime import timezone
from typing import Any

import pyarrow as pa

import finsync.sources.younium as younium_source
from finsync.http.columnar import exact_table
from finsync.sources.ym.schema import DETAILS_FIELD_NAMES, INVOICE_ITEM_COLUMNS
from finsync.sources.younium.lists import LISTS, batch_log_row
from finsync.sources.younium.orders import version_records
from finsync.sources.younium.revenue import recurring_charge_numbers
from finsync.sources.younium.sales_orders import sales_version_records
from finsync.tables import flatten
from finsync_sandbox import Sandbox, SandboxConfig, build_app

from .test_sandbox_younium import Younium

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

LOGIN = {"ClientID": 24680, "UserType": "Admin", "Username": "sandbox-api-key", "Password": "sandbox-api-password"}
YOUNIUM_LOGIN = {"clientId": "sandbox-younium-client", "secret": "sandbox-younium-secret"}
# Columns a served page leaves empty: those finsync derives itself, not the API (`deleted_at`; `is_base`, set
# as the currencies are read; `extra_fields`, only filled when the settings keep undeclared fields). Every
# optional field finsync reads is served on some records.
NEVER_SERVED = {
    "invoice_batches": {"deleted_at", "extra_fields"},
    "invoices": {"deleted_at", "extra_fields"},
    "invoice_lines": {"deleted_at"},
    "accounts": {"deleted_at", "extra_fields"},
    "payments": {"deleted_at", "extra_fields"},
    "payment_settlements": {"deleted_at"},
    "chart_of_accounts": {"deleted_at", "extra_fields"},
    "currencies": {"is_base", "deleted_at", "extra_fields"},
    "exchange_rates": {"deleted_at", "extra_fields"},
    "products": {"deleted_at", "extra_fields"},
    "charge_plans": {"deleted_at"},
    "catalogue_charges": {"deleted_at"},
    "catalogue_price_details": {"deleted_at"},
    "journals": {"extra_fields"},
    # The sandbox's subscription story has no renewals: `lastRenewalDate` is never set.
    "subscriptions": {"deleted_at", "extra_fields", "last_renewal_date"},
    "subscription_versions": {"last_renewal_date"},
    "sales_orders": {"deleted_at", "extra_fields"},
    # A booking's header names no currency in the payloads seen (commercial facts 5.3), and no booking of
    # the story has notes.
    "bookings": {"deleted_at", "extra_fields", "currency", "notes"},
    "usage": {"deleted_at", "extra_fields"},
}


def ym_pages() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(an InvoiceItems page, a FinanceBatchDetails page, the export file's header) as served."""
    sandbox = Sandbox(SandboxConfig(ym_items=600, batch_size=100, export_latency_seconds=0, export_not_ready_count=0))
    http = TestClient(build_app(sandbox))
    headers = {"X-SS-ID": http.post("/ym/Ams/Authenticate", json=LOGIN).json()["SessionId"]}
    items = http.get("/ym/Ams/24680/InvoiceItems", params={"DateFrom": "2024-01-01", "PageSize": 300}, headers=headers)
    details = http.get("/ym/Ams/24680/FinanceBatchDetails", params={"BatchId": "1001"}, headers=headers)
    export = http.post("/ym/Ams/24680/FinanceBatches", json={"BatchID": "1001"}, headers=headers).json()["ExportID"]
    http.get(f"/ym/Ams/24680/ExportStatus/{export}", headers=headers)
    header = next(csv.reader(io.StringIO(http.get(f"/ym/exports/{export}.csv").text)))
    return items.json()["InvoiceItemsList"], details.json()["FinanceBatchDetailsList"], header


def test_ym_records_carry_the_names_of_the_api_reference() -> None:
    items, details, header = ym_pages()
    assert {"LineItemAmount", "LineTotal", "InvoiceNameLast", "LineItemDateEntered"} <= set(items[0])
    assert "NameOnInvoiceLast" not in items[0]
    assert {"NameOnInvoiceLast", "NameOnInvoiceFirst", "LineItemAmount"} <= set(details[0])
    assert "InvoiceNameLast" not in details[0]
    assert header[:3] == ["InvoiceNo", "InvoiceType", "InvoiceNameLast"] and "LineItemAmount" in header
    carded = next(r for r in details if r["PaymentCardNumber"])
    assert isinstance(carded["PaymentCardExpYear"], str) and isinstance(carded["PaymentCardExpMonth"], str)
    assert all(isinstance(r["LineItemAmount"], (int, float)) for r in items)  # a JSON number, not a string


def test_finsync_declares_exactly_the_invoice_item_fields_the_sandbox_serves() -> None:
    items, _, header = ym_pages()
    declared = [c.source for c in INVOICE_ITEM_COLUMNS]
    assert sorted(declared) == sorted(items[0]) and declared == header


def test_finsync_renames_the_finance_batch_detail_fields_the_sandbox_serves() -> None:
    _, details, _ = ym_pages()
    # As finsync reads FinanceBatchDetails: detail names mapped to InvoiceItemData names.
    renamed = {DETAILS_FIELD_NAMES.get(k, k) for k in details[0]}
    assert renamed == {c.source for c in INVOICE_ITEM_COLUMNS}


# Where the sandbox serves each list finsync declares (GET, every page).
SERVED_AT = {
    "invoice_batches": "/InvoiceBatches",
    "invoices": "/Invoices",
    "accounts": "/Accounts",
    "products": "/Products",
    "journals": "/Journals",
    "payments": "/Payments",
    "journal_details": "/Journals/JournalDetails",
    "chart_of_accounts": "/ChartOfAccounts",
    "currencies": "/Currency",
    "exchange_rates": "/ExchangeRate",
    "subscriptions": "/Subscriptions",
    "sales_orders": "/SalesOrders",
    "bookings": "/Bookings",
    "usage": "/Usage",
}
# Where the records read per record of a list are served: an order's versions (each charge's schedule items
# are read per Recurring charge of those versions).
VERSIONS_AT = {"subscriptions": "/Subscriptions/{}/versions", "sales_orders": "/SalesOrders/{}/versions"}


def younium_tables_as_served() -> dict[str, pa.Table]:
    """Every table of every list finsync declares, made from the pages the sandbox serves as finsync makes it,
    once a generate job has made a batch dated as the job said (the seeded batches were given no date)."""
    younium = Younium(Sandbox(SandboxConfig(younium_job_seconds=0, younium_subscriptions=20, younium_usage=30)))
    job = younium.generate(invoiceDate="2030-02-01").json()
    assert younium.status(job["jobId"])["resultStatus"] == "Succeeded"
    tables: dict[str, pa.Table] = {}
    for listed in LISTS:
        records = younium.all(SERVED_AT[listed.name])
        versions = [
            version
            for order in records
            for version in younium.get(VERSIONS_AT[listed.name].format(order["orderNumber"])).json()
        ] if listed.name in VERSIONS_AT else []  # fmt: skip
        for feed in listed.feeds:
            if feed.through is not None and feed.fan_out is not None:  # the schedule of each Recurring charge
                rows = [
                    {**flatten(item), "chargeNumber": number}
                    for number in recurring_charge_numbers(exact_table(versions, version_records()))
                    for item in younium.all(f"/RevenueSchedule/Charge/{number}")
                ]
                tables[feed.table.name] = feed.table.from_rows(rows, timezone.utc)
            elif feed.through is not None:
                page = exact_table(versions, (version_records if listed.name == "subscriptions"
                                              else sales_version_records)())  # fmt: skip
                made = feed.table.from_rows(feed.columns(page), timezone.utc)
                # Subscriptions and sales orders both fill the order products and charges.
                held = tables.get(feed.table.name)
                tables[feed.table.name] = made if held is None else pa.concat_tables([held, made])
            elif feed.fan_out is not None:  # the log of each batch: a request per batch
                rows = [
                    batch_log_row(str(batch["id"]), entry)
                    for batch in records
                    for entry in younium.all(f"/InvoiceBatches/{batch['id']}/BatchLog")
                ]
                tables[feed.table.name] = feed.table.from_rows([flatten(r) for r in rows], timezone.utc)
            else:
                page = exact_table(records, listed.records())
                tables[feed.table.name] = feed.table.from_rows(feed.columns(page), timezone.utc)
    return tables


def test_every_younium_column_finsync_declares_is_filled_from_a_served_page() -> None:
    tables = younium_tables_as_served()
    assert set(tables) | {"tenant"} == {t.name for t in younium_source.TABLES}, "a declared table is not checked"
    for name, loaded in tables.items():
        assert loaded.num_rows, f"{name}: the sandbox serves no row"
        empty = {c for c in loaded.column_names if all(v is None for v in loaded.column(c).to_pylist())}
        assert empty == NEVER_SERVED.get(name, set()), f"{name}: columns finsync reads but the sandbox does not serve"
