"""The stories the seeded Younium tenant tells a finance team, read through its routes: cancelled invoices,
credit notes (and their links), partly paid and overdue invoices, base amounts in several currencies, and
the expectations that count all of it."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest

from finsync_sandbox.kernel.formats import day_of, parse_moment

from .test_sandbox_younium import Clock, Younium, make

CENT = Decimal("0.01")
# A line's amounts whose base twin is the amount x the exchange rate.
LINE_BASES = ("subtotal", "tax", "total", "subtotalPreDiscount", "taxPreDiscount", "totalPreDiscount")
LINE_MONEY = ("subtotal", "subtotalBaseAmount", "tax", "taxBaseAmount", "total", "totalBaseAmount")
RELATED_FIELDS = {
    "id", "invoiceType", "debitInvoiceId", "creditInvoiceId", "invoiceNumber", "status", "invoiceDate", "currency",
    "subtotal", "totalAmount", "externalERPId",
}  # fmt: skip


@pytest.fixture(scope="module")
def younium() -> Younium:
    return make()


@pytest.fixture(scope="module")
def invoices(younium: Younium) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in younium.all("/Invoices")}


def related(younium: Younium, invoice_id: str) -> dict[str, Any]:
    body = younium.page(f"/Invoices/{invoice_id}/RelatedInvoices")
    assert (body["pageNumber"], body["totalCount"], body["totalPages"]) == (1, 1, 1)
    assert isinstance(body["data"], dict), "RelatedInvoices answers one object, not a list"
    return dict(body["data"])


def is_credit(invoice: dict[str, Any]) -> bool:
    """The facts sheet's rule: a document is a credit if its type is Credit or its total is negative."""
    return invoice["invoiceType"] == "Credit" or invoice["totalAmount"] < 0


def day(text: str) -> int:
    return date.fromisoformat(text[:10]).toordinal()


def credit_notes(invoices: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in invoices.values() if is_credit(i)]


# -- statuses and types -----------------------------------------------------------------------------------------


def test_the_listing_has_every_status_and_credit_notes_of_both_types(invoices: dict[str, dict[str, Any]]) -> None:
    statuses = Counter(i["status"] for i in invoices.values())
    assert set(statuses) == {"Draft", "Posted", "Settled", "Cancelled"}
    posted = statuses["Posted"] + statuses["Settled"] + statuses["Cancelled"]
    assert 0.01 * posted < statuses["Cancelled"] < 0.06 * posted, "a few percent were cancelled"
    credits = credit_notes(invoices)
    assert 0.01 * posted < len(credits) < 0.06 * posted
    types = Counter(i["invoiceType"] for i in credits)
    assert types["Credit"] >= 2 and 1 <= types["Invoice"] <= 2, "one or two auto-generated credits typed Invoice"
    assert all(i["totalAmount"] < 0 for i in credits)
    assert all(i["status"] == "Posted" and "invoiceBatchId" not in i for i in credits)


def test_expectations_count_statuses_types_credits_and_money_as_listed(
    younium: Younium, invoices: dict[str, dict[str, Any]]
) -> None:
    expected = younium.sandbox.younium.expected()["invoices"]
    rows = list(invoices.values())
    assert expected["rows"] == len(rows)
    assert expected["by_status"] == {
        name: sum(i["status"] == name for i in rows) for name in ("Draft", "Posted", "Settled", "Cancelled")
    }
    assert expected["by_type"] == {
        name: sum(i["invoiceType"] == name for i in rows) for name in ("Invoice", "Credit", "OnAccount")
    }
    # Every credit of this tenant is a credit note of an invoice (a seeded invoice of discounts only, with a
    # negative total, would count as a credit without a link; this seed has none).
    assert expected["credits"] == expected["credit_links"] == len(credit_notes(invoices))
    assert expected["overdue"] == sum(i["daysPastDue"] > 0 for i in rows) > 0
    for key, field in (
        ("subtotal", "subtotal"),
        ("total_amount", "totalAmount"),
        ("total_base_amount", "totalBaseAmount"),
        ("settled_amount", "settledAmount"),
        ("settled_base_amount", "settledBaseAmount"),
        ("balanced_amount", "balancedAmount"),
        ("balanced_base_amount", "balancedBaseAmount"),
    ):
        assert Decimal(expected[key]) == sum(i[field] for i in rows), key
    assert Decimal(expected["total_amount"]) < sum(i["totalAmount"] for i in rows if not is_credit(i))


