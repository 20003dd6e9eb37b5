"""The YM dataset: invoice items and finance batches, generated on demand from a seed.

Nothing is stored per item. Item `n` (1-based) is a pure function of (seed, n): its fields come from a
keyed BLAKE2b digest of `n` (see `ym.seed`), so any page of a million-item dataset is produced as fast
as the first one, and two sandboxes with the same seed serve byte-identical pages. Items of the same
invoice share invoice-level fields (name, address, card), drawn from a digest of the invoice number.

Time only moves forward, and what changes is an overlay on the seeded items: `advance` appends items
with later entry dates, closes the batch that was open as it is, and puts the new items into new
batches; `backdate` imports items with old entry dates outside any batch; `revise_batch` reopens a
closed batch to add an adjustment item, entered now, and closes it again. A closed batch changes only
so, which is what lets a test compare the warehouse with `expected_*` exactly.

A revised batch keeps its ClosedDate and CreateDateTime (the facts say nothing of what YM writes there
after a revision; the ItemCount is what tells), and its ItemCount counts the adjustment: its export and
FinanceBatchDetails list its generated items first, then its adjustments (LineItemID order). Each
adjustment is an invoice item of its own one-item invoice, with a LineItemID of its own range
(`ADJUSTED_FIRST_ID`, ten apart), entered a second after the newest entry (and before the next item
`advance` would add, so entry dates keep moving forward), dated that day, its description naming the
batch. InvoiceItems lists it by its entry date, after the imported (backdated) items.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from ..kernel.formats import NO_DATE, TICKS_PER_SECOND, digest, format_ticks, money, seed_key, ticks_of
from .seed import (
    DAY_TICKS,
    FIRST_INVOICE_NO,
    INVOICE_BLOCK,
    INVOICE_SPLITS,
    INVOICES_PER_BLOCK,
    invoice_fields,
    item_fields,
    line_money,
)

# Entry dates: item n is entered (n - 1) * spacing after this, plus up to 40 s of jitter, so entry dates
# strictly increase with n (binary search relies on that). The spacing spreads the initial items over
# about ten months (monthly reports have something to show), and is never under 97 s.
FIRST_ENTERED = ticks_of(datetime(2024, 1, 1, 8, 0, 0))
ITEM_SPACING_SECONDS = 97
SPREAD_SECONDS = 300 * 86_400
_MAX_JITTER_SECONDS = 40

FIRST_BATCH_ID = 1001
# Items imported with old entry dates (`backdate`) are numbered from here.
BACKDATED_FIRST_ID = 900_000_001
# Adjustment items of revised batches (`revise_batch`) are numbered from here, INVOICE_BLOCK apart: each
# is the first item of a block of its own, so the only item of its invoice.
ADJUSTED_FIRST_ID = 950_000_001
# Money sums are cached per block of items (items never change, so neither do the sums).
_MONEY_BLOCK = 1024


class Money(NamedTuple):
    """Sums a warehouse must hold for a set of items."""

    count: int
    line_total: Decimal
    line_item_amount: Decimal


@dataclass(frozen=True)
class Batch:
    """A finance batch: a contiguous run of items, closed (perhaps revised since: then it holds adjustment
    items too) or (the newest) still open."""

    number: int  # 1-based position, oldest first
    first_item: int
    last_item: int
    is_open: bool
    commerce_type: str
    create_ticks: int
    closed_ticks: int | None
    adjustments: tuple[int, ...] = ()  # LineItemIDs of the items revisions added, oldest first

    @property
    def batch_id(self) -> str:
        return str(FIRST_BATCH_ID - 1 + self.number)

    @property
    def item_count(self) -> int:
        return self.last_item - self.first_item + 1 + len(self.adjustments)

    def item_ids(self) -> list[int]:
        """LineItemIDs of its items, in the order its export lists them."""
        return [*range(self.first_item, self.last_item + 1), *self.adjustments]

    def record(self) -> dict[str, Any]:
        """As a FinanceBatch of the FinanceBatches reply."""
        return {
            "BatchID": self.batch_id,
            "CommerceType": self.commerce_type,
            "ItemCount": self.item_count,
            "ClosedDate": NO_DATE if self.closed_ticks is None else format_ticks(self.closed_ticks),
            "CreateDateTime": format_ticks(self.create_ticks),
        }


@dataclass(frozen=True)
class _Layout:
    """Which items exist and where each batch starts; replaced whole on `advance`, so readers on other
    threads always see a consistent pair."""

    items: int
    starts: tuple[int, ...]  # first item number of each batch


class YMDataset:
    """A seeded YM tenant of `items` invoice items in finance batches of `batch_size`."""

    def __init__(self, seed: int = 7, items: int = 5000, batch_size: int = 250, shift_days: int = 0) -> None:
        if items < 0 or batch_size < 1:
            raise ValueError("items must be >= 0 and batch_size >= 1")
        self.seed = seed
        # Entry dates start `shift_days` after FIRST_ENTERED (`SandboxConfig.history_shift_days`).
        self.first_entered = FIRST_ENTERED + shift_days * DAY_TICKS
        self.batch_size = batch_size
        self._key = seed_key("ym", seed)
        self._spacing = max(ITEM_SPACING_SECONDS, SPREAD_SECONDS // max(items, 1))
        self._layout = _Layout(items, tuple(range(1, items + 1, batch_size)))
        self._lock = threading.Lock()
        self._money_blocks: dict[int, tuple[int, int]] = {}
        self._backdated: list[tuple[int, int]] = []  # (LineItemID, entry ticks) of imported items
        self._adjusted: list[tuple[int, int, int]] = []  # (LineItemID, batch number, entry ticks) of adjustments
        self._adjustments: dict[int, tuple[int, ...]] = {}  # batch number -> its adjustments' LineItemIDs
        self._batch_cache: dict[tuple[int, int, int, bool, tuple[int, ...]], Batch] = {}

    # -- size and time -------------------------------------------------------------------------------

    @property
    def items(self) -> int:
        return self._layout.items

    def advance(self, items: int) -> list[Batch]:
        """Append `items` new items, entered after every existing one; returns the batches they went to.

        The batch that was open is closed as it is; the new items fill new batches of `batch_size`,
        the newest of which stays open.
        """
        if items < 0:
            raise ValueError("items must be >= 0")
        with self._lock:
            old = self._layout
            if items:
                new_starts = tuple(range(old.items + 1, old.items + items + 1, self.batch_size))
                self._layout = _Layout(old.items + items, old.starts + new_starts)
        return self.batches()[len(old.starts) :] if items else []

    def backdate(self, count: int, days: int) -> list[int]:
        """Import `count` items now whose entry date lies `days` before the newest item's (as an import of
        old entries does): they get LineItemIDs of their own range and belong to no finance batch."""
        if count < 0 or days < 0:
            raise ValueError("count and days must be >= 0")
        newest = self.entered_ticks(self.items) if self.items else self.first_entered
        with self._lock:
            for _ in range(count):
                k = len(self._backdated)
                self._backdated.append((BACKDATED_FIRST_ID + k, newest - days * DAY_TICKS + k * TICKS_PER_SECOND))
            return [n for n, _ in self._backdated[-count:]] if count else []

    def revise_batch(self, batch_id: str | int) -> int:
        """Reopen closed batch `batch_id` to add one adjustment item, entered now, and close it again (its
        ClosedDate unchanged); returns the new item's LineItemID. ValueError for an unknown or open batch."""
        batch = self.batch(str(batch_id))
        if batch is None:
            raise ValueError(f"no finance batch {batch_id!r}")
        if batch.is_open:
            raise ValueError(f"finance batch {batch.batch_id} is open: only a closed batch can be revised")
        with self._lock:
            latest = max([self.entered_ticks(self.items), *(entered for _, _, entered in self._adjusted[-1:])])
            entered = latest + TICKS_PER_SECOND
            if entered >= self.entered_ticks(self.items + 1):
                raise ValueError("too many revisions since the newest item was entered: advance YM first")
            n = ADJUSTED_FIRST_ID + len(self._adjusted) * INVOICE_BLOCK
            self._adjusted.append((n, batch.number, entered))
            self._adjustments[batch.number] = (*self._adjustments.get(batch.number, ()), n)
        return n

    # -- items ---------------------------------------------------------------------------------------

    def _item_digest(self, n: int) -> bytes:
        return digest(self._key, b"item", n)

    def _entered(self, n: int, d: bytes) -> int:
        seconds = (n - 1) * self._spacing + d[0] % (_MAX_JITTER_SECONDS + 1)
        # One item in three carries YM's seven fraction digits.
        fraction = int.from_bytes(d[2:5], "little") % TICKS_PER_SECOND if d[1] % 3 == 0 else 0
        return self.first_entered + seconds * TICKS_PER_SECOND + fraction

    def entered_ticks(self, n: int) -> int:
        """LineItemDateEntered of item `n`, as server-local ticks."""
        return self._entered(n, self._item_digest(n))

    def dated_ticks(self, n: int) -> int:
        """LineItemDate of item `n` (midnight of its entry day), as server-local ticks."""
        entered = self.entered_ticks(n)
        return entered - entered % DAY_TICKS

    def first_entered_at_or_after(self, ticks: int) -> int:
        """The first item number entered at or after `ticks` (items + 1 if none): a binary search, since
        entry dates increase with the item number."""
        return 1 + bisect.bisect_left(range(1, self.items + 1), ticks, key=self.entered_ticks)

    def first_dated_at_or_after(self, ticks: int) -> int:
        """The first item number whose LineItemDate is at or after `ticks` (items + 1 if none)."""
        return 1 + bisect.bisect_left(range(1, self.items + 1), ticks, key=self.dated_ticks)

    def item(self, n: int) -> dict[str, Any]:
        """Item `n` as an InvoiceItemData record (money as Decimal, dates as YM strings); an imported or
        adjustment item too, by its LineItemID."""
        if 1 <= n <= self.items:
            return next(self._generate(n, n))
        extra = next((r for r in self._extras() if r[0] == n), None)
        if extra is None:
            raise KeyError(n)
        return self._extra_record(*extra)

    def records(self, first: int, last: int) -> Iterator[dict[str, Any]]:
        """Items `first`..`last` (inclusive, clamped to the existing ones), in item order."""
        return self._generate(max(first, 1), min(last, self.items))

    def extra_records(self, dated_from: int, entered_from: int | None) -> list[dict[str, Any]]:
        """The imported and adjustment items a listing with these filters holds, after every generated one
        (LineItemID order: imported ones first)."""
        found = []
        for n, entered, batch in self._extras():
            dated = entered - entered % DAY_TICKS
            if dated >= dated_from and (entered_from is None or entered >= entered_from):
                found.append(self._extra_record(n, entered, batch))
        return found

    def batch_records(self, batch: Batch, skip: int = 0, count: int | None = None) -> Iterator[dict[str, Any]]:
        """`count` (default: all) of `batch`'s items after the first `skip`: its generated items, then its
        adjustments."""
        stop = batch.item_count if count is None else min(batch.item_count, skip + max(count, 0))
        generated = batch.last_item - batch.first_item + 1
        yield from self.records(batch.first_item + skip, batch.first_item + min(stop, generated) - 1)
        adjustments = {n: (n, entered, number) for n, number, entered in list(self._adjusted)}
        for n in batch.adjustments[max(skip - generated, 0) : max(stop - generated, 0)]:
            yield self._extra_record(*adjustments[n])

    def _extras(self) -> list[tuple[int, int, int | None]]:
        """(LineItemID, entry ticks, batch number or None) of the imported and adjustment items."""
        backdated = [(n, entered, None) for n, entered in list(self._backdated)]
        return backdated + [(n, entered, number) for n, number, entered in list(self._adjusted)]

    def _extra_record(self, n: int, entered: int, batch: int | None = None) -> dict[str, Any]:
        record = next(self._generate(n, n, entered))
        if batch is not None:
            batch_id = str(FIRST_BATCH_ID - 1 + batch)
            record["LineItemDescription"] = f"Adjustment to batch {batch_id}: {record['LineItemDescription']}"
        return record

    def _generate(self, first: int, last: int, entered: int | None = None) -> Iterator[dict[str, Any]]:
        block, cuts, invoice_no, invoice = -1, (0,), 0, {}
        for n in range(first, last + 1):
            n_block, position = divmod(n - 1, INVOICE_BLOCK)
            if n_block != block:
                block, cuts = n_block, self._invoice_split(n_block)
            sub = bisect.bisect_right(cuts, position)
            number = FIRST_INVOICE_NO + block * INVOICES_PER_BLOCK + sub
            if number != invoice_no:
                first_item = block * INVOICE_BLOCK + 1 + (cuts[sub - 1] if sub else 0)
                # An invoice is dated by its first item's entry (an imported item's by its own).
                first_entered = self.entered_ticks(first_item) if entered is None else entered
                invoice_no = number
                invoice = invoice_fields(number, digest(self._key, b"invoice", number), first_entered)
                # OutstandingBalance is the invoice's, repeated on each of its items: all of it while unpaid.
                end = block * INVOICE_BLOCK + (cuts[sub] if sub < len(cuts) else INVOICE_BLOCK)
                items = range(first_item, min(end, max(self.items, n)) + 1) if entered is None else range(n, n + 1)
                unpaid = not invoice["PaymentOption"]
                invoice["OutstandingBalance"] = money(sum(self._money_cents(k)[0] for k in items) if unpaid else 0)
            d = self._item_digest(n)
            yield item_fields(n, d, invoice, format_ticks(self._entered(n, d) if entered is None else entered))

    def _invoice_split(self, block: int) -> tuple[int, ...]:
        """Where the block's 4 invoices start, as offsets 1..9 within its 10 items (the first starts at 0)."""
        d = digest(self._key, b"block", block)
        return INVOICE_SPLITS[int.from_bytes(d[0:2], "little") % len(INVOICE_SPLITS)]

    # -- batches -------------------------------------------------------------------------------------

    def batches(self) -> list[Batch]:
        """Every batch, oldest first; all closed but the newest."""
        layout = self._layout
        return [self._batch(layout, k) for k in range(len(layout.starts))]

    def batch(self, batch_id: str) -> Batch | None:
        layout = self._layout
        try:
            k = int(batch_id) - FIRST_BATCH_ID
        except ValueError:
            return None
        if not 0 <= k < len(layout.starts) or str(batch_id).strip() != str(k + FIRST_BATCH_ID):
            return None
        return self._batch(layout, k)

    def _batch(self, layout: _Layout, k: int) -> Batch:
        is_open = k + 1 == len(layout.starts)
        first, last = layout.starts[k], layout.items if is_open else layout.starts[k + 1] - 1
        adjustments = self._adjustments.get(k + 1, ())
        key = (k + 1, first, last, is_open, adjustments)
        cached = self._batch_cache.get(key)
        if cached is None:
            # Created just before its first item was entered; closed 50 s after its last one, which is
            # before the next item's entry (items are more than 56 s apart).
            create = self.entered_ticks(first) // TICKS_PER_SECOND * TICKS_PER_SECOND - 5 * TICKS_PER_SECOND
            closed = None
            if not is_open:
                closed = self.entered_ticks(last) // TICKS_PER_SECOND * TICKS_PER_SECOND + 50 * TICKS_PER_SECOND
            commerce = ("M", "D", "S")[digest(self._key, b"batch", k + 1)[0] % 3]
            cached = Batch(k + 1, first, last, is_open, commerce, create, closed, adjustments)
            self._batch_cache[key] = cached
        return cached

    # -- what a correct warehouse holds --------------------------------------------------------------

    def expected_invoice_item_ids(self) -> Sequence[int]:
        """LineItemIDs of every item (the `invoice_items` table), imported and adjustment ones included:
        ascending."""
        generated = range(1, self.items + 1)
        extras = [n for n, _, _ in self._extras()]
        return [*generated, *extras] if extras else generated

    def expected_batch_item_ids(self) -> Sequence[int]:
        """LineItemIDs of the items in closed batches (the `finance_batch_items` table), revisions'
        adjustments included (only closed batches are revised): ascending."""
        layout = self._layout
        closed = range(1, layout.starts[-1] if layout.starts else 1)
        adjusted = [n for n, _, _ in list(self._adjusted)]
        return [*closed, *adjusted] if adjusted else closed

    def expected_money(self, ids: Iterable[int]) -> Money:
        """Exact sums of LineTotal and LineItemAmount over `ids` (LineItemIDs).

        A run of generated items from the first one (what the `expected_*_ids` methods return, imported
        items after it) is summed from cached per-block sums, so repeated calls on a big dataset are cheap.
        """
        ids = ids if isinstance(ids, range) else list(ids)
        generated = 0
        if isinstance(ids, range) and ids.step == 1:
            generated = len(ids) if ids.start == 1 else 0
        else:
            # The longest run 1..k that `ids` starts with (k found as in an ascending list, then checked).
            k = bisect.bisect_right(ids, self.items, hi=min(len(ids), self.items))
            generated = k if ids[:k] == list(range(1, k + 1)) else 0
        total, amount = self._range_cents(generated)
        for n in ids[generated:]:
            line_total, line_amount = self._money_cents(n)
            total, amount = total + line_total, amount + line_amount
        return Money(len(ids), money(total), money(amount))

    def _money_cents(self, n: int) -> tuple[int, int]:
        _, cents, quantity = line_money(self._item_digest(n))
        return cents * quantity, cents

    def _range_cents(self, last: int) -> tuple[int, int]:
        """Sums of items 1..`last`, whole blocks from the cache."""
        total = amount = 0
        for block in range(last // _MONEY_BLOCK):
            sums = self._money_blocks.get(block)
            if sums is None:
                sums = self._money_blocks[block] = self._sum_cents(block * _MONEY_BLOCK + 1, (block + 1) * _MONEY_BLOCK)
            total, amount = total + sums[0], amount + sums[1]
        rest = self._sum_cents(last // _MONEY_BLOCK * _MONEY_BLOCK + 1, last)
        return total + rest[0], amount + rest[1]

    def _sum_cents(self, first: int, last: int) -> tuple[int, int]:
        total = amount = 0
        for n in range(first, last + 1):
            line_total, line_amount = self._money_cents(n)
            total += line_total
            amount += line_amount
        return total, amount
