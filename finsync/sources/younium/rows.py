"""The rows each Younium table makes of a page of its list's records (an Arrow table of them, as Younium nests
them): a record's own fields, or the records of a list it holds, with the fields finsync derives (keys, a
parent's id, a position) added beside them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finsync.tables import unnested


class Children(NamedTuple):
    """The records of each parent's list: `rows` (unnested), each one's `parent` (row index in the parents'
    table) and `position` (1-based, in its list as sent, a null entry counted)."""

    rows: pa.Table
    parent: pa.Array
    position: pa.Array


def children(parents: pa.Table, field: str, *, keyed: bool = True) -> Children:
    """The records of every parent's list `field`; a null entry of a list is no record. With `keyed`, only
    those of parents with an id (a child's key is made of it)."""
    lists = parents.column(field).combine_chunks()
    items = lists.flatten()
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    position = np.arange(len(parent)) - np.searchsorted(parent, parent) + 1
    kept = pc.is_valid(items)
    if keyed:
        ids = parents.column("id").combine_chunks().take(pa.array(parent, pa.int64()))
        kept = pc.and_(kept, pc.fill_null(pc.not_equal(ids, ""), False))
    rows = pa.Table.from_struct_array(items.filter(kept))
    return Children(unnested(rows), pa.array(parent).filter(kept), pa.array(position).filter(kept))


def with_columns(table: pa.Table, **columns: pa.Array) -> pa.Table:
    """`table` with `columns` set (replacing any of the same name)."""
    for name, values in columns.items():
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, values) if index >= 0 else table.append_column(name, values)
    return table


def joined(*parts: pa.Array | str) -> pa.Array:
    """Text values and constants joined (a key): a NULL part reads `None`, as a key made in Python does."""
    texts = [p if isinstance(p, str) else pc.fill_null(pc.cast(p, pa.string()), "None") for p in parts]
    return pc.binary_join_element_wise(*texts, "")


def parent_ids(parents: pa.Table, found: Children) -> pa.Array:
    return parents.column("id").combine_chunks().take(found.parent)


def batch_rows(batches: pa.Table) -> pa.Table:
    counts = pc.cast(pc.fill_null(pc.list_value_length(batches.column("invoices")), 0), pa.int64())
    return unnested(with_columns(batches, invoiceCount=counts))


def keyed_children(parents: pa.Table, field: str, parent: str, by: str) -> pa.Table:
    """The records of each parent's list `field`, each with its parent's id (as `parent`) and the key
    `<parent id>:<its own field by>`."""
    found = children(parents, field)
    ids = parent_ids(parents, found)
    return with_columns(found.rows, **{parent: ids, "key": joined(ids, ":", found.rows.column(by))})


def batch_invoice_rows(batches: pa.Table) -> pa.Table:
    """A batch's invoices are replaced with the batch (merge key), as dlt does for nested lists."""
    return keyed_children(batches, "invoices", "invoiceBatchId", "id")


def batch_group_rows(batches: pa.Table) -> pa.Table:
    """Each batch group a batch names, once."""
    rows = [
        {"invoiceBatchId": batch_id, "batchGroup": group, "key": f"{batch_id}:{group}"}
        for batch_id, groups in zip(
            batches.column("id").to_pylist(), batches.column("batchGroups").to_pylist(), strict=True
        )
        if batch_id
        for group in dict.fromkeys(groups or [])
    ]
    schema = pa.schema([("invoiceBatchId", pa.string()), ("batchGroup", pa.string()), ("key", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def invoice_line_columns(invoices: pa.Table) -> pa.Table:
    """Each invoice's lines, merged by their own id and never replaced as a set (with ModifiedAfter the API
    may leave out the lines that did not change), each with its invoice's id (else its own invoiceId)."""
    found = children(invoices, "invoiceLines", keyed=False)
    ids = parent_ids(invoices, found)
    ids = pc.if_else(pc.equal(ids, ""), pa.scalar(None, pa.string()), ids)
    return with_columns(found.rows, invoiceId=pc.coalesce(ids, found.rows.column("invoiceId")))


def settlement_rows(payments: pa.Table) -> pa.Table:
    """A payment's settlements are replaced with the payment (merge key): they come whole, never filtered."""
    found = children(payments, "paymentSettlements")
    payment = parent_ids(payments, found)
    position = pc.cast(found.position, pa.int64())
    return with_columns(found.rows, paymentId=payment, position=position, key=joined(payment, ":", position))
