"""FirstSeen: the rows a load may hold once per key, over every batch of a run."""

from __future__ import annotations

import pyarrow as pa

from finsync.first_seen import FirstSeen


def batch(*keys: int) -> pa.Table:
    return pa.table({"id": pa.array(keys, pa.int64()), "at": pa.array(range(len(keys)), pa.int64())})


def test_the_first_row_of_each_key_is_kept_within_and_across_batches_in_order() -> None:
    seen = FirstSeen("id")
    first, dropped = seen.keep(batch(5, 3, 5, 9))
    assert (first.to_pydict(), dropped) == ({"id": [5, 3, 9], "at": [0, 1, 3]}, 1)
    second, dropped = seen.keep(batch(9, 1, 3, 7, 1))
    assert (second.to_pydict(), dropped) == ({"id": [1, 7], "at": [1, 3]}, 3)
    assert len(seen) == 5


def test_a_batch_with_nothing_repeated_is_handed_back_as_it_is() -> None:
    seen = FirstSeen("id")
    seen.keep(batch(2, 4))
    table = batch(1, 3, 5)
    kept, dropped = seen.keep(table)
    assert kept is table and dropped == 0


def test_keys_far_apart_and_near_the_int64_limits_are_told_apart() -> None:
    seen = FirstSeen("id")
    seen.keep(batch(2**63 - 1, -(2**63), 0))
    kept, dropped = seen.keep(batch(2**63 - 2, 2**63 - 1, 1))
    assert kept.column("id").to_pylist() == [2**63 - 2, 1] and dropped == 1
