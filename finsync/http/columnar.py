"""A JSON page decoded straight into Arrow: the list of records it holds becomes an Arrow table of the
declared wire types, without a Python object per value.

Arrow's JSON reader parses the whole body as one object, against an explicit schema: the list field as a
list of structs, and the envelope fields a client's rules read (YM's ResponseStatus, say). Numbers are
read into decimals from their text, exactly (`0.1` is 0.1, `1e-3` is 0.001; nothing passes through a
binary float), fields the schema does not name are skipped. A body the reader cannot take exactly as
declared (a value of another type than its field's, more decimal places than the wire decimal holds) is
read the exact, per-value way instead (`exact_table`) into the same kind of table, so a page is one type
whichever way it was read; a body cut short is retried (`TruncatedBody`).

Each page carries, in its schema's metadata, its `wire.Census`: which declared fields its records held, and
which fields they held that are not declared (the reader infers those, then leaves them out of the table).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from .client import exact_json
from .wire import EXTRA_FIELD, Census, census_of_records, census_of_table, extras_of, keeps_extras

CENSUS = b"census"  # a page's schema metadata key: its census, as JSON

_FAILED = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


@dataclass(frozen=True)
class ListPage:
    """Decodes a body `{list_field: [records…], envelope fields…}`; the list's records by `records`' fields."""

    list_field: str
    records: pa.Schema
    envelope: Mapping[str, pa.DataType] = field(default_factory=dict)
    endpoint: str = ""  # the request whose pages it reads, as messages name it

    def __call__(self, content: bytes) -> Any:
        """The body as a dict: the envelope fields as Python values, the list as an Arrow table of `records`
        (empty when the list is missing or null; one record where it is one object); a body that is a bare
        list, as the table of its records; any other JSON as it is, for the client to refuse."""
        # Keeping each record's undeclared fields exactly takes the per-value path.
        body = None if keeps_extras(self.records) else self.read(content)
        if body is not None:
            return body
        parsed = exact_json(content)
        if isinstance(parsed, list):
            return self.census([r for r in parsed if isinstance(r, dict)])
        if not isinstance(parsed, dict):
            return parsed
        listed = parsed.get(self.list_field)
        # Some lists (Younium's BatchLog) answer one object rather than a list of them.
        listed = [listed] if isinstance(listed, dict) else [r for r in listed or [] if isinstance(r, dict)]
        return {**parsed, self.list_field: self.census(listed)}

    def census(self, records: list[dict[str, Any]]) -> pa.Table:
        """Records parsed value by value, as the table of `records` with their census (and, where the
        schema asks, each record's undeclared fields as JSON in `extra_fields`)."""
        if keeps_extras(self.records):
            declared = set(self.records.names)
            records = [{**r, EXTRA_FIELD: extras_of(r, declared)} for r in records]
        page = exact_table(records, self.records)
        return with_census(page, census_of_records(records, page, self.records, self.endpoint))

    def read(self, content: bytes) -> dict[str, Any] | None:
        """The body read straight into Arrow; None when it cannot be read exactly this way."""
        schema = pa.schema([(self.list_field, pa.list_(pa.struct(list(self.records)))), *self.envelope.items()])
        options = pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="infer", newlines_in_values=True
        )
        try:
            # One block for the whole body: the reader splits blocks at line breaks, which a value may hold.
            read = pa_json.ReadOptions(use_threads=False, block_size=max(len(content) + 1, 1 << 16))
            table = pa_json.read_json(io.BytesIO(content), read_options=read, parse_options=options)
        except _FAILED:
            return None
        if table.num_rows != 1:
            return None
        body: dict[str, Any] = {name: table.column(name)[0].as_py() for name in self.envelope}
        lists = table.column(self.list_field).combine_chunks()
        if lists.null_count:
            page = pa.Table.from_struct_array(pa.array([], pa.struct(list(self.records))))
        else:
            records = lists.flatten()
            # A `null` in the list is no record (the per-value path keeps only objects).
            page = pa.Table.from_struct_array(records.filter(pc.is_valid(records)))
        nulls: list[str] = []  # fields null in every record: sent as null, or not sent at all?

        def null_throughout(path: str) -> bool:
            nulls.append(path)
            return False  # until `sent_among` says

        census = census_of_table(page, self.records, null_throughout, endpoint=self.endpoint)
        for path in self.sent_among(content, nulls):
            census.present[path] = census.records
        # The fields the reader inferred are counted: the page is of the declared records alone.
        body[self.list_field] = with_census(page.select(self.records.names).cast(self.records), census)
        return body

    def sent_among(self, content: bytes, paths: list[str]) -> list[str]:
        """Which of `paths` (declared fields) the body's records hold: read again without them, a field the
        records hold comes back inferred, at its place (a null included); one they lack does not."""
        if not paths:
            return []
        without = _without(pa.struct(list(self.records)), set(paths))
        options = pa_json.ParseOptions(
            explicit_schema=pa.schema([(self.list_field, pa.list_(without))]),
            unexpected_field_behavior="infer",
            newlines_in_values=True,
        )
        read = pa_json.ReadOptions(use_threads=False, block_size=max(len(content) + 1, 1 << 16))
        try:
            table = pa_json.read_json(io.BytesIO(content), read_options=read, parse_options=options)
        except _FAILED:
            return []
        records = table.schema.field(self.list_field).type.value_type
        return [path for path in paths if _holds(records, path.split("."))]


