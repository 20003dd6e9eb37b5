"""Younium ledger benchmark (run on demand: `python bench/bench_ledger.py`).

The journals, vouchers and GL lines of 20k invoices' worth of postings (and their payments), through
finsync's runner into DuckDB, against a sandbox in its own process: the first run, and an incremental
run after one more journal was posted. Beside it, what the two listing routes cost for the same journals:
`GET /Journals` (vouchers embedded) against `GET /Journals/JournalDetails` (headers only, which would need
one `GET /Journals/{id}` per journal for the vouchers): requests and bytes.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
from harness import machine, write_section, younium_sandbox

from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.runner import sync

LEDGER = ("journals", "accounting_transactions", "accounting_transaction_lines")


def listing_cost(younium: dict[str, Any], path: str) -> tuple[int, int, int]:
    """(requests, bytes, journals) to page through `path` whole, as finsync pages it (100 a page)."""
    base = younium["base_url"]
    token = httpx.post(f"{base}/auth/v2/token", json={"clientId": younium["client_id"], "secret": younium["secret"]})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "api-version": "2.1"}
    requests = size = journals = 0
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        page = 1
        while True:
            reply = client.get(path, params={"PageSize": 100, "PageNumber": page})
            requests, size = requests + 1, size + len(reply.content)
            body = reply.json()
            journals += len(body.get("data") or [])
            if page >= (body.get("totalPages") or 1):
                return requests, size, journals
            page += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=20_000)
    args = parser.parse_args()
    with younium_sandbox(args.invoices) as (younium, control, tmp):
        warehouse = Warehouse("duckdb", tmp / "ledger.duckdb")
        runs = []
        for label in ("first run", "incremental, one journal posted"):
            if runs:  # post one open draft on its own: one new journal
                with warehouse.connect() as connection:
                    (invoice,) = query(
                        connection,
                        "SELECT id FROM younium.invoices WHERE status = 'Draft' AND invoice_batch_id IS NULL LIMIT 1",
                    )[0]
                control.post("/younium/change", json={"change": "set_status", "invoice": invoice, "status": "Posted"})
            control.delete("/requests")
            started = time.perf_counter()
            report = sync("younium", warehouse, settings=younium)
            seconds = time.perf_counter() - started
            requests = control.get("/requests").json()
            rows = sum(report.rows_loaded.get(t, 0) for t in LEDGER)
            ledger_requests = requests.get("younium.journals", 0) + requests.get("younium.journal", 0)
            runs.append((label, seconds, rows, ledger_requests, report.rows_loaded))
        full = listing_cost(younium, "/Journals")
        details = listing_cost(younium, "/Journals/JournalDetails")
    lines = [
        "## Younium: the ledger (journals, vouchers, GL lines)",
        "",
        f"_Machine: {machine()}._",
        "",
        f"The postings of {args.invoices:,} invoices (and their payments) into DuckDB through finsync's runner (the "
        "whole Younium source runs; rows and requests are the ledger's). One run of each.",
        "",
        "| run | wall time (whole source) | journals | vouchers | GL lines | ledger rows/s | journal requests |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, seconds, rows, ledger_requests, loaded in runs:
        lines.append(
            f"| {label} | {seconds:.1f} s | {loaded.get('journals', 0):,} | "
            f"{loaded.get('accounting_transactions', 0):,} | {loaded.get('accounting_transaction_lines', 0):,} | "
            f"{rows / seconds:,.0f} | {ledger_requests:,} |"
        )
    lines += [
        "",
        f"Listing every journal: `GET /Journals` takes {full[0]:,} requests and {full[1] / 1e6:,.1f} MB for "
        f"{full[2]:,} journals with their vouchers; `GET /Journals/JournalDetails` takes {details[0]:,} requests and "
        f"{details[1] / 1e6:,.2f} MB for the headers alone, and the vouchers would then need {details[2]:,} more "
        "by-id requests. finsync lists `/Journals` (a first run reads vouchers from the pages) and reads by id "
        "only the journals an incremental window lists.",
    ]
    write_section("ledger", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
