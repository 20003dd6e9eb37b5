"""What a loaded table looks like, for bench_compare.py: each contender's child process, once its timed
load is over, queries its own warehouse for the same facts (rows, distinct keys and the exact sum of each
money column, the money and entry-time types, whether card numbers were stored whole), so the parent can
check that finsync and the ceiling loaded the same data and say where the peer's table differs. Also the
shapes every contender's run reports in (`Query`, `Result`) and the helpers to read a dlt pipeline's
warehouse and row counts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

Query = Callable[[str], list[tuple[Any, ...]]]
# What one contender's run reports: wall seconds, rows per table, facts (and, added by the child, peak RSS).
Result = dict[str, Any]


def column_type(query: Query, schema: str, table: str, column: str) -> str | None:
    found = query(
        "SELECT data_type FROM information_schema.columns "
        f"WHERE table_schema = '{schema}' AND table_name = '{table}' AND column_name = '{column}'"
    )
    return str(found[0][0]) if found else None


def fingerprint(query: Query, qualified: str, key: str, amount: str) -> dict[str, Any]:
    """Rows, distinct keys and the exact sum of a money column (as text: a decimal's sum is exact, a
    double's is not, and the text shows which)."""
    rows, keys, total = query(
        f"SELECT count(*), count(DISTINCT {key}), CAST(sum({amount}) AS VARCHAR) FROM {qualified}"
    )[0]
    return {"rows": rows, "keys": keys, "sum": total}


def ym_facts(query: Query, schema: str) -> dict[str, Any]:
    """The InvoiceItems table's fingerprint, and the facts a user would care about: the money type, how
    entry times were read, whether card numbers were stored whole."""
    table = f"{schema}.invoice_items"
    # A card number with five or more digits in a row was not masked to its last four.
    unmasked = query(
        f"SELECT count(*) FROM {table} WHERE regexp_matches(CAST(payment_card_number AS VARCHAR), '[0-9]{{5,}}')"
    )[0][0]
    # The entry time of the first item, as an instant: compared across contenders to find a zone shift.
    entered = query(
        f"SELECT epoch(CAST(line_item_date_entered AS TIMESTAMPTZ)) FROM {table} ORDER BY line_item_id LIMIT 1"
    )
    return {
        "invoice_items": fingerprint(query, table, "line_item_id", "line_total"),
        "line_total_type": column_type(query, schema, "invoice_items", "line_total"),
        "entered_type": column_type(query, schema, "invoice_items", "line_item_date_entered"),
        "first_entered_epoch": float(entered[0][0]) if entered and entered[0][0] is not None else None,
        "unmasked_card_numbers": unmasked,
    }


def younium_facts(query: Query, schema: str, lines_table: str) -> dict[str, Any]:
    return {
        "invoices": fingerprint(query, f"{schema}.invoices", "id", "total_amount"),
        "lines": fingerprint(query, f"{schema}.{lines_table}", "id", "total"),
        "total_amount_type": column_type(query, schema, "invoices", "total_amount"),
    }


@contextlib.contextmanager
def dlt_query(pipeline: Any) -> Iterator[Query]:
    """Queries on the warehouse a dlt pipeline loaded, through its own client (DuckDB refuses a second
    connection to the file with other settings)."""
    with pipeline.sql_client() as client:
        client.execute_sql("SET TimeZone = 'UTC'")

        def query(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in client.execute_sql(sql) or []]

        yield query


def facts_of(workload: str, query: Query, schema: str, lines_table: str = "invoice_lines") -> dict[str, Any]:
    return ym_facts(query, schema) if workload == "ym" else younium_facts(query, schema, lines_table)


def dlt_rows(pipeline: Any) -> dict[str, int]:
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table: count for table, count in counts.items() if not table.startswith("_dlt")}
