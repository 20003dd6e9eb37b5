"""The Younium dataset: accounts, invoices and their lines, invoice batches and payments, linked and seeded.

What never changes comes from the seed (`younium_seed`), drawn when asked for, so equal seeds give
byte-identical pages. Invoices change in place (batch jobs take drafts into batches and post them;
`advance` edits drafts), so this keeps an overlay per invoice: status, batch, `modified` time, and which
lines were edited by how much. Invoices are listed in (modified, id) order from an index each change keeps
sorted, which makes any page of tens of thousands of invoices a slice away.

Time is the tenant's own: the seeded history starts on 2024-01-02, and each later event (an `advance`, a
job finishing) happens an hour after the previous one, so `modified` only ever moves forward and equal
sequences of events give equal data. Times are integer milliseconds since 1970-01-01 UTC.

How the seeded history looks: the oldest ~70% of the invoices were invoiced in `batches` invoice batches,
cut at day boundaries (a batch takes every draft dated up to its target date), all posted except the
newest; a quarter of the posted invoices were paid, one payment each. The newest invoices are drafts
outside any batch, waiting for the next generate job.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from array import array
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .formats import DAY, HOUR, SECOND, day_of, start_of_day
from .younium_seed import (
    ACCOUNT_SPACING,
    FIRST_CREATED,
    INVOICE_SPACING,
    RATES_E4,
    SPREAD,
    Account,
    InvoiceBatch,
    Line,
    LogEntry,
    Payment,
    Totals,
    YouniumSeed,
    invoice_number,
    line_amounts,
    sum_totals,
)

# Each event after the seeded history (advance, a job finishing) happens this long after the previous one.
EVENT_STEP = HOUR
BATCHED_SHARE = 0.7  # the oldest invoices that the seeded batches took
DRAFT, POSTED, SETTLED = 0, 1, 2
STATUS_NAMES = ("Draft", "Posted", "Settled")
# Seeded batches have this many warnings in their log, in turn: some none, one, or several.
_SEEDED_LOG_SIZES = (2, 0, 1, 3)


class Window(NamedTuple):
    """ModifiedAfter / ModifiedBefore, both exclusive, in ms (None: unbounded)."""

    after: int | None = None
    before: int | None = None

    def contains(self, moment: int) -> bool:
        return (self.after is None or moment > self.after) and (self.before is None or moment < self.before)


class _Segment(NamedTuple):
    """Records numbered from `first` were created from `start`, `spacing` apart; invoices of the segment
    belong to the first `accounts` accounts."""

    first: int
    start: int
    spacing: int
    accounts: int


class YouniumDataset:
    """A seeded Younium tenant. Thread-safe: the server reads pages while tests advance it (`lock`)."""

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
        self._account_segments = [_Segment(1, FIRST_CREATED - accounts * ACCOUNT_SPACING, ACCOUNT_SPACING, 0)]
        self._accounts: list[Account] = []
        self._account_by_id: dict[str, int] = {}
        self._add_accounts(accounts)
        # The overlay on the seeded invoices, indexed by invoice number (0 unused).
        self._spacing = max(INVOICE_SPACING, SPREAD // max(invoices, 1))
        self._invoice_segments = [_Segment(1, FIRST_CREATED, self._spacing, accounts)]
        self._ids: list[str] = [""]
        self._invoice_accounts = array("l", [0])
        self._created = array("q", [0])
        self._status = bytearray(1)
        self._batch = array("l", [0])
        self._modified = array("q", [0])
        self._invoice_day: dict[int, int] = {}  # invoice dates a generate job set
        self._edits: dict[tuple[int, int], tuple[int, int]] = {}  # (invoice, line) -> (extra quantity, modified)
        self._totals: dict[int, Totals] = {}
        self._reserved: set[int] = set()  # taken by a generate job that has not finished
        self._add_invoices(invoices)
        self._batches: list[InvoiceBatch] = []
        self._batch_by_number: dict[int, InvoiceBatch] = {}
        self._batch_by_ref: dict[str, InvoiceBatch] = {}
        self._batch_numbers = itertools.count(1)
        self.payments: list[Payment] = []
        self._seed_history(batches)
        self._order = sorted(range(1, invoices + 1), key=self._order_key)
        latest = max([FIRST_CREATED, *self._modified[1:], *(p.paid for p in self.payments)])
        self._now = latest - latest % HOUR + HOUR
        self.advances = 0  # how many times `advance` or a `modify` fault changed the tenant (see younium_changes)

    # -- the seeded history ----------------------------------------------------------------------------

    @staticmethod
    def _segment(segments: Sequence[_Segment], number: int) -> _Segment:
        return segments[bisect.bisect_right(segments, number, key=lambda s: s.first) - 1]

    def _add_accounts(self, count: int) -> None:
        for a in range(len(self._accounts) + 1, len(self._accounts) + count + 1):
            segment = self._segment(self._account_segments, a)
            account = self.seeded.account(a, segment.start + (a - segment.first) * segment.spacing)
            self._accounts.append(account)
            self._account_by_id[account.id] = a

    def _add_invoices(self, count: int) -> None:
        for n in range(len(self._ids), len(self._ids) + count):
            segment = self._segment(self._invoice_segments, n)
            start = segment.start + (n - segment.first) * segment.spacing
            invoice_id, account, created = self.seeded.invoice(n, start, segment.accounts)
            self._ids.append(invoice_id)
            self._invoice_accounts.append(account)
            self._created.append(created)
            self._status.append(DRAFT)
            self._batch.append(0)
            self._modified.append(created)

    def _seed_history(self, batches: int) -> None:
        """The batches, postings and payments that happened before the sandbox started."""
        invoices = self.invoices_count
        batched = int(invoices * BATCHED_SHARE) if invoices > 1 else 0
        count = min(batches, batched)
        days = [day_of(c) for c in self._created[1:]]
        cuts: list[tuple[int, int, int]] = []  # (first invoice, last invoice, target day) of each batch
        for b in range(1, count + 1):
            # Batches take every invoice dated up to their target date; the newest day's stay drafts.
            target = min(days[max(1, round(batched * b / count)) - 1], days[-1] - 1)
            last = bisect.bisect_right(days, target)
            first = cuts[-1][1] + 1 if cuts else 1
            if last >= first:
                cuts.append((first, last, target))
        for b, (first, last, target) in enumerate(cuts, start=1):
            generated = start_of_day(target + 1) + HOUR
            batch = self.add_batch(self.reserve_batch_number(), range(first, last + 1), target, None, generated)
            for k in range(_SEEDED_LOG_SIZES[(b - 1) % len(_SEEDED_LOG_SIZES)]):
                n = batch.invoices[self.seeded.digest(b"log", b * 16 + k)[0] * len(batch.invoices) // 256]
                message = (
                    f"Account {self.invoice_account(n).account_number} has no e-invoice address; invoice "
                    f"{invoice_number(n)} will be sent by email instead"
                )
                batch.log.append(
                    LogEntry(self._ids[n], "Invoice", invoice_number(n), message, generated + (k + 1) * SECOND)
                )
            if b == len(cuts):
                break  # the newest batch is still waiting to be posted
            self.post_batch(batch, generated + 2 * HOUR)
            paid = batch.modified + DAY + 3 * HOUR
            for n in batch.invoices:
                if self.seeded.digest(b"paid", n)[0] < 64:  # a quarter of them
                    self.set_invoice_status(n, SETTLED, paid)
                    self.payments.append(Payment(len(self.payments) + 1, self.seeded.uuid(b"payment", n), n, paid, b))
        self.payments.sort(key=lambda p: (p.paid, p.id))

    # -- accounts --------------------------------------------------------------------------------------

    @property
    def accounts(self) -> list[Account]:
        return self._accounts

    def account(self, a: int) -> Account:
        return self._accounts[a - 1]

    def account_number_of(self, account_id: str) -> int | None:
        return self._account_by_id.get(account_id)

    def accounts_in(self, window: Window) -> range:
        """Numbers of the accounts modified within `window`, oldest first (accounts never change, and were
        created in number order)."""
        first, last = 1, len(self._accounts)
        if window.after is not None:
            first = 1 + bisect.bisect_right(self._accounts, window.after, key=lambda a: a.created)
        if window.before is not None:
            last = bisect.bisect_left(self._accounts, window.before, key=lambda a: a.created)
        return range(first, max(first, last + 1))

    # -- invoices --------------------------------------------------------------------------------------

    @property
    def invoices_count(self) -> int:
        return len(self._ids) - 1

    def invoice_id(self, n: int) -> str:
        return self._ids[n]

    def status_code(self, n: int) -> int:
        """DRAFT, POSTED or SETTLED."""
        return self._status[n]

    def invoice_status(self, n: int) -> str:
        return STATUS_NAMES[self._status[n]]

    def invoice_batch(self, n: int) -> InvoiceBatch | None:
        return self._batch_by_number.get(self._batch[n])

    def invoice_account(self, n: int) -> Account:
        return self._accounts[self._invoice_accounts[n] - 1]

    def invoice_day(self, n: int) -> int:
        """The invoice date (ordinal): the day it was created, unless a generate job set another."""
        return self._invoice_day.get(n) or day_of(self._created[n])

    def created(self, n: int) -> int:
        return self._created[n]

    def modified(self, n: int) -> int:
        return self._modified[n]

    def line_id(self, n: int, k: int) -> str:
        return self.seeded.line_id(n, k)

    def lines(self, n: int) -> list[Line]:
        """Invoice `n`'s lines as they are now."""
        account = self.invoice_account(n)
        rate = RATES_E4[account.currency]
        lines = []
        for k in range(1, self.lines_per_invoice + 1):
            seeded = self.seeded.line(n, k, account.vat)
            quantity, modified = seeded.quantity, self._created[n]
            edit = self._edits.get((n, k))
            if edit is not None:
                quantity, modified = quantity + edit[0], edit[1]
            amounts = line_amounts(quantity, seeded.price, seeded.tax_rate, rate)
            lines.append(
                Line(k, seeded.digest, seeded.product, quantity, seeded.price, seeded.tax_rate, amounts, modified)
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
        """A draft outside any batch, not set aside for a generate job: what `advance` may edit and a
        generate job may take."""
        return self._status[n] == DRAFT and not self._batch[n] and n not in self._reserved

    # -- invoice batches and payments ------------------------------------------------------------------

    def batches(self) -> list[InvoiceBatch]:
        with self.lock:
            return list(self._batches)

    def batch(self, reference: str) -> InvoiceBatch | None:
        """A batch by id or batch number."""
        return self._batch_by_ref.get(reference.strip().lower())

    def batches_in(self, window: Window) -> list[InvoiceBatch]:
        with self.lock:
            return sorted((b for b in self._batches if window.contains(b.modified)), key=lambda b: (b.modified, b.id))

    def payments_in(self, window: Window) -> list[Payment]:
        """Payments have no modified time of their own; the window applies to when they were made."""
        with self.lock:
            return [p for p in self.payments if window.contains(p.paid)]

    def reserve_batch_number(self) -> int:
        """The number of the next batch a job will create: known (with its id) when the job starts."""
        with self.lock:
            return next(self._batch_numbers)

    def add_batch(
        self, number: int, invoices: Iterable[int], target_day: int, invoice_day: int | None, at: int
    ) -> InvoiceBatch:
        numbers = tuple(invoices)
        batch_id, batch_number = self.seeded.batch_identity(number)
        groups = tuple(sorted({self.invoice_account(n).group.code for n in numbers}))
        batch = InvoiceBatch(number, batch_id, batch_number, target_day, invoice_day, numbers, groups, at, at)
        self._batches.append(batch)
        self._batch_by_number[number] = batch
        self._batch_by_ref[batch_id] = self._batch_by_ref[batch_number.lower()] = batch
        for n in numbers:
            self._batch[n] = number
            self._modified[n] = at
            if invoice_day is not None:
                self._invoice_day[n] = invoice_day
        return batch

    def post_batch(self, batch: InvoiceBatch, at: int) -> None:
        batch.posted = True
        batch.modified = at
        for n in batch.invoices:
            self.set_invoice_status(n, POSTED, at)

    # -- changes (made by younium_changes and younium_jobs) ---------------------------------------------

    def add_accounts(self, count: int, start: int, spacing: int) -> None:
        """`count` new accounts, created from `start`, `spacing` apart."""
        self._account_segments.append(_Segment(len(self._accounts) + 1, start, spacing, 0))
        self._add_accounts(count)

    def add_invoices(self, count: int, start: int) -> None:
        """`count` new draft invoices, created from `start`, spread over every account there is."""
        first = len(self._ids)
        self._invoice_segments.append(_Segment(first, start, self._spacing, len(self._accounts)))
        self._add_invoices(count)
        self._order.extend(range(first, len(self._ids)))
        self._now = max(self._now, self._created[-1])

    def edit_line(self, n: int, k: int, at: int) -> None:
        """Line `k` of invoice `n` gets one more unit, modified `at`."""
        extra, _ = self._edits.get((n, k), (0, 0))
        self._edits[(n, k)] = (extra + 1, at)
        self._totals.pop(n, None)

    def set_modified(self, n: int, at: int) -> None:
        self._modified[n] = at

    def set_invoice_status(self, n: int, status: int, at: int) -> None:
        self._status[n] = status
        self._modified[n] = at

    def tick(self) -> int:
        """The time of the next event."""
        self._now += EVENT_STEP
        return self._now

    def reorder(self, changed: Iterable[int]) -> None:
        """Move invoices that just changed (all at the latest time) to the end of the (modified, id) order."""
        changed = set(changed)
        if changed:
            kept = [n for n in self._order if n not in changed]
            self._order = kept + sorted(changed, key=self._order_key)

    def reserve(self, invoices: Iterable[int]) -> None:
        with self.lock:
            self._reserved.update(invoices)

    def release(self, invoices: Iterable[int]) -> None:
        with self.lock:
            self._reserved.difference_update(invoices)
