"""Reading one closed finance batch's items, proven complete: the export flow (POST → poll status →
download CSV) or, for tenants without exports, the paged FinanceBatchDetails route.

A batch is complete only when it holds exactly the `ItemCount` its listing announced and, for an export,
the file is a whole CSV. Anything less fails that batch alone (it is read again next run); it is never
loaded short. Items are converted as they stream in and spooled to an Arrow file on disk, so memory stays
flat whatever the size of the export.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from finsync.errors import BatchReadFailed, IncompleteBatch
from finsync.http import pause
from finsync.http.wire import EXTRA_FIELD, Census, census_of_header, extras_of, keeping_extras
from finsync.sources.contract import ListCensus
from finsync.tables import Origin, PiiMode

from .client import SYSTEM, YMClient
from .polls import FIRST_POLL_DELAY, ExportPolls
from .schema import DETAILS_FIELD_NAMES, FINANCE_BATCH_ITEMS, details_records

logger = logging.getLogger(__name__)

# A file that arrives cut short is downloaded again this many times before the batch is given up.
DOWNLOAD_ATTEMPTS = 3
# Bytes of CSV parsed per block: about 3,000 rows, converted and spooled at a time (memory grows with it).
CSV_BLOCK_BYTES = 2 << 20
# Files converted at once, however many exports run: converting is CPU-bound, and each holds a block.
CONVERSIONS_AT_ONCE = 2


@dataclass(frozen=True)
class ListedBatch:
    """A closed batch as FinanceBatches listed it: what a complete read must hold."""

    batch_id: str
    item_count: int | None


@dataclass(frozen=True)
class BatchItems:
    """A batch's items, converted and verified, waiting on disk to be handed to the load."""

    batch_id: str
    rows: int
    path: Path
    census: Census = field(default_factory=Census)  # what the file's header or the pages held

    def tables(self) -> Iterator[pa.Table]:
        # Read, not memory-mapped: mapped pages of a large file would all count as this process's memory.
        with pa.OSFile(str(self.path)) as source:
            reader = pa.ipc.open_file(source)
            for index in range(reader.num_record_batches):
                yield pa.Table.from_batches([reader.get_batch(index)])

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _Spool:
    """Arrow batches of `finance_batch_items` appended to a file as they are converted."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.rows = 0
        self._writer = pa.ipc.new_file(str(path), schema)

    def add(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


@dataclass(frozen=True)
class BatchReader:
    """Reads a closed batch into verified `finance_batch_items` rows, spooled under `spool_dir`."""

    client: YMClient
    naive_tz: tzinfo
    pii: PiiMode
    mode: str = "export"
    poll_interval: float = 3.0
    timeout: float = 900.0
    details_page_size: int = 1000
    keep_extras: bool = False  # keep the fields YM sends that are not declared, as JSON in `extra_fields`
    sleep: Callable[[float], None] = pause
    clock: Callable[[], float] = time.monotonic
    polls: ExportPolls = field(init=False, repr=False)
    _converting: threading.BoundedSemaphore = field(
        init=False, repr=False, default_factory=lambda: threading.BoundedSemaphore(CONVERSIONS_AT_ONCE)
    )

    def __post_init__(self) -> None:
        # One board for every export this reader starts: their polls share the run's request budget.
        polls = ExportPolls(self.client.export_status, self.poll_interval, self.timeout, self.clock)
        object.__setattr__(self, "polls", polls)

    def __call__(self, batch: ListedBatch, spool_dir: Path) -> BatchItems:
        if batch.item_count is None:
            raise BatchReadFailed(
                f"YM listed batch {batch.batch_id} without an ItemCount, so a read of it cannot be proven complete"
            )
        target = spool_dir / f"batch-{batch.batch_id}.arrow"
        census = ListCensus(SYSTEM, "finance_batch_items", ("finance_batch_items",))
        try:
            if self.mode == "details":
                rows = self._read_details(batch, target, census)
            else:
                rows = self._read_export(batch, spool_dir, target, census)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return BatchItems(batch.batch_id, rows, target, census.census)

    # -- export --------------------------------------------------------------------------------------

    def _read_export(self, batch: ListedBatch, spool_dir: Path, target: Path, census: ListCensus) -> int:
        export_id = self.client.start_export(batch.batch_id)
        deadline = self.clock() + self.timeout
        logger.info("YM batch %s: export %s started", batch.batch_id, export_id)
        uri = self.polls.until_complete(export_id, batch.item_count or 0)
        download = spool_dir / f"batch-{batch.batch_id}.csv"
        try:
            for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
                tries = 0
                while not self.client.download(uri, download):
                    # The file may 404 for a while after the export reports COMPLETE.
                    tries += 1
                    self._wait_or_give_up(deadline, tries, f"export file of {export_id} still answers 404")
                try:
                    with self._converting:
                        return read_export_file(
                            download, batch, self.naive_tz, self.pii, target, census, keep_extras=self.keep_extras
                        )
                except IncompleteBatch as error:
                    if attempt == DOWNLOAD_ATTEMPTS:
                        raise
                    logger.warning("%s; downloading it again (attempt %d)", error, attempt + 1)
        finally:
            download.unlink(missing_ok=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_or_give_up(self, deadline: float, attempt: int, what: str) -> None:
        """Wait before asking for the file again: quickly at first, then backing off to `poll_interval`."""
        delay = min(self.poll_interval, FIRST_POLL_DELAY * 2 ** (attempt - 1))
        if self.clock() + delay > deadline:
            raise BatchReadFailed(
                f"{what}; gave up after {self.timeout:.0f}s (sources.ym.export_timeout). It is retried next run."
            )
        self.sleep(delay)

    # -- FinanceBatchDetails -------------------------------------------------------------------------

    def _read_details(self, batch: ListedBatch, target: Path, census: ListCensus) -> int:
        spool = _Spool(target, FINANCE_BATCH_ITEMS.arrow_schema(self.pii))
        try:
            records = keeping_extras(details_records()) if self.keep_extras else details_records()
            pages = self.client.batch_details(batch.batch_id, page_size=self.details_page_size, records=records)
            for rows in census.pages(pages):
                renamed = rows.rename_columns([DETAILS_FIELD_NAMES.get(name, name) for name in rows.column_names])
                renamed = renamed.append_column("BatchID", pa.repeat(pa.scalar(batch.batch_id), rows.num_rows))
                origin = Origin(f"YM batch {batch.batch_id} (FinanceBatchDetails)", spool.rows + 1)
                spool.add(FINANCE_BATCH_ITEMS.from_rows(renamed, self.naive_tz, self.pii, origin=origin))
        finally:
            spool.close()
        _verify_count(batch, spool.rows, "FinanceBatchDetails")
        return spool.rows


def read_export_file(
    path: Path,
    batch: ListedBatch,
    naive_tz: tzinfo,
    pii: PiiMode,
    target: Path,
    census: ListCensus | None = None,
    *,
    keep_extras: bool = False,
) -> int:
    """Parse an export file (CSV whose header row names InvoiceItemData fields) into `target`; return its rows.

    Every column is read as text and converted by the table declaration, so leading zeros, empty cells
    and YM's date formats are handled exactly as in the JSON routes. The file must be whole: a header
    with LineItemID, every row as wide as the header, a line break after the last row (a file cut inside
    a row lacks it), and exactly `ItemCount` rows (a file cut at a row boundary is short). Its header and
    cells are held to the wire contract (`census`): a required column absent or left empty fails the read.
    With `keep_extras`, the columns not declared are kept per row, as JSON in `extra_fields`.
    """
    where = f"the export file of YM batch {batch.batch_id}"
    size = path.stat().st_size
    header = _header(path)
    if not header:
        if batch.item_count == 0:
            return _empty(target, pii)
        raise IncompleteBatch(f"{where} is empty, but YM lists the batch with ItemCount {batch.item_count}")
    endpoint = "the export file (POST FinanceBatches)"
    census = census or ListCensus(SYSTEM, "finance_batch_items", ("finance_batch_items",))
    declared = FINANCE_BATCH_ITEMS.wire_schema(pii)
    census.add(census_of_header(header, declared, 0, {}, endpoint), where)  # a required column missing: none read
    with path.open("rb") as file:
        file.seek(max(size - 1, 0))
        if file.read(1) not in (b"\n", b"\r"):
            raise IncompleteBatch(f"{where} does not end with a line break: it was cut inside a row")
    known = set(declared.names)
    extras = [name for name in header if name not in known] if keep_extras and EXTRA_FIELD in known else []
    empty: dict[str, int] = {}
    bad_row: list[pacsv.InvalidRow] = []

    def refuse(row: pacsv.InvalidRow) -> str:
        bad_row.append(row)
        return "error"

    spool = _Spool(target, FINANCE_BATCH_ITEMS.arrow_schema(pii))
    try:
        reader = pacsv.open_csv(
            str(path),
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=1, encoding="utf-8", use_threads=False, block_size=CSV_BLOCK_BYTES
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=refuse),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                include_columns=[name for name in header if name in known or name in extras],
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
        for record_batch in reader:
            columns = {name: record_batch.column(name) for name in record_batch.schema.names}
            for name, column in columns.items():
                empty[name] = empty.get(name, 0) + column.null_count
            if extras:
                columns[EXTRA_FIELD] = extra_cells(record_batch, extras)
            columns["BatchID"] = pa.array([batch.batch_id] * record_batch.num_rows, pa.string())
            spool.add(FINANCE_BATCH_ITEMS.from_arrays(columns, naive_tz, pii, origin=Origin(where, spool.rows + 1)))
    except pa.ArrowInvalid as error:
        # Arrow's message quotes the row, which holds names and addresses: say where, never what.
        if bad_row:
            row = bad_row[0]
            number = f"row {row.number - 1}" if row.number else "a row"
            raise IncompleteBatch(
                f"{where} is not a whole CSV: {number} has {row.actual_columns} fields where the header has "
                f"{row.expected_columns}"
            ) from None
        reason = str(error).split(":", 1)[0]
        raise IncompleteBatch(f"{where} is not valid CSV ({reason})") from None
    finally:
        spool.close()
    _verify_count(batch, spool.rows, "export file")
    census.census = Census(endpoint)  # the file's census replaces the header's alone
    census.add(census_of_header(header, declared, spool.rows, empty, endpoint), where)
    return spool.rows


def extra_cells(cells: pa.RecordBatch, names: list[str]) -> pa.Array:
    """Each row's cells in the columns finsync does not declare, as one JSON object of their text."""
    rows = cells.select(names).to_pylist()
    return pa.array([extras_of(row, set()) for row in rows], pa.string())


def _verify_count(batch: ListedBatch, rows: int, what: str) -> None:
    if rows != batch.item_count:
        raise IncompleteBatch(
            f"the {what} of YM batch {batch.batch_id} holds {rows} items, but YM lists the batch with ItemCount "
            f"{batch.item_count}: the read was cut short or the batch changed since it was listed"
        )


def _header(path: Path) -> list[str]:
    with path.open("rb") as file:
        head = file.read(65536).decode("utf-8-sig", errors="replace")
    try:
        header = next(csv.reader(io.StringIO(head)))
    except StopIteration:
        return []
    return [name.strip().lstrip("\ufeff") for name in header]


def _empty(target: Path, pii: PiiMode) -> int:
    _Spool(target, FINANCE_BATCH_ITEMS.arrow_schema(pii)).close()
    return 0
