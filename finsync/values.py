"""What a value of each warehouse kind is, and how an upstream value is read into it exactly.

Money never passes through a binary float; instants become UTC (a value without an offset is read in
the upstream's zone); calendar dates keep the upstream's own date, whatever time or offset it is sent
with; .NET's `0001-01-01` means "no date"; an empty string is no value (NULL), as a missing field is;
card numbers keep only their last four digits.
Whole columns are converted with Arrow compute (`convert_array`); a value the fast path cannot promise to
read exactly as the per-value path would (`converter`) sends its column down that path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timezone, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import Enum
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

PiiMode = Literal["mask", "drop"]
PII_MODES: tuple[str, ...] = ("mask", "drop")


class Kind(Enum):
    """Warehouse types. Money is DECIMAL(19,4): exact cents, room for sub-cent unit prices."""

    TEXT = ("text", pa.string())
    INT = ("bigint", pa.int64())
    MONEY = ("decimal", pa.decimal128(19, 4))
    RATE = ("decimal", pa.decimal128(18, 8))
    TIMESTAMP = ("timestamp", pa.timestamp("us", tz="UTC"))  # an instant, in UTC
    DATE = ("date", pa.date32())  # a calendar date, as the upstream writes it
    BOOL = ("bool", pa.bool_())
    JSON = ("json", pa.string())  # a JSON document, as its text

    @property
    def dlt_type(self) -> str:
        return self.value[0]

    @property
    def arrow(self) -> pa.DataType:
        return self.value[1]


class Wire(Enum):
    """What a column's upstream field promises on the wire (its contract; `finsync.http.wire` checks it)."""

    REQUIRED = "required"  # in every record, never null: keys, money, the dates that define the row
    NULLABLE = "nullable"  # may be null (or, where nulls are omitted, absent), but sent: seen in some record
    OPTIONAL = "optional"  # may be absent from every record (a field some tenants or versions lack)
    DERIVED = "derived"  # not upstream's: set by finsync from other fields


class Sensitivity(Enum):
    NONE = "none"
    PERSONAL = "personal"  # names, addresses, emails, phones: dropped under pii = "drop"
    CARD = "card"  # card numbers: masked to the last four digits, or dropped under pii = "drop"


_WIDE_DECIMAL = pa.decimal128(38, 10)
# How upstream values arrive, read before conversion: text as text (dates too), numbers as wide decimals.
WIRE_TYPES = {Kind.MONEY: _WIDE_DECIMAL, Kind.RATE: _WIDE_DECIMAL, Kind.TIMESTAMP: pa.string(), Kind.DATE: pa.string()}
_OFFSET = r"([zZ]|[+-]\d\d:?\d\d)$"
# What the fast path reads as a calendar date: the date, then nothing or a time of day (offsets included).
_PLAIN_DATE = r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?([zZ]|[+-]\d\d:?\d\d)?)?$"


class Inexact(Exception):
    """The fast path cannot promise the per-value path's result for this column."""


def convert_array(
    kind: Kind, sensitivity: Sensitivity, array: pa.Array | pa.ChunkedArray, naive_tz: tzinfo
) -> pa.ChunkedArray:
    """A whole column converted at once; raises `Inexact` (or an Arrow error) where it cannot promise exactness."""
    if pa.types.is_string(array.type):
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    if kind is Kind.TEXT or kind is Kind.JSON:
        if sensitivity is Sensitivity.CARD:
            return _mask_cards(array)
        return array.cast(pa.string())
    if kind is Kind.MONEY or kind is Kind.RATE:
        wide = array.cast(_WIDE_DECIMAL)
        return pc.round(wide, ndigits=kind.arrow.scale, round_mode="half_to_even").cast(kind.arrow)
    if kind is Kind.TIMESTAMP:
        return _timestamps(array, naive_tz)
    if kind is Kind.DATE:
        return _dates(array)
    return array.cast(kind.arrow)


