"""What a list's pages held, field by field, against what finsync declares of them (the wire contract).

A list's records are declared as an Arrow schema (`finsync.tables.records_of`); each field's metadata says
what upstream promises of it (`finsync.values.Wire`: required, nullable, optional, or derived by finsync),
and the schema's metadata names the records' key. A `Census` of a page counts, per declared field (dotted
paths, `account.id`, `invoiceLines.amount` for the records of a nested list), the records that held it, the
JSON type it came as where that is not the declared one, and every field upstream sent that is not
declared (names and types only: never a value). A required field absent, null or of another type in any
record is a `Breach`, which the list's reader turns into a failed read (`ContractBroken`). Censuses of a
read's pages add up; the reader records the sum and the warehouse judges from it, with the field's history,
whether a declared field stopped arriving (see `finsync.warehouse.upstream`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from finsync.errors import UpstreamError
from finsync.values import Wire

WAIVED = "waived"  # a census's contract for a field the settings say may be absent (`optional_fields`)
CONTRACT = b"wire"  # a field's metadata key: its `Wire` value
KEY = b"key"  # a records schema's metadata key: the field naming a record, for messages
EXTRAS = b"extras"  # a records schema's metadata key: keep each record's undeclared fields (see `extras_of`)
EXTRA_FIELD = "extra_fields"  # the field of the records that keeps them


def declared(name: str, of: pa.DataType, wire: Wire) -> pa.Field:
    return pa.field(name, of, metadata={CONTRACT: wire.value.encode()})


def keyed(schema: pa.Schema, key: str | None) -> pa.Schema:
    return schema.with_metadata({KEY: key.encode()}) if key else schema


def keeping_extras(schema: pa.Schema) -> pa.Schema:
    """`schema`, asking its pages to keep each record's undeclared fields (it declares `extra_fields`)."""
    return schema.with_metadata({**(schema.metadata or {}), EXTRAS: b"keep"})


def keeps_extras(schema: pa.Schema) -> bool:
    return (schema.metadata or {}).get(EXTRAS) == b"keep" and EXTRA_FIELD in schema.names


def extras_of(record: dict[str, Any], declared: set[str]) -> str | None:
    """A record's fields that are not `declared`, as one JSON object (numbers exactly as sent); None if none."""
    extra = {name: value for name, value in record.items() if name not in declared}
    return _json_text(extra) if extra else None


def _json_text(value: Any) -> str:
    """JSON text of a value parsed with exact decimals: the standard encoder would write them as floats."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)


def contract_of(item: pa.Field) -> Wire:
    value = (item.metadata or {}).get(CONTRACT)
    return Wire(value.decode()) if value else Wire.NULLABLE


@dataclass(frozen=True)
class Breach:
    """A required field some records lacked (absent or null) or held as another type."""

    path: str
    problem: str
    records: int
    example: str | None  # the key of one such record, never a value of the field

    def text(self, example: bool = True) -> str:
        if not self.records:
            return f"{self.path} is {self.problem}"
        one = f" (one is {self.example})" if self.example and example else ""
        return f"{self.path} is {self.problem} in {self.records} record{'s' if self.records != 1 else ''}{one}"


@dataclass
class Census:
    """What pages of one list held: records read, per declared field the records that held it (and the JSON
    type it came as where that differs from the declared one), and fields sent that are not declared."""

    endpoint: str = ""  # the request that read it, as messages name it (`GET /Invoices`)
    records: int = 0
    omits_nulls: bool = False  # the endpoint leaves a null field out: absent may mean null
    whole: bool = False  # the read listed every record upstream has (a first read, a sweep, a whole list)
    present: dict[str, int] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)  # records at each field's depth (lines: every line)
    contract: dict[str, str] = field(default_factory=dict)  # declared path -> its `Wire` value
    retyped: dict[str, str] = field(default_factory=dict)
    undeclared: dict[str, str] = field(default_factory=dict)
    breaches: list[Breach] = field(default_factory=list)

    def add(self, other: Census) -> None:
        self.endpoint = other.endpoint or self.endpoint
        self.records += other.records
        for path, count in other.present.items():
            self.present[path] = self.present.get(path, 0) + count
        for path, count in other.counted.items():
            self.counted[path] = self.counted.get(path, 0) + count
        self.contract.update(other.contract)
        self.retyped.update(other.retyped)
        self.undeclared.update(other.undeclared)
        self.breaches += other.breaches

    def as_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "records": self.records,
            "omits_nulls": self.omits_nulls,
            "whole": self.whole,
            "fields": {
                path: [self.present.get(path, 0), wire, self.retyped.get(path), self.counted.get(path, 0)]
                for path, wire in self.contract.items()
            },
            "undeclared": self.undeclared,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Census:
        fields = data.get("fields", {})
        return cls(
            endpoint=str(data.get("endpoint", "")),
            records=int(data.get("records", 0)),
            omits_nulls=bool(data.get("omits_nulls", False)),
            whole=bool(data.get("whole", False)),
            present={path: int(v[0]) for path, v in fields.items()},
            counted={path: int(v[3]) for path, v in fields.items() if len(v) > 3},
            contract={path: str(v[1]) for path, v in fields.items()},
            retyped={path: str(v[2]) for path, v in fields.items() if v[2]},
            undeclared=dict(data.get("undeclared", {})),
        )

    def dumps(self) -> bytes:
        return json.dumps({**self.as_json(), "breaches": [vars(b) for b in self.breaches]}).encode()

    @classmethod
    def loads(cls, data: bytes) -> Census:
        found = json.loads(data)
        census = cls.from_json(found)
        census.breaches = [Breach(**b) for b in found.get("breaches", [])]
        return census

    def absent(self, *, optional: bool = False) -> list[str]:
        """Declared fields no record held (optional ones only when asked), from a read that returned records."""
        if not self.records:
            return []
        skip = {Wire.DERIVED.value} | (set() if optional else {Wire.OPTIONAL.value})
        return [p for p, wire in self.contract.items() if wire not in skip and not self.present.get(p)]


class ContractBroken(UpstreamError):
    """A list's records lack a field finsync requires: nothing of the list is loaded this run."""

    def __init__(self, system: str, endpoint: str, breaches: list[Breach], tables: tuple[str, ...] = ()) -> None:
        self.endpoint, self.breaches, self.tables = endpoint, breaches, tables  # the tables left as they were
        found = "; ".join(b.text() for b in breaches[:5])
        super().__init__(
            system,
            f"{endpoint} sent records without what finsync requires of them: {found}. Nothing of this list was "
            "loaded and where it reads from did not move; the other lists loaded. Either upstream changed (run "
            "`finsync probe` and report the difference, with its report attached) or the records are "
            "incomplete upstream; the next run reads them again.",
        )


