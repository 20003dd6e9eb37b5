"""Reading one finance batch's items: the export flow (POST → poll status → download CSV) or, for
tenants without exports, the paged FinanceBatchDetails route."""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

import pyarrow as pa
import pyarrow.csv as pacsv

from finsync.errors import DataError, SyncError
from finsync.sources._columns import PiiMode

from .client import ExportState, YMClient
from .schema import DETAILS_FIELD_NAMES, FINANCE_BATCH_ITEMS

logger = logging.getLogger(__name__)

FIRST_POLL_DELAY = 0.25


class ExportFailed(SyncError):
    """One batch's export did not produce a readable file; other batches are unaffected."""


@dataclass(frozen=True)
class BatchReader:
    """Reads a closed batch into an Arrow table of `finance_batch_items` rows."""

    client: YMClient
    naive_tz: tzinfo
    pii: PiiMode
    mode: str = "export"
    poll_interval: float = 3.0
    timeout: float = 900.0
    details_page_size: int = 1000
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def __call__(self, batch_id: str) -> pa.Table:
        return self.read_details(batch_id) if self.mode == "details" else self.read_export(batch_id)

    def read_export(self, batch_id: str) -> pa.Table:
        export_id = self.client.start_export(batch_id)
        deadline = self.clock() + self.timeout
        polls = 0
        while True:
            status = self.client.export_status(export_id)
            polls += 1
            logger.info(
                "YM export %s of batch %s: %s", export_id, batch_id, status.state.name, extra={"progress": "poll"}
            )
            if status.state is ExportState.FAILURE:
                raise ExportFailed(f"YM reported FAILURE for export {export_id}")
            if status.state is ExportState.COMPLETE and status.uri:
                break
            self._wait_or_give_up(deadline, polls, f"export {export_id} still {status.state.name} after {polls} polls")
        tries = 0
        while (content := self.client.download(status.uri)) is None:
            # The file may 404 for a while after the export reports COMPLETE.
            tries += 1
            self._wait_or_give_up(deadline, tries, f"export file of {export_id} still answers 404")
        return read_export_csv(content, batch_id, self.naive_tz, self.pii)

    def read_details(self, batch_id: str) -> pa.Table:
        tables = []
        for rows in self.client.batch_details(batch_id, page_size=self.details_page_size):
            renamed = [
                {DETAILS_FIELD_NAMES.get(k, k): v for k, v in row.items()} | {"BatchID": batch_id} for row in rows
            ]
            tables.append(FINANCE_BATCH_ITEMS.from_rows(renamed, self.naive_tz, self.pii))
        return pa.concat_tables(tables) if tables else FINANCE_BATCH_ITEMS.arrow_schema(self.pii).empty_table()

    def _wait_or_give_up(self, deadline: float, attempt: int, what: str) -> None:
        """Wait before asking again: quickly at first (small exports finish in moments), then backing
        off to `poll_interval` so long exports are not hammered."""
        delay = min(self.poll_interval, FIRST_POLL_DELAY * 2 ** (attempt - 1))
        if self.clock() + delay > deadline:
            raise ExportFailed(
                f"{what}; gave up after {self.timeout:.0f}s (sources.ym.export_timeout). It is retried next run."
            )
        self.sleep(delay)


def read_export_csv(content: bytes, batch_id: str, naive_tz: tzinfo, pii: PiiMode) -> pa.Table:
    """Parse an export file: CSV whose header row names InvoiceItemData fields.

    Every column is read as text and converted by the table declaration, so leading zeros, empty
    cells and YM's date formats are handled exactly as in the JSON routes.
    """
    text_head = content[:65536].decode("utf-8-sig", errors="replace")
    try:
        header = next(csv.reader(io.StringIO(text_head)))
    except StopIteration:
        header = []
    if not header:
        return FINANCE_BATCH_ITEMS.arrow_schema(pii).empty_table()
    header = [name.strip().lstrip("\ufeff") for name in header]
    known = {c.source for c in FINANCE_BATCH_ITEMS.columns}
    if "LineItemID" not in header:
        raise DataError(
            f"export file of batch {batch_id} has no LineItemID column (header: {', '.join(header[:8])}, …)"
        )
    try:
        parsed = pacsv.read_csv(
            io.BytesIO(content),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, encoding="utf-8"),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                include_columns=[name for name in header if name in known],
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as error:
        raise DataError(f"export file of batch {batch_id} is not valid CSV: {error}") from None
    columns = {name: parsed.column(name) for name in parsed.column_names}
    columns["BatchID"] = pa.array([batch_id] * parsed.num_rows, pa.string())
    return FINANCE_BATCH_ITEMS.from_arrays(columns, naive_tz, pii)
