"""When a Younium field that some records lack has stopped arriving (`finsync.warehouse.upstream`): judged on a
whole read against the last whole read, and on a large read by chance, one read at a time (the overlap read
again never adds up); recorded once per field, in a table older warehouses gain the new columns of."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from finsync.http.wire import Census
from finsync.sources.tenants import Target
from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.upstream import TABLE, fields, record_reads

PRODUCTS = "GET /Products"
TARGET = Target("younium")
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Reads:
    """Reads of Younium's products recorded one after another, an hour apart."""

    def __init__(self, connection: Any) -> None:
        self.connection, self.hour = connection, 0

    def read(self, records: int, holding: int, whole: bool) -> list[str]:
        """A read of `records` products, `holding` of which carry `endOfLifeDate`; what the summary says."""
        self.hour += 1
        census = Census(
            endpoint=PRODUCTS,
            records=records,
            omits_nulls=True,
            whole=whole,
            present={"id": records, "endOfLifeDate": holding},
            counted={"id": records, "endOfLifeDate": records},
            contract={"id": "required", "endOfLifeDate": "nullable"},
        )
        at = (START + timedelta(hours=self.hour)).isoformat()
        return record_reads(self.connection, TARGET, "younium", [{"at": at, **census.as_json()}])

    def missing(self) -> bool:
        (found,) = [f for f in fields(self.connection, TARGET, PRODUCTS) if f.field == "endOfLifeDate"]
        return found.missing_since is not None


@pytest.fixture
def reads(tmp_path: Path) -> Any:
    with Warehouse("duckdb", tmp_path / "w.duckdb").connect() as connection:
        yield Reads(connection)


def test_a_whole_read_without_a_field_the_last_whole_read_had_flags_it_at_once(reads: Reads) -> None:
    reads.read(24, 1, whole=True)  # a first read: one product of 24 has an end-of-life date
    assert not reads.read(24, 0, whole=False) and not reads.missing(), "a read of some products judges nothing"
    said = reads.read(24, 0, whole=True)
    assert reads.missing()
    assert said and "declared field(s) endOfLifeDate came in none of the 24 records read" in said[0]


def test_a_whole_read_judges_nothing_before_a_whole_read_found_the_field(reads: Reads) -> None:
    reads.read(24, 0, whole=True)
    reads.read(5, 1, whole=False)  # seen in an incremental read only
    reads.read(24, 0, whole=True)
    assert not reads.missing(), "no whole read held it: the product that had it may have lost it since"


def test_a_read_of_a_hundred_records_without_a_field_half_of_them_held_flags_it(reads: Reads) -> None:
    reads.read(40, 20, whole=True)  # held by half the records
    reads.read(99, 0, whole=False)
    assert not reads.missing(), "99 records without it: fewer than a judgement needs"
    reads.read(100, 0, whole=False)
    assert reads.missing(), "100 records without a field half the records held: 1 in 2^100"


def test_the_overlap_read_again_and_again_never_adds_up_to_a_judgement(reads: Reads) -> None:
    reads.read(40, 20, whole=True)
    for _ in range(10):  # the same twenty drafts, in every run's overlap
        reads.read(20, 0, whole=False)
    assert not reads.missing()
    counts = [
        (f.field, f.records_with, f.records_read, f.absent_for) for f in fields(reads.connection, TARGET, PRODUCTS)
    ]
    assert counts == [("endOfLifeDate", 20, 240, 200), ("id", 240, 240, 0)], "one row per field, counts added up"


def test_a_table_made_before_the_new_columns_gains_them(reads: Reads) -> None:
    query(reads.connection, "CREATE SCHEMA finsync_meta")
    query(
        reads.connection,
        f"CREATE TABLE {TABLE} (dataset VARCHAR NOT NULL, system VARCHAR NOT NULL, endpoint VARCHAR NOT NULL, "
        "field VARCHAR NOT NULL, declared BOOLEAN NOT NULL, contract VARCHAR, wire_type VARCHAR, first_seen "
        "TIMESTAMPTZ, last_seen TIMESTAMPTZ, last_read TIMESTAMPTZ NOT NULL, records_read BIGINT NOT NULL, "
        "records_with BIGINT NOT NULL, missing_since TIMESTAMPTZ, PRIMARY KEY (dataset, endpoint, field))",
    )
    reads.read(24, 1, whole=True)
    reads.read(24, 0, whole=True)
    assert reads.missing()