def _mask_cards(array: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    text = array.cast(pa.string())
    text = pc.if_else(pc.equal(pc.utf8_trim_whitespace(text), ""), pa.scalar(None, pa.string()), text)
    digits = pc.replace_substring_regex(text, r"\D", "")
    last_four = pc.binary_join_element_wise("****", pc.utf8_slice_codeunits(digits, -4), "")
    return pc.if_else(
        pc.greater_equal(pc.utf8_length(digits), 4), last_four, pc.if_else(pc.is_null(text), None, "****")
    )


def _timestamps(array: pa.Array | pa.ChunkedArray, naive_tz: tzinfo) -> pa.ChunkedArray:
    if not pa.types.is_string(array.type):
        raise Inexact
    array = pc.replace_substring_regex(array, r"(\.\d{6})\d+", r"\1")  # microseconds, as the per-value path
    with_offset = pc.match_substring_regex(array, _OFFSET)
    if pc.all(with_offset).as_py() and pc.any(with_offset).as_py():
        # Every value says its offset (Younium's `Z`): Arrow's ISO reader applies it. Year 1 as written is
        # .NET's MinValue, whatever its offset.
        instants = pc.replace_substring_regex(array, "z$", "Z").cast(Kind.TIMESTAMP.arrow)
        return pc.if_else(pc.starts_with(array, "0001-"), pa.scalar(None, instants.type), instants)
    zone = "UTC" if naive_tz is timezone.utc else getattr(naive_tz, "key", None)
    if zone is None or pc.any(with_offset).as_py():
        raise Inexact  # some offsets and some not, or a zone Arrow cannot name: the per-value path reads those
    naive = array.cast(pa.timestamp("us"))
    naive = pc.if_else(pc.equal(pc.year(naive), 1), pa.scalar(None, naive.type), naive)  # .NET MinValue: no date
    # Ambiguous local times take the earlier offset, as datetime(fold=0) does; nonexistent ones are
    # left to the per-value path (Arrow would shift them differently).
    local = pc.assume_timezone(naive, zone, ambiguous="earliest", nonexistent="raise")
    return local.cast(Kind.TIMESTAMP.arrow)


def _dates(array: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    if not pa.types.is_string(array.type) or not pc.all(pc.match_substring_regex(array, _PLAIN_DATE)).as_py():
        raise Inexact  # anything but an ISO date (with or without a time) is for the per-value path to name
    days = pc.utf8_slice_codeunits(array, 0, 10).cast(pa.date32())
    return pc.if_else(pc.equal(pc.year(days), 1), pa.scalar(None, pa.date32()), days)  # .NET MinValue: no date


def mask_card(value: object) -> str | None:
    """Keep only the last four digits of a card number: `****1234`."""
    if value is None or str(value).strip() == "":
        return None
    digits = re.sub(r"\D", "", str(value))
    return "****" + digits[-4:] if len(digits) >= 4 else "****"


_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def parse_timestamp(value: object, naive_tz: tzinfo) -> datetime | None:
    """ISO-8601 (7 fraction digits, `Z`, space separator allowed) to an aware UTC datetime.

    A value without an offset is read in `naive_tz` (YM sends server-local times); year 1 is the
    .NET DateTime.MinValue that YM uses for "no date", so it is NULL.
    """
    read = _read(value)
    if read is None:
        return None
    parsed = read if isinstance(read, datetime) else datetime(read.year, read.month, read.day)
    if parsed.year == 1:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed.astimezone(timezone.utc)


def parse_date(value: object) -> date | None:
    """The calendar date an ISO-8601 date or date-time names, as written: its time and offset are not
    applied (an invoice dated the 1st is dated the 1st wherever it is read). Year 1 is .NET's "no date"."""
    read = _read(value)  # the whole value must be a valid date or date-time, though only its date is kept
    if read is None:
        return None
    day = read.date() if isinstance(read, datetime) else read
    return None if day.year == 1 else day


def _read(value: object) -> datetime | date | None:
    """A date or date-time as given, or read from its ISO 8601 text; None for no value or blank text."""
    if value is None or isinstance(value, date):  # a datetime is a date too
        return value
    text = str(value).strip()
    return _iso(text) if text else None


def _iso(text: str) -> datetime:
    """ISO 8601 as .NET writes it (7 fraction digits, `Z`), read by Python's parser."""
    return datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"), count=1))


def _decimal(value: object, quantum: Decimal) -> Decimal | None:
    if value is None or value == "":
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    if not number.is_finite():
        raise InvalidOperation
    return (
        number.quantize(quantum, rounding=ROUND_HALF_EVEN)
        if int(number.as_tuple().exponent) < int(quantum.as_tuple().exponent)  # finite: an int exponent
        else number
    )


def _int(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = Decimal(str(value).strip())
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _bool(value: object) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y"):
        return True
    if text in ("false", "0", "no", "n"):
        return False
    raise ValueError(f"{value!r} is not a boolean")


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


CONVERSION_ERRORS = (ValueError, TypeError, InvalidOperation, ArithmeticError, pa.ArrowException)


def converter(kind: Kind, naive_tz: tzinfo) -> Callable[[Any], Any]:
    """The per-value reader of `kind`: exact, slow, and it raises on what it cannot read."""
    if kind is Kind.MONEY or kind is Kind.RATE:
        quantum = Decimal(1).scaleb(-kind.arrow.scale)
        return lambda v: _decimal(v, quantum)
    if kind is Kind.INT:
        return _int
    if kind is Kind.TIMESTAMP:
        return lambda v: parse_timestamp(v, naive_tz)
    if kind is Kind.DATE:
        return parse_date
    if kind is Kind.BOOL:
        return _bool
    return _text
