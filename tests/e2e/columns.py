"""Every column of every table, row by row, against what the sandbox serves.

The expected side is the sandbox's own: the records its routes write (YM's InvoiceItemData and FinanceBatch;
Younium's API 2.1 responses, encoded and decoded as JSON, as a client reads them), each field named in the
warehouse by the snake_case of its wire name (nested objects joined by `_`: `account.id` is `account_id`),
but for the few exceptions written here, and the columns finsync derives itself, computed here from their
documented rules or, where no rule can be predicted, left out (`Wanted.unread`). Nothing is taken from
finsync's own declarations: a field renamed there leaves its column empty, or names a column the sandbox
does not serve, and either fails here, naming the table, the column, a key and the two values.

Values are compared after the sandbox's text is read as the warehouse holds it: an empty string, or .NET's
`0001-01-01`, is NULL; a date-time is an instant (without an offset, in the system's zone: YM's server zone,
Younium's UTC), to the microsecond (finsync keeps six of YM's seven fraction digits); a calendar date is the
date as written. Which of those a column holds is read from the warehouse's own value (the types themselves
are `test_contract`'s to check). Money and rates compare as exact decimals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from decimal import Decimal
from fnmatch import fnmatch
from typing import Any

from finsync.warehouse.runner import Target, Warehouse
from finsync_sandbox.kernel.jsonwriter import dumps

# Columns every table has that say how finsync loaded a row, not what upstream holds.
LOAD_COLUMNS = frozenset({"_dlt_load_id", "_dlt_id", "deleted_at"})
# Examples shown per column that differs, and columns shown per table.
EXAMPLES = 3
SHOWN = 12


@dataclass
class Wanted:
    """What one warehouse table must hold: `rows` by warehouse column, each row found by its `key` columns.
    A column in no row must be NULL throughout (the sandbox never serves it); `unread` columns are not
    compared (finsync derives them by a rule the sandbox cannot predict); `personal` columns are dropped
    under `pii = "drop"`; `masked` ones hold only a card number's last four digits."""

    table: str  # schema.table, as for the default tenant
    key: tuple[str, ...]
    rows: list[dict[str, Any]]
    live: bool = False  # rows deleted upstream stay marked `deleted_at`: only the others are compared
    unread: frozenset[str] = frozenset()
    personal: frozenset[str] = frozenset()
    masked: frozenset[str] = frozenset()
    # Counts that grow with the calendar alone (Younium's daysPastDue): a record read before the sandbox's
    # clock moved on holds a smaller one, and is not read again for it. Compared as at most the sandbox's.
    aging: frozenset[str] = frozenset()
    # Columns a record holds as it was last read, which upstream changes without modifying the record (the
    # period of a journal, closed): a row holds either all of the sandbox's values or all of these earlier ones.
    as_read: Mapping[str, Any] = field(default_factory=dict)
    # Per row (by key), the values it may hold as read before upstream changed it without modifying its parent
    # (a schedule item recognised, or its period closed, since its charge was last read), each a set of columns:
    # a row holding all of one set is compared with those values.
    earlier: Mapping[tuple[Any, ...], tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    # Where each expected column comes from upstream, for messages: column -> wire field.
    fields: dict[str, str] = field(default_factory=dict)
    # Rows not compared, by a column's value: what a table without `deleted_at` keeps of a record deleted
    # upstream (the versions, products, charges and terms of a hard-deleted order), which no route serves.
    gone: Mapping[str, frozenset[Any]] = field(default_factory=dict)


# -- the sandbox's records as warehouse rows ---------------------------------------------------------------------


def snake(name: str) -> str:
    """dlt's snake_case of a wire name: `externalERPId` -> `external_erp_id`, `Address1` -> `address1`."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name).lower()


def served(record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` as a client reads it: the sandbox's JSON of it, decoded with exact decimals."""
    decoded: dict[str, Any] = json.loads(dumps(dict(record)), parse_float=Decimal)
    return decoded


def flat(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted fields (`account.id`); lists (a record's children, other tables) left out."""
    fields: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(value, dict):
            fields.update(flat(value, f"{prefix}{name}."))
        elif not isinstance(value, list):
            fields[prefix + name] = value
    return fields


class Naming:
    """How one table names the fields of the records it is made of: `renamed` ones as named there, those
    matching an `unloaded` pattern (served, but not a column finsync keeps) left out, every other one
    snake_cased, its nested objects' names joined by `_`."""

    def __init__(self, renamed: Mapping[str, str] | None = None, unloaded: Iterable[str] = ()) -> None:
        self.renamed, self.unloaded = dict(renamed or {}), tuple(unloaded)
        self.columns: dict[str, str | None] = {}  # wire field -> its column (None: not kept)

    def column(self, name: str) -> str | None:
        if name not in self.columns:
            column = self.renamed.get(name)
            if column is None and not any(fnmatch(name, pattern) for pattern in self.unloaded):
                column = snake(name.replace(".", "_"))
            self.columns[name] = column
        return self.columns[name]

    def row(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A served record's fields by warehouse column."""
        return {column: value for name, value in flat(record).items() if (column := self.column(name))}

    def fields(self) -> dict[str, str]:
        """Each column's wire field."""
        return {column: name for name, column in self.columns.items() if column}


# -- comparing ---------------------------------------------------------------------------------------------------

_NO_DATE = "0001-01-01"
_FRACTION = re.compile(r"\.\d+")


def mask(card: Any) -> str | None:
    """A card number as a warehouse may hold one: its last four digits."""
    digits = re.sub(r"\D", "", str(card))
    return "****" + digits[-4:] if digits else None


def normalised(value: Any, loaded: Any, zone: tzinfo) -> Any:
    """The sandbox's `value` as the warehouse holds it, read as `loaded` says the column holds values."""
    if value is None or value == "" or (isinstance(value, str) and value.startswith(_NO_DATE)):
        return None
    if isinstance(value, str) and isinstance(loaded, datetime):
        # Six fraction digits, YM's seventh dropped (as finsync keeps them), Younium's milliseconds padded.
        micros = _FRACTION.sub(lambda fraction: fraction[0][:7].ljust(7, "0"), value, count=1)
        try:
            moment = datetime.fromisoformat(micros.replace("Z", "+00:00"))
        except ValueError:
            return value  # no date-time: it differs, and the message shows it
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(timezone.utc)
    if isinstance(value, str) and isinstance(loaded, date):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def assert_tables_match(
    warehouse: Warehouse, target: Target, tables: Iterable[Wanted], zone: tzinfo, pii: str = "mask"
) -> None:
    """Every column of every table in `tables` holds, row by row, what the sandbox serves (see the module):
    one query a table, over one connection."""
    found = []
    with warehouse.connect(read_only=True) as connection:
        cursor = connection.cursor()
        for wanted in tables:
            where = " WHERE deleted_at IS NULL" if wanted.live else ""
            cursor.execute(target.over_dataset(f"SELECT * FROM {wanted.table}{where}"))
            names = [d[0] for d in cursor.description]
            found += differences(wanted, names, [tuple(row) for row in cursor.fetchall()], zone, pii)
    assert not found, "the warehouse differs from the sandbox:\n" + "\n".join(found)


def differences(
    wanted: Wanted, names: list[str], loaded_rows: list[tuple[Any, ...]], zone: tzinfo, pii: str
) -> list[str]:
    """What `loaded_rows` (of columns `names`) hold that `wanted` does not, a line per column."""
    table, present = wanted.table, set(names)
    if pii == "drop" and (kept := sorted(present & wanted.personal)):
        return [f"{table}: personal columns {kept} kept under pii = drop"]
    served_columns = {c for row in wanted.rows for c in row} - (wanted.personal if pii == "drop" else set())
    if missing := sorted(served_columns - present):
        fields = ", ".join(f"{c} (field {wanted.fields.get(c, c)})" for c in missing)
        return [f"{table}: no column for what the sandbox serves: {fields}"]

    position = {name: i for i, name in enumerate(names)}
    for column, values in wanted.gone.items():
        loaded_rows = [row for row in loaded_rows if row[position[column]] not in values]
    loaded = {tuple(row[position[k]] for k in wanted.key): row for row in loaded_rows}
    expected = {tuple(row[k] for k in wanted.key): row for row in wanted.rows}
    assert len(expected) == len(wanted.rows), f"{table}: the sandbox's rows repeat a key {wanted.key}"
    only_sandbox, only_warehouse = expected.keys() - loaded.keys(), loaded.keys() - expected.keys()
    if only_sandbox or only_warehouse or len(loaded) != len(loaded_rows):
        return [
            f"{table}: rows by {wanted.key} differ from the sandbox: {len(only_sandbox)} missing "
            f"(e.g. {sorted(only_sandbox)[:2]}), {len(only_warehouse)} not in the sandbox (e.g. "
            f"{sorted(only_warehouse)[:2]}), {len(loaded_rows) - len(loaded)} repeated"
        ]

    if wanted.as_read:
        earlier = [(position[column], value) for column, value in wanted.as_read.items()]
        read_before = {key for key, row in loaded.items() if all(row[i] == value for i, value in earlier)}
        expected = {key: {**row, **wanted.as_read} if key in read_before else row for key, row in expected.items()}
    for key, choices in wanted.earlier.items():
        got_row = loaded.get(key)
        read = next((c for c in choices if got_row and all(got_row[position[k]] == v for k, v in c.items())), None)
        if read is not None:
            expected[key] = {**expected[key], **read}
    problems = []
    for column in (c for c in names if c not in LOAD_COLUMNS | wanted.unread):
        i, masked, aging = position[column], column in wanted.masked, column in wanted.aging
        differ = []
        for key, want in expected.items():
            got = loaded[key][i]
            value = want.get(column)
            if value == got and value != "" and not masked:
                continue  # as served (text, numbers): nothing to read
            value = normalised(mask(value) if masked and value else value, got, zone)
            if value != got and not (aging and value is not None and got is not None and got <= value):
                differ.append((key, value, got))
        if differ:
            examples = "; ".join(
                f"{_key_text(wanted.key, key)}: sandbox {value!r}, warehouse {got!r}"
                for key, value, got in differ[:EXAMPLES]
            )
            source = f" (field {wanted.fields[column]})" if column in wanted.fields else " (not served: NULL)"
            problems.append(f"{table}.{column}{source}: {len(differ)} of {len(expected)} rows differ, e.g. {examples}")
    return problems[:SHOWN]


def _key_text(columns: tuple[str, ...], key: tuple[Any, ...]) -> str:
    return ", ".join(f"{c}={v!r}" for c, v in zip(columns, key, strict=True))
