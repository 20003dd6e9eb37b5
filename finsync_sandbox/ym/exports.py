"""Finance batch exports: started by POST FinanceBatches, polled by ExportStatus, then downloaded as CSV.

An export is WORKING for `export_latency_seconds` after it started (its very first poll may say
UNKNOWN), then COMPLETE, or FAILURE when a fault asked for one. Its file answers 404 for the first
`export_not_ready_count` downloads after completion, as YM's export URIs are reported to do.
"""

from __future__ import annotations

import csv
import io
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

from ..kernel.drift import ColumnDrift
from ..kernel.faults import Fault
from .dataset import Batch, YMDataset
from .fields import INVOICE_ITEM_FIELDS, csv_cell

_CSV_CHUNK = 256 * 1024


class ExportState(IntEnum):
    """Sa.Export.Status codes."""

    FAILURE = -1
    UNKNOWN = 0
    WORKING = 1
    COMPLETE = 2


@dataclass
class Export:
    export_id: str
    batch: Batch
    ready_at: float
    failed: bool
    polls: int = 0
    not_ready_left: int | None = None  # counted down from the first download after completion


class Exports:
    FIRST_EXPORT_ID = 90_001

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(self.FIRST_EXPORT_ID)
        self._exports: dict[str, Export] = {}

    def start(self, batch: Batch, latency: float, failed: bool) -> Export:
        with self._lock:
            export = Export(str(next(self._ids)), batch, self._clock() + latency, failed)
            self._exports[export.export_id] = export
        return export

    def get(self, export_id: str) -> Export | None:
        return self._exports.get(export_id)

    def poll(self, export: Export) -> ExportState:
        with self._lock:
            export.polls += 1
            if self._clock() < export.ready_at:
                return ExportState.UNKNOWN if export.polls == 1 else ExportState.WORKING
            return ExportState.FAILURE if export.failed else ExportState.COMPLETE

    def claim_file(self, export: Export, not_ready_count: int) -> bool:
        """Whether a download of the export's file succeeds now (False: answer 404)."""
        with self._lock:
            if export.failed or self._clock() < export.ready_at:
                return False
            if export.not_ready_left is None:
                export.not_ready_left = not_ready_count
            if export.not_ready_left > 0:
                export.not_ready_left -= 1
                return False
            return True


def export_file(
    dataset: YMDataset,
    batch: Batch,
    rows: int | None = None,
    malformed: int | None = None,
    drifts: Sequence[Fault] = (),
) -> Iterator[bytes]:
    """The export file of `batch` (as it was when the export started): a CSV with InvoiceItemData's fields
    as its header, in chunks; a revised batch's adjustment items after its generated ones.

    With `rows`, cut after that many rows (-1: nothing at all, not even the header); with `malformed`,
    that row (1-based) written with only the first half of its cells; with `drifts`, columns renamed,
    removed or added (`kernel.drift.ColumnDrift`)."""
    if rows == -1:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = ColumnDrift(INVOICE_ITEM_FIELDS, drifts) if drifts else None
    writer.writerow(INVOICE_ITEM_FIELDS if columns is None else columns.header)
    for number, record in enumerate(dataset.batch_records(batch, 0, rows), start=1):
        cells = [csv_cell(name, record[name]) for name in INVOICE_ITEM_FIELDS]
        if columns is not None:
            cells = columns.row(cells)
        writer.writerow(cells[: len(cells) // 2] if number == malformed else cells)
        if buffer.tell() >= _CSV_CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