# -- a page's census -------------------------------------------------------------------------------------------


def census_of_table(
    page: pa.Table,
    schema: pa.Schema,
    present: Callable[[str], bool] = lambda _path: False,
    sent: Mapping[str, set[str]] | None = None,
    endpoint: str = "",
) -> Census:
    """The census of a page decoded into Arrow against `schema` (fields it does not declare inferred by the
    decoder, as further columns); `present(path)` says whether the records hold the field at all (asked only
    of a field null in every record: a null and an absent field read alike). `sent`: the JSON types each
    field came as, where the records were parsed value by value (else the page's own types tell)."""
    census = Census(endpoint, page.num_rows)
    key = (schema.metadata or {}).get(KEY, b"").decode() or None
    keys = page.column(key) if key and key in page.column_names else None
    rows = pa.array(range(page.num_rows), pa.int64())
    keys = keys.combine_chunks() if keys is not None else None
    for item in schema:
        column = page.column(item.name) if item.name in page.column_names else pa.nulls(page.num_rows)
        values = column.combine_chunks() if page.num_rows else pa.nulls(0, item.type)
        _census_field(census, item, values, item.name, Depth(rows, keys, present, sent))
    for path, of in _undeclared(page.schema, schema):
        census.undeclared[path] = of
    return census


@dataclass(frozen=True)
class Depth:
    """Values at one depth of a page's nesting: `rows`, the top record each belongs to (its key in `keys`)."""

    rows: pa.Array
    keys: pa.Array | None
    present: Callable[[str], bool]
    sent: Mapping[str, set[str]] | None

    def below(self, parents: pa.Array) -> Depth:
        return Depth(pc.take(self.rows, parents), self.keys, self.present, self.sent)

    def key(self, index: int) -> str | None:
        if self.keys is None or index < 0 or index >= len(self.rows):
            return None
        value = self.keys[self.rows[index].as_py()].as_py()
        return None if value is None else str(value)


def _census_field(census: Census, item: pa.Field, values: pa.Array, path: str, depth: Depth) -> None:
    """Counts `values`: those of the field at `path`, one per record at this depth."""
    of = item.type
    if pa.types.is_struct(of) and pa.types.is_struct(values.type):
        for child, array in _children(of, values):
            _census_field(census, child, array, f"{path}.{child.name}", depth)
        return
    if _is_records(of) and pa.types.is_list(values.type):
        below = depth.below(pc.list_parent_indices(values))
        for child, array in _children(of.value_type, pc.list_flatten(values)):
            _census_field(census, child, array, f"{path}.{child.name}", below)
        return
    wire = contract_of(item)
    census.contract[path] = wire.value
    if wire is Wire.DERIVED:
        return
    census.counted[path] = len(values)
    held = len(values) - values.null_count
    if not held and len(values) and depth.present(path):
        held = len(values)  # sent as null in every record (where nulls are sent)
    census.present[path] = held
    expected = _json_type(of)
    if depth.sent is not None:
        other = sorted(depth.sent.get(path, set()) - {expected, "null"})
        if other:
            census.retyped[path] = other[0]
    elif values.type != of and not pa.types.is_null(values.type):
        census.retyped[path] = _json_type(values.type)
    if wire is Wire.REQUIRED:
        if values.null_count:
            first = pc.index(pc.is_null(values), True).as_py()
            census.breaches.append(Breach(path, "absent or null", values.null_count, depth.key(first)))
        elif path in census.retyped:
            problem = f"sent as {census.retyped[path]} where {expected} is declared"
            census.breaches.append(Breach(path, problem, len(values), depth.key(0)))


