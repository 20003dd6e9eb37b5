"""The Younium tenant's invoices, credit notes included: whose each is, when it was created, what has
happened to it since (status, batch, invoice date, `modified`), whether it is gone, and the order the API
lists invoices in. An invoice's lines are `younium.lines`'.

Benchmarks seed hundreds of thousands of invoices, so an invoice is not an object: it is its number, an
index into the columns kept here, compact arrays for what every invoice has and dicts keyed by number for
what only some have. What never changes (id, account, creation time) is drawn from the seed by number
(`younium.seed`) when the invoice is added.

Numbering: invoices 1..`count` are the seeded invoices; the seeded credit notes follow them (in the order
they were created), then the subscription story's invoices (`younium.subscription_invoices`, none
without subscriptions), and invoices the tenant's growth or the story's later billings add come after
those, as they happen. A credit note is an invoice
whose lines are those of the invoice it credits, negated, so the link between the two is kept here.
A deleted invoice keeps its number but leaves the listing order and the id index (`live` are the numbers
left); what is gone is remembered, so expectations can name it.

Invoices are listed in (modified, id) order, from an index sorted once the seeded history is told
(`seal`) and kept sorted by each change (`reorder`): any page of tens of thousands of invoices is a
slice of it.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections.abc import Iterable, Sequence

from ..kernel.formats import day_of
from .accounts import AccountStore
from .seed import (
    DRAFT,
    INVOICE_SPACING,
    POSTED,
    SPREAD,
    STATUS_NAMES,
    Account,
    InvoiceBatch,
    Segment,
    YouniumSeed,
    segment_of,
)
from .window import Window


class InvoiceStore:
    """Every invoice there was, by number (1-based; deleted ones too), column by column."""

    def __init__(self, seeded: YouniumSeed, accounts: AccountStore, count: int, lock: threading.RLock) -> None:
        self.seeded = seeded
        self.accounts = accounts
        self.lock = lock  # the dataset's
        # The seeded invoices are spread over about ten months, whatever their number.
        self._spacing = max(INVOICE_SPACING, SPREAD // max(count, 1))
        self._segments = [Segment(1, seeded.first_created, self._spacing, len(accounts))]
        # What every invoice has, indexed by number (0 unused).
        self._ids: list[str] = [""]
        self._account = array("l", [0])  # account numbers
        self._created = array("q", [0])
        self._modified = array("q", [0])
        self._status = bytearray(1)
        self._batch = array("l", [0])  # batch numbers, 0: in none
        # What only some invoices have, by number.
        self._invoice_day: dict[int, int] = {}  # invoice dates a generate job (or a credit note) set
        self._credited: dict[int, int] = {}  # credit note -> the invoice it credits
        self._credit_note: dict[int, int] = {}  # invoice -> its credit note
        self._typed_invoice: set[int] = set()  # credit notes an order change generated: invoiceType Invoice
        self._subscription_credits: set[int] = set()  # credit notes of subscription charges (invoiceType Credit)
        self._reserved: set[int] = set()  # taken by a generate job that has not finished
        self._deleted: set[int] = set()
        self._by_id: dict[str, int] = {}  # live invoices only
        self._order: list[int] = []  # live numbers in (modified, id) order, once `seal`ed
        self._draw(count)

    def _draw(self, count: int) -> None:
        """`count` new draft invoices, each of an account its segment's accounts include (a live one)."""
        for n in range(len(self._ids), len(self._ids) + count):
            segment = segment_of(self._segments, n)
            invoice_id, account, created = self.seeded.invoice(n, segment.created_from(n), segment.accounts)
            self._append(invoice_id, self.accounts.nearest_live(account, segment.accounts), created, DRAFT)

    def _append(self, invoice_id: str, account: int, created: int, status: int) -> int:
        n = len(self._ids)
        self._ids.append(invoice_id)
        self._by_id[invoice_id] = n
        self._account.append(account)
        self._created.append(created)
        self._modified.append(created)
        self._status.append(status)
        self._batch.append(0)
        self._order.append(n)  # modified last, so last in the order (`seal` sorts the seeded history's)
        return n

    # -- what an invoice is ----------------------------------------------------------------------------

    def __len__(self) -> int:
        """How many invoices there were, deleted ones included: the number of the newest."""
        return len(self._ids) - 1

    def numbers(self) -> range:
        """Every invoice number there was (deleted ones too: `live` leaves them out)."""
        return range(1, len(self._ids))

    def id(self, n: int) -> str:
        return self._ids[n]

    def find(self, invoice_id: str) -> int | None:
        """The number of the live invoice with this id."""
        return self._by_id.get(invoice_id.strip().lower())

    def account(self, n: int) -> Account:
        return self.accounts.numbered(self._account[n])

    def created(self, n: int) -> int:
        return self._created[n]

    def modified(self, n: int) -> int:
        return self._modified[n]

    def last_modified(self) -> int:
        """When the latest change to an invoice was (0: there is none)."""
        return max(self._modified[1:], default=0)

    def status(self, n: int) -> int:
        """DRAFT, POSTED, SETTLED or CANCELLED."""
        return self._status[n]

    def status_name(self, n: int) -> str:
        return STATUS_NAMES[self._status[n]]

    def batch(self, n: int) -> int:
        """The number of the invoice batch that took invoice `n` (0: none did)."""
        return self._batch[n]

    def invoice_day(self, n: int) -> int:
        """The invoice date (ordinal): the day it was created, unless a generate job (or a credit note's
        `creditInvoiceDate`) set another."""
        return self._invoice_day.get(n) or day_of(self._created[n])

    def due_day(self, n: int) -> int:
        """The due date (ordinal): the invoice date plus the account's payment terms."""
        return self.invoice_day(n) + self.account(n).term.days

    # -- credit notes ----------------------------------------------------------------------------------

    def invoice_type(self, n: int) -> str:
        """`Credit` for the credit notes of the Credit action; `Invoice` for everything else, the credit
        notes an order change generated (with negative totals) included. A subscription charge's credit
        note is Credit."""
        if n in self._subscription_credits:
            return "Credit"
        return "Credit" if n in self._credited and n not in self._typed_invoice else "Invoice"

    def credited(self, n: int) -> int | None:
        """The invoice that credit note `n` credits."""
        return self._credited.get(n)

    def credit_note(self, n: int) -> int | None:
        """The credit note of invoice `n`."""
        return self._credit_note.get(n)

    def credit_notes(self) -> list[int]:
        return sorted(self._credited)

    # -- drafts and generate jobs ----------------------------------------------------------------------

    def is_reserved(self, n: int) -> bool:
        return n in self._reserved

    def is_open_draft(self, n: int) -> bool:
        """A draft outside any batch, not set aside for a generate job (nor deleted): what `advance` may edit,
        a generate job may take and a test may delete."""
        return self._status[n] == DRAFT and not self._batch[n] and n not in self._reserved and n not in self._deleted

    def reserve(self, invoices: Iterable[int]) -> None:
        """Set drafts aside for a generate job, which takes them when it finishes."""
        with self.lock:
            self._reserved.update(invoices)

    def release(self, invoices: Iterable[int]) -> None:
        with self.lock:
            self._reserved.difference_update(invoices)

    # -- listing ---------------------------------------------------------------------------------------

    def _order_key(self, n: int) -> tuple[int, str]:
        return self._modified[n], self._ids[n]

    def seal(self) -> None:
        """Sort the listing order, once the seeded history has changed what it changes."""
        self._order.sort(key=self._order_key)

    def page(self, window: Window, skip: int = 0, size: int | None = None) -> tuple[int, list[int]]:
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
        return self.page(window)[1]

    def listing_order(self) -> list[int]:
        return self._order

    def reorder(self, changed: Iterable[int]) -> None:
        """Move invoices that just changed (all at the latest time) to the end of the (modified, id) order."""
        changed = set(changed)
        if changed:
            kept = [n for n in self._order if n not in changed]
            self._order = kept + sorted(changed, key=self._order_key)

    # -- what is left, and what is gone ----------------------------------------------------------------

    def is_deleted(self, n: int) -> bool:
        return n in self._deleted

    def live(self) -> Sequence[int]:
        """The numbers of the invoices that exist (none deleted), in number order."""
        numbers = self.numbers()
        return [n for n in numbers if n not in self._deleted] if self._deleted else numbers

    def of_account(self, a: int) -> list[int]:
        """The numbers of account `a`'s invoices (credit notes included), in number order."""
        account = self._account
        return [n for n in self.numbers() if account[n] == a and n not in self._deleted]

    def deleted(self) -> list[int]:
        """The numbers of the deleted invoices, in number order."""
        return sorted(self._deleted)

    def deleted_ids(self) -> list[str]:
        return sorted(self._ids[n] for n in self._deleted)

    # -- changes (their rules and times are younium.billing's, younium.changes' and younium.edits') ----

    def set_modified(self, n: int, at: int) -> None:
        self._modified[n] = at

    def set_status(self, n: int, status: int, at: int) -> None:
        self._status[n] = status
        self._modified[n] = at

    def set_batch(self, n: int, batch: InvoiceBatch) -> None:
        """Invoice `n` was taken into `batch` when it was created, and dated as the batch says, if it does."""
        self._batch[n] = batch.number
        self._modified[n] = batch.created
        if batch.invoice_day is not None:
            self._invoice_day[n] = batch.invoice_day

    def clear_batch(self, n: int, batch: InvoiceBatch) -> None:
        """Invoice `n` is outside `batch` again, dated as it was before it."""
        self._batch[n] = 0
        if batch.invoice_day is not None:
            self._invoice_day.pop(n, None)

    def drop(self, n: int) -> None:
        """Invoice `n` no longer exists: it leaves the listing order and the id index."""
        self._deleted.add(n)
        self._by_id.pop(self._ids[n], None)
        self._order.remove(n)

    def add(self, count: int, start: int) -> range:
        """`count` new draft invoices, created from `start`, spread over every account there is; their
        numbers."""
        first = len(self._ids)
        self._segments.append(Segment(first, start, self._spacing, len(self.accounts)))
        self._draw(count)
        return range(first, len(self._ids))

    def add_credit_note(self, original: int, at: int, invoice_day: int, typed_invoice: bool) -> int:
        """A posted credit note of invoice `original` (of its account), created at `at` and dated
        `invoice_day`; an order change's (`typed_invoice`) carries invoiceType Invoice. Its number."""
        n = self._append(self.seeded.invoice_id(len(self._ids)), self._account[original], at, POSTED)
        self._invoice_day[n] = invoice_day
        self._credited[n], self._credit_note[original] = original, n
        if typed_invoice:
            self._typed_invoice.add(n)
        return n

    def add_posted(self, account: int, at: int, credit: bool) -> int:
        """A posted invoice of account number `account` (a credit note when `credit`), created and dated
        `at`, outside any batch: a subscription charge's invoicing (`younium.subscription_invoices`), whose
        lines the line store is given. Its number."""
        n = self._append(self.seeded.invoice_id(len(self._ids)), account, at, POSTED)
        if credit:
            self._subscription_credits.add(n)
        return n
