"""The wire contract on a page (`http.wire`): the same census whichever way a page was decoded (straight into
Arrow, or value by value when a value is of another type), fields upstream added named with their JSON type
and left out of the page, a required field missing or retyped a breach naming one record's key, never a value;
and an export file's header held to the same rules."""

from __future__ import annotations

import json

import pytest

from finsync.http.columnar import ListPage, census_of
from finsync.http.wire import Census, census_of_header
from finsync.sources.ym.schema import FINANCE_BATCH_ITEMS
from finsync.sources.younium.schema import INVOICES, invoice_records

SECRET = "Marker-7431"  # a value that must never reach a census


def invoice(number: int, **fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": f"i-{number}",
        "invoiceDate": "2024-03-01T00:00:00",
        "currency": "SEK",
        "totalAmount": 125.5,
        "modified": "2024-03-01T10:00:00",
        "account": {"id": "a-1", "name": SECRET},
        "invoiceLines": [{"id": f"l-{number}", "total": 125.5}],
    }
    return {**record, **fields}


def census(*records: dict[str, object]) -> Census:
    decode = ListPage("data", invoice_records(), endpoint="GET /Invoices")
    page = decode(json.dumps({"data": list(records)}).encode())["data"]
    assert page.schema.names == invoice_records().names, "undeclared fields are left out of the page"
    found = census_of(page)
    assert found is not None
    return found


@pytest.mark.parametrize("retyped", [False, True], ids=["arrow", "value-by-value"])
def test_fields_upstream_added_are_named_with_their_type_at_every_depth(retyped: bool) -> None:
    extra = {"region": "north", "account": {"id": "a-1", "tier": 3}}
    lines = [{"id": "l-1", "total": 1, "weight": True}]
    # A declared text field sent as a number sends the page down the value-by-value path.
    other = {"invoiceNumber": 1001} if retyped else {}
    found = census(invoice(1, **extra, invoiceLines=lines, **other), invoice(2))
    assert found.undeclared == {"region": "string", "account.tier": "number", "invoiceLines.weight": "boolean"}
    assert found.records == 2 and found.present["invoiceLines.total"] == 2
    assert found.retyped == ({"invoiceNumber": "number"} if retyped else {})
    assert not found.breaches


@pytest.mark.parametrize("retyped", [False, True], ids=["arrow", "value-by-value"])
def test_a_required_field_absent_from_some_records_is_a_breach_naming_one_key(retyped: bool) -> None:
    other = {"invoiceNumber": 1001} if retyped else {}
    without = invoice(2, **other)
    del without["totalAmount"]
    found = census(invoice(1), without, {**invoice(3), "totalAmount": None})
    assert [b.text() for b in found.breaches] == ["totalAmount is absent or null in 2 records (one is i-2)"]


def test_a_required_nested_field_missing_names_the_record_holding_it() -> None:
    found = census(invoice(1), invoice(2, invoiceLines=[{"id": "l-2"}, {"id": "l-3", "total": 1}]))
    assert [b.text() for b in found.breaches] == ["invoiceLines.total is absent or null in 1 record (one is i-2)"]


def test_a_required_money_field_sent_as_text_is_a_breach() -> None:
    found = census(invoice(1, totalAmount="n/a"))
    assert [b.text() for b in found.breaches] == [
        "totalAmount is sent as string where number is declared in 1 record (one is i-1)"
    ]


def test_a_declared_field_absent_from_every_record_is_told_from_one_sent_as_null() -> None:
    renamed = invoice(1, accountName=SECRET)
    renamed["account"] = {"id": "a-1"}
    found = census(renamed, {**invoice(2), "account": {"id": "a-2", "name": None}})
    assert found.present["account.name"] == 2, "a null sent is a field sent"
    found = census(renamed)
    assert "account.name" in found.absent() and found.undeclared == {"accountName": "string"}
    # Derived columns are finsync's, and optional fields may be absent: neither is missing.
    assert "invoiceLines.invoiceId" not in found.absent() and "invoiceBatchId" in found.absent(optional=True)


def test_no_value_reaches_a_census() -> None:
    without = invoice(2)
    del without["totalAmount"]
    found = census(invoice(1, note=SECRET), without)
    assert SECRET not in found.dumps().decode() and SECRET not in json.dumps(found.as_json())


def test_an_export_header_is_held_to_the_same_rules() -> None:
    schema = FINANCE_BATCH_ITEMS.wire_schema()
    header = [name for name in schema.names if name not in ("BatchID", "InvoiceNameLast")] + ["LastName"]
    found = census_of_header(header, schema, 10, {"LineTotal": 2})
    assert [b.text() for b in found.breaches] == ["LineTotal is empty in 2 records"]
    assert "InvoiceNameLast" in found.absent() and found.undeclared == {"LastName": "string"}
    found = census_of_header([n for n in header if n != "LineItemID"], schema, 0, {})
    assert [b.text() for b in found.breaches] == ["LineItemID is absent from the header"]


def test_the_contract_is_declared_with_the_table() -> None:
    contract = {f.name: f.metadata[b"wire"] for f in INVOICES.wire_schema()}
    assert contract["id"] == b"required" and contract["totalAmount"] == b"required"
    assert contract["dueDate"] == b"nullable" and contract["deletedAt"] == b"derived"


def test_a_nested_field_renamed_is_absent_though_its_name_is_a_key_elsewhere() -> None:
    renamed = invoice(1)
    renamed["account"] = {"accountId": "a-1", "name": SECRET}  # `id` is still a key: the invoice's own, a line's
    found = census(renamed)
    assert found.present["account.id"] == 0 and found.present["account.name"] == 1
    assert found.undeclared == {"account.accountId": "string"}
