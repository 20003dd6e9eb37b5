"""The Younium tenant's general ledger: chart of accounts, currencies and rates, accounting periods, and the
journals that posting invoices and payments writes, kept by the dataset (`YouniumDataset.gl`) beside its
invoices. JSON records are `younium.gl_records`'; the routes `younium`'s.

**Accounts.** `ACCOUNTS` is the chart: receivables 1510, bank 1930 and bank fees 6570 (what invoices and
payments embed, same names), each product's revenue (3011…3090) and deferred revenue (2971…2979) account
(named as the invoice lines embed them), output VAT per Swedish rate (2611 25%, 2621 12%, 2631 6%) and
rounding 3740.

**Journals** are written when something is posted, and never change afterwards except by gaining vouchers:

- a batch post (seeded, or a post job), a draft posted on its own (`set_status` Posted) and a credit note
  posted each make one `Invoice` journal, one voucher (`source` Invoicing) per invoice: debit receivables
  its `totalBaseAmount`, credit each line's revenue account its `subtotalBaseAmount` (a negative amount,
  a discount line's, goes to the other side), credit VAT per rate the tax base, and a rounding line for
  whatever the base parts miss of the total (none with this data: invoice base amounts are the sums of
  their lines'). A credit note's amounts are negative, so its voucher is the mirror: credit receivables,
  debit revenue and VAT.
- a cancellation makes its own `Invoice` journal: one voucher reversing the invoice's posting voucher, on
  the day it was cancelled; the original journal is left as it was;
- payments are grouped into one `Payment` journal per payment batch (`PB-…`, the invoice batch of the
  invoice paid) and accounting period: each payment is a voucher (`source` Payment, `paymentId`, and the
  settled invoice's references: a payment has one settlement, which has no id in the payment's record,
  so `paymentSettlementId` is a uuid drawn from the payment's, `younium.extras`): debit the bank, credit
  receivables, in base currency. A part payment
  made later in the same month joins its batch's journal as a voucher of its own, moving the journal's
  `modified` but not its other vouchers': a journal listed with ModifiedAfter may carry only some of
  them;
- `post_into_closed_period` adds a manual correction (see below).

Every voucher balances exactly (debits = credits, in base and in sales currency). Debit and credit are in
the base currency (SEK), `salesCurrency…` in the document's currency at its `exchangeRate` (`RATES_E4`).
A voucher's `created` and `modified` are when it was posted; a journal's `created` is its first
voucher's, its `modified` its latest voucher's, and `postedDate` its `created`. Journals are numbered
`JNL-00001`… in the order they were created (the seeded history's sorted once it is told); a voucher's
`transactionNumber` is `<journal number>-<position>` (`JNL-00004-0012`), its position fixed once written.

**Accounting periods** are calendar months (fiscal year = calendar year). A journal belongs to the period
of its vouchers' effective date, the day they were posted. Months before the last two of the tenant's
clock are Closed, closed on the 5th of the following month at 15:00 UTC; the others Open. `reopen_period`
opens a closed one for good (closedDate null), `close_period` closes an open one now;
`post_into_closed_period` reopens one, posts a correction journal into it (effective on its last day,
created now: an incremental reader sees it) and closes it again (closedDate now). Journals embed their
period's state as it is when read: a period opened or closed does not change any journal's `modified`
(the facts' trap 5).

Everything here is computed from the seed and the stores (invoice lines and totals, which posting freezes),
so equal seeds and equal changes give equal journals. The list routes take the Younium list faults
(`nothing_found`; `modify`, which changes invoices, not journals).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from ..kernel.formats import DAY, HOUR, day_of, start_of_day
from .seed import BASE_CURRENCY, PRODUCTS, RATES_E4, Payment, YouniumSeed, invoice_number
from .window import Window

if TYPE_CHECKING:
    from .invoices import InvoiceStore
    from .lines import LineStore

RECEIVABLES, BANK, BANK_FEES, ROUNDING = "1510", "1930", "6570", "3740"
VAT_ACCOUNTS = {25: "2611", 12: "2621", 6: "2631"}
# (code, name, description), by code: what the chart of accounts lists.
ACCOUNTS: tuple[tuple[str, str, str], ...] = tuple(
    sorted(
        {
            (RECEIVABLES, "Kundfordringar", "Accounts receivable"),
            (BANK, "Företagskonto", "Bank account"),
            (BANK_FEES, "Bankkostnader", "Bank fees"),
            ("2611", "Utgående moms på försäljning inom Sverige, 25 %", "Output VAT 25%"),
            ("2621", "Utgående moms på försäljning inom Sverige, 12 %", "Output VAT 12%"),
            ("2631", "Utgående moms på försäljning inom Sverige, 6 %", "Output VAT 6%"),
            (ROUNDING, "Öres- och kronutjämning", "Rounding"),
            *((p.recognized["code"], p.recognized["name"], p.recognized["description"]) for p in PRODUCTS),
            *((p.deferred["code"], p.deferred["name"], p.deferred["description"]) for p in PRODUCTS),
        }
    )
)
# (code, description) of the tenant's currencies, the base currency first.
CURRENCIES = (("SEK", "Svensk krona"), ("NOK", "Norsk krone"), ("EUR", "Euro"), ("USD", "US dollar"))
RATES_FROM = date(2024, 1, 1).toordinal()  # when the fixed rates took effect (before the first invoice)
JOURNAL_TYPES = ("Invoice", "RevenueRecognition", "Payment", "Payout", "Order")
OPEN, CLOSED = "Open", "Closed"
# What a voucher is.
POST, REVERSE, PAYMENT, CORRECTION = "post", "reverse", "payment", "correction"
# A subscription charge's invoicing and its revenue recognised (`younium.revenue`): lines made by the poster.
BILL, RECOGNISE = "bill", "recognise"
SOURCES = {
    POST: "Invoicing",
    REVERSE: "Invoicing",
    PAYMENT: "Payment",
    CORRECTION: "Invoicing",
    BILL: "Invoicing",
    RECOGNISE: "RevenueRecognition",
}
# A correction moves revenue from the first account to the second.
CORRECTION_ACCOUNTS = ("3011", "3012")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class GLLine(NamedTuple):
    """One transaction line; amounts signed, debit positive: base (SEK) cents, then sales-currency cents."""

    account: str
    description: str
    base: int
    sales: int
    currency: str
    rate_e4: int


class Posting(NamedTuple):
    """A voucher whose lines its poster made (`younium.revenue`): the lines, and the references (voucher
    member, value) it carries."""

    lines: tuple[GLLine, ...]
    references: tuple[tuple[str, str], ...]


class Voucher(NamedTuple):
    at: int  # when it was posted (created = modified), ms
    day: int  # effective date, ordinal
    kind: str  # POST, REVERSE, PAYMENT, CORRECTION, BILL or RECOGNISE
    invoice: int = 0  # the invoice posted, reversed or paid
    payment: Payment | None = None
    amount: int = 0  # a correction's, cents (SEK)
    posting: Posting | None = None  # BILL's and RECOGNISE's


@dataclass
class Journal:
    key: tuple[Any, ...]
    journal_type: str
    month: int  # the accounting period: year * 12 + month - 1
    description: str
    vouchers: list[Voucher] = field(default_factory=list)
    number: int = 0
    id: str = ""

    @property
    def journal_number(self) -> str:
        return f"JNL-{self.number:05d}"

    @property
    def created(self) -> int:
        return self.vouchers[0].at

    @property
    def modified(self) -> int:
        return self.vouchers[-1].at

    def transaction_number(self, position: int) -> str:
        """The `transactionNumber` of the voucher at `position` (0-based)."""
        return f"{self.journal_number}-{position + 1:04d}"


def month_of(day: int) -> int:
    d = date.fromordinal(day)
    return d.year * 12 + d.month - 1


def month_days(month: int) -> tuple[int, int]:
    """(first day, last day) of a month, ordinals."""
    year, m = divmod(month, 12)
    first = date(year, m + 1, 1).toordinal()
    following = date(year + (m + 1) // 12, (m + 1) % 12 + 1, 1).toordinal()
    return first, following - 1


def period_name(month: int) -> str:
    year, m = divmod(month, 12)
    return f"{year:04d}-{m + 1:02d}"


class GeneralLedger:
    """The journals and the periods' state. The billing steps record postings here as they happen
    (`younium.billing`, under the dataset's lock); `seal` numbers the seeded history's journals once it is
    told."""

    def __init__(self, seeded: YouniumSeed) -> None:
        self.seeded = seeded
        self._journals: list[Journal] = []  # in number order, once sealed
        self._by_key: dict[tuple[Any, ...], Journal] = {}
        self._by_id: dict[str, Journal] = {}
        self._sealed = False
        self._periods: dict[int, int | None] = {}  # month -> closedDate (None: Open), where a change set it
        self.corrections = 0

    # -- recording -------------------------------------------------------------------------------------

    def _add(self, key: tuple[Any, ...], journal_type: str, description: str, voucher: Voucher) -> Journal:
        journal = self._by_key.get(key)
        if journal is None:
            journal = self._by_key[key] = Journal(key, journal_type, month_of(voucher.day), description)
            self._journals.append(journal)
            if self._sealed:
                self._number(journal, len(self._journals))
        journal.vouchers.append(voucher)
        return journal

    def _number(self, journal: Journal, number: int) -> None:
        journal.number = number
        journal.id = self.seeded.uuid(b"journal", number)
        self._by_id[journal.id] = journal

    def seal(self) -> None:
        """Number the journals recorded so far by when they were created, their vouchers by when posted."""
        for journal in self._journals:
            journal.vouchers.sort(key=lambda v: (v.at, v.invoice))
        self._journals.sort(key=lambda j: (j.created, j.journal_type, j.key))
        for number, journal in enumerate(self._journals, start=1):
            self._number(journal, number)
        self._sealed = True

    def reseal(self) -> None:
        """Number every journal again by when it was created: once the subscription story's postings, dated
        within the seeded history, joined it."""
        self._by_id.clear()
        self.seal()

    def post_revenue(
        self,
        kind: str,
        key: tuple[Any, ...],
        journal_type: str,
        description: str,
        at: int,
        day: int,
        posting: Posting,
        invoice: int = 0,
    ) -> None:
        """A voucher of `younium.revenue` (`kind` BILL or RECOGNISE) in the journal `key` names; a billing's
        names the invoice it posts (`invoice`)."""
        self._add((kind, *key), journal_type, description, Voucher(at, day, kind, invoice, posting=posting))

    def post_invoices(self, invoices: Sequence[int], at: int, description: str) -> None:
        """Invoices posted together at `at`: one journal, a voucher each."""
        for n in invoices:
            self._add((POST, at), "Invoice", description, Voucher(at, day_of(at), POST, n))

    def cancel(self, n: int, at: int) -> None:
        description = f"Cancellation of invoice {invoice_number(n)}"
        self._add((REVERSE, at, n), "Invoice", description, Voucher(at, day_of(at), REVERSE, n))

    def add_payment(self, payment: Payment) -> None:
        day = day_of(payment.paid)
        description = f"Payment batch PB-{payment.batch:05d}, {period_name(month_of(day))}"
        voucher = Voucher(payment.paid, day, PAYMENT, payment.invoice, payment)
        self._add((PAYMENT, payment.batch, month_of(day)), "Payment", description, voucher)

    # -- reading ---------------------------------------------------------------------------------------

    def journals(self) -> list[Journal]:
        return self._journals

    def journal(self, journal_id: str) -> Journal | None:
        return self._by_id.get(journal_id.strip().lower())

    def journals_in(self, window: Window) -> list[Journal]:
        """Journals modified within `window`, in (modified, id) order."""
        found = [j for j in self._journals if window.contains(j.modified)]
        return sorted(found, key=lambda j: (j.modified, j.id))

    def period_state(self, month: int, now: int) -> tuple[str, int | None]:
        """(status, closedDate in ms or None) of a month, on the tenant's clock `now`."""
        if month in self._periods:
            closed = self._periods[month]
            return (OPEN, None) if closed is None else (CLOSED, closed)
        if month <= month_of(day_of(now)) - 2:
            return CLOSED, start_of_day(month_days(month)[1] + 1) + 4 * DAY + 15 * HOUR
        return OPEN, None

    # -- changes (a user's, by hand) -------------------------------------------------------------------

    def closed_month(self, period: str, now: int) -> int:
        """The month `period` ("YYYY-MM") names, which must be Closed; ValueError otherwise."""
        return self._month(period, now, CLOSED, "reopened")

    def open_month(self, period: str, now: int) -> int:
        """The month `period` ("YYYY-MM") names, which must be Open; ValueError otherwise."""
        return self._month(period, now, OPEN, "closed")

    def _month(self, period: str, now: int, status: str, doing: str) -> int:
        match = _PERIOD.match(period.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"period {period!r}: expected YYYY-MM")
        month = int(match.group(1)) * 12 + int(match.group(2)) - 1
        if self.period_state(month, now)[0] != status:
            state = CLOSED if status == OPEN else OPEN
            raise ValueError(
                f"accounting period {period_name(month)} is {state}: only an {status} period can be {doing}"
            )
        return month

    def reopen(self, month: int) -> None:
        self._periods[month] = None

    def close(self, month: int, at: int) -> None:
        self._periods[month] = at

    def correct(self, month: int, at: int) -> Journal:
        """A manual correction posted into `month` at `at`: revenue moved between two accounts."""
        self.corrections += 1
        d = self.seeded.digest(b"correction", self.corrections)
        amount = (100 + int.from_bytes(d[:2], "little") % 9900) * 100
        source, target = CORRECTION_ACCOUNTS
        voucher = Voucher(at, month_days(month)[1], CORRECTION, amount=amount)
        description = f"Manual correction {self.corrections}: revenue {source} moved to {target}"
        return self._add((CORRECTION, self.corrections), "Invoice", description, voucher)


def voucher_lines(invoices: InvoiceStore, lines: LineStore, voucher: Voucher) -> list[GLLine]:
    """The transaction lines of a voucher, computed from the invoice (or payment) it posts."""
    if voucher.posting is not None:
        return list(voucher.posting.lines)
    if voucher.kind == CORRECTION:
        source, target = CORRECTION_ACCOUNTS
        description = "Manual correction"
        return [
            GLLine(source, description, voucher.amount, voucher.amount, BASE_CURRENCY, RATES_E4[BASE_CURRENCY]),
            GLLine(target, description, -voucher.amount, -voucher.amount, BASE_CURRENCY, RATES_E4[BASE_CURRENCY]),
        ]
    n = voucher.invoice
    currency = invoices.account(n).currency
    rate = RATES_E4[currency]
    number = invoice_number(n)
    payment = voucher.payment
    if payment is not None:
        text = f"Payment of invoice {number}"
        return [
            GLLine(BANK, text, payment.amount_base, payment.amount, currency, rate),
            GLLine(RECEIVABLES, text, -payment.amount_base, -payment.amount, currency, rate),
        ]
    sign = 1 if voucher.kind == POST else -1
    invoice_lines = lines.of(n)
    totals = lines.totals(n, invoice_lines)
    out = [GLLine(RECEIVABLES, f"Invoice {number}", sign * totals.total_base, sign * totals.total, currency, rate)]
    vat: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in invoice_lines:
        amounts = line.amounts
        code = line.product.recognized["code"]
        out.append(
            GLLine(code, line.product.name, -sign * amounts.subtotal_base, -sign * amounts.subtotal, currency, rate)
        )
        if amounts.tax:
            vat[line.tax_rate][0] += amounts.tax_base
            vat[line.tax_rate][1] += amounts.tax
    for tax_rate in sorted(vat, reverse=True):
        base, sales = vat[tax_rate]
        out.append(
            GLLine(VAT_ACCOUNTS[tax_rate], f"Utgående moms {tax_rate} %", -sign * base, -sign * sales, currency, rate)
        )
    rest_base, rest_sales = sum(x.base for x in out), sum(x.sales for x in out)
    if rest_base or rest_sales:
        out.append(GLLine(ROUNDING, "Öresavrundning", -rest_base, -rest_sales, currency, rate))
    return out
