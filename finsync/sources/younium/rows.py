"""The rows each Younium table makes of a page of its list's records: JSON objects as Younium nests them, with
the fields finsync derives (keys, a parent's id) added at their top level; and, for invoices decoded straight
into Arrow, their lines as columns."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from finsync.http import JsonObject
from finsync.tables import unnested


def batch_rows(batches: list[JsonObject]) -> list[JsonObject]:
    return [batch | {"invoiceCount": len(batch.get("invoices") or [])} for batch in batches]


def batch_invoice_rows(batches: list[JsonObject]) -> list[JsonObject]:
    """A batch's invoices are replaced with the batch (merge key), as dlt does for nested lists."""
    return [
        invoice | {"invoiceBatchId": batch["id"], "key": f"{batch['id']}:{invoice.get('id')}"}
        for batch in batches
        if batch.get("id")
        for invoice in batch.get("invoices") or []
        if isinstance(invoice, dict)
    ]


def batch_group_rows(batches: list[JsonObject]) -> list[JsonObject]:
    return [
        {"invoiceBatchId": batch["id"], "batchGroup": group, "key": f"{batch['id']}:{group}"}
        for batch in batches
        if batch.get("id")
        for group in dict.fromkeys(batch.get("batchGroups") or [])
    ]


def invoice_line_rows(invoices: list[JsonObject]) -> list[JsonObject]:
    """Each invoice's lines, merged by their own id and never replaced as a set: with ModifiedAfter the
    API may leave out the lines that did not change."""
    return [
        line | {"invoiceId": invoice.get("id") or line.get("invoiceId")}
        for invoice in invoices
        for line in invoice.get("invoiceLines") or []
        if isinstance(line, dict)
    ]


def invoice_line_columns(invoices: pa.Table) -> pa.Table:
    """`invoice_line_rows` for invoices decoded into Arrow: each line with its invoice's id."""
    lists = invoices.column("invoiceLines").combine_chunks()
    lines = lists.flatten()
    ids = invoices.column("id").combine_chunks().take(pc.list_parent_indices(lists))
    ids = pc.if_else(pc.equal(ids, ""), pa.scalar(None, pa.string()), ids)  # no id: the line's own invoiceId
    valid = pc.is_valid(lines)  # a `null` in the list is no line
    table = unnested(pa.Table.from_struct_array(lines.filter(valid)))
    own = table.schema.get_field_index("invoiceId")
    return table.set_column(own, "invoiceId", pc.coalesce(ids.filter(valid), table.column(own)))


def settlement_rows(payments: list[JsonObject]) -> list[JsonObject]:
    """A payment's settlements are replaced with the payment (merge key): they come whole, never filtered."""
    return [
        settlement | {"paymentId": payment["id"], "position": position, "key": f"{payment['id']}:{position}"}
        for payment in payments
        if payment.get("id")
        for position, settlement in enumerate(payment.get("paymentSettlements") or [], start=1)
        if isinstance(settlement, dict)
    ]