def _undeclared(
    sent: pa.Schema | pa.StructType, schema: pa.Schema | pa.StructType, prefix: str = ""
) -> Iterator[tuple[str, str]]:
    names = {f.name: f for f in schema}
    for item in sent:
        path = prefix + item.name
        known = names.get(item.name)
        if known is None:
            yield path, _json_type(item.type)
        elif pa.types.is_struct(item.type) and pa.types.is_struct(known.type):
            yield from _undeclared(item.type, known.type, path + ".")
        elif _is_records(item.type) and _is_records(known.type):
            yield from _undeclared(item.type.value_type, known.type.value_type, path + ".")


def _is_records(of: pa.DataType) -> bool:
    return bool(pa.types.is_list(of) and pa.types.is_struct(of.value_type))


def _json_type(of: pa.DataType) -> str:
    if pa.types.is_string(of) or pa.types.is_large_string(of) or pa.types.is_timestamp(of) or pa.types.is_date(of):
        return "string"
    if pa.types.is_boolean(of):
        return "boolean"
    if pa.types.is_integer(of) or pa.types.is_floating(of) or pa.types.is_decimal(of):
        return "number"
    if pa.types.is_struct(of):
        return "object"
    if pa.types.is_list(of):
        return "array"
    return "null"


def _children(of: pa.StructType, values: pa.StructArray) -> Iterator[tuple[pa.Field, pa.Array]]:
    """The declared fields of a struct with their values (a null object's are null; fields the decoder
    inferred beside them are left to `_undeclared`)."""
    arrays = dict(zip((f.name for f in values.type), values.flatten(), strict=True))
    for child in of:
        yield child, arrays.get(child.name, pa.nulls(len(values), child.type))


def census_of_records(records: list[dict[str, Any]], page: pa.Table, schema: pa.Schema, endpoint: str = "") -> Census:
    """The census of records parsed value by value (`page`: them as the table of `schema` they made)."""
    sent: dict[str, set[str]] = {}
    _paths(records, "", sent)
    census = census_of_table(page, schema, lambda path: path in sent, sent, endpoint)
    declared_paths = set(census.contract)
    undeclared = [p for p in sent if not _under(p, declared_paths)]
    outermost = [p for p in undeclared if not any(p.startswith(o + ".") for o in undeclared)]
    census.undeclared = {p: _one_type(sent[p]) for p in outermost}
    return census


def _one_type(types: set[str]) -> str:
    return min(types - {"null"}, default="null")


def _paths(values: Iterable[Any], prefix: str, sent: dict[str, set[str]]) -> None:
    """Every key path the records hold, with the JSON types of its values."""
    for record in values:
        if not isinstance(record, dict):
            continue
        for name, value in record.items():
            path = prefix + name
            sent.setdefault(path, set()).add(_value_type(value))
            if isinstance(value, dict):
                _paths((value,), path + ".", sent)
            elif isinstance(value, list):
                _paths(value, path + ".", sent)


def _value_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "number"


def _under(path: str, declared_paths: set[str]) -> bool:
    """Whether `path` is declared: a declared field, or a struct or list of records that holds declared ones."""
    return path in declared_paths or any(d.startswith(path + ".") for d in declared_paths)


def census_of_header(
    header: list[str], schema: pa.Schema, rows: int, empty: Mapping[str, int], endpoint: str = ""
) -> Census:
    """The census of a CSV file: its header against `schema`'s fields (a file has no nesting), `rows` rows,
    `empty` the rows each column left empty (a required column may leave none)."""
    census = Census(endpoint, rows)
    sent = set(header)
    for item in schema:
        wire = contract_of(item)
        census.contract[item.name] = wire.value
        if wire is Wire.DERIVED:
            continue
        # A column of the header is sent in every row, an empty cell being its null.
        census.present[item.name] = rows if item.name in sent else 0
        census.counted[item.name] = rows
        if wire is Wire.REQUIRED and item.name not in sent:
            census.breaches.append(Breach(item.name, "absent from the header", 0, None))
        elif wire is Wire.REQUIRED and empty.get(item.name):
            census.breaches.append(Breach(item.name, "empty", empty[item.name], None))
    census.undeclared = {name: "string" for name in header if name not in schema.names}
    return census
