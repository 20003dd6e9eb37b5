"""Declaring a table's columns once, and turning upstream records into Arrow batches of that shape.

A `Table` is the single declaration of a warehouse table: its upstream field names, warehouse names
(dlt's snake_case), exact types and which fields are personal. The resources build their Arrow
batches from it, the dlt column hints come from it, and the sandbox and tests read their expectations
from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import Enum
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention

from finsync.errors import DataError

PiiMode = Literal["mask", "drop"]
PII_MODES: tuple[str, ...] = ("mask", "drop")

_naming = NamingConvention()


class Kind(Enum):
    """Warehouse types. Money is DECIMAL(19,4): exact cents, room for sub-cent unit prices."""

    TEXT = ("text", pa.string())
    INT = ("bigint", pa.int64())
    MONEY = ("decimal", pa.decimal128(19, 4))
    RATE = ("decimal", pa.decimal128(18, 8))
    TIMESTAMP = ("timestamp", pa.timestamp("us", tz="UTC"))
    BOOL = ("bool", pa.bool_())

    @property
    def dlt_type(self) -> str:
        return self.value[0]

    @property
    def arrow(self) -> pa.DataType:
        return self.value[1]


class Sensitivity(Enum):
    NONE = "none"
    PERSONAL = "personal"  # names, addresses, emails, phones: dropped under pii = "drop"
    CARD = "card"  # card numbers: masked to the last four digits, or dropped under pii = "drop"


@dataclass(frozen=True)
class Column:
    source: str
    kind: Kind = Kind.TEXT
    sensitivity: Sensitivity = Sensitivity.NONE
    nullable: bool = True
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", _naming.normalize_identifier(self.source))


@dataclass(frozen=True)
class Origin:
    """Where converted rows come from, for error messages: `YM batch 1003`, and the number of its first row."""

    what: str = "the page"
    first_row: int = 1


@dataclass(frozen=True)
class Table:
    name: str
    primary_key: str
    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names) or self.primary_key not in names:
            raise ValueError(f"table {self.name}: duplicate columns or unknown primary key")

    def _nullable(self, column: Column) -> bool:
        return column.nullable and column.name != self.primary_key

    def kept(self, pii: PiiMode) -> tuple[Column, ...]:
        if pii == "drop":
            return tuple(c for c in self.columns if c.sensitivity is Sensitivity.NONE)
        return self.columns

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name or c.source == name)

    def arrow_schema(self, pii: PiiMode = "mask") -> pa.Schema:
        return pa.schema([pa.field(c.name, c.kind.arrow, nullable=self._nullable(c)) for c in self.kept(pii)])

    def dlt_columns(self, pii: PiiMode = "mask") -> dict[str, dict[str, Any]]:
        """Column hints for `@dlt.resource(columns=...)`, matching the Arrow schema exactly."""
        hints: dict[str, dict[str, Any]] = {}
        for c in self.kept(pii):
            hint: dict[str, Any] = {"data_type": c.kind.dlt_type, "nullable": self._nullable(c)}
            if c.kind.arrow.id == pa.decimal128(1, 0).id:
                hint.update(precision=c.kind.arrow.precision, scale=c.kind.arrow.scale)
            if c.kind is Kind.TIMESTAMP:
                hint.update(timezone=True, precision=6)
            if c.name == self.primary_key:
                hint["primary_key"] = True
            hints[c.name] = hint
        return hints

    def from_rows(
        self,
        rows: Sequence[Mapping[str, Any]],
        naive_tz: tzinfo,
        pii: PiiMode = "mask",
        *,
        origin: Origin | None = None,
    ) -> pa.Table:
        """Arrow batch from upstream records (dicts keyed by upstream field names)."""
        try:
            wire = pa.Table.from_pylist(list(rows), schema=self._wire_schema(pii))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
            columns = {c.source: [r.get(c.source) for r in rows] for c in self.kept(pii)}
            return self.from_columns(columns, naive_tz, pii, origin=origin)
        return self.from_arrays({name: wire.column(name) for name in wire.column_names}, naive_tz, pii, origin=origin)

    def from_arrays(
        self,
        arrays: Mapping[str, pa.Array | pa.ChunkedArray],
        naive_tz: tzinfo,
        pii: PiiMode = "mask",
        *,
        origin: Origin | None = None,
    ) -> pa.Table:
        """Arrow batch from Arrow columns keyed by upstream field names (strings or wire types).

        Whole columns are converted with Arrow compute; a column holding anything the fast path does
        not read exactly as the per-value path would (an offset in a date, a local time that does not
        exist, an odd number) goes through the per-value path alone, which also names the offending
        row and column.
        """
        length = max((len(a) for a in arrays.values()), default=0)
        converted = []
        for c in self.kept(pii):
            array = arrays.get(c.source, pa.nulls(length, pa.string()))
            try:
                converted.append(_convert_array(c, array, naive_tz))
            except (_Inexact, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                values = array.to_pylist()
                if c.sensitivity is Sensitivity.CARD:
                    values = [mask_card(v) for v in values]
                converted.append(_convert(self.name, c, values, naive_tz, origin or Origin()))
        return pa.Table.from_arrays(converted, schema=self.arrow_schema(pii))

    def _wire_schema(self, pii: PiiMode) -> pa.Schema:
        """How upstream JSON values arrive: text as text (dates too), numbers as wide decimals."""
        return pa.schema([pa.field(c.source, _WIRE_TYPES.get(c.kind, c.kind.arrow)) for c in self.kept(pii)])

    def from_columns(
        self,
        columns: Mapping[str, Sequence[Any]],
        naive_tz: tzinfo,
        pii: PiiMode = "mask",
        *,
        origin: Origin | None = None,
    ) -> pa.Table:
        """Arrow batch from column lists keyed by upstream field names; absent fields become NULL."""
        kept = self.kept(pii)
        length = max((len(v) for v in columns.values()), default=0)
        arrays = []
        for c in kept:
            values = columns.get(c.source)
            if values is None:
                values = [None] * length
            if c.sensitivity is Sensitivity.CARD:
                values = [mask_card(v) for v in values]
            arrays.append(_convert(self.name, c, values, naive_tz, origin or Origin()))
        return pa.Table.from_arrays(arrays, schema=self.arrow_schema(pii))


_WIDE_DECIMAL = pa.decimal128(38, 10)
_WIRE_TYPES = {Kind.MONEY: _WIDE_DECIMAL, Kind.RATE: _WIDE_DECIMAL, Kind.TIMESTAMP: pa.string()}
_OFFSET = r"([zZ]|[+-]\d\d:?\d\d)$"


class _Inexact(Exception):
    """The fast path cannot promise the per-value path's result for this column."""


