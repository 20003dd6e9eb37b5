"""What the sandbox's YM dataset serves, table by table, as `Wanted` warehouse rows (see `columns`): its invoice
items, finance batch items and batches, each as its route writes it, and the tenant row finsync writes."""

from __future__ import annotations

from typing import Any

from finsync_sandbox import SandboxServer

from .columns import Naming, Wanted

_ADDRESS = ("address1", "address2", "city", "state", "province", "postal_code", "country")
# Names, addresses, emails, phones and cards: gone under pii = "drop".
YM_PERSONAL = frozenset(
    {
        *(f"{prefix}{part}" for prefix in ("", "original_invoice_billing_", "payment_billing_") for part in _ADDRESS),
        *(f"invoice_name_{part}" for part in ("last", "first", "middle", "suffix")),
        "email_address",
        "phone",
        "original_invoice_billing_phone",
        "payment_billing_phone",
        "payment_email_address",
        *(
            f"{who}_{what}"
            for who in ("original_invoice", "payment")
            for what in ("name_on_card", "card_number", "card_type", "card_exp_month", "card_exp_year")
        ),
    }
)
# Card numbers are never stored whole: finsync keeps the last four digits.
YM_CARDS = frozenset({"original_invoice_card_number", "payment_card_number"})


def ym_tables(server: SandboxServer) -> list[Wanted]:
    """The YM tables of the sandbox's dataset. FinanceBatchDetails serves a batch's items with four name
    fields named otherwise (NameOnInvoiceLast, ...) and the card expiry as text; the export file and
    InvoiceItems serve them as InvoiceItemData, whose names the warehouse keeps: these rows are those."""
    dataset = server.sandbox.dataset
    naming = Naming()
    # The records are written as they are (text, ints, exact decimals; YM's JSON keeps nulls): no JSON trip.
    invoice_items = [naming.row(r) for r in (*dataset.records(1, dataset.items), *dataset.extra_records(0, None))]
    batch_items = [
        naming.row({"BatchID": batch.batch_id, **record})
        for batch in dataset.batches()
        if not batch.is_open
        for record in dataset.batch_records(batch)
    ]
    batches = [naming.row(batch.record()) for batch in dataset.batches()]
    config = server.sandbox.config
    # Written by finsync from its settings: the client it reads and the zone it reads YM's times in (which
    # must be the sandbox's); its currency and start date are settings the sandbox knows nothing of.
    tenant = [{"client_id": config.client_id, "server_timezone": config.server_timezone}]
    fields = naming.fields()

    def items(table: str, rows: list[dict[str, Any]]) -> Wanted:
        return Wanted(table, ("line_item_id",), rows, personal=YM_PERSONAL, masked=YM_CARDS, fields=fields)

    return [
        items("ym.invoice_items", invoice_items),
        items("ym.finance_batch_items", batch_items),
        Wanted("ym.finance_batches", ("batch_id",), batches, fields=fields),
        Wanted("ym.tenant", ("client_id",), tenant, unread=frozenset({"currency", "start_date"})),
    ]
