"""Declaring each warehouse table once, and turning upstream records into Arrow batches of its shape.

A `Table` is the single declaration of a warehouse table: its name, key, how it is written (merged by its
key; a parent's rows replaced together whenever the parent is read again), what it holds, and its columns (upstream
field names, warehouse names in dlt's snake_case, exact kinds, which fields are personal, what each means).
The dlt resource hints are built from it (`shape`), so are the Arrow batches the resources yield, and so is
the data dictionary (`finsync.warehouse.dictionary`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.extract.resource import DltResource

from finsync.errors import DataError
from finsync.http.wire import declared, keyed

from .values import (
    CONVERSION_ERRORS,
    PII_MODES,
    WIRE_TYPES,
    Inexact,
    Kind,
    PiiMode,
    Sensitivity,
    Wire,
    convert_array,
    converter,
    mask_card,
    parse_timestamp,
)

__all__ = [
    "EXTRA_FIELDS",
    "LOAD_TIME",
    "PII_MODES",
    "Column",
    "Kind",
    "Origin",
    "PiiMode",
    "Sensitivity",
    "Table",
    "Wire",
    "flatten",
    "mask_card",
    "nested_schema",
    "parse_timestamp",
    "unnested",
]

_naming = NamingConvention()
LOAD_TIME = "(load time)"  # `Table.history`: versions dated by the load that first saw them


@dataclass(frozen=True)
class Column:
    source: str
    kind: Kind = Kind.TEXT
    sensitivity: Sensitivity = Sensitivity.NONE
    nullable: bool = True
    wire: Wire = Wire.NULLABLE  # what upstream promises of the field (a table's key from the wire: REQUIRED)
    # A value that changes with the calendar alone (Younium's daysPastDue): not part of a version's content.
    calendar: bool = False
    name: str = field(default="", compare=False)
    doc: str = field(default="", compare=False)  # what the column means, for the data dictionary

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", _naming.normalize_identifier(self.source))


# The column a list's records keep the fields upstream sent beside the declared ones in, when the settings
# keep them (`extra_fields`): personal data until known otherwise.
EXTRA_FIELDS = Column(
    "extra_fields",
    Kind.JSON,
    Sensitivity.PERSONAL,
    wire=Wire.DERIVED,
    doc="The fields upstream sent in the record that finsync does not declare, as one JSON object (only with "
    "sources.<system>.extra_fields = true; else NULL): values exact, as sent",
)


@dataclass(frozen=True)
class Origin:
    """Where converted rows come from, for error messages: `YM batch 1003`, and the number of its first row."""

    what: str = "the page"
    first_row: int = 1


@dataclass(frozen=True)
class Table:
    """A warehouse table: merged by `primary_key`; with `replaced_per` (the column naming a row's parent), a
    parent's rows are replaced together whenever the parent is read again (by the runner after the load,
    with an equi-join: dlt's own merge key would match rows on key OR merge key, a join that grows with the
    square of the rows read). `unique_per_load` says a load never holds one key twice, so the merge need
    not sort rows to drop repeats."""

    name: str
    primary_key: str
    columns: tuple[Column, ...]
    replaced_per: str | None = None
    unique_per_load: bool = False
    doc: str = ""  # what one row is, for the data dictionary
    # Keep every version in `<name>__versions`, dated by this column (the record's own modified time), or by
    # the load that first saw it (LOAD_TIME) where upstream gives none; "" keeps no history.
    history: str = ""
    # For a table dated by its loads: the columns (the first one set) that date a record's first version,
    # when upstream says when the record began (a payment's posting, a batch's creation).
    created: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names) or self.primary_key not in names:
            raise ValueError(f"table {self.name}: duplicate columns or unknown primary key")
        if self.replaced_per is not None and self.replaced_per not in names:
            raise ValueError(f"table {self.name}: rows replaced per an unknown column {self.replaced_per}")
        if self.history not in ("", LOAD_TIME, *names):
            raise ValueError(f"table {self.name}: history dated by unknown column {self.history}")
        if not set(self.created) <= set(names):
            raise ValueError(f"table {self.name}: first versions dated by unknown columns {self.created}")

    def shape(self, resource: DltResource, pii: PiiMode) -> DltResource:
        """The resource that fills this table, with every hint from this declaration (columns follow the pii
        mode: a declared column is created even when no row fills it)."""
        resource.apply_hints(
            table_name=self.name,
            write_disposition="merge",
            primary_key=self.primary_key,
            columns=self.dlt_columns(pii),  # type: ignore[arg-type]
            additional_table_hints={"x-stage-data-deduplicated": True} if self.unique_per_load else None,
        )
        return resource

    def _nullable(self, column: Column) -> bool:
        return column.nullable and column.name != self.primary_key

    def kept(self, pii: PiiMode) -> tuple[Column, ...]:
        if pii == "drop":
            return tuple(c for c in self.columns if c.sensitivity is Sensitivity.NONE)
        return self.columns

    def wire_of(self, column: Column) -> Wire:
        """What upstream promises of a column's field: as declared; a table's key from the wire is required."""
        return Wire.REQUIRED if column.name == self.primary_key and column.wire is Wire.NULLABLE else column.wire

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
            if c.name == self.history:
                # A record read twice in one load (its list read again after it changed midway): the copy
                # upstream changed last is the one kept, not whichever dlt's merge met first.
                hint["dedup_sort"] = "desc"
            if c.name == self.replaced_per:
                hint["merge_key"] = False  # replaced by the runner (see the class), also where dlt once had it
            hints[c.name] = hint
        return hints

    def from_rows(
        self,
        rows: Sequence[Mapping[str, Any]] | pa.Table,
        naive_tz: tzinfo,
        pii: PiiMode = "mask",
        *,
        origin: Origin | None = None,
    ) -> pa.Table:
        """Arrow batch from upstream records: dicts keyed by upstream field names, or a page already decoded
        into Arrow of the wire schema (`http.columnar`)."""
        if isinstance(rows, pa.Table):
            return self.from_arrays(
                dict(zip(rows.column_names, rows.columns, strict=True)), naive_tz, pii, origin=origin
            )
        try:
            wire = pa.Table.from_pylist(list(rows), schema=self.wire_schema(pii))
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
                converted.append(convert_array(c.kind, c.sensitivity, array, naive_tz))
            except (Inexact, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                values = array.to_pylist()
                if c.sensitivity is Sensitivity.CARD:
                    values = [mask_card(v) for v in values]
                converted.append(_convert(self.name, c, values, naive_tz, origin or Origin()))
        return pa.Table.from_arrays(converted, schema=self.arrow_schema(pii))

    def wire_schema(self, pii: PiiMode = "mask") -> pa.Schema:
        """How upstream JSON values arrive: text as text (dates too), numbers as wide decimals; each field with
        its contract (`Wire`), the schema with its key's field where upstream sends it."""
        key = self.column(self.primary_key)
        return keyed(
            pa.schema(
                [declared(c.source, WIRE_TYPES.get(c.kind, c.kind.arrow), self.wire_of(c)) for c in self.kept(pii)]
            ),
            key.source if key.wire is not Wire.DERIVED else None,
        )

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


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (`account.id`), the names columns read; lists stay as they are."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        # JSON objects are dicts: a check against the Mapping ABC costs several times more, per value.
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key if prefix else key] = value
    return flat