def _convert_array(column: Column, array: pa.Array | pa.ChunkedArray, naive_tz: tzinfo) -> pa.ChunkedArray:
    kind = column.kind
    if pa.types.is_string(array.type) and kind is not Kind.TEXT:
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    if kind is Kind.TEXT:
        if column.sensitivity is Sensitivity.CARD:
            return _mask_cards(array)
        return array.cast(pa.string())
    if kind is Kind.MONEY or kind is Kind.RATE:
        wide = array.cast(_WIDE_DECIMAL)
        return pc.round(wide, ndigits=kind.arrow.scale, round_mode="half_to_even").cast(kind.arrow)
    if kind is Kind.TIMESTAMP:
        return _timestamps(array, naive_tz)
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
        raise _Inexact
    zone = "UTC" if naive_tz is timezone.utc else getattr(naive_tz, "key", None)
    if zone is None or pc.any(pc.match_substring_regex(array, _OFFSET)).as_py():
        raise _Inexact  # offsets, or a zone Arrow cannot name: the per-value path reads those
    naive = pc.replace_substring_regex(array, r"(\.\d{6})\d+", r"\1").cast(pa.timestamp("us"))
    naive = pc.if_else(pc.equal(pc.year(naive), 1), pa.scalar(None, naive.type), naive)  # .NET MinValue: no date
    # Ambiguous local times take the earlier offset, as datetime(fold=0) does; nonexistent ones are
    # left to the per-value path (Arrow would shift them differently).
    local = pc.assume_timezone(naive, zone, ambiguous="earliest", nonexistent="raise")
    return local.cast(Kind.TIMESTAMP.arrow)


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
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        if not text:
            return None
        text = _FRACTION.sub(r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"), count=1)
        parsed = datetime.fromisoformat(text)
    if parsed.year == 1:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed.astimezone(timezone.utc)


def _decimal(value: object, quantum: Decimal) -> Decimal | None:
    if value is None or value == "":
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    if not number.is_finite():
        raise InvalidOperation
    return (
        number.quantize(quantum, rounding=ROUND_HALF_EVEN)
        if number.as_tuple().exponent < quantum.as_tuple().exponent
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
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _convert(table: str, column: Column, values: Sequence[Any], naive_tz: tzinfo, origin: Origin) -> pa.Array:
    kind = column.kind
    convert = _converter(kind, naive_tz)
    try:
        return pa.array([convert(v) for v in values], type=kind.arrow)
    except _CONVERSION_ERRORS:
        pass
    for index, value in enumerate(values):  # the slow path, only to say which value it was
        try:
            pa.array([convert(value)], type=kind.arrow)
        except _CONVERSION_ERRORS:
            # A personal field's content never goes into a message: it would reach logs and saved state.
            shown = "(value withheld: personal data)" if column.sensitivity is not Sensitivity.NONE else _shown(value)
            raise DataError(
                f"{origin.what}, row {origin.first_row + index}: {table}.{column.name} (upstream field "
                f"{column.source}) is not a valid {kind.name.lower()}: {shown}. Nothing of {origin.what} was "
                "written; report the record upstream, or rerun once it is corrected."
            ) from None
    raise DataError(f"{origin.what}: {table}.{column.name} could not be converted")  # pragma: no cover


_CONVERSION_ERRORS = (ValueError, TypeError, InvalidOperation, ArithmeticError, pa.ArrowException)


def _converter(kind: Kind, naive_tz: tzinfo) -> Callable[[Any], Any]:
    if kind is Kind.MONEY or kind is Kind.RATE:
        quantum = Decimal(1).scaleb(-kind.arrow.scale)
        return lambda v: _decimal(v, quantum)
    if kind is Kind.INT:
        return _int
    if kind is Kind.TIMESTAMP:
        return lambda v: parse_timestamp(v, naive_tz)
    if kind is Kind.BOOL:
        return _bool
    return _text


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
