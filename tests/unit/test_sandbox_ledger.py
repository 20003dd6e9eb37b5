"""The sandbox's Younium ledger, read through its routes: chart of accounts, currencies and rates, journals
and their vouchers, accounting periods, the changes to them, and their expectations."""

from __future__ import annotations

import itertools
import json
import warnings
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from finsync_sandbox import Sandbox, SandboxConfig, build_app
from finsync_sandbox.kernel.formats import parse_moment

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CREDENTIALS = {"clientId": "sandbox-younium-client", "secret": "sandbox-younium-secret"}
CHARTED = ("/Currency", "/ExchangeRate", "/ChartOfAccounts")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Younium:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.http = TestClient(build_app(sandbox))
        reply = self.http.post("/younium/auth/v2/token", json=CREDENTIALS)
        self.token = reply.json()["access_token"]

    def get(self, path: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", "api-version": "2.1"}
        return self.http.get(f"/younium{path}", params=params, headers=headers)

    def json(self, path: str, **params: Any) -> Any:
        reply = self.get(path, **params)
        assert reply.status_code == 200, reply.text
        return json.loads(reply.content, parse_float=Decimal)

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        number = 1
        while True:
            reply = self.get(path, PageSize=100, PageNumber=number, **params)
            if reply.status_code == 400:
                return rows
            body = json.loads(reply.content, parse_float=Decimal)
            rows += body["data"]
            if not body.get("nextPage"):
                return rows
            number += 1

    def change(self, **body: Any) -> httpx.Response:
        return self.http.post("/_sandbox/younium/change", json=body)


@pytest.fixture
def younium() -> Younium:
    return Younium(Sandbox(SandboxConfig(younium_job_seconds=5), clock=Clock()))


def _side(line: dict[str, Any]) -> Decimal:
    """A transaction line's base amount, debit positive."""
    return Decimal(line["debitAmount"]) - Decimal(line["creditAmount"])


def _receivables(voucher: dict[str, Any]) -> Decimal:
    return sum((_side(t) for t in voucher["transactions"] if t["account"] == "1510"), Decimal(0))


def _latest(rows: list[dict[str, Any]]) -> str:
    return max(r["modified"] for r in rows)


def test_every_voucher_balances_and_posts_its_invoice_total_base_amount_once(younium: Younium) -> None:
    journals = younium.all("/Journals")
    invoices = {i["id"]: i for i in younium.all("/Invoices")}
    postings: dict[str, int] = defaultdict(int)
    reversals: dict[str, int] = defaultdict(int)
    for journal in journals:
        assert journal["posted"] is True and journal["journalType"] in ("Invoice", "Payment")
        numbers = [v["transactionNumber"] for v in journal["vouchers"]]
        assert len(set(numbers)) == len(numbers) and journal["vouchers"]
        for voucher in journal["vouchers"]:
            lines = voucher["transactions"]
            assert sum(Decimal(t["debitAmount"]) for t in lines) == sum(Decimal(t["creditAmount"]) for t in lines)
            sales = [Decimal(t["salesCurrencyDebitAmount"]) - Decimal(t["salesCurrencyCreditAmount"]) for t in lines]
            assert sum(sales) == 0
            assert all(min(Decimal(t["debitAmount"]), Decimal(t["creditAmount"])) == 0 for t in lines)
            invoice = invoices[voucher["invoiceId"]]
            assert voucher["invoiceNumber"] == invoice["invoiceNumber"]
            assert voucher["invoiceAccountId"] == invoice["account"]["id"]
            assert {t["exchangeRate"] for t in lines} == {invoice["exchangeRate"]}
            assert {t["salesCurrency"] for t in lines} == {invoice["currency"]}
            if voucher["source"] == "Payment":
                assert journal["journalType"] == "Payment" and voucher["paymentId"]
                continue
            assert journal["journalType"] == "Invoice"
            if journal["description"].startswith("Cancellation"):
                reversals[invoice["id"]] += 1
                assert _receivables(voucher) == -invoice["totalBaseAmount"]
            else:
                postings[invoice["id"]] += 1
                assert _receivables(voucher) == invoice["totalBaseAmount"]
                revenue = [t for t in lines if t["account"].startswith("3")]
                assert len(revenue) == len(invoice["invoiceLines"])
                assert sum(map(_side, revenue)) == -invoice["subtotalBaseAmount"]
    posted = {i for i, inv in invoices.items() if inv["status"] != "Draft"}
    assert postings == {i: 1 for i in posted}
    assert reversals == {i: 1 for i in posted if invoices[i]["status"] == "Cancelled"}
    credit = next(j for j in journals if j["description"].startswith("Credit note"))["vouchers"][0]
    assert _receivables(credit) < 0, "a credit note's voucher credits receivables"


def test_payment_vouchers_debit_the_bank_what_the_payment_settled(younium: Younium) -> None:
    payments = {p["id"]: p for p in younium.all("/Payments")}
    vouchers = [v for j in younium.all("/Journals") for v in j["vouchers"] if v["source"] == "Payment"]
    assert sorted(v["paymentId"] for v in vouchers) == sorted(payments)
    for voucher in vouchers:
        payment = payments[voucher["paymentId"]]
        bank = [t for t in voucher["transactions"] if t["account"] == "1930"]
        assert [_side(t) for t in bank] == [payment["amount"]["baseCurrencyAmount"]]
        assert _receivables(voucher) == -payment["amount"]["baseCurrencyAmount"]
        assert bank[0]["salesCurrencyDebitAmount"] == payment["amount"]["amount"]
        assert voucher["invoiceId"] == payment["paymentSettlements"][0]["invoice"]["id"]


def test_a_journal_listed_in_a_window_carries_only_the_vouchers_modified_in_it(younium: Younium) -> None:
    journals = younium.all("/Journals")
    grown = next(j for j in journals if len({v["modified"] for v in j["vouchers"]}) > 1)
    first = min(v["modified"] for v in grown["vouchers"])
    listed = next(j for j in younium.all("/Journals", ModifiedAfter=first) if j["id"] == grown["id"])
    assert 0 < len(listed["vouchers"]) < len(grown["vouchers"])
    assert all(parse_moment(v["modified"]) > parse_moment(first) for v in listed["vouchers"])
    assert listed["modified"] == grown["modified"] == max(v["modified"] for v in grown["vouchers"])
    whole = younium.json(f"/Journals/{grown['id']}", ModifiedAfter=first)
    assert whole == grown, "by id: every voucher, whatever the query says"
    details = younium.all("/Journals/JournalDetails")
    assert [{k: v for k, v in j.items() if k != "vouchers"} for j in journals] == details
    assert all("vouchers" not in j for j in details)
    keys = [(j["modified"], j["id"]) for j in journals]
    assert keys == sorted(keys)
    numbers = [j["journalNumber"] for j in sorted(journals, key=lambda j: (j["created"], j["journalNumber"]))]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_unknown_journals_are_404_and_empty_lists_a_400(younium: Younium) -> None:
    assert younium.get("/Journals/00000000-0000-4000-8000-000000000000").status_code == 404
    for path in ("/Journals", "/Journals/JournalDetails"):
        empty = younium.get(path, ModifiedAfter="2099-01-01")
        assert empty.status_code == 400 and empty.json()["errors"] == {"message": ["No journals could be found"]}
    younium.sandbox.faults.add(kind="nothing_found", route="younium.chart_of_accounts")
    assert younium.get("/ChartOfAccounts").status_code == 400
    assert younium.get("/ChartOfAccounts", ModifiedAfter="not a date").status_code == 400


def test_the_chart_holds_every_account_code_used_with_the_names_records_embed(younium: Younium) -> None:
    chart = {a["code"]: a for a in younium.all("/ChartOfAccounts")}
    optional = {"externalERPId", "externalCRMId"}  # on some accounts
    assert all(set(a) - optional == {"id", "code", "name", "description"} for a in chart.values())
    assert len({a["id"] for a in chart.values()}) == len(chart)
    embedded = []
    for invoice in younium.all("/Invoices"):
        embedded.append(invoice["accountsReceivable"])
        for line in invoice["invoiceLines"]:
            embedded += [line["accountsReceivable"], line["deferredRevenue"], line["recognizedRevenue"]]
    for payment in younium.all("/Payments"):
        embedded += [payment["paymentAccount"], payment["BankFeeAccount"]]
    for account in embedded:
        assert (account["name"], account["description"]) == (
            chart[account["code"]]["name"],
            chart[account["code"]]["description"],
        )
    used = {t["account"] for j in younium.all("/Journals") for v in j["vouchers"] for t in v["transactions"]}
    assert used <= set(chart) and {"1510", "1930", "2611", "3011"} <= used


def test_currencies_and_rates_are_those_the_invoices_use(younium: Younium) -> None:
    currencies = younium.all("/Currency")
    base = younium.json("/Currency/BaseCurrency")
    assert [c["code"] for c in currencies] == ["SEK", "NOK", "EUR", "USD"] and currencies[0] == base
    served = younium.all("/ExchangeRate")
    rates = {r["fromCurrency"]: r for r in served if "effectiveToDate" not in r}  # the current ones, open-ended
    assert set(rates) == {"NOK", "EUR", "USD"} and served[:3] == list(rates.values())
    assert all(r["toCurrency"] == "SEK" and "effectiveToDate" not in r for r in rates.values())
    assert all(set(r) == {"id", "fromCurrency", "toCurrency", "rate", "effectiveFromDate"} for r in rates.values())
    for invoice in younium.all("/Invoices"):
        wanted = Decimal(1) if invoice["currency"] == "SEK" else rates[invoice["currency"]]["rate"]
        assert invoice["exchangeRate"] == wanted
        assert invoice["invoiceDate"] >= rates["EUR"]["effectiveFromDate"]


def test_an_earlier_rate_ends_the_day_before_the_rate_that_superseded_it(younium: Younium) -> None:
    served = younium.all("/ExchangeRate")
    assert len({r["id"] for r in served}) == len(served) > 3
    for code in ("NOK", "EUR", "USD"):
        pair = sorted((r for r in served if r["fromCurrency"] == code), key=lambda r: r["effectiveFromDate"])
        assert "effectiveToDate" not in pair[-1] and all("effectiveToDate" in r for r in pair[:-1])
        for earlier, later in itertools.pairwise(pair):
            ends = date.fromisoformat(earlier["effectiveToDate"][:10])
            assert ends + timedelta(days=1) == date.fromisoformat(later["effectiveFromDate"][:10])
            assert earlier["toCurrency"] == "SEK" and earlier["rate"] > 0


def test_months_before_the_last_two_are_closed_and_the_rest_open(younium: Younium) -> None:
    now = younium.sandbox.younium.dataset.now
    details = younium.all("/Journals/JournalDetails")
    for journal in details:
        period = journal["accountingPeriod"]
        assert period["startDate"] <= journal["created"][:10] + "T00:00:00" <= period["endDate"]
        assert period["fiscalQuarter"] == (period["fiscalPeriod"] - 1) // 3 + 1
        assert period["status"] == "Closed", "the seeded history is months old"
        assert parse_moment(period["endDate"]) < parse_moment(period["closedDate"]) <= now
    # A draft posted on its own now is journaled into the open current month; an incremental reader sees it.
    draft = next(i for i in younium.all("/Invoices") if i["status"] == "Draft" and "invoiceBatchId" not in i)
    younium.change(change="set_status", invoice=draft["id"], status="Posted")
    posted = younium.all("/Journals", ModifiedAfter=_latest(details))
    assert len(posted) == 1 and posted[0]["accountingPeriod"]["status"] == "Open"
    assert "closedDate" not in posted[0]["accountingPeriod"]
    assert [v["invoiceId"] for v in posted[0]["vouchers"]] == [draft["id"]]
    total = younium.json(f"/Invoices/{draft['id']}")["totalBaseAmount"]
    assert _receivables(posted[0]["vouchers"][0]) == total
    assert parse_moment(posted[0]["created"]) == now + 3_600_000
    # Cancelling it reverses the posting in a journal of its own.
    younium.change(change="set_status", invoice=draft["id"], status="Cancelled")
    reversed_ = younium.all("/Journals", ModifiedAfter=posted[0]["modified"])
    assert len(reversed_) == 1 and _receivables(reversed_[0]["vouchers"][0]) == -total


def test_a_posted_batch_is_journaled_when_its_post_job_finishes() -> None:
    clock = Clock()
    younium = Younium(Sandbox(SandboxConfig(younium_job_seconds=5), clock=clock))
    before = _latest(younium.all("/Journals/JournalDetails"))
    batch = next(b for b in younium.sandbox.younium.dataset.batches.all() if not b.posted)
    headers = {"Authorization": f"Bearer {younium.token}", "api-version": "2.1"}
    younium.http.post(f"/younium/InvoiceBatches/{batch.id}/Post", json={}, headers=headers)
    assert younium.get("/Journals", ModifiedAfter=before).status_code == 400, "nothing yet: the job is pending"
    clock.now += 6
    journals = younium.all("/Journals", ModifiedAfter=before)
    assert [j["description"] for j in journals] == [f"Invoice batch {batch.batch_number}"]
    ids = [v["invoiceId"] for v in journals[0]["vouchers"]]
    assert ids == sorted(ids, key=lambda i: younium.sandbox.younium.dataset.invoices.find(i) or 0)
    assert len(ids) == len(batch.invoices)


def test_posting_into_a_closed_period_adds_a_journal_there_and_closes_it_again(younium: Younium) -> None:
    details = younium.all("/Journals/JournalDetails")
    march = [j for j in details if j["accountingPeriod"]["description"] == "2024-03"]
    assert younium.change(change="post_into_closed_period", period="2024-13").status_code == 400
    reply = younium.change(change="post_into_closed_period", period="2024-03")
    assert reply.status_code == 200, reply.text
    done = reply.json()
    added = younium.all("/Journals", ModifiedAfter=_latest(details))
    assert [j["id"] for j in added] == [done["journal"]]
    journal = added[0]
    period = journal["accountingPeriod"]
    assert (period["fiscalYear"], period["fiscalPeriod"], period["status"]) == (2024, 3, "Closed")
    assert period["closedDate"] == journal["modified"] == done["modified"]
    assert journal["journalType"] == "Invoice" and journal["journalNumber"] == done["journal_number"]
    voucher = journal["vouchers"][0]
    assert voucher["effectiveDate"] == "2024-03-31T00:00:00" and "invoiceId" not in voucher
    sides = {t["account"]: _side(t) for t in voucher["transactions"]}
    assert sides == {"3011": Decimal(done["amount"]), "3012": -Decimal(done["amount"])}
    # The period's other journals were not modified, and show it closed again, later.
    again = {j["id"]: j for j in younium.all("/Journals/JournalDetails")}
    for old in march:
        assert again[old["id"]]["modified"] == old["modified"]
        assert again[old["id"]]["accountingPeriod"]["closedDate"] == done["closed_date"]
    # The same through the tenant, in-process; an open period refuses.
    assert younium.sandbox.younium.post_into_closed_period("2024-04")["period"] == "2024-04"
    assert younium.change(change="reopen_period", period="2024-04").status_code == 200
    refused = younium.change(change="post_into_closed_period", period="2024-04")
    assert refused.status_code == 400 and "Open" in refused.json()["error"]


def test_reopening_a_period_modifies_no_journal(younium: Younium) -> None:
    details = younium.all("/Journals/JournalDetails")
    reply = younium.change(change="reopen_period", period="2024-02")
    assert reply.json()["status"] == "Open"
    assert younium.get("/Journals/JournalDetails", ModifiedAfter=_latest(details)).status_code == 400
    for journal in younium.all("/Journals/JournalDetails"):
        period = journal["accountingPeriod"]
        assert (period["status"] == "Open") == (period["description"] == "2024-02")
        assert "closedDate" not in period or period["status"] == "Closed"
    assert younium.change(change="reopen_period", period="2024-02").status_code == 400
    assert younium.change(change="reopen_period", period="2024-02", extra="x").status_code == 400


def test_expectations_match_the_listing(younium: Younium) -> None:
    younium.change(change="post_into_closed_period", period="2024-05")
    younium.change(change="reopen_period", period="2024-06")
    journals = younium.all("/Journals")
    expected = younium.sandbox.expected()["younium"]
    types = [j["journalType"] for j in journals]
    assert expected["journals"]["rows"] == len(journals)
    assert expected["journals"]["by_type"] == {
        t: types.count(t) for t in ("Invoice", "RevenueRecognition", "Payment", "Payout", "Order")
    }
    vouchers = [(j, v) for j in journals for v in j["vouchers"]]
    lines = [(j, t) for j, v in vouchers for t in v["transactions"]]
    assert expected["accounting_transactions"] == {"rows": len(vouchers)}
    debit, credit = (sum(Decimal(t[k]) for _, t in lines) for k in ("debitAmount", "creditAmount"))
    assert expected["accounting_transaction_lines"] == {"rows": len(lines), "debit": str(debit), "credit": str(credit)}
    assert debit == credit
    for table, path in zip(("currencies", "exchange_rates", "chart_of_accounts"), CHARTED, strict=True):
        assert expected[table] == {"rows": len(younium.all(path))}
    periods = {}
    for journal in younium.all("/Journals/JournalDetails"):
        p = journal["accountingPeriod"]
        periods[(p["fiscalYear"], p["fiscalPeriod"])] = p["status"]
    facts = expected["accounting_periods"]
    assert facts["rows"] == len(periods)
    assert facts["periods"] == [
        {"fiscalYear": y, "fiscalPeriod": m, "status": s} for (y, m), s in sorted(periods.items())
    ]
    assert facts["by_status"] == {s: list(periods.values()).count(s) for s in ("Open", "Closed")}
    balance: dict[tuple[int, int, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for journal, line in lines:
        p = journal["accountingPeriod"]
        sums = balance[(p["fiscalYear"], p["fiscalPeriod"], line["account"])]
        sums[0] += Decimal(line["debitAmount"])
        sums[1] += Decimal(line["creditAmount"])
    assert expected["trial_balance"] == [
        {"fiscalYear": y, "fiscalPeriod": m, "account": a, "debit": str(d), "credit": str(c)}
        for (y, m, a), (d, c) in sorted(balance.items())
    ]


def test_equal_seeds_and_changes_serve_byte_identical_ledgers() -> None:
    def run(seed: int) -> list[bytes]:
        younium = Younium(Sandbox(SandboxConfig(seed=seed), clock=Clock()))
        younium.change(change="post_into_closed_period", period="2024-03")
        pages = [younium.get(p, PageSize=7, PageNumber=2).content for p in ("/Journals", "/Journals/JournalDetails")]
        pages += [younium.get(p).content for p in CHARTED]
        journal = younium.sandbox.younium.dataset.gl.journals()[1]
        return [*pages, younium.get(f"/Journals/{journal.id}").content]

    first, second, other = run(7), run(7), run(8)
    assert first == second
    assert first[0] != other[0] and first[-1] != other[-1]
