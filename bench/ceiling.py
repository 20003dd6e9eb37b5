"""The ceiling in bench_compare.py: a hand-written loader with no dlt at all. Pages are fetched concurrently
with httpx, decoded by pyarrow's JSON reader into finsync's own wire schema, converted by finsync's own Arrow
conversion (so its tables are finsync's, row for row) and inserted into a fresh DuckDB table in batches, no
merge: the time a load of the same data could take. `run_ceiling` is what a spawned child process runs for
the "ceiling" contender; it times the load and then reads the loaded table's facts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pyarrow as pa
from facts import Result, facts_of
from upstream_requests import ym_params, younium_headers, younium_params

# Pages the ceiling has in flight at once.
CEILING_CONCURRENCY = 8
# Rows the ceiling gathers before each DuckDB insert: one insert per page would measure DuckDB's
# per-statement cost rather than the load.
CEILING_BATCH_ROWS = 10_000

T = TypeVar("T")


def open_ended_pages(fetch: Callable[[int], pa.Table], page_size: int, concurrency: int) -> Iterator[pa.Table]:
    """Pages 1, 2, … of a list with no total, `concurrency` at a time: every full page asks for one more,
    and the first short page ends the list (the pages already asked past it come back empty)."""
    with ThreadPoolExecutor(concurrency) as pool:
        pending: dict[Future[pa.Table], int] = {pool.submit(fetch, n): n for n in range(1, concurrency + 1)}
        following, ended = concurrency + 1, False
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                del pending[future]
                table = future.result()
                ended = ended or table.num_rows < page_size
                if not ended:
                    pending[pool.submit(fetch, following)] = following
                    following += 1
                if table.num_rows:
                    yield table


def counted_pages(fetch: Callable[[int], tuple[T, int]], concurrency: int) -> Iterator[T]:
    """Page 1, which tells how many pages there are (its second item), then the rest `concurrency` at a time."""
    first, total = fetch(1)
    yield first
    with ThreadPoolExecutor(concurrency) as pool:
        for page, _ in pool.map(fetch, range(2, total + 1)):
            yield page


def insert_all(db: Any, name: str, tables: Iterator[pa.Table]) -> int:
    """Every table into `name` (created from the first), gathered into inserts of CEILING_BATCH_ROWS."""
    held: list[pa.Table] = []
    rows, created = 0, False

    def flush() -> None:
        nonlocal created
        relation = db.from_arrow(pa.concat_tables(held))
        if created:
            relation.insert_into(name)
        else:
            relation.create(name)
        created = True
        held.clear()

    for table in tables:
        held.append(table)
        rows += table.num_rows
        if sum(t.num_rows for t in held) >= CEILING_BATCH_ROWS:
            flush()
    if held:
        flush()
    return rows


def ym_ceiling_pages(http: Any, settings: Mapping[str, Any]) -> Iterator[pa.Table]:
    """InvoiceItems pages as finsync's final Arrow tables: the same wire schema, the same conversion."""
    from finsync.http.columnar import ListPage
    from finsync.sources.ym import YMSettings
    from finsync.sources.ym.client import ENVELOPE, error_in_envelope
    from finsync.sources.ym.schema import INVOICE_ITEMS

    decode = ListPage("InvoiceItemsList", INVOICE_ITEMS.wire_schema(), ENVELOPE)
    zone = ZoneInfo(YMSettings.server_timezone)
    path = f"/Ams/{settings['client_id']}/InvoiceItems"
    params = ym_params()

    def fetch(number: int) -> pa.Table:
        reply = http.get(path, params={**params, "PageNumber": number})
        reply.raise_for_status()
        body = decode(reply.content)
        if body is None or error_in_envelope(body):
            raise RuntimeError(f"InvoiceItems page {number} could not be decoded exactly")
        return INVOICE_ITEMS.from_rows(body["InvoiceItemsList"], zone)

    return open_ended_pages(fetch, params["PageSize"], CEILING_CONCURRENCY)


def split_invoices(invoices: pa.Table) -> tuple[pa.Table, pa.Table]:
    """A page of invoices as finsync's `invoices` and `invoice_lines` tables, each line keyed to its invoice."""
    from finsync.sources.younium.rows import invoice_line_columns
    from finsync.sources.younium.schema import INVOICE_LINES, INVOICES
    from finsync.tables import unnested

    utc = ZoneInfo("UTC")
    return INVOICES.from_rows(unnested(invoices), utc), INVOICE_LINES.from_rows(invoice_line_columns(invoices), utc)


def younium_ceiling_pages(http: Any) -> Iterator[tuple[pa.Table, pa.Table]]:
    from finsync.http.columnar import ListPage
    from finsync.sources.younium.schema import invoice_records

    decode = ListPage("data", invoice_records(), {"totalPages": pa.int64()})
    params = younium_params()

    def fetch(number: int) -> tuple[tuple[pa.Table, pa.Table], int]:
        reply = http.get("/Invoices", params={**params, "PageNumber": number})
        reply.raise_for_status()
        body = decode.read(reply.content)  # straight into Arrow, nothing else
        if body is None:
            raise RuntimeError(f"Invoices page {number} could not be decoded exactly")
        return split_invoices(body["data"]), int(body["totalPages"])

    return counted_pages(fetch, CEILING_CONCURRENCY)


def ym_ceiling(settings: Mapping[str, Any], db: Any) -> dict[str, int]:
    import httpx

    credentials = {
        "ClientID": int(settings["client_id"]),
        "UserType": "Admin",
        "Username": settings["api_key"],
        "Password": settings["api_password"],
    }
    with httpx.Client(base_url=settings["base_url"], timeout=60, headers={"Accept": "application/json"}) as http:
        signed_in = http.post("/Ams/Authenticate", json=credentials)
        signed_in.raise_for_status()
        http.headers["X-SS-ID"] = signed_in.json()["SessionId"]
        return {"invoice_items": insert_all(db, "invoice_items", ym_ceiling_pages(http, settings))}


def younium_ceiling(settings: Mapping[str, Any], db: Any) -> dict[str, int]:
    import httpx

    with httpx.Client(base_url=settings["base_url"], timeout=60, headers=younium_headers(settings)) as http:
        issued = http.post("/auth/v2/token", json={"clientId": settings["client_id"], "secret": settings["secret"]})
        issued.raise_for_status()
        http.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
        lines: list[pa.Table] = []

        def invoices() -> Iterator[pa.Table]:
            # Lines are held back and inserted after the invoices: one pass over the pages fills both.
            for invoice_table, line_table in younium_ceiling_pages(http):
                lines.append(line_table)
                yield invoice_table

        counted = {"invoices": insert_all(db, "invoices", invoices())}
        counted["invoice_lines"] = insert_all(db, "invoice_lines", iter(lines))
        return counted


CEILINGS = {"ym": ym_ceiling, "younium": younium_ceiling}


def run_ceiling(workload: str, settings: dict[str, Any], tmp: Path) -> Result:
    import duckdb

    with duckdb.connect(str(tmp / "ceiling.duckdb")) as db:
        started = time.perf_counter()
        rows = CEILINGS[workload](settings, db)
        seconds = time.perf_counter() - started
        db.execute("SET TimeZone = 'UTC'")
        facts = facts_of(workload, lambda sql: db.execute(sql).fetchall(), "main")
    return {"seconds": seconds, "rows": rows, "facts": facts}
