"""What the Younium tenant's invoices owe: payments (in full or in part), cancellations, credit notes and
how far past due an invoice is. Mixed into `YouniumDataset`, whose overlay it reads and extends; the
stories the seeded history tells with it are in `younium.history`.

An invoice's settled amount is what its payment settled; its balance what is still owed: the total less
that, negative for a credit note (a credit the customer holds), and nothing for a cancelled invoice.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

from ..kernel.formats import day_of
from .gl import GeneralLedger
from .payments import PaymentStore
from .seed import (
    CANCELLED,
    POSTED,
    RATES_E4,
    SETTLED,
    Account,
    Payment,
    Totals,
    YouniumSeed,
    invoice_number,
    to_base,
)


class InvoiceLedger:
    """Payments, credit notes and balances, over the dataset's per-invoice overlay."""

    seeded: YouniumSeed
    payments: PaymentStore
    gl: GeneralLedger
    _status: bytearray
    _now: int
    _ids: list[str]
    _invoice_accounts: array[int]
    _invoice_day: dict[int, int]
    _credited: dict[int, int]  # credit note -> the invoice it credits
    _credit_note: dict[int, int]  # invoice -> its credit note
    _typed_invoice: set[int]  # credit notes an order change generated: invoiceType Invoice

    if TYPE_CHECKING:

        def totals(self, n: int) -> Totals: ...
        def invoice_account(self, n: int) -> Account: ...
        def invoice_day(self, n: int) -> int: ...
        def set_invoice_status(self, n: int, status: int, at: int) -> None: ...
        def set_modified(self, n: int, at: int) -> None: ...
        def _append_invoice(self, invoice_id: str, account: int, created: int, status: int) -> int: ...

    # -- types and links -------------------------------------------------------------------------------

    def invoice_type(self, n: int) -> str:
        """`Credit` for the credit notes of the Credit action; `Invoice` for everything else, the credit
        notes an order change generated (with negative totals) included."""
        return "Credit" if n in self._credited and n not in self._typed_invoice else "Invoice"

    def is_credit(self, n: int) -> bool:
        """Whether a reader must count the document as a credit: its type is Credit or its total negative."""
        return self.invoice_type(n) == "Credit" or self.totals(n).total < 0

    def credited(self, n: int) -> int | None:
        """The invoice that credit note `n` credits."""
        return self._credited.get(n)

    def credit_note(self, n: int) -> int | None:
        """The credit note of invoice `n`."""
        return self._credit_note.get(n)

    def credit_notes(self) -> list[int]:
        return sorted(self._credited)

    # -- what is owed ----------------------------------------------------------------------------------

    @property
    def now(self) -> int:
        """The tenant's clock: the time of its latest event."""
        return self._now

    def due_day(self, n: int) -> int:
        """The due date (ordinal): the invoice date plus the account's payment terms."""
        return self.invoice_day(n) + self.invoice_account(n).term.days

    def balance(self, n: int) -> tuple[int, int]:
        """(balancedAmount, balancedBaseAmount) in cents: what is still owed (negative for a credit the
        customer holds); nothing for a cancelled invoice."""
        if self._status[n] == CANCELLED:
            return 0, 0
        totals, (settled, settled_base) = self.totals(n), self.payments.settled(n)
        return totals.total - settled, totals.total_base - settled_base

    def days_past_due(self, n: int) -> int:
        """Days since the due date, on the tenant's clock, while the invoice is posted and owed; else 0."""
        if self._status[n] != POSTED or self.balance(n)[0] <= 0:
            return 0
        return max(0, day_of(self._now) - self.due_day(n))

    # -- changes (made by the seeded history) ----------------------------------------------------------

    def pay(self, n: int, at: int, batch: int, amount: int | None = None) -> Payment:
        """A payment of posted invoice `n` at `at`: of its total (it is Settled), or of `amount` cents of it
        (it stays Posted); either way the invoice is modified then."""
        totals = self.totals(n)
        if amount is None:
            amount, amount_base = totals.total, totals.total_base
            self.set_invoice_status(n, SETTLED, at)
        else:
            amount_base = to_base(amount, RATES_E4[self.invoice_account(n).currency])
            self.set_modified(n, at)
        payment = self.payments.add(n, at, batch, amount, amount_base)
        self.gl.add_payment(payment)
        return payment

    def add_credit(self, original: int, at: int, invoice_day: int, typed_invoice: bool = False) -> int:
        """A posted credit note of all of `original`'s lines, created at `at` and dated `invoice_day`; an
        order change's (`typed_invoice`) carries invoiceType Invoice. Part of the seeded history: it is
        numbered after every invoice so far, before the listing order is drawn up."""
        account = self._invoice_accounts[original]
        n = self._append_invoice(self.seeded.invoice_id(len(self._ids)), account, at, POSTED)
        self._invoice_day[n] = invoice_day
        self._credited[n], self._credit_note[original] = original, n
        if typed_invoice:
            self._typed_invoice.add(n)
        self.gl.post_invoices([n], at, f"Credit note {invoice_number(n)}")
        return n
