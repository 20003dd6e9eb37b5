"""How the Younium dataset's overlay changes (mixed into `YouniumDataset`): lines edited, statuses and
`modified` times set, the tenant's clock moved on, the listing order kept sorted, drafts set aside for a
generate job, and what is gone: deleted invoices, accounts and invoice batches, and removed invoice lines.
Who changes what, and the rules of it, are `younium.changes`', `younium.edits`' and `younium.tenant`'s.

A deleted invoice keeps its number (numbers are indices into the overlay) but leaves the listing order and
the id index, so every list, by-id read and expectation stops seeing it; a removed line stops being one of
its invoice's lines. What is gone is remembered, so expectations can name it (`deleted_invoice_ids`,
`removed_line_ids`, …) for a test that checks a warehouse marked exactly that as deleted.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..kernel.formats import HOUR
from .batches import BatchStore
from .seed import InvoiceBatch, Totals

# Each event after the seeded history (advance, a job finishing, a change) happens this long after the previous one.
EVENT_STEP = HOUR


class OverlayChanges:
    """Changes to the dataset's per-invoice overlay, deletions included."""

    lock: threading.RLock
    batches: BatchStore
    lines_per_invoice: int
    _now: int
    _status: bytearray
    _modified: array[int]
    _edits: dict[tuple[int, int], tuple[int, int]]
    _reserved: set[int]
    _ids: list[str]
    _by_id: dict[str, int]
    _order: list[int]
    _invoice_accounts: array[int]
    _batch: array[int]
    _invoice_day: dict[int, int]
    _totals: dict[int, Totals]

    if TYPE_CHECKING:

        @property
        def invoices_count(self) -> int: ...
        def line_id(self, n: int, k: int) -> str: ...
        def _order_key(self, n: int) -> tuple[int, str]: ...

    def _init_removals(self) -> None:
        self._deleted: set[int] = set()  # deleted invoices
        self._removed: dict[int, set[int]] = {}  # invoice -> its removed line numbers

    # -- edits, statuses, time and order -------------------------------------------------------------------

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

    # -- what is left ----------------------------------------------------------------------------------

    def is_deleted(self, n: int) -> bool:
        return n in self._deleted

    def live_invoices(self) -> Sequence[int]:
        """The numbers of the invoices that exist (none deleted), in number order."""
        numbers = range(1, self.invoices_count + 1)
        return [n for n in numbers if n not in self._deleted] if self._deleted else numbers

    def line_numbers(self, n: int) -> Sequence[int]:
        """The `invoiceLineNumber`s invoice `n` still has."""
        removed = self._removed.get(n)
        numbers = range(1, self.lines_per_invoice + 1)
        return [k for k in numbers if k not in removed] if removed else numbers

    def invoices_of_account(self, a: int) -> list[int]:
        """The numbers of account `a`'s invoices (credit notes included), in number order."""
        accounts = self._invoice_accounts
        return [n for n in range(1, self.invoices_count + 1) if accounts[n] == a and n not in self._deleted]

    # -- what is gone ----------------------------------------------------------------------------------

    def deleted_invoice_ids(self) -> list[str]:
        return sorted(self._ids[n] for n in self._deleted)

    def removed_line_ids(self) -> list[str]:
        """Every line that existed and is gone: removed from its invoice, or deleted with it."""
        gone = [(n, k) for n, removed in self._removed.items() if n not in self._deleted for k in removed]
        gone += [(n, k) for n in self._deleted for k in range(1, self.lines_per_invoice + 1)]
        return sorted(self.line_id(n, k) for n, k in gone)

    # -- removing (the rules are younium.edits') -------------------------------------------------------

    def drop_invoice(self, n: int) -> None:
        """Invoice `n` no longer exists: it leaves the listing order and the id index."""
        self._deleted.add(n)
        self._by_id.pop(self._ids[n], None)
        self._order.remove(n)
        self._totals.pop(n, None)

    def drop_line(self, n: int, k: int) -> None:
        self._removed.setdefault(n, set()).add(k)
        self._totals.pop(n, None)

    def drop_batch(self, batch: InvoiceBatch) -> None:
        """Batch `batch` no longer exists: its invoices are outside any batch again, dated as they were."""
        self.batches.drop(batch)
        for n in batch.invoices:
            self._batch[n] = 0
            if batch.invoice_day is not None:
                self._invoice_day.pop(n, None)
