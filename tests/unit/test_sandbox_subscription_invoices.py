"""The sandbox's subscription invoices: every billing the subscription story journals is a line of a real,
posted invoice on /Invoices (credits on credit notes), which its Invoice journal voucher, its revenue
schedule items and its recognition vouchers name; the seeded invoices are untouched. The checks read
the served records, not the model."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from finsync_sandbox.kernel.jsonwriter import dumps

from .test_sandbox_younium import Younium, make

SUBSCRIPTIONS = 20
RECEIVABLES = "1510"


def billing_vouchers(younium: Younium) -> list[dict[str, Any]]:
    """The vouchers of the Invoice journals of the subscription story's invoicing."""
    journals = younium.all("/Journals")
    return [v for j in journals if j["description"].startswith("Subscription invoicing") for v in j["vouchers"]]


def receivable(voucher: dict[str, Any], base: bool = True) -> Decimal:
    debit, credit = (
        ("debitAmount", "creditAmount") if base else ("salesCurrencyDebitAmount", "salesCurrencyCreditAmount")
    )
    return sum(
        (Decimal(t[debit]) - Decimal(t[credit]) for t in voucher["transactions"] if t["account"] == RECEIVABLES),
        Decimal(0),
    )


def served_invoice(younium: Younium, invoice_id: str) -> dict[str, Any]:
    reply = younium.get(f"/Invoices/{invoice_id}")
    assert reply.status_code == 200, reply.text
    return younium.page(f"/Invoices/{invoice_id}")


def test_every_subscription_invoice_journal_names_a_served_invoice_with_its_total() -> None:
    younium = make(younium_subscriptions=SUBSCRIPTIONS)
    vouchers = billing_vouchers(younium)
    assert len(vouchers) >= 20
    by_invoice: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for voucher in vouchers:
        by_invoice[voucher["invoiceId"]].append(voucher)
    listed = {i["id"]: i for i in younium.all("/Invoices")}
    for invoice_id, booked in by_invoice.items():
        invoice = listed[invoice_id]
        assert served_invoice(younium, invoice_id) == invoice
        assert invoice["status"] == "Posted" and "invoiceBatchId" not in invoice
        assert all(v["invoiceNumber"] == invoice["invoiceNumber"] for v in booked)
        assert all(v["invoiceAccountId"] == invoice["account"]["id"] for v in booked)
        assert sum(receivable(v) for v in booked) == invoice["totalBaseAmount"]
        assert sum(receivable(v, base=False) for v in booked) == invoice["totalAmount"]
        assert invoice["balancedAmount"] == invoice["totalAmount"] and invoice["settledAmount"] == 0
        lines = {line["id"]: line for line in invoice["invoiceLines"]}
        assert sorted(v["invoiceLineId"] for v in booked) == sorted(lines)
        for voucher in booked:
            line = lines[voucher["invoiceLineId"]]
            assert line["orderChargeId"] == voucher["orderChargeId"]
            assert line["chargeNumber"] == voucher["orderChargeNumber"] and line["chargeNumber"].startswith("OPC-")
            assert line["productNumber"].startswith("OP-") and line["orderId"]
            assert line["servicePeriodStartDate"] <= line["servicePeriodEndDate"]
            assert line["created"][:10] == invoice["invoiceDate"][:10]
            accounts = ("accountsReceivable", "deferredRevenue", "recognizedRevenue")
            assert tuple(line[a]["code"] for a in accounts) == ("1510", "2971", "3011")
            assert line["subtotal"] + line["tax"] == line["total"]
        assert sum(line["total"] for line in lines.values()) == invoice["totalAmount"]
        kind = "Credit" if invoice["totalAmount"] < 0 else "Invoice"
        assert invoice["invoiceType"] == kind


def test_every_schedule_item_names_a_line_its_invoice_serves() -> None:
    younium = make(younium_subscriptions=SUBSCRIPTIONS)
    charges = sorted({v["orderChargeNumber"] for v in billing_vouchers(younium)})
    invoices: dict[str, dict[str, Any]] = {}
    items = 0
    for charge in charges:
        for item in younium.all(f"/RevenueSchedule/Charge/{charge}"):
            named = item["invoiceLine"]
            invoice = invoices.get(named["invoiceId"]) or served_invoice(younium, named["invoiceId"])
            invoices[named["invoiceId"]] = invoice
            line = next(line for line in invoice["invoiceLines"] if line["id"] == named["id"])
            assert named["invoiceNumber"] == invoice["invoiceNumber"]
            assert named["invoiceDate"] == invoice["invoiceDate"]
            for member in ("subtotal", "tax", "total", "servicePeriodStartDate", "servicePeriodEndDate", "price"):
                assert named[member] == line[member], member
            assert line["chargeNumber"] == item["orderProductCharge"]["chargeNumber"] == charge
            items += 1
    assert items > len(charges)


def test_a_credit_for_unserved_days_is_a_credit_note_once_the_story_goes_on() -> None:
    younium = make(younium_subscriptions=SUBSCRIPTIONS)
    tenant = younium.sandbox.younium
    reply = younium.http.post("/_sandbox/advance", json={"subscription_events": len(tenant.dataset.story.pending)})
    assert reply.status_code == 200
    credits = [v for v in billing_vouchers(younium) if receivable(v) < 0]
    assert credits
    for voucher in credits:
        note = served_invoice(younium, voucher["invoiceId"])
        assert note["invoiceType"] == "Credit" and note["status"] == "Posted"
        assert note["totalBaseAmount"] == receivable(voucher) < 0


def test_the_seeded_invoices_are_untouched_and_numbered_first() -> None:
    plain, told = make(), make(younium_subscriptions=SUBSCRIPTIONS)
    seeded = plain.sandbox.younium.dataset
    config = plain.sandbox.config
    assert len(seeded.invoices) == config.younium_invoices + len(seeded.invoices.credit_notes())
    lines = [line for i in plain.all("/Invoices") for line in i["invoiceLines"]]
    assert lines and not any(line["chargeNumber"].startswith("OPC-") for line in lines)
    dataset = told.sandbox.younium.dataset
    assert len(dataset.invoices) > len(seeded.invoices)
    for n in seeded.invoices.numbers():
        assert dumps(told.sandbox.younium.records.invoice(n)) == dumps(plain.sandbox.younium.records.invoice(n))
    added = range(len(seeded.invoices) + 1, len(dataset.invoices) + 1)
    assert all(dataset.lines.of(n)[0].subscription is not None for n in added)
    expected = told.sandbox.younium.expected()["invoices"]
    assert expected["rows"] == len(dataset.invoices) == len(told.all("/Invoices"))