# -- credit notes ---------------------------------------------------------------------------------------------------


def test_a_credit_note_negates_the_lines_of_the_invoice_it_credits(
    younium: Younium, invoices: dict[str, dict[str, Any]]
) -> None:
    seeded = max(int(i["invoiceNumber"]) for i in invoices.values() if not is_credit(i))
    for credit in credit_notes(invoices):
        original = invoices[related(younium, credit["id"])["debitInvoiceId"]]
        assert original["status"] == "Posted" and original["invoiceType"] == "Invoice"
        assert credit["id"] != original["id"] and int(credit["invoiceNumber"]) > seeded, "numbered after the seeded"
        assert credit["account"] == original["account"] and credit["currency"] == original["currency"]
        assert credit["exchangeRate"] == original["exchangeRate"]
        assert 2 <= day(credit["invoiceDate"]) - day(original["invoiceDate"]) <= 7
        assert credit["created"] == credit["modified"]
        assert parse_moment(credit["created"]) > parse_moment(original["modified"]), "credited after it was posted"
        for field in ("subtotal", "tax", "totalAmount", *(f"{f}BaseAmount" for f in ("subtotal", "tax", "total"))):
            assert credit[field] == -original[field] < 0 or credit[field] == original[field] == 0, field
        assert (credit["settledAmount"], credit["balancedAmount"]) == (0, credit["totalAmount"])
        assert credit["balancedBaseAmount"] == credit["totalBaseAmount"] and credit["daysPastDue"] == 0
        lines = {line["invoiceLineNumber"]: line for line in original["invoiceLines"]}
        assert len(credit["invoiceLines"]) == len(lines) == 5, "a credit of every line"
        for line in credit["invoiceLines"]:
            credited = lines[line["invoiceLineNumber"]]
            assert line["id"] != credited["id"] and line["invoiceId"] == credit["id"]
            assert line["quantity"] == -credited["quantity"] and line["price"] == credited["price"]
            assert (line["productNumber"], line["chargeNumber"]) == (
                credited["productNumber"],
                credited["chargeNumber"],
            )
            assert all(line[field] == -credited[field] for field in LINE_MONEY)
            assert line["created"] == credit["created"]


def test_related_invoices_links_a_credit_note_and_its_invoice_both_ways(
    younium: Younium, invoices: dict[str, dict[str, Any]]
) -> None:
    for credit in credit_notes(invoices):
        from_credit = related(younium, credit["id"])
        original = invoices[from_credit["debitInvoiceId"]]
        from_original = related(younium, original["id"])
        # The CRM id only when the invoice has one, as the invoice itself says.
        assert set(from_credit) - {"externalCRMId"} == set(from_original) - {"externalCRMId"} == RELATED_FIELDS
        assert from_credit["creditInvoiceId"] == from_original["creditInvoiceId"] == credit["id"]
        assert from_original["debitInvoiceId"] == original["id"]
        # Each side answers the other invoice.
        for answer, other in ((from_credit, original), (from_original, credit)):
            assert answer["id"] == other["id"]
            for field in ("invoiceType", "invoiceNumber", "status", "invoiceDate", "currency", "subtotal"):
                assert answer[field] == other[field], field
            assert answer["totalAmount"] == other["totalAmount"]
            assert answer.get("externalCRMId") == other.get("externalCRMId")


def test_related_invoices_of_an_unrelated_invoice_is_a_400_and_of_an_unknown_one_a_404(
    younium: Younium, invoices: dict[str, dict[str, Any]]
) -> None:
    linked = {i["id"] for i in credit_notes(invoices)} | {
        related(younium, i["id"])["debitInvoiceId"] for i in credit_notes(invoices)
    }
    unrelated = next(i for i in invoices if i not in linked)
    reply = younium.get(f"/Invoices/{unrelated}/RelatedInvoices")
    assert reply.status_code == 400 and reply.json()["errors"] == {"message": ["No related invoices could be found"]}
    assert younium.get("/Invoices/00000000-0000-4000-8000-000000000000/RelatedInvoices").status_code == 404
    no_version = {"Authorization": f"Bearer {younium.token}"}
    assert younium.get(f"/Invoices/{unrelated}/RelatedInvoices", headers=no_version).status_code == 400


