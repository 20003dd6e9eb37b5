"""The Younium tenant's invoice batches: what each generate job took, and whether it is posted yet.

A batch is numbered when the job that makes it starts (its id and batch number are known from then,
`reserve_number`), and created when the job finishes. It changes when it is posted, and may be deleted
while it is not (`younium.edits`); a deleted batch leaves every list and lookup, its id remembered so
expectations can name it. Taking invoices into a batch, posting them and giving them back change the
invoices too, so those steps are `younium.billing`'s; this store keeps the batches themselves
(and writes a batch's log entries, `log_record`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from typing import Any

from ..kernel.formats import format_instant
from .seed import InvoiceBatch, LogEntry, YouniumSeed
from .window import Window


def log_record(entry: LogEntry) -> dict[str, Any]:
    """InvoiceBatchLogResponse."""
    stamp = format_instant(entry.created)
    return {
        "entityId": entry.entity_id,
        "errorMessage": entry.error_message,
        "reference": entry.reference,
        "entityName": entry.entity_name,
        "created": stamp,
        "modified": stamp,
    }


class BatchStore:
    """The invoice batches there are, in the order they were created."""

    def __init__(self, seeded: YouniumSeed, lock: threading.RLock) -> None:
        self.seeded = seeded
        self.lock = lock  # the dataset's
        self._batches: list[InvoiceBatch] = []
        self._by_number: dict[int, InvoiceBatch] = {}
        self._by_ref: dict[str, InvoiceBatch] = {}  # by id and by lower-case batch number
        self._numbers = itertools.count(1)
        self._deleted: list[str] = []  # ids

    def all(self) -> list[InvoiceBatch]:
        with self.lock:
            return list(self._batches)

    def find(self, reference: str) -> InvoiceBatch | None:
        """A batch by id or batch number."""
        return self._by_ref.get(reference.strip().lower())

    def numbered(self, number: int) -> InvoiceBatch | None:
        """The batch numbered `number` (0, an invoice's when it is in none: None)."""
        return self._by_number.get(number)

    def batches_in(self, window: Window) -> list[InvoiceBatch]:
        with self.lock:
            return sorted((b for b in self._batches if window.contains(b.modified)), key=lambda b: (b.modified, b.id))

    def deleted_ids(self) -> list[str]:
        return sorted(self._deleted)

    # -- changes (younium.billing makes them, with the invoices' side) ---------------------------------

    def reserve_number(self) -> int:
        """The number of the next batch a job will create: known (with its id) when the job starts."""
        with self.lock:
            return next(self._numbers)

    def add(
        self,
        number: int,
        invoices: Iterable[int],
        target_day: int,
        invoice_day: int | None,
        groups: Iterable[str],
        at: int,
    ) -> InvoiceBatch:
        """Batch `number` of `invoices`, created `at` for `target_day` (and dated `invoice_day`, if set)."""
        batch_id, batch_number = self.seeded.batch_identity(number)
        batch = InvoiceBatch(
            number, batch_id, batch_number, target_day, invoice_day, tuple(invoices), tuple(sorted(groups)), at, at
        )
        self._batches.append(batch)
        self._by_number[number] = batch
        self._by_ref[batch_id] = self._by_ref[batch_number.lower()] = batch
        return batch

    def post(self, batch: InvoiceBatch, at: int) -> None:
        batch.posted = True
        batch.modified = at

    def drop(self, batch: InvoiceBatch) -> None:
        """Batch `batch` no longer exists: it leaves every list and lookup."""
        self._batches.remove(batch)
        del self._by_number[batch.number]
        self._by_ref.pop(batch.id, None)
        self._by_ref.pop(batch.batch_number.lower(), None)
        self._deleted.append(batch.id)
