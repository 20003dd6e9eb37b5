"""The Younium dataset: accounts, invoices and their lines, invoice batches and payments, linked and seeded.

What never changes comes from the seed (`younium.seed`), drawn when asked for, so equal seeds give
byte-identical pages. Invoices change in place (batch jobs take drafts into batches and post them;
`advance` edits drafts; `younium.edits` deletes drafts, removes their lines, posts or cancels invoices,
deletes accounts and unposted batches), so this keeps an overlay per invoice (`OverlayChanges`): status,
batch, `modified` time, which lines were edited by how much or removed, and whether it was deleted.
Invoices are listed in (modified, id) order from an index each change keeps sorted, which makes any page
of tens of thousands of invoices a slice away.

Time is the tenant's own: the seeded history starts on 2024-01-02, and each later event (an `advance`, a
job finishing, a change) happens an hour after the previous one, so `modified` only ever moves forward and
equal sequences of events give equal data. Times are integer milliseconds since 1970-01-01 UTC.

How the seeded history looks (`younium.history` tells it in full): the oldest ~70% of the invoices were
invoiced in `batches` invoice batches, all posted except the newest; a quarter of the posted invoices
were paid in full, one payment each. Of the rest, 3% of the posted invoices were cancelled after posting
(they owe nothing), 3% were credited in full by a credit note each (a separate Posted invoice record with
negated lines, `invoiceType` Credit, except one or two auto-generated ones typed Invoice with negative
totals; `GET /Invoices/{id}/RelatedInvoices` links the pair), and 2% were partly paid. Unpaid posted
invoices fall past due (`daysPastDue`, on the tenant's clock). The newest invoices are drafts outside
any batch, waiting for the next generate job.

Whatever is posted (a batch, a draft on its own, a credit note, a cancellation, a payment) is journaled
as it happens into the general ledger, `gl` (`younium.gl`), so later postings appear as new journals.

Numbering: invoices 1..`invoices` are the seeded invoices (their facts a function of the number); the
seeded credit notes follow them (numbers `invoices`+1.., in the order they were created), and invoices
that `advance` adds come after those. Every number, whatever it is, has the same overlay entries, and
appears once in the (modified, id) order, so a page stays a slice of it; a deleted invoice keeps its
number but leaves that order and the id index (`live_invoices` are the numbers left).
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections.abc import Iterable

from ..kernel.formats import HOUR, day_of
from .accounts import AccountStore
from .batches import BatchStore
from .catalogue import Catalogue, catalogue_size
from .gl import GeneralLedger
from .history import seed_history
from .ledger import InvoiceLedger
from .overlay import EVENT_STEP, OverlayChanges
from .payments import PaymentStore
from .seed import (
    CANCELLED,
    DRAFT,
    FIRST_CREATED,
    INVOICE_SPACING,
    POSTED,
    RATES_E4,
    SETTLED,
    SPREAD,
    STATUS_NAMES,
    Account,
    InvoiceBatch,
    Line,
    Segment,
    Totals,
    YouniumSeed,
    line_amounts,
    negated,
    segment_of,
    sum_totals,
)
from .window import Window

__all__ = ["CANCELLED", "DRAFT", "EVENT_STEP", "POSTED", "SETTLED", "STATUS_NAMES", "Window", "YouniumDataset"]


class YouniumDataset(InvoiceLedger, OverlayChanges):
    """A seeded Younium tenant (what its invoices owe: `InvoiceLedger`; how its overlay changes, deletions
    included: `OverlayChanges`). Thread-safe: the server reads pages while tests advance it (`lock`)."""

    def __init__(
        self, seed: int = 7, accounts: int = 50, invoices: int = 600, lines_per_invoice: int = 5, batches: int = 4
    ) -> None:
        if accounts < 1 or invoices < 0 or lines_per_invoice < 1 or batches < 0:
            raise ValueError("accounts and lines_per_invoice must be >= 1, invoices and batches >= 0")
        self.seed = seed
        self.seeded = YouniumSeed(seed)
        self.batch_groups = self.seeded.batch_groups
        self.legal_entity_id = self.seeded.legal_entity_id
        self.lines_per_invoice = lines_per_invoice
        self.lock = threading.RLock()
        self.accounts = AccountStore(self.seeded, accounts)
        self._init_removals()
        # The overlay on the seeded invoices, indexed by invoice number (0 unused).
        self._spacing = max(INVOICE_SPACING, SPREAD // max(invoices, 1))
        self._invoice_segments = [Segment(1, FIRST_CREATED, self._spacing, accounts)]
        self._ids: list[str] = [""]
        self._invoice_accounts = array("l", [0])
        self._created = array("q", [0])
        self._status = bytearray(1)
        self._batch = array("l", [0])
        self._modified = array("q", [0])
        self._invoice_day: dict[int, int] = {}  # invoice dates a generate job (or a credit note) set
        self._edits: dict[tuple[int, int], tuple[int, int]] = {}  # (invoice, line) -> (extra quantity, modified)
        self._totals: dict[int, Totals] = {}
        self._reserved: set[int] = set()  # taken by a generate job that has not finished
        self._by_id: dict[str, int] = {}
        self._credited: dict[int, int] = {}  # credit note -> the invoice it credits
        self._credit_note: dict[int, int] = {}  # invoice -> its credit note
        self._typed_invoice: set[int] = set()  # credit notes an order change generated: invoiceType Invoice
        self._add_invoices(invoices)
        self.batches = BatchStore(self.seeded, self.lock)
        self.payments = PaymentStore(self.seeded, self.lock)
        self.gl = GeneralLedger(self.seeded)  # the journals postings write (younium.gl)
        self.catalogue = Catalogue(
            self.seeded, catalogue_size(accounts), self.lock
        )  # GET /Products (younium.catalogue)
        seed_history(self, batches)
        self.gl.seal()
        self.payments.seal()
        self._order = sorted(range(1, self.invoices_count + 1), key=self._order_key)
        latest = max([FIRST_CREATED, *self._modified[1:], self.payments.last_paid()])
        self._now = latest - latest % HOUR + HOUR
        self.advances = 0  # how many times `advance` or a `modify` fault changed the tenant (see younium.changes)

    # -- the seeded history ----------------------------------------------------------------------------

    def _add_invoices(self, count: int) -> None:
        for n in range(len(self._ids), len(self._ids) + count):
            segment = segment_of(self._invoice_segments, n)
            invoice_id, account, created = self.seeded.invoice(n, segment.created_from(n), segment.accounts)
            self._append_invoice(invoice_id, self.accounts.nearest_live(account, segment.accounts), created, DRAFT)

    def _append_invoice(self, invoice_id: str, account: int, created: int, status: int) -> int:
        n = len(self._ids)
        self._ids.append(invoice_id)
        self._by_id[invoice_id] = n
        self._invoice_accounts.append(account)
        self._created.append(created)
        self._status.append(status)
        self._batch.append(0)
        self._modified.append(created)
        return n

    # -- invoices --------------------------------------------------------------------------------------

    @property
    def invoices_count(self) -> int:
        return len(self._ids) - 1

    def invoice_id(self, n: int) -> str:
        return self._ids[n]

    def find_invoice(self, invoice_id: str) -> int | None:
        """The number of the invoice with this id."""
        return self._by_id.get(invoice_id.strip().lower())

    def status_code(self, n: int) -> int:
        """DRAFT, POSTED, SETTLED or CANCELLED."""
        return self._status[n]

    def invoice_status(self, n: int) -> str:
        return STATUS_NAMES[self._status[n]]

    def invoice_batch(self, n: int) -> InvoiceBatch | None:
        return self.batches.numbered(self._batch[n])

    def invoice_account(self, n: int) -> Account:
        return self.accounts.numbered(self._invoice_accounts[n])

    def invoice_day(self, n: int) -> int:
        """The invoice date (ordinal): the day it was created, unless a generate job (or a credit note's
        `creditInvoiceDate`) set another."""
        return self._invoice_day.get(n) or day_of(self._created[n])

    def created(self, n: int) -> int:
        return self._created[n]

    def modified(self, n: int) -> int:
        return self._modified[n]

    def line_id(self, n: int, k: int) -> str:
        return self.seeded.line_id(n, k)

    def lines(self, n: int) -> list[Line]:
        """Invoice `n`'s lines as they are now (a credit note's: the credited lines, negated)."""
        original = self._credited.get(n)
        if original is not None:
            return [
                line._replace(
                    quantity=-line.quantity,
                    amounts=negated(line.amounts),
                    modified=self._created[n],
                    id=self.line_id(n, line.number),
                )
                for line in self.lines(original)
            ]
        account = self.invoice_account(n)
        rate = RATES_E4[account.currency]
        lines = []
        for k in self.line_numbers(n):
            seeded = self.seeded.line(n, k, account.vat)
            quantity, modified = seeded.quantity, self._created[n]
            edit = self._edits.get((n, k))
            if edit is not None:
                quantity, modified = quantity + edit[0], edit[1]
            amounts = line_amounts(quantity, seeded.price, seeded.tax_rate, rate)
            line_id = self.line_id(n, k)
            lines.append(
                Line(
                    k,
                    seeded.digest,
                    seeded.product,
                    quantity,
                    seeded.price,
                    seeded.tax_rate,
                    amounts,
                    modified,
                    line_id,
                )
            )
        return lines

    def totals(self, n: int, lines: Iterable[Line] | None = None) -> Totals:
        """Invoice `n`'s amounts, the sums of its lines' (`lines`, when the caller has them already)."""
        cached = self._totals.get(n)
        if cached is None:
            cached = self._totals[n] = sum_totals(line.amounts for line in (lines or self.lines(n)))
        return cached

    def _order_key(self, n: int) -> tuple[int, str]:
        return self._modified[n], self._ids[n]

    def invoice_page(self, window: Window, skip: int = 0, size: int | None = None) -> tuple[int, list[int]]:
        """(how many invoices were modified within `window`, the numbers of `size` of them after the first
        `skip`), in (modified, id) order: the order the API lists them in."""
        with self.lock:
            order, modified = self._order, self._modified
            start = 0 if window.after is None else bisect.bisect_right(order, window.after, key=modified.__getitem__)
            stop = len(order)
            if window.before is not None:
                stop = max(start, bisect.bisect_left(order, window.before, key=modified.__getitem__))
            return stop - start, order[start + skip : stop if size is None else min(stop, start + skip + size)]

    def invoices_in(self, window: Window) -> list[int]:
        return self.invoice_page(window)[1]

    def listing_order(self) -> list[int]:
        return self._order

    def is_reserved(self, n: int) -> bool:
        return n in self._reserved

    def is_open_draft(self, n: int) -> bool:
        """A draft outside any batch, not set aside for a generate job (nor deleted): what `advance` may edit,
        a generate job may take and a test may delete."""
        return self._status[n] == DRAFT and not self._batch[n] and n not in self._reserved and n not in self._deleted

    # -- invoice batches -------------------------------------------------------------------------------

    def add_batch(
        self, number: int, invoices: Iterable[int], target_day: int, invoice_day: int | None, at: int
    ) -> InvoiceBatch:
        numbers = tuple(invoices)
        groups = {self.invoice_account(n).group.code for n in numbers}
        batch = self.batches.add(number, numbers, target_day, invoice_day, groups, at)
        for n in numbers:
            self._batch[n] = number
            self._modified[n] = at
            if invoice_day is not None:
                self._invoice_day[n] = invoice_day
        return batch

    def post_batch(self, batch: InvoiceBatch, at: int) -> None:
        self.batches.post(batch, at)
        for n in batch.invoices:
            self.set_invoice_status(n, POSTED, at)
        self.gl.post_invoices(batch.invoices, at, f"Invoice batch {batch.batch_number}")

    # -- growth (made by younium.changes; the other changes are OverlayChanges') -------------------------

    def add_products(self, count: int, start: int, spacing: int) -> list[str]:
        """`count` new catalogue products, created from `start`, `spacing` apart; their ids."""
        added = self.catalogue.add(count, start, spacing)
        self._now = max([self._now, *(p.created for p in added)])
        return [p.id for p in added]

    def add_invoices(self, count: int, start: int) -> None:
        """`count` new draft invoices, created from `start`, spread over every account there is."""
        first = len(self._ids)
        self._invoice_segments.append(Segment(first, start, self._spacing, len(self.accounts)))
        self._add_invoices(count)
        self._order.extend(range(first, len(self._ids)))
        self._now = max(self._now, self._created[-1])
