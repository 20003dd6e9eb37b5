"""The Younium tenant's billing steps, which change several of its stores at once: taking drafts into an
invoice batch, posting it (or a draft on its own), deleting a batch not yet posted, cancelling, crediting
and paying an invoice, each posting journaled into the general ledger as it happens (`younium.gl`). And
what an invoice owes, which its status, its lines and its payment decide together.

Each store keeps its own data and the rules about it (`younium.invoices`, `younium.lines`,
`younium.batches`, `younium.payments`, `younium.gl`) and none reaches into another: what spans them is
here, in one place. The seeded history (`younium.history`) is told with these steps, and the batch jobs
(`younium.tenant`) and the changes by hand (`younium.edits`) take them too; who may take which step,
and when, is theirs to say.

An invoice's settled amount is what its payment settled; its balance what is still owed: the total less
that, negative for a credit note (a credit the customer holds), and nothing for a cancelled invoice.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..kernel.formats import day_of
from .batches import BatchStore
from .gl import GeneralLedger
from .invoices import InvoiceStore
from .lines import LineStore
from .payments import PaymentStore
from .seed import CANCELLED, POSTED, RATES_E4, SETTLED, InvoiceBatch, Payment, invoice_number, to_base


class Billing:
    """The billing steps over one tenant's stores (the dataset's)."""

    def __init__(
        self, invoices: InvoiceStore, lines: LineStore, batches: BatchStore, payments: PaymentStore, gl: GeneralLedger
    ) -> None:
        self.invoices = invoices
        self.lines = lines
        self.batches = batches
        self.payments = payments
        self.gl = gl

    # -- where an invoice stands -----------------------------------------------------------------------

    def batch_of(self, n: int) -> InvoiceBatch | None:
        """The invoice batch that took invoice `n`, if one did."""
        return self.batches.numbered(self.invoices.batch(n))

    def is_credit(self, n: int) -> bool:
        """Whether a reader must count the document as a credit: its type is Credit or its total negative."""
        return self.invoices.invoice_type(n) == "Credit" or self.lines.totals(n).total < 0

    def balance(self, n: int) -> tuple[int, int]:
        """(balancedAmount, balancedBaseAmount) in cents: what is still owed (negative for a credit the
        customer holds); nothing for a cancelled invoice."""
        if self.invoices.status(n) == CANCELLED:
            return 0, 0
        totals, (settled, settled_base) = self.lines.totals(n), self.payments.settled(n)
        return totals.total - settled, totals.total_base - settled_base

    def days_past_due(self, n: int, now: int) -> int:
        """Days since the due date, on the tenant's clock (`now`), while the invoice is posted and owed;
        else 0."""
        if self.invoices.status(n) != POSTED or self.balance(n)[0] <= 0:
            return 0
        return max(0, day_of(now) - self.invoices.due_day(n))

    # -- invoice batches -------------------------------------------------------------------------------

    def add_batch(
        self, number: int, invoices: Iterable[int], target_day: int, invoice_day: int | None, at: int
    ) -> InvoiceBatch:
        """Batch `number` (reserved when its job started), created `at`: it takes the drafts `invoices`,
        dated `invoice_day` when the job set one, for the batch groups of their accounts."""
        numbers = tuple(invoices)
        groups = {self.invoices.account(n).group.code for n in numbers}
        batch = self.batches.add(number, numbers, target_day, invoice_day, groups, at)
        for n in numbers:
            self.invoices.set_batch(n, batch)
        return batch

    def post_batch(self, batch: InvoiceBatch, at: int) -> None:
        """Post every invoice of `batch` at `at`: one journal, a voucher each."""
        self.batches.post(batch, at)
        for n in batch.invoices:
            self.invoices.set_status(n, POSTED, at)
        self.gl.post_invoices(batch.invoices, at, f"Invoice batch {batch.batch_number}")

    def delete_batch(self, batch: InvoiceBatch) -> None:
        """Batch `batch` (not posted) no longer exists: its invoices are outside any batch again, dated as
        they were."""
        self.batches.drop(batch)
        for n in batch.invoices:
            self.invoices.clear_batch(n, batch)

    # -- one invoice -----------------------------------------------------------------------------------

    def post(self, n: int, at: int) -> None:
        """Post draft `n` on its own at `at`: a journal of its own."""
        self.invoices.set_status(n, POSTED, at)
        self.gl.post_invoices([n], at, f"Invoice {invoice_number(n)} posted")

    def cancel(self, n: int, at: int) -> None:
        """Cancel posted invoice `n` at `at`: a journal reversing its posting."""
        self.invoices.set_status(n, CANCELLED, at)
        self.gl.cancel(n, at)

    def credit(self, original: int, at: int, invoice_day: int, typed_invoice: bool = False) -> int:
        """A posted credit note of all of `original`'s lines, created at `at` and dated `invoice_day`; an
        order change's (`typed_invoice`) carries invoiceType Invoice. The original is left as it was. Part
        of the seeded history: the note is numbered after every invoice so far, before the listing order
        is sealed. Its number."""
        n = self.invoices.add_credit_note(original, at, invoice_day, typed_invoice)
        self.gl.post_invoices([n], at, f"Credit note {invoice_number(n)}")
        return n

    def pay(self, n: int, at: int, batch: int, amount: int | None = None) -> Payment:
        """A payment of posted invoice `n` (of invoice batch `batch`) at `at`: of its total (it is Settled),
        or of `amount` cents of it (it stays Posted); either way the invoice is modified then."""
        totals = self.lines.totals(n)
        if amount is None:
            amount, amount_base = totals.total, totals.total_base
            self.invoices.set_status(n, SETTLED, at)
        else:
            amount_base = to_base(amount, RATES_E4[self.invoices.account(n).currency])
            self.invoices.set_modified(n, at)
        payment = self.payments.add(n, at, batch, amount, amount_base)
        self.gl.add_payment(payment)
        return payment
