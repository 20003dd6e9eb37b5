"""One row per key across a run's batches, so a table can promise its load holds each key once.

A table declared `unique_per_load` skips dlt's deduplicating merge, which on 1M rows of 75 columns is a
window over every column and most of a DuckDB load. Offset-paged lists can repeat a row when the list
shifts while it is read (and YM batches may share items), so the promise is kept here, not assumed: the
keys handed over so far are held as one sorted int64 array (8 bytes a key, not a Python object each).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


class FirstSeen:
    """Keeps the first row of each integer key in `column`, over every table passed to `keep`."""

    def __init__(self, column: str) -> None:
        self.column = column
        self._keys = np.empty(0, dtype=np.int64)  # sorted

    def keep(self, table: pa.Table) -> tuple[pa.Table, int]:
        """`table` without the rows whose key was kept before (here or in an earlier table), and how many
        rows were dropped."""
        keys = table.column(self.column).to_numpy().astype(np.int64, copy=False)
        unique, first = np.unique(keys, return_index=True)
        at = np.searchsorted(self._keys, unique)
        known = at < len(self._keys)
        known[known] = self._keys[at[known]] == unique[known]
        fresh = ~known
        # Both parts are sorted, so a stable sort of the two merges them in one pass.
        self._keys = np.sort(np.concatenate([self._keys, unique[fresh]]), kind="stable")
        dropped = len(keys) - int(fresh.sum())
        if not dropped:
            return table, 0
        return table.take(pa.array(np.sort(first[fresh]))), dropped

    def __len__(self) -> int:
        return len(self._keys)