def nested_schema(flat: pa.Schema) -> pa.Schema:
    """A wire schema with dotted names (`account.id`) as the nested structs JSON objects hold (each leaf with
    its metadata, the schema with its own)."""
    tree: dict[str, Any] = {}
    for item in flat:
        *parents, leaf = item.name.split(".")
        node = tree
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = item.with_name(leaf)

    def fields(node: dict[str, Any]) -> list[pa.Field]:
        return [pa.field(k, pa.struct(fields(v))) if isinstance(v, dict) else v for k, v in node.items()]

    return pa.schema(fields(tree), metadata=flat.metadata)


def records_of(table: Table, **lists: pa.DataType) -> pa.Schema:
    """A list's records as the wire nests them: `table`'s fields (nested objects as structs) and, by name, the
    lists each record holds (`list_of` another table's records, or of plain values)."""
    nested = nested_schema(table.wire_schema())
    return pa.schema([*nested, *(pa.field(name, of) for name, of in lists.items())], metadata=nested.metadata)


def list_of(records: pa.Schema) -> pa.DataType:
    return pa.list_(pa.struct(list(records)))


def unnested(table: pa.Table) -> pa.Table:
    """Struct columns replaced by their fields until none is left, named `parent.child` (`account.id`)."""
    while any(pa.types.is_struct(t) for t in table.schema.types):
        table = table.flatten()
    return table


def _convert(table: str, column: Column, values: Sequence[Any], naive_tz: tzinfo, origin: Origin) -> pa.Array:
    kind = column.kind
    convert = converter(kind, naive_tz)
    try:
        return pa.array([convert(v) for v in values], type=kind.arrow)
    except CONVERSION_ERRORS:
        pass
    for index, value in enumerate(values):  # the slow path, only to say which value it was
        try:
            pa.array([convert(value)], type=kind.arrow)
        except CONVERSION_ERRORS:
            # A personal field's content never goes into a message: it would reach logs and saved state.
            shown = "(value withheld: personal data)" if column.sensitivity is not Sensitivity.NONE else _shown(value)
            raise DataError(
                f"{origin.what}, row {origin.first_row + index}: {table}.{column.name} (upstream field "
                f"{column.source}) is not a valid {kind.name.lower()}: {shown}. Nothing of {origin.what} was "
                "written; report the record upstream, or rerun once it is corrected."
            ) from None
    raise DataError(f"{origin.what}: {table}.{column.name} could not be converted")  # pragma: no cover


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
