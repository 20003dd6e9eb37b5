"""One paginator per paging behaviour the upstreams have, each named for what it handles, each proving
its read complete or failing it. A client gives a paginator `fetch(page_number)`; the paginator decides
which pages to ask for, when the list has ended, and whether what came back is all there is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import pyarrow as pa

from finsync import progress
from finsync.errors import UpstreamError

from .concurrency import bounded_map, read_ahead

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]
# A page's records: an Arrow table of them (`columnar`: decoded straight into Arrow, or read value by value).
Records: TypeAlias = pa.Table


def keys_of(rows: Records, key: str) -> list[Any]:
    keys: list[Any] = rows.column(key).to_pylist()
    return keys


# A safety stop for lists whose end never comes.
MAX_PAGES = 100_000


@dataclass(frozen=True)
class Page:
    """One page of a list, as its client read it; `gone` when the answer meant "no records"."""

    number: int
    rows: Records
    total_pages: int | None = None
    total_count: int | None = None
    has_next: bool = False
    gone: bool = False

    @property
    def is_last(self) -> bool:
        return not self.rows or not self.has_next or (self.total_pages is not None and self.number >= self.total_pages)


class RepeatingListPaginator:
    """A list whose every page repeats it whole, whatever the page number asked (YM FinanceBatches): pages
    are read until one adds nothing new, and records are kept once by `key`."""

    def __init__(self, system: str, what: str, key: str) -> None:
        self.system, self.what, self.key = system, what, key

    def read(self, fetch: Callable[[int], list[JsonObject]], page_size: int) -> list[JsonObject]:
        found: dict[str, JsonObject] = {}
        for number in range(1, MAX_PAGES):
            listed = fetch(number)
            fresh = [r for r in listed if str(r.get(self.key)) not in found]
            found.update((str(r.get(self.key)), r) for r in fresh)
            logger.info("%s %s page %d: %d new", self.system, self.what, number, len(fresh))
            progress.advance(f"{self.what} pages")
            if not fresh or len(listed) < page_size:
                return list(found.values())
        raise UpstreamError(self.system, f"{self.what} did not end after {MAX_PAGES} pages")


class ShortPagePaginator:
    """Pages of `page_size` that end at a short page, with no total to plan by (YM InvoiceItems and
    FinanceBatchDetails). A short page is believed only once the page after it comes back empty: a server
    that caps the page size below what was asked would otherwise end every read after its first page.
    Pages are read ahead (see `read_ahead`), so in a long read that confirmation is already in flight."""

    def __init__(self, system: str, what: str, page_size: int, concurrency: int, size_setting: str) -> None:
        self.system, self.what, self.page_size = system, what, page_size
        self.concurrency, self.size_setting = max(1, concurrency), size_setting

    def pages(self, fetch: Callable[[int], Records]) -> Iterator[Records]:
        short: tuple[int, int] | None = None  # (page number, rows) of a short page
        full = self.page_size
        for number, rows in read_ahead(fetch, 1, self.concurrency, lambda rows: len(rows) >= full):
            logger.info("%s %s page %d: %d rows", self.system, self.what, number, len(rows))
            progress.advance(f"{self.what.removeprefix('GET ')} pages")
            if short is not None:
                if rows:
                    raise UpstreamError(
                        self.system,
                        f"{self.what} answered page {short[0]} with {short[1]} rows where {full} were asked, then "
                        f"page {number} with more: the server caps its page size. Set {self.size_setting} to "
                        f"{short[1]} or less.",
                    )
                return
            if rows:
                yield rows
            if len(rows) < full:
                if not rows:
                    return
                short = (number, len(rows))
            if number >= MAX_PAGES:
                raise UpstreamError(self.system, f"{self.what} did not end after {MAX_PAGES} pages")


class CountedPaginator:
    """Pages whose first announces how many records the list holds (Younium's envelope): once page 1 tells
    the page count, pages 2..N are read concurrently and handed over as they arrive.

    A read is complete when it has returned as many distinct records (by `key`; rows without one) as page
    1 announced. Offset paging over a list that changes while it is read can skip a record (one that
    changed moves, the others slide back onto a page already read), so a read that comes up short is read
    again from page 1, and fails after `attempts`. Records already handed over may come again: callers
    merge by key. An empty answer on page 1 is only believed when a second request says so too; with
    `expect_rows` (a list known to hold records), an empty list is read again before it is accepted.
    """

    def __init__(self, system: str, what: str, concurrency: int, *, sequential: bool = False, attempts: int = 3):
        self.system, self.what = system, what
        self.concurrency, self.sequential, self.attempts = max(1, concurrency), sequential, attempts

    def pages(
        self, fetch: Callable[[int], Page], *, key: str | None = "id", expect_rows: bool = False
    ) -> Iterator[Records]:
        shortfall = ""
        announced_before = 0  # what an earlier attempt's page 1 announced: an empty answer now contradicts it
        for attempt in range(1, self.attempts + 1):
            seen: set[object] = set()
            rows_read = 0
            announced: int | None = None
            for page in self._read_once(fetch):
                if page.number == 1:
                    announced = page.total_count if not page.gone else (announced_before or None)
                elif page.gone:
                    break  # "nothing found" past a page 1 that announced records: the list shrank
                rows_read += len(page.rows)
                if key:
                    seen.update(keys_of(page.rows, key))
                if page.rows:
                    yield page.rows
            got = len(seen) if key else rows_read
            if announced is None and not rows_read and expect_rows and attempt < self.attempts:
                logger.warning(
                    "%s %s answered that it holds nothing, where records were expected; reading it again",
                    self.system,
                    self.what,
                )
                continue
            if announced is None or got >= announced:
                return
            announced_before = max(announced_before, announced)
            shortfall = f"page 1 announced {announced} records, the pages then held {got}"
            if attempt < self.attempts:
                logger.warning(
                    "%s %s read incomplete (%s); reading it again (attempt %d of %d)",
                    self.system,
                    self.what,
                    shortfall,
                    attempt + 1,
                    self.attempts,
                )
        raise UpstreamError(
            self.system,
            f"{self.what} could not be read completely: {shortfall}, {self.attempts} times in a row (the list kept "
            "changing while it was read, or the server's paging is inconsistent). Nothing of this run was loaded; "
            "rerun to try again.",
        )

    def _read_once(self, fetch: Callable[[int], Page]) -> Iterator[Page]:
        """The pages of one pass over the list."""
        page = fetch(1)
        if page.gone:
            logger.info("%s %s answered nothing found; asking once more", self.system, self.what)
            page = fetch(1)
        yield page
        if page.is_last:
            return
        number = 2
        if not self.sequential and page.total_pages is not None and self.concurrency > 1:
            last = page.total_pages
            tail = page
            for outcome in bounded_map(fetch, range(2, last + 1), self.concurrency):
                if outcome.error is not None:
                    raise outcome.error
                assert outcome.result is not None
                yield outcome.result
                if outcome.result.gone:
                    return
                if outcome.item == last:
                    tail = outcome.result
            if tail.is_last:
                return
            number = last + 1  # the list grew while it was read: carry on one page at a time
        while number < MAX_PAGES:
            page = fetch(number)
            yield page
            if page.is_last:
                return
            number += 1
