"""`finsync check` proves the PCI promise: no card number is stored in full, in any text column of any table.

finsync masks the columns it knows hold card numbers (`****1234`); this scan is the proof that nothing else
holds one: a note field a clerk pasted a card into, a column upstream added. A value holds a card number
when it has a number of 13 to 19 digits that passes the Luhn check, standing alone (no letter or digit next
to it: a CRM id such as `0015g000001234567` holds none), written whole or in a card's groups separated by
single spaces or dashes (4-4-4-4 and the like, Amex's 4-6-5): a UUID's digit groups (8-4-4-4-12) are no
card. The warehouse narrows each text column to the values with a long enough run of digits in one scan of
each table; the rest is decided here. A finding names the table, the column and how many rows; never a value.
"""

from __future__ import annotations

import re
from typing import Any

from finsync.sources.tenants import Target

from .database import is_postgres, query

KIND = "card number stored"
# 13 or more digits, at most one space or dash between two (POSIX and RE2 alike): what may hold a card number.
CANDIDATE = "[0-9]([ -]?[0-9]){12}"
# A standalone run of digit groups, separated by single spaces or dashes.
_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:[ -][0-9]+)*(?![0-9A-Za-z])")
_SEPARATOR = re.compile(r"[ -]")
TEXT_TYPES = ("VARCHAR", "character varying", "text")


def luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def holds_card_number(value: str) -> bool:
    """Whether `value` holds a card number (see the module): any stretch of a run's groups in a card's shape
    whose digits pass the Luhn check."""
    for run in _RUN.finditer(value):
        groups = _SEPARATOR.split(run.group())
        for start in range(len(groups)):
            for end in range(start + 1, len(groups) + 1):
                if card_shaped(groups[start:end]) and luhn("".join(groups[start:end])):
                    return True
    return False


def card_shaped(groups: list[str]) -> bool:
    """13 to 19 digits, whole or in a card's groups: fours with a shorter last one, or 4-6-5 / 4-6-4."""
    sizes = [len(group) for group in groups]
    if not 13 <= sum(sizes) <= 19:
        return False
    return len(sizes) == 1 or sizes in ([4, 6, 5], [4, 6, 4]) or (set(sizes[:-1]) == {4} and sizes[-1] <= 4)


def text_columns(connection: Any, dataset: str) -> dict[str, list[str]]:
    """The text columns of each of `dataset`'s tables (dlt's own `_dlt_*` tables left out)."""
    types = ", ".join(f"'{t}'" for t in TEXT_TYPES)
    rows = query(
        connection,
        "SELECT table_name, column_name FROM information_schema.columns "
        f"WHERE table_schema = '{dataset}' AND data_type IN ({types}) ORDER BY table_name, ordinal_position",
    )
    found: dict[str, list[str]] = {}
    for table, column in rows:
        if not table.startswith("_dlt") and not column.startswith("_dlt"):
            found.setdefault(table, []).append(column)
    return found


def card_numbers(connection: Any, target: Target) -> list[tuple[str, str, int]]:
    """(table, column, rows) of every text column of `target`'s tables holding card numbers."""
    matches = "\"{column}\" ~ '{pattern}'" if is_postgres(connection) else "regexp_matches(\"{column}\", '{pattern}')"
    found = []
    for table, columns in text_columns(connection, target.dataset).items():
        name = f"{target.dataset}.{table}"
        counts = ", ".join(
            f"SUM(CASE WHEN {matches.format(column=c, pattern=CANDIDATE)} THEN 1 ELSE 0 END)" for c in columns
        )
        candidates = query(connection, f"SELECT {counts} FROM {name}")[0]
        for column, count in zip(columns, candidates, strict=True):
            if not count:
                continue
            where = matches.format(column=column, pattern=CANDIDATE)
            values = query(connection, f'SELECT "{column}" FROM {name} WHERE {where}')
            if held := sum(1 for (value,) in values if holds_card_number(str(value))):
                found.append((name, column, held))
    return found
