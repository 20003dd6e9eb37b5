"""Column declarations: the vectorized conversion must give exactly what the per-value conversion gives."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from finsync.errors import DataError
from finsync.sources.ym.schema import INVOICE_ITEMS
from finsync.values import Kind, Sensitivity, convert_array
from finsync_sandbox.ym.dataset import YMDataset

NY = ZoneInfo("America/New_York")

EDGE_CASES = [
    {"LineItemID": 1, "LineItemDateEntered": "2024-05-03T01:24:34.3184733", "LineTotal": Decimal("12.5")},
    {"LineItemID": 2, "DateInvoiceLastSent": "0001-01-01T00:00:00", "LineTotal": 3},
    {"LineItemID": 3, "LineItemDateEntered": "2024-11-03T01:30:00", "PaymentCardNumber": "4111 1111 1111 1234"},
    {
        "LineItemID": 4,
        "LineTotal": Decimal("1.23456"),
        "LineItemTaxVATRate": Decimal("0.0825"),
        "PaymentCardNumber": "",
    },
    {"LineItemID": 5, "OriginalInvoiceCardNumber": "12", "LineItemDate": "2024-01-02 00:00:00"},
]


def exact(rows: list[dict[str, object]], pii: str = "mask") -> list[dict[str, object]]:
    columns = {c.source: [r.get(c.source) for r in rows] for c in INVOICE_ITEMS.kept(pii)}  # type: ignore[arg-type]
    return INVOICE_ITEMS.from_columns(columns, NY, pii).to_pylist()  # type: ignore[arg-type]


@pytest.mark.parametrize("pii", ["mask", "drop"])
def test_the_fast_path_equals_the_exact_path_on_generated_records(pii: str) -> None:
    rows = list(YMDataset(seed=3, items=400, batch_size=50).records(1, 400))
    assert INVOICE_ITEMS.from_rows(rows, NY, pii).to_pylist() == exact(rows, pii)  # type: ignore[arg-type]


def test_the_fast_path_equals_the_exact_path_on_edge_cases() -> None:
    fast = INVOICE_ITEMS.from_rows(EDGE_CASES, NY).to_pylist()
    assert fast == exact(EDGE_CASES)
    assert fast[0]["line_item_date_entered"].isoformat() == "2024-05-03T05:24:34.318473+00:00"
    assert fast[1]["date_invoice_last_sent"] is None
    assert fast[2]["line_item_date_entered"].isoformat() == "2024-11-03T05:30:00+00:00"  # ambiguous: first one
    assert fast[2]["payment_card_number"] == "****1234"
    assert fast[3]["line_total"] == Decimal("1.2346") and fast[3]["payment_card_number"] is None
    assert fast[4]["original_invoice_card_number"] == "****"


def test_offsets_and_nonexistent_local_times_are_read_exactly() -> None:
    rows = [
        {"LineItemID": 1, "LineItemDateEntered": "2024-05-03T01:24:34-04:00"},
        {"LineItemID": 2, "LineItemDateEntered": "2024-03-10T02:30:00"},  # skipped by the DST change
        {"LineItemID": 3, "LineItemDateEntered": "2024-05-03T05:24:34Z"},
    ]
    got = [r["line_item_date_entered"].isoformat() for r in INVOICE_ITEMS.from_rows(rows, NY).to_pylist()]
    assert got == ["2024-05-03T05:24:34+00:00", "2024-03-10T07:30:00+00:00", "2024-05-03T05:24:34+00:00"]


WITH_OFFSETS = [
    "2024-01-15T15:47:38.922Z",
    "2024-01-15T15:47:38.1234567z",
    "2024-05-03T01:24:34-04:00",
    "2024-05-03T01:24:34.5+0530",
    "2024-11-03 01:30:00Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    None,
]


def test_a_column_of_instants_with_offsets_reads_the_same_on_both_paths() -> None:
    rows = [{"LineItemID": n, "LineItemDateEntered": value} for n, value in enumerate(WITH_OFFSETS)]
    fast = INVOICE_ITEMS.from_rows(rows, NY).to_pylist()
    assert fast == exact(rows)
    got = [r["line_item_date_entered"] for r in fast]
    assert [g.isoformat() if g else None for g in got] == [
        "2024-01-15T15:47:38.922000+00:00",
        "2024-01-15T15:47:38.123456+00:00",
        "2024-05-03T05:24:34+00:00",
        "2024-05-02T19:54:34.500000+00:00",
        "2024-11-03T01:30:00+00:00",
        None,
        None,
        None,
    ]
    # Read whole by Arrow, not value by value (Younium writes every instant with its `Z`).
    assert convert_array(Kind.TIMESTAMP, Sensitivity.NONE, pa.array(WITH_OFFSETS), NY).to_pylist() == got


@pytest.mark.parametrize("value", ["2024-02-30T00:00:00Z", "2024-01-15T24:00:00Z", "2024-01-15T15:47:60Z"])
def test_an_instant_with_an_offset_that_is_no_instant_is_a_data_error_on_either_path(value: str) -> None:
    rows = [
        {"LineItemID": 1, "LineItemDateEntered": "2024-01-15T15:47:38Z"},
        {"LineItemID": 2, "LineItemDateEntered": value},
    ]
    with pytest.raises(DataError, match=r"row 2: invoice_items\.line_item_date_entered"):
        INVOICE_ITEMS.from_rows(rows, NY)


def test_a_value_of_the_wrong_type_is_a_data_error_naming_the_column() -> None:
    with pytest.raises(DataError, match=r"invoice_items\.line_total \(upstream field LineTotal\)"):
        INVOICE_ITEMS.from_rows([{"LineItemID": 1, "LineTotal": "twelve"}], NY)


CALENDAR_DATES = [
    {"LineItemID": 1, "LineItemDate": "2024-02-01T00:00:00"},  # midnight, server-local
    {"LineItemID": 2, "LineItemDate": "2024-02-01"},  # a bare date
    {"LineItemID": 3, "LineItemDate": "2024-02-01T23:30:00-05:00"},  # an offset never moves the date
    {"LineItemID": 4, "LineItemDate": "2024-02-01 00:00:00", "DateInvoiceLastSent": "2024-02-03T18:05:00.1234567"},
    {"LineItemID": 5, "LineItemDate": "0001-01-01T00:00:00", "DateInvoiceLastSent": ""},  # .NET MinValue, empty
]


@pytest.mark.parametrize("path", ["fast", "exact"])
def test_calendar_dates_are_the_upstreams_own_date_whatever_the_time_or_offset(path: str) -> None:
    rows = INVOICE_ITEMS.from_rows(CALENDAR_DATES, NY).to_pylist() if path == "fast" else exact(CALENDAR_DATES)
    assert [r["line_item_date"] for r in rows] == [date(2024, 2, 1)] * 4 + [None]
    assert [r["date_invoice_last_sent"] for r in rows] == [None, None, None, date(2024, 2, 3), None]
    assert INVOICE_ITEMS.arrow_schema().field("line_item_date").type == pa.date32()


def test_a_calendar_date_that_is_no_date_is_a_data_error_naming_it() -> None:
    with pytest.raises(DataError, match=r"invoice_items\.line_item_date .* not a valid date: '2024-02-30'"):
        INVOICE_ITEMS.from_rows([{"LineItemID": 1, "LineItemDate": "2024-02-30"}], NY)
    with pytest.raises(DataError, match=r"not a valid date: 'next Tuesday'"):
        INVOICE_ITEMS.from_rows([{"LineItemID": 1, "LineItemDate": "next Tuesday"}], NY)


@pytest.mark.parametrize("path", ["fast", "exact"])
def test_an_empty_string_is_null_as_a_missing_field_is(path: str) -> None:
    records = [{"LineItemID": 1, "Organization": "", "PO": ""}, {"LineItemID": 2}, {"LineItemID": 3, "PO": " "}]
    rows = INVOICE_ITEMS.from_rows(records, NY).to_pylist() if path == "fast" else exact(records)
    assert [(r["organization"], r["po"]) for r in rows] == [(None, None), (None, None), (None, " ")]
