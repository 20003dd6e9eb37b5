"""Records deleted and revised as real tenants do, read through the routes: Younium's by-id invoice read, its
changes by hand (deleted drafts, removed lines, statuses set, deleted accounts and batches) and YM's revised
closed batches, with the expectations that follow them exactly."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from .test_sandbox_ym import YM, make_ym
from .test_sandbox_younium import Clock, Younium, latest_modified, make

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
LINE_MONEY = ("subtotal", "subtotalBaseAmount", "tax", "taxBaseAmount")


def change(younium: Younium, **body: Any) -> httpx.Response:
    return younium.http.post("/_sandbox/younium/change", json=body)


def changed(younium: Younium, **body: Any) -> dict[str, Any]:
    reply = change(younium, **body)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def by_id(younium: Younium, invoice_id: str, **params: Any) -> dict[str, Any]:
    reply = younium.get(f"/Invoices/{invoice_id}", **params)
    assert reply.status_code == 200, reply.text
    return dict(json.loads(reply.content, parse_float=Decimal))


def open_drafts(younium: Younium) -> list[dict[str, Any]]:
    """The drafts outside any batch, as listed, in listing order."""
    return [i for i in younium.all("/Invoices") if i["status"] == "Draft" and "invoiceBatchId" not in i]


def listed_ids(younium: Younium, path: str, **params: Any) -> list[str]:
    return [r["id"] for r in younium.all(path, **params)]


def assert_adds_up(invoice: dict[str, Any]) -> None:
    lines = invoice["invoiceLines"]
    for field in LINE_MONEY:
        assert sum(line[field] for line in lines) == invoice[field], field
    assert sum(line["total"] for line in lines) == invoice["totalAmount"]
    assert sum(line["totalBaseAmount"] for line in lines) == invoice["totalBaseAmount"]


def assert_expected_matches_served(younium: Younium) -> None:
    """The Younium expectations are the exact sums of what the routes serve now."""
    invoices = younium.all("/Invoices")
    lines = [line for i in invoices for line in i["invoiceLines"]]
    expected = younium.sandbox.younium.expected()
    assert expected["invoices"]["rows"] == len(invoices)
    assert Decimal(expected["invoices"]["total_amount"]) == sum(i["totalAmount"] for i in invoices)
    assert Decimal(expected["invoices"]["total_base_amount"]) == sum(i["totalBaseAmount"] for i in invoices)
    assert expected["invoice_lines"]["rows"] == len(lines)
    assert Decimal(expected["invoice_lines"]["total"]) == sum(line["total"] for line in lines)
    assert expected["invoice_lines"]["quantity"] == sum(line["quantity"] for line in lines)
    by_status = {name: sum(i["status"] == name for i in invoices) for name in expected["invoices"]["by_status"]}
    assert expected["invoices"]["by_status"] == by_status
    assert expected["accounts"]["rows"] == len(younium.all("/Accounts"))
    batches = younium.all("/InvoiceBatches")
    assert expected["invoice_batches"]["rows"] == len(batches)
    assert expected["invoice_batches__invoices"]["rows"] == sum(len(b["invoices"]) for b in batches)
    ids = younium.sandbox.younium.expected_ids()
    assert ids["invoices"] == sorted(i["id"] for i in invoices)
    assert ids["invoice_lines"] == sorted(line["id"] for line in lines)
    keys = [(i["modified"], i["id"]) for i in invoices]
    assert keys == sorted(keys), "still listed in (modified, id) order"


# -- GET /Invoices/{id} ---------------------------------------------------------------------------------------


def test_an_invoice_read_by_id_is_its_plain_record_with_every_line_even_when_a_window_would_filter_them() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    cursor = latest_modified(younium.all("/Invoices"))
    advanced = tenant.advance(modified_invoices=4)
    windowed = {i["id"]: i for i in younium.all("/Invoices", ModifiedAfter=cursor)}
    full = {i["id"]: i for i in younium.all("/Invoices")}

    for invoice_id in advanced.modified_invoice_ids:
        record = by_id(younium, invoice_id)
        assert "data" not in record and "pageNumber" not in record, "a plain InvoiceResponse, no envelope"
        assert record == full[invoice_id]
        assert len(record["invoiceLines"]) == 5 > len(windowed[invoice_id]["invoiceLines"])
        assert by_id(younium, invoice_id, ModifiedAfter=cursor) == record, "no ModifiedAfter on a by-id read"
        assert_adds_up(record)
    credit_note = tenant.dataset.invoices.id(tenant.dataset.invoices.credit_notes()[0])
    assert by_id(younium, credit_note) == full[credit_note]
    assert younium.get(f"/Invoices/{credit_note.upper()}").status_code == 200, "ids match whatever their case"


@pytest.mark.parametrize("invoice_id", [UNKNOWN_ID, "not-an-id"])
def test_an_unknown_invoice_read_by_id_is_a_404(invoice_id: str) -> None:
    reply = make().get(f"/Invoices/{invoice_id}")
    assert reply.status_code == 404
    assert (reply.json()["title"], reply.json()["status"]) == ("Not Found", 404)


def test_the_by_id_route_checks_headers_and_takes_its_own_faults() -> None:
    younium = make()
    invoice_id = younium.sandbox.younium.dataset.invoices.id(1)
    assert (
        younium.get(f"/Invoices/{invoice_id}", headers={"Authorization": f"Bearer {younium.token}"}).status_code == 400
    )
    faults = younium.sandbox.faults
    faults.add(kind="status", route="younium.invoice", status=503, retry_after=2)
    assert younium.get("/Invoices", PageSize=1).status_code == 200, "the list is another route"
    failed = younium.get(f"/Invoices/{invoice_id}")
    assert (failed.status_code, failed.headers["Retry-After"]) == (503, "2")
    faults.add(kind="truncate", route="younium.invoice")
    with pytest.raises(json.JSONDecodeError):
        json.loads(younium.get(f"/Invoices/{invoice_id}").content)
    assert younium.get(f"/Invoices/{invoice_id}").status_code == 200
    with pytest.raises(ValueError, match="applies to"):
        faults.add(kind="nothing_found", route="younium.invoice")


# -- removing a line ------------------------------------------------------------------------------------------


def test_removing_a_line_modifies_its_invoice_and_only_a_by_id_read_tells_which_lines_are_left() -> None:
    younium = make()
    before = younium.sandbox.younium.expected()
    invoice = open_drafts(younium)[0]
    line = invoice["invoiceLines"][2]
    cursor = latest_modified(younium.all("/Invoices"))

    reply = changed(younium, change="remove_line", invoice=invoice["id"], line=line["id"])

    record = by_id(younium, invoice["id"])
    assert reply == {
        "change": "remove_line",
        "invoice": invoice["id"],
        "line": line["id"],
        "modified": record["modified"],
        "total_amount": str(record["totalAmount"]),
    }
    assert record["modified"] > cursor
    assert [x["id"] for x in record["invoiceLines"]] == [x["id"] for x in invoice["invoiceLines"] if x != line]
    assert record["invoiceLines"] == [x for x in invoice["invoiceLines"] if x != line], "the other lines unchanged"
    assert record["totalAmount"] == invoice["totalAmount"] - line["total"]
    assert record["totalBaseAmount"] == invoice["totalBaseAmount"] - line["totalBaseAmount"]
    assert_adds_up(record)
    (listed,) = younium.all("/Invoices", ModifiedAfter=cursor)
    assert listed["id"] == invoice["id"] and listed["invoiceLines"] == [], "no line changed with it"
    assert listed["totalAmount"] == record["totalAmount"]
    assert listed_ids(younium, "/Invoices")[-1] == invoice["id"], "it moved to the end of the list"

    after = younium.sandbox.younium.expected()
    assert after["invoice_lines"]["rows"] == before["invoice_lines"]["rows"] - 1
    assert after["invoice_lines"]["removed"] == [line["id"]]
    assert after["invoices"]["deleted"] == [] and after["invoices"]["rows"] == before["invoices"]["rows"]
    assert Decimal(after["invoices"]["total_amount"]) == Decimal(before["invoices"]["total_amount"]) - line["total"]
    assert_expected_matches_served(younium)


def test_an_advance_after_a_line_was_removed_edits_only_the_lines_left() -> None:
    younium = make(younium_invoices=40, lines_per_invoice=2)
    tenant = younium.sandbox.younium
    drafts = open_drafts(younium)
    for invoice in drafts:
        tenant.remove_line(invoice["id"], invoice["invoiceLines"][0]["id"])
    advanced = tenant.advance(modified_invoices=len(drafts))
    left = {i["invoiceLines"][1]["id"] for i in drafts}
    assert set(advanced.modified_line_ids) == left
    assert_expected_matches_served(younium)


# -- deleting an invoice --------------------------------------------------------------------------------------


def test_a_deleted_draft_is_gone_from_every_list_by_id_read_and_expectation() -> None:
    younium = make()
    before = younium.sandbox.younium.expected()
    cursor = latest_modified(younium.all("/Invoices"))
    invoice = open_drafts(younium)[3]

    reply = changed(younium, change="delete_invoice", invoice=invoice["id"])

    assert reply["change"] == "delete_invoice" and reply["invoice"] == invoice["id"]
    assert reply["lines"] == [line["id"] for line in invoice["invoiceLines"]]
    assert reply["at"] > cursor
    assert invoice["id"] not in listed_ids(younium, "/Invoices")
    assert younium.get("/Invoices", ModifiedAfter=cursor).status_code == 400, "nothing else changed"
    assert younium.get(f"/Invoices/{invoice['id']}").status_code == 404
    assert younium.get(f"/Invoices/{invoice['id']}/RelatedInvoices").status_code == 404
    after = younium.sandbox.younium.expected()
    assert after["invoices"]["rows"] == before["invoices"]["rows"] - 1
    assert after["invoices"]["deleted"] == [invoice["id"]]
    assert after["invoice_lines"]["removed"] == sorted(reply["lines"])
    assert after["invoices"]["by_status"]["Draft"] == before["invoices"]["by_status"]["Draft"] - 1
    assert_expected_matches_served(younium)


def test_deletions_and_removed_lines_are_all_named_once() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    first, second, third = open_drafts(younium)[:3]
    tenant.remove_line(first["id"], first["invoiceLines"][0]["id"])
    tenant.remove_line(second["id"], second["invoiceLines"][4]["id"])
    tenant.delete_invoice(first["id"])
    tenant.delete_invoice(third["id"])
    expected = tenant.expected()
    assert expected["invoices"]["deleted"] == sorted([first["id"], third["id"]])
    gone = [line["id"] for line in first["invoiceLines"] + third["invoiceLines"]] + [second["invoiceLines"][4]["id"]]
    assert expected["invoice_lines"]["removed"] == sorted(gone)
    assert_expected_matches_served(younium)


# -- statuses -------------------------------------------------------------------------------------------------


def test_posting_a_draft_on_its_own_changes_its_status_and_modified_and_nothing_else() -> None:
    younium = make()
    before = younium.sandbox.younium.expected()
    draft = open_drafts(younium)[0]
    record = by_id(younium, draft["id"])

    reply = changed(younium, change="set_status", invoice=draft["id"], status="Posted")

    posted = by_id(younium, draft["id"])
    assert reply == {"change": "set_status", "invoice": draft["id"], "status": "Posted", "modified": posted["modified"]}
    assert posted["status"] == "Posted" and posted["modified"] > record["modified"]
    assert posted["externalERPId"] == f"F{posted['invoiceNumber']}", "a posted invoice was sent to the ERP"
    derived = {"status", "modified", "externalERPId", "daysPastDue"}  # daysPastDue now counts, being posted
    assert {k: v for k, v in posted.items() if k not in derived} == {
        k: v for k, v in record.items() if k not in derived
    }
    assert listed_ids(younium, "/Invoices")[-1] == draft["id"]
    after = younium.sandbox.younium.expected()["invoices"]["by_status"]
    assert (after["Draft"], after["Posted"]) == (
        before["invoices"]["by_status"]["Draft"] - 1,
        before["invoices"]["by_status"]["Posted"] + 1,
    )
    assert_expected_matches_served(younium)
    again = change(younium, change="set_status", invoice=draft["id"], status="Posted")
    assert again.status_code == 400 and "is Posted" in again.json()["error"]


def test_cancelling_a_posted_unpaid_invoice_leaves_nothing_owed() -> None:
    younium = make()
    invoices = younium.sandbox.younium.dataset.invoices
    posted = [i for i in younium.all("/Invoices") if i["status"] == "Posted" and i["totalAmount"] > 0]
    credited = {invoices.id(invoices.credited(n) or 0) for n in invoices.credit_notes()}
    unpaid = next(i for i in posted if "paymentDate" not in i and i["id"] not in credited)
    changed(younium, change="set_status", invoice=unpaid["id"], status="cancelled")
    record = by_id(younium, unpaid["id"])
    assert (record["status"], record["balancedAmount"], record["daysPastDue"]) == ("Cancelled", 0, 0)
    assert record["invoiceBatchId"] == unpaid["invoiceBatchId"] and record["totalAmount"] == unpaid["totalAmount"]
    assert_expected_matches_served(younium)
    paid = next(i for i in posted if "paymentDate" in i)
    refused = change(younium, change="set_status", invoice=paid["id"], status="Cancelled")
    assert refused.status_code == 400 and "paid" in refused.json()["error"]


# -- what may not be changed ----------------------------------------------------------------------------------


def test_only_an_open_draft_can_be_deleted_have_a_line_removed_or_be_posted_on_its_own() -> None:
    clock = Clock()
    younium = make(clock, younium_job_seconds=5)
    tenant = younium.sandbox.younium
    invoices = younium.all("/Invoices")
    settled = next(i for i in invoices if i["status"] == "Settled")
    batched = next(i for i in invoices if i["status"] == "Draft" and "invoiceBatchId" in i)
    credit = next(i for i in invoices if i["totalAmount"] < 0)
    for invoice, why in ((settled, "is Settled"), (batched, "is in invoice batch IB-00004"), (credit, "is Posted")):
        line = invoice["invoiceLines"][0]["id"]
        for body in (
            {"change": "delete_invoice", "invoice": invoice["id"]},
            {"change": "remove_line", "invoice": invoice["id"], "line": line},
            {"change": "set_status", "invoice": invoice["id"], "status": "Posted"},
        ):
            reply = change(younium, **body)
            assert reply.status_code == 400, body
            assert why in reply.json()["error"] and "only a draft outside any batch" in reply.json()["error"]
    drafts = open_drafts(younium)
    assert younium.generate().status_code == 200  # sets the open drafts aside until the job finishes
    with pytest.raises(ValueError, match="generate job"):
        tenant.delete_invoice(drafts[0]["id"])
    clock.now += 5
    assert by_id(younium, drafts[0]["id"])["status"] == "Draft", "the job took it: refused changes changed nothing"
    assert tenant.expected()["invoices"]["deleted"] == []


def test_the_last_line_cannot_be_removed_and_unknown_ids_are_refused() -> None:
    younium = make(lines_per_invoice=2)
    tenant = younium.sandbox.younium
    draft = open_drafts(younium)[0]
    first, last = (line["id"] for line in draft["invoiceLines"])
    tenant.remove_line(draft["id"], first)
    with pytest.raises(ValueError, match="only line"):
        tenant.remove_line(draft["id"], last)
    with pytest.raises(ValueError, match="has no line"):
        tenant.remove_line(draft["id"], first)
    for attempt in (
        lambda: tenant.delete_invoice(UNKNOWN_ID),
        lambda: tenant.set_status(draft["id"], "Settled"),
        lambda: tenant.delete_account(UNKNOWN_ID),
        lambda: tenant.delete_batch("IB-99999"),
    ):
        with pytest.raises(ValueError):
            attempt()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"change": "explode", "invoice": "x"}, "unknown change"),
        ({"invoice": "x"}, "unknown change"),
        ({"change": "remove_line", "invoice": "x"}, 'takes "invoice", "line"'),
        ({"change": "delete_invoice", "invoice": "x", "line": "y"}, 'takes "invoice"'),
        ({"change": "delete_invoice", "invoice": 7}, "(text)"),
        ({"change": "delete_invoice", "invoice": UNKNOWN_ID}, "no invoice"),
        ({"change": "set_status", "invoice": UNKNOWN_ID, "status": "Deleted"}, "status 'Deleted'"),
    ],
)
def test_a_change_that_makes_no_sense_is_a_400_saying_why(body: dict[str, Any], message: str) -> None:
    younium = make()
    reply = change(younium, **body)
    assert reply.status_code == 400 and message in reply.json()["error"]
    assert younium.http.post("/_sandbox/younium/change", content=b"[1]").status_code == 400


# -- accounts and batches ---------------------------------------------------------------------------------------


def test_an_account_without_invoices_can_be_deleted_and_then_receives_none() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    advanced = tenant.advance(new_accounts=2)
    doomed, kept = advanced.new_account_ids
    busy = younium.all("/Accounts")[0]["id"]
    refused = change(younium, change="delete_account", account=busy)
    assert refused.status_code == 400 and "only an account without invoices" in refused.json()["error"]

    reply = changed(younium, change="delete_account", account=doomed)

    assert reply["change"] == "delete_account" and reply["account"] == doomed
    assert doomed not in listed_ids(younium, "/Accounts") and kept in listed_ids(younium, "/Accounts")
    expected = tenant.expected()
    assert (expected["accounts"]["rows"], expected["accounts"]["deleted"]) == (51, [doomed])
    assert doomed not in tenant.expected_ids()["accounts"]
    body = {"invoiceAllAccounts": False, "accounts": [doomed]}
    assert younium.generate(**body).status_code == 400, "a deleted account is unknown"
    new = tenant.advance(new_invoices=200).new_invoice_ids
    owners = {by_id(younium, i)["account"]["id"] for i in new}
    assert doomed not in owners and kept in owners
    assert_expected_matches_served(younium)


def test_an_unposted_batch_can_be_deleted_and_its_invoices_are_open_drafts_again() -> None:
    clock = Clock()
    younium = make(clock, younium_job_seconds=0)
    tenant = younium.sandbox.younium
    batches = younium.all("/InvoiceBatches")
    posted, unposted = batches[0], batches[-1]
    cursor = latest_modified(younium.all("/Invoices"))
    refused = change(younium, change="delete_batch", batch=posted["id"])
    assert refused.status_code == 400 and "is posted" in refused.json()["error"]

    reply = changed(younium, change="delete_batch", batch=unposted["batchNumber"])

    members = [i["id"] for i in unposted["invoices"]]
    assert reply["batch"] == unposted["id"] and reply["invoices"] == members
    assert unposted["id"] not in listed_ids(younium, "/InvoiceBatches")
    assert younium.get(f"/InvoiceBatches/{unposted['id']}").status_code == 404
    assert younium.get(f"/InvoiceBatches/{unposted['id']}/BatchLog").status_code == 400
    released = younium.all("/Invoices", ModifiedAfter=cursor)
    assert sorted(i["id"] for i in released) == sorted(members)
    assert all(i["status"] == "Draft" and "invoiceBatchId" not in i for i in released)
    assert {i["modified"] for i in released} == {reply["modified"]}
    expected = tenant.expected()
    assert expected["invoice_batches"]["deleted"] == [unposted["id"]]
    assert expected["invoice_batches"]["rows"] == len(batches) - 1
    assert_expected_matches_served(younium)
    job = younium.generate().json()
    regenerated = younium.get(f"/InvoiceBatches/{job['id']}").json()
    assert set(members) <= {i["id"] for i in regenerated["invoices"]}, "a generate job takes them again"


def test_a_batch_being_posted_cannot_be_deleted() -> None:
    younium = make(younium_job_seconds=5)
    unposted = younium.sandbox.younium.dataset.batches.all()[-1]
    assert younium.post(f"/InvoiceBatches/{unposted.id}/Post", {}).status_code == 200
    refused = change(younium, change="delete_batch", batch=unposted.id)
    assert refused.status_code == 400 and "being posted" in refused.json()["error"]


# -- determinism ----------------------------------------------------------------------------------------------


def test_equal_seeds_and_equal_changes_give_byte_identical_pages() -> None:
    pages = []
    for _ in range(2):
        younium = make()
        tenant = younium.sandbox.younium
        drafts = open_drafts(younium)
        tenant.remove_line(drafts[0]["id"], drafts[0]["invoiceLines"][1]["id"])
        tenant.delete_invoice(drafts[1]["id"])
        tenant.set_status(drafts[2]["id"], "Posted")
        tenant.delete_batch("IB-00004")
        tenant.advance(new_invoices=5, modified_invoices=3, new_accounts=1)
        pages.append(
            (
                [younium.get("/Invoices", PageSize=100, PageNumber=n).content for n in (1, 6, 7)],
                younium.get(f"/Invoices/{drafts[0]['id']}").content,
                younium.get("/InvoiceBatches").content,
                json.dumps(tenant.expected(), sort_keys=True),
            )
        )
    assert pages[0] == pages[1]


# -- YM: a closed batch revised ---------------------------------------------------------------------------------


def listed_batch(ym: YM, batch_id: str) -> dict[str, Any]:
    return next(b for b in ym.get("FinanceBatches").json()["FinanceBatchList"] if b["BatchID"] == batch_id)


def exported(ym: YM, batch_id: str) -> list[dict[str, str]]:
    uri = ym.get(f"ExportStatus/{ym.export(batch_id)}").json()["ExportURI"]
    reply = ym.http.get(uri)
    assert reply.status_code == 200
    return list(csv.DictReader(io.StringIO(reply.text)))


def test_revising_a_closed_batch_adds_an_adjustment_item_to_its_count_export_details_and_invoice_items() -> None:
    ym = make_ym(export_latency_seconds=0, export_not_ready_count=0)
    dataset = ym.sandbox.dataset
    before = ym.sandbox.expected()["ym"]
    listed = listed_batch(ym, "1003")
    newest = dataset.item(dataset.items)["LineItemDateEntered"]

    reply = ym.http.post("/_sandbox/ym/revise-batch", json={"batch_id": "1003"})

    assert reply.status_code == 200, reply.text
    body = reply.json()
    added = body["line_item_id"]
    assert body == {
        "batch_id": "1003",
        "item_count": 251,
        "line_item_id": added,
        "line_item_date_entered": body["line_item_date_entered"],
    }
    assert body["line_item_date_entered"] > newest, "entered now"
    revised = listed_batch(ym, "1003")
    assert revised == {**listed, "ItemCount": 251}, "still closed, ClosedDate and CreateDateTime unchanged"
    assert listed_batch(ym, "1002")["ItemCount"] == 250
    rows = exported(ym, "1003")
    assert [int(r["LineItemID"]) for r in rows] == [*range(501, 751), added]
    assert rows[-1]["LineItemDescription"].startswith("Adjustment to batch 1003: ")
    pages = [ym.get("FinanceBatchDetails", BatchId="1003", PageSize=100, PageNumber=n).json() for n in (1, 2, 3, 4)]
    details = [r["LineItemID"] for p in pages for r in p["FinanceBatchDetailsList"]]
    assert details == [*range(501, 751), added]
    assert (
        ym.get("FinanceBatchDetails", BatchId="1003", PageSize=10, OffSet=250).json()["FinanceBatchDetailsList"][0][
            "LineItemID"
        ]
        == added
    )
    item = dataset.item(added)
    assert item["LineItemDate"] == body["line_item_date_entered"][:10] + "T00:00:00"
    assert [r["LineItemID"] for r in ym.items(LineItemDateEnteredFrom=newest)] == [dataset.items, added]
    assert added in [r["LineItemID"] for r in ym.items(PageSize=5000, PageNumber=2)]

    after = ym.sandbox.expected()["ym"]
    money = dataset.expected_money([added])
    for table in ("invoice_items", "finance_batch_items"):
        assert after[table]["rows"] == before[table]["rows"] + 1
        assert Decimal(after[table]["line_total"]) == Decimal(before[table]["line_total"]) + money.line_total
    assert after["finance_batches"]["item_count"] == before["finance_batches"]["item_count"] + 1
    assert after["finance_batches"]["revised"] == {"1003": [added]}
    assert after["finance_batches"]["closed"] == before["finance_batches"]["closed"]
    assert list(dataset.expected_batch_item_ids()) == [*range(1, 4751), added]
    assert dataset.batch("1003") is not None and dataset.batch("1003").item_ids() == [*range(501, 751), added]


def test_revisions_keep_entry_dates_moving_forward_and_add_up_with_imports_and_advances() -> None:
    ym = make_ym(export_latency_seconds=0, export_not_ready_count=0)
    dataset = ym.sandbox.dataset
    first = dataset.revise_batch("1001")
    second = dataset.revise_batch(1001)
    imported = dataset.backdate(2, days=5)
    dataset.advance(300)
    third = dataset.revise_batch("1020")  # closed by the advance
    entered = [dataset.item(n)["LineItemDateEntered"] for n in (first, second)]
    assert entered == sorted(entered) and entered[-1] < dataset.item(5001)["LineItemDateEntered"]
    assert dataset.item(third)["LineItemDateEntered"] > dataset.item(dataset.items)["LineItemDateEntered"]
    assert listed_batch(ym, "1001")["ItemCount"] == 252 and listed_batch(ym, "1020")["ItemCount"] == 251
    ids = list(dataset.expected_invoice_item_ids())
    assert ids == [*range(1, 5301), *imported, first, second, third] and ids == sorted(ids)
    served = [r["LineItemID"] for page in (1, 2) for r in ym.items(PageSize=5000, PageNumber=page)]
    assert served == ids
    money = dataset.expected_money(ids)
    assert money == dataset.expected_money(list(ids)) and money.count == len(ids)
    numbers = {dataset.item(n)["InvoiceNo"] for n in (first, second, third)}
    assert len(numbers) == 3, "each adjustment is an invoice of its own"
    assert ym.sandbox.expected()["ym"]["finance_batches"]["revised"] == {"1001": [first, second], "1020": [third]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"batch_id": "1020"}, "only a closed batch"),
        ({"batch_id": "4242"}, "no finance batch"),
        ({"batch": "1003"}, "batch_id"),
        ({"batch_id": None}, "batch_id"),
    ],
)
def test_only_a_closed_batch_can_be_revised(body: dict[str, Any], message: str) -> None:
    ym = make_ym()
    reply = ym.http.post("/_sandbox/ym/revise-batch", json=body)
    assert reply.status_code == 400 and message in reply.json()["error"]
    assert ym.sandbox.dataset.batch("1020") is not None
    with pytest.raises(ValueError, match="open"):
        ym.sandbox.dataset.revise_batch("1020")


def test_equal_seeds_and_equal_revisions_give_byte_identical_replies() -> None:
    replies = []
    for _ in range(2):
        ym = make_ym(export_latency_seconds=0, export_not_ready_count=0)
        ym.sandbox.dataset.revise_batch("1004")
        ym.sandbox.dataset.revise_batch("1002")
        uri = ym.get(f"ExportStatus/{ym.export('1004')}").json()["ExportURI"]
        export = ym.http.get(uri)
        assert export.status_code == 200
        replies.append(
            (
                export.content,
                ym.get("FinanceBatches").content,
                ym.get("FinanceBatchDetails", BatchId="1002", PageSize=100, PageNumber=3).content,
                ym.get("InvoiceItems", DateFrom="2000-01-01", PageSize=5000, PageNumber=2).content,
            )
        )
    assert replies[0] == replies[1]