def _without(of: pa.DataType, paths: set[str], prefix: str = "") -> pa.DataType:
    """A struct type (of records, nested) without the fields at `paths`."""
    if pa.types.is_struct(of):
        kept = [
            f.with_type(_without(f.type, paths, f"{prefix}{f.name}.")) for f in of if f"{prefix}{f.name}" not in paths
        ]
        return pa.struct(kept)
    if pa.types.is_list(of) and pa.types.is_struct(of.value_type):
        return pa.list_(_without(of.value_type, paths, prefix))
    return of


def _holds(of: pa.DataType, names: list[str]) -> bool:
    """Whether a (nested) record type has a field at the path `names`, through objects and lists of them."""
    while pa.types.is_list(of):
        of = of.value_type
    if not names:
        return True
    if not pa.types.is_struct(of) or of.get_field_index(names[0]) < 0:
        return False
    return _holds(of.field(names[0]).type, names[1:])


def with_census(page: pa.Table, census: Census) -> pa.Table:
    return page.replace_schema_metadata({**(page.schema.metadata or {}), CENSUS: census.dumps()})


def census_of(page: pa.Table) -> Census | None:
    """The census a page was decoded with (None for a table that is no page as read)."""
    found = (page.schema.metadata or {}).get(CENSUS)
    return Census.loads(found) if found else None


def exact_table(records: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """The records of a page the reader above could not take exactly (parsed instead with exact decimals), as
    the same kind of table: each field of `schema` as declared where every value is of its type; a field
    that holds anything else comes as the text of its values (as the per-value conversion reads text), for
    the table's conversion to read exactly or to name the value it cannot. A nested object or list that is
    not one is no value (NULL), as a missing one is."""
    try:
        return pa.Table.from_pylist(records, schema=schema)
    except (*_FAILED, TypeError):
        pass
    columns = [_exact_column([record.get(f.name) for record in records], f.type) for f in schema]
    return pa.Table.from_arrays(columns, names=schema.names)


def _exact_column(values: list[Any], of: pa.DataType) -> pa.Array:
    if pa.types.is_struct(of):
        objects = [v if isinstance(v, dict) else None for v in values]
        children = [_exact_column([o.get(f.name) if o else None for o in objects], f.type) for f in of]
        mask = pa.array([o is None for o in objects], pa.bool_())
        return pa.StructArray.from_arrays(children, names=[f.name for f in of], mask=mask)
    if pa.types.is_list(of):
        lists = [v if isinstance(v, list) else None for v in values]
        offsets = [0]
        for items in lists:
            offsets.append(offsets[-1] + len(items or []))
        flat = _exact_column([item for items in lists for item in items or []], of.value_type)
        mask = pa.array([items is None for items in lists], pa.bool_())
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), flat, mask=mask)
    try:
        return pa.array(values, type=of)
    except (*_FAILED, TypeError):
        return pa.array([None if v is None else v if isinstance(v, str) else str(v) for v in values], pa.string())
