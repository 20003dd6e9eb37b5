"""A JSON page decoded straight into Arrow: the list of records it holds becomes an Arrow table of the
declared wire types, without a Python object per value.

Arrow's JSON reader parses the whole body as one object, against an explicit schema: the list field as a
list of structs, and the envelope fields a client's rules read (YM's ResponseStatus, say). Numbers are
read into decimals from their text, exactly (`0.1` is 0.1, `1e-3` is 0.001; nothing passes through a
binary float), fields the schema does not name are skipped. A body the reader cannot take exactly as
declared (a value of another type than its field's, more decimal places than the wire decimal holds, a
body cut short) is not an error here: the decoder answers None, and the client reads the body the exact,
per-value way, which names a bad value or retries a truncated body.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

_FAILED = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


@dataclass(frozen=True)
class ListPage:
    """Decodes a body `{list_field: [records…], envelope fields…}`; the list's records by `records`' fields."""

    list_field: str
    records: pa.Schema
    envelope: Mapping[str, pa.DataType] = field(default_factory=dict)

    def __call__(self, content: bytes) -> dict[str, Any] | None:
        """The body as a dict: the envelope fields as Python values, the list as an Arrow table (empty when
        the list is missing or null); None when the body cannot be read exactly this way."""
        schema = pa.schema([(self.list_field, pa.list_(pa.struct(list(self.records)))), *self.envelope.items()])
        options = pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore", newlines_in_values=True
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
            body[self.list_field] = self.records.empty_table()
        else:
            records = lists.flatten()
            # A `null` in the list is no record (the per-value path keeps only objects).
            body[self.list_field] = pa.Table.from_struct_array(records.filter(pc.is_valid(records)))
        return body