def test_an_incremental_reader_loads_the_credit_notes_created_after_its_cursor(
    younium: Younium, invoices: dict[str, dict[str, Any]]
) -> None:
    credits = sorted(credit_notes(invoices), key=lambda i: parse_moment(i["created"]))
    cursor = credits[len(credits) // 2]["created"]
    changed = {i["id"] for i in younium.all("/Invoices", ModifiedAfter=cursor.removesuffix("Z"))}
    later = {i["id"] for i in credits[len(credits) // 2 + 1 :]}
    assert later and later <= changed and credits[len(credits) // 2]["id"] not in changed


def test_related_invoices_pages_are_deterministic() -> None:
    first, second = make(), make()
    invoices = first.sandbox.younium.dataset.invoices
    credit = invoices.id(invoices.credit_notes()[0])
    path = f"/Invoices/{credit}/RelatedInvoices"
    assert first.get(path).content == second.get(path).content


# -- cancelled, partly paid and overdue ---------------------------------------------------------------------------


def test_a_cancelled_invoice_keeps_its_amounts_owes_nothing_and_is_never_paid(
    younium: Younium, invoices: dict[str, dict[str, Any]]
) -> None:
    batches = {b["id"]: b for b in younium.all("/InvoiceBatches")}
    settled = {s["invoice"]["id"] for p in younium.all("/Payments") for s in p["paymentSettlements"]}
    cancelled = [i for i in invoices.values() if i["status"] == "Cancelled"]
    assert cancelled
    for invoice in cancelled:
        assert invoice["totalAmount"] == sum(line["total"] for line in invoice["invoiceLines"]) > 0
        assert invoice["settledAmount"] == invoice["balancedAmount"] == invoice["balancedBaseAmount"] == 0
        assert invoice["daysPastDue"] == 0 and "paymentDate" not in invoice
        assert invoice["id"] not in settled
        batch = batches[invoice["invoiceBatchId"]]
        assert invoice["modified"] > batch["modified"], "cancelled after its batch was posted"
        listed = next(i for i in batch["invoices"] if i["id"] == invoice["id"])
        assert listed["status"] == "Cancelled"


def test_a_partly_paid_invoice_owes_the_rest_and_its_payment_matches_exactly(
    younium: Younium, invoices: dict[str, dict[str, Any]]
) -> None:
    part_paid = [i for i in invoices.values() if i["status"] == "Posted" and i["settledAmount"] > 0]
    assert part_paid
    payments = {s["invoice"]["id"]: (p, s) for p in younium.all("/Payments") for s in p["paymentSettlements"]}
    for invoice in part_paid:
        payment, settlement = payments[invoice["id"]]
        assert 0 < invoice["settledAmount"] < invoice["totalAmount"]
        assert invoice["balancedAmount"] == invoice["totalAmount"] - invoice["settledAmount"]
        assert payment["amount"] == settlement["amount"]
        assert payment["amount"]["amount"] == invoice["settledAmount"] == settlement["invoice"]["settledAmount"]
        assert payment["amount"]["baseCurrencyAmount"] == invoice["settledBaseAmount"]
        assert invoice["balancedBaseAmount"] == invoice["totalBaseAmount"] - invoice["settledBaseAmount"]
        assert (
            invoice["paymentDate"] == payment["paymentDate"] and invoice["modified"][:10] == payment["paymentDate"][:10]
        )
        assert payment["description"].startswith("Part payment")


def test_days_past_due_counts_from_the_due_date_on_the_tenants_clock(
    younium: Younium, invoices: dict[str, dict[str, Any]]
) -> None:
    today = day_of(younium.sandbox.younium.dataset.now)
    for invoice in invoices.values():
        terms = invoice["paymentTerm"]["days"]
        assert day(invoice["dueDate"]) == day(invoice["invoiceDate"]) + terms
        if invoice["status"] == "Posted" and invoice["balancedAmount"] > 0:
            assert invoice["daysPastDue"] == max(0, today - day(invoice["dueDate"]))
        else:
            assert invoice["daysPastDue"] == 0, invoice["status"]
    overdue = [i for i in invoices.values() if i["daysPastDue"] > 0]
    assert any(i["settledAmount"] > 0 for i in overdue), "partly paid invoices fall past due too"


def test_days_past_due_moves_on_with_the_clock_without_changing_modified() -> None:
    younium = make()
    before = {i["id"]: i for i in younium.all("/Invoices") if i["daysPastDue"] > 0}
    younium.sandbox.younium.advance(new_invoices=40)
    after = {i["id"]: i for i in younium.all("/Invoices") if i["id"] in before}
    grown = {after[k]["daysPastDue"] - before[k]["daysPastDue"] for k in before}
    assert len(grown) == 1 and grown.pop() > 0
    assert all(after[k]["modified"] == before[k]["modified"] for k in before)


# -- currencies -------------------------------------------------------------------------------------------------


def test_every_base_amount_is_its_amount_times_the_rate_and_an_invoices_the_sum_of_its_lines(
    invoices: dict[str, dict[str, Any]],
) -> None:
    assert {i["currency"] for i in invoices.values()} == {"SEK", "NOK", "EUR", "USD"}
    assert {i["currency"] for i in credit_notes(invoices)} - {"SEK"}, "credit notes in another currency"
    for invoice in invoices.values():
        rate = invoice["exchangeRate"]
        lines = invoice["invoiceLines"]
        for line in lines:
            assert line["exchangeRate"] == rate
            for field in LINE_BASES:
                assert line[f"{field}BaseAmount"] == (line[field] * rate).quantize(CENT, ROUND_HALF_EVEN), field
        for field in ("subtotal", "tax", "total"):
            assert invoice[f"{field}BaseAmount"] == sum(line[f"{field}BaseAmount"] for line in lines), field
        assert invoice["totalBaseAmount"] == invoice["subtotalBaseAmount"] + invoice["taxBaseAmount"]
        assert invoice["totalRoundingBaseAmount"] == invoice["totalRoundingAmount"] == 0
        if invoice["status"] == "Posted" and invoice["settledAmount"]:  # paid in part: that part x the rate
            assert invoice["settledBaseAmount"] == (invoice["settledAmount"] * rate).quantize(CENT, ROUND_HALF_EVEN)
        elif invoice["status"] == "Settled":
            assert invoice["settledBaseAmount"] == invoice["totalBaseAmount"]
        if invoice["status"] != "Cancelled":
            assert invoice["balancedBaseAmount"] == invoice["totalBaseAmount"] - invoice["settledBaseAmount"]


# -- changes leave the stories alone --------------------------------------------------------------------------------


def test_advance_and_batch_jobs_never_touch_cancelled_invoices_or_credit_notes() -> None:
    clock = Clock()
    younium = make(clock, younium_job_seconds=0)
    tenant = younium.sandbox.younium
    dataset = tenant.dataset
    untouchable = {i["id"]: i for i in younium.all("/Invoices") if i["status"] == "Cancelled" or is_credit(i)}
    drafts = sum(dataset.invoices.is_open_draft(n) for n in dataset.invoices.numbers())
    advanced = tenant.advance(new_invoices=10, modified_invoices=drafts)
    assert not set(advanced.modified_invoice_ids) & set(untouchable)
    job = younium.generate().json()
    batch = younium.get(f"/InvoiceBatches/{job['id']}").json()
    assert batch["invoices"] and not {i["id"] for i in batch["invoices"]} & set(untouchable)
    assert all(i["status"] == "Draft" for i in batch["invoices"])
    younium.post(f"/InvoiceBatches/{job['id']}/Post", {})
    now = {i["id"]: i for i in younium.all("/Invoices") if i["id"] in untouchable}
    for invoice_id, before in untouchable.items():
        after = now[invoice_id]
        for field in ("status", "modified", "totalAmount", "balancedAmount", "invoiceType"):
            assert after[field] == before[field], field
        assert after.get("invoiceBatchId") == before.get("invoiceBatchId")
