"""Changes made by hand, as a tenant's users make them: delete a draft invoice, remove a line of one, post a
draft or cancel a posted invoice, delete an account without invoices, delete an invoice batch not yet
posted. Tests and demos make them (in-process on `YouniumTenant`, or `POST /_sandbox/younium/change`) so
that a product's deletion handling and history can be tested end to end: Younium has no deleted-records
feed, so a deleted record simply stops being listed.

The rules:

- only an *open draft* (status Draft, outside any batch, not set aside for a pending generate job) can be
  deleted, have a line removed, or be posted on its own (`set_status` Posted); the last line of an
  invoice cannot be removed (delete the invoice instead);
- only a Posted invoice that no payment settled and no credit note credits (nor a credit note itself)
  can be cancelled (`set_status` Cancelled), as the seeded history cancels them;
- only an account with no invoices (credit notes included), and not the tenant's last, can be deleted;
- only an invoice batch that is not posted, nor being posted, can be deleted: its invoices are drafts
  outside any batch again, dated as before the batch (and modified then, being changed by it);
- any catalogue product can be deleted (the sandbox has no orders that would use it), its charge plans
  and charges with it: a hard delete, it leaves `GET /Products` and `GET /Products/{id}` answers 404;
- a live product's charge can be repriced (`reprice_charge`: every price of it raised by 10%) or have its
  price in one currency removed (`remove_price`, not its last one: a priced charge keeps a price); the
  charge and its product are modified then (see `younium.catalogue` on why the product is);
- any subscription can be hard-deleted (`delete_subscription`, by order number): it leaves
  `GET /Subscriptions`, its `/versions` answer 404 and it leaves the expected figures; its bookings stay;
- any booking's notes can be edited (`edit_booking`, PATCH /Bookings/{id}: bookings are edited after the
  fact, commercial facts §5.6): the booking is modified now, its amounts and lines stay;
- `touch_charge` invoices a recurring charge in force of an Active subscription one period further (a
  change to a child alone: the order's `lastUpdated` moves, its `modified` does not); a Draft or
  Cancelled subscription cannot be touched;
- any usage record can be rated again (`rerate_usage`: a correction of its price, processed now, modified
  now) or hard-deleted (`delete_usage`, DELETE /Usage/{id}): it leaves `GET /Usage` and the expectations.

The ledger's changes (`reopen_period`, `close_period`, `post_into_closed_period`) are here too, for
`change`; their rules (which period may be reopened or closed) are `younium.gl`'s. Setting a status
journals it (`younium.gl`): a draft posted gets an Invoice journal of its own, a cancellation one
reversing the invoice's posting.

Anything else is a ValueError. Each change is one event of the tenant's clock (`tick`, an hour after the
previous event): what it changes gets that `modified` time and moves to the end of the (modified, id)
listing order, so `modified` keeps moving forward. A deleted record leaves every list, by-id read and
expectation; removing a line recomputes its invoice's totals and base amounts, and leaves the other lines
(and their `modified`) as they were, so a ModifiedAfter listing carries the invoice with none of its
lines: only `GET /Invoices/{id}` tells which lines are left.

Each returns what it did as a JSON-ready dict: the change, the ids affected, and the event's time as the
API writes `modified`: `"modified"` when records left were modified then (the invoice whose line was
removed or whose status was set, a deleted batch's invoices), `"at"` when only something was deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..kernel.formats import format_day, format_instant, money
from .catalogue import CatalogueProduct
from .catalogue_records import CURRENCIES
from .dataset import YouniumDataset
from .gl import CLOSED, CORRECTION_ACCOUNTS, OPEN, period_name
from .seed import CANCELLED, DRAFT, POSTED, STATUS_NAMES, InvoiceBatch, invoice_number
from .usage import UsageRecord

# The changes and the fields each takes (all strings), as `POST /_sandbox/younium/change` names them.
CHANGES: dict[str, tuple[str, ...]] = {
    "delete_invoice": ("invoice",),
    "remove_line": ("invoice", "line"),
    "set_status": ("invoice", "status"),
    "delete_account": ("account",),
    "delete_batch": ("batch",),
    "delete_product": ("product",),
    "reprice_charge": ("charge",),
    "remove_price": ("charge", "currency"),
    "delete_subscription": ("order",),
    "touch_charge": ("order",),
    "edit_booking": ("booking", "notes"),
    "rerate_usage": ("usage",),
    "delete_usage": ("usage",),
    "reopen_period": ("period",),
    "close_period": ("period",),
    "post_into_closed_period": ("period",),
}


def delete_invoice(dataset: YouniumDataset, invoice_id: str) -> dict[str, Any]:
    """Delete open draft `invoice_id`, and with it its lines."""
    n = _open_draft(dataset, invoice_id, "deleted")
    lines = [dataset.lines.id(n, k) for k in dataset.lines.numbers(n)]
    at = dataset.tick()
    dataset.invoices.drop(n)
    return {"change": "delete_invoice", "invoice": dataset.invoices.id(n), "lines": lines, "at": format_instant(at)}


def remove_line(dataset: YouniumDataset, invoice_id: str, line_id: str) -> dict[str, Any]:
    """Remove line `line_id` from open draft `invoice_id`; the invoice is modified now."""
    n = _open_draft(dataset, invoice_id, "have a line removed")
    wanted = line_id.strip().lower()
    lines = dataset.lines
    numbers = lines.numbers(n)
    k = next((k for k in numbers if lines.id(n, k) == wanted), None)
    if k is None:
        raise ValueError(f"invoice {invoice_number(n)} has no line {line_id!r}")
    if len(numbers) == 1:
        raise ValueError(f"line {line_id!r} is the only line of invoice {invoice_number(n)}; delete the invoice")
    at = dataset.tick()
    lines.drop(n, k)
    dataset.invoices.set_modified(n, at)
    dataset.invoices.reorder([n])
    return {
        "change": "remove_line",
        "invoice": dataset.invoices.id(n),
        "line": lines.id(n, k),
        "modified": format_instant(at),
        "total_amount": str(money(lines.totals(n).total)),
    }


def set_status(dataset: YouniumDataset, invoice_id: str, status: str) -> dict[str, Any]:
    """Post open draft `invoice_id` on its own (`Posted`), or cancel a posted invoice (`Cancelled`)."""
    invoices = dataset.invoices
    code = next((c for c, name in enumerate(STATUS_NAMES) if name.lower() == status.strip().lower()), None)
    if code == POSTED:
        n = _open_draft(dataset, invoice_id, "posted on its own (post its batch instead)")
    elif code == CANCELLED:
        n = _invoice(dataset, invoice_id)
        number = invoice_number(n)
        if invoices.status(n) != POSTED:
            raise ValueError(f"invoice {number} is {invoices.status_name(n)}: only a Posted invoice can be cancelled")
        if invoices.credited(n) is not None or invoices.credit_note(n) is not None:
            raise ValueError(f"invoice {number} is a credit note or credited by one: it cannot be cancelled")
        if dataset.payments.for_invoice(n) is not None:
            raise ValueError(f"invoice {number} was partly paid: it cannot be cancelled")
    else:
        raise ValueError(f"status {status!r}: a draft can be set Posted, a posted invoice Cancelled")
    at = dataset.tick()
    if code == POSTED:
        dataset.billing.post(n, at)
    else:
        dataset.billing.cancel(n, at)
    invoices.reorder([n])
    return {
        "change": "set_status",
        "invoice": invoices.id(n),
        "status": STATUS_NAMES[code],
        "modified": format_instant(at),
    }


def delete_account(dataset: YouniumDataset, account_id: str) -> dict[str, Any]:
    """Delete account `account_id`, which has no invoices."""
    a = dataset.accounts.number_of(account_id.strip().lower())
    if a is None:
        raise ValueError(f"no account {account_id!r}")
    account = dataset.accounts.numbered(a)
    invoices = dataset.invoices.of_account(a)
    if invoices:
        raise ValueError(
            f"account {account.account_number} has {len(invoices)} invoices: only an account without invoices "
            "can be deleted"
        )
    if len(dataset.accounts.live()) == 1:
        raise ValueError(f"account {account.account_number} is the tenant's last account")
    at = dataset.tick()
    dataset.accounts.drop(a)
    return {"change": "delete_account", "account": account.id, "at": format_instant(at)}


def delete_batch(dataset: YouniumDataset, reference: str, posting: Callable[[InvoiceBatch], bool]) -> dict[str, Any]:
    """Delete invoice batch `reference` (id or batch number), not posted nor being posted (`posting`): its
    invoices are drafts outside any batch again, modified now."""
    batch = dataset.batches.find(reference)
    if batch is None:
        raise ValueError(f"no invoice batch {reference!r}")
    if batch.posted or posting(batch):
        state = "posted" if batch.posted else "being posted"
        raise ValueError(f"invoice batch {batch.batch_number} is {state}: only a batch not yet posted can be deleted")
    at = dataset.tick()
    dataset.billing.delete_batch(batch)
    for n in batch.invoices:
        dataset.invoices.set_modified(n, at)
    dataset.invoices.reorder(batch.invoices)
    return {
        "change": "delete_batch",
        "batch": batch.id,
        "invoices": [dataset.invoices.id(n) for n in batch.invoices],
        "modified": format_instant(at),
    }


def delete_product(dataset: YouniumDataset, product_id: str) -> dict[str, Any]:
    """Hard-delete catalogue product `product_id`, its charge plans and charges with it."""
    product = dataset.catalogue.find(product_id)
    if product is None:
        raise ValueError(f"no product {product_id!r}")
    at = dataset.tick()
    dataset.catalogue.drop(product)
    return {"change": "delete_product", "product": product.id, "at": format_instant(at)}


def reprice_charge(dataset: YouniumDataset, charge_id: str) -> dict[str, Any]:
    """Raise every price of catalogue charge `charge_id` by 10%; it and its product are modified now."""
    product, number = _catalogue_charge(dataset, charge_id)
    at = dataset.tick()
    dataset.catalogue.edit_charge(product, number, at, raise_prices=True)
    return {"change": "reprice_charge", "product": product.id, "charge": charge_id, "modified": format_instant(at)}


def remove_price(dataset: YouniumDataset, charge_id: str, currency: str) -> dict[str, Any]:
    """Remove catalogue charge `charge_id`'s price in `currency` (all its tiers); it and its product are
    modified now."""
    product, number = _catalogue_charge(dataset, charge_id)
    edit = product.charge_edits.get(number)
    left = [c for c in CURRENCIES if edit is None or c not in edit.removed]
    wanted = currency.strip().upper()
    if wanted not in left:
        raise ValueError(f"charge {charge_id!r} has no price in {currency!r}")
    if len(left) == 1:
        raise ValueError(f"{wanted} is the last price of charge {charge_id!r}: a priced charge keeps one")
    at = dataset.tick()
    dataset.catalogue.edit_charge(product, number, at, remove=wanted)
    return {
        "change": "remove_price",
        "product": product.id,
        "charge": charge_id,
        "currency": wanted,
        "modified": format_instant(at),
    }


def delete_subscription(dataset: YouniumDataset, order_number: str) -> dict[str, Any]:
    """Hard-delete subscription `order_number` (DELETE /Subscriptions/{id}): every version leaves the list
    and its versions read is 404; its bookings stay (a booking outlives its order)."""
    order = dataset.orders.find(order_number)
    if order is None:
        raise ValueError(f"no subscription {order_number!r}")
    at = dataset.tick()
    order.deleted = True
    ids = [v.id for v in order.versions]
    return {"change": "delete_subscription", "order": order.order_number, "ids": ids, "at": format_instant(at)}


def edit_booking(dataset: YouniumDataset, booking_id: str, notes: str) -> dict[str, Any]:
    """Set the notes of booking `booking_id` (PATCH /Bookings/{id}); it is modified now."""
    booking = next((b for b in dataset.orders.bookings if b.id == booking_id), None)
    if booking is None:
        raise ValueError(f"no booking {booking_id!r}")
    booking.notes, booking.modified = notes, dataset.tick()
    return {"change": "edit_booking", "booking": booking.id, "modified": format_instant(booking.modified)}


def touch_charge(dataset: YouniumDataset, order_number: str) -> dict[str, Any]:
    """Invoice the next period of a charge in force of subscription `order_number`, now: the charge's
    `chargedThroughDate` and `modified` move, and so does the order's `lastUpdated`, not its `modified`."""
    order = dataset.orders.find(order_number)
    if order is None:
        raise ValueError(f"no subscription {order_number!r}")
    charge = dataset.story.touch_charge(order, dataset.tick())
    through = charge.charged_through
    return {
        "change": "touch_charge",
        "order": order.order_number,
        "charge": f"OPC-{charge.number:06d}",
        "charge_id": charge.id,
        "charged_through": format_day(through) if through is not None else None,
        "modified": format_instant(charge.modified),
    }


def rerate_usage(dataset: YouniumDataset, usage_id: str) -> dict[str, Any]:
    """Rate usage record `usage_id` again now, at the next price step (processed, if it was not yet)."""
    record = _usage(dataset, usage_id)
    at = dataset.tick()
    dataset.usage.rerate(record, at)
    rated = record.rated
    return {
        "change": "rerate_usage",
        "usage": record.id,
        "rated_price": str(money(rated)) if rated is not None else None,
        "modified": format_instant(at),
    }


def delete_usage(dataset: YouniumDataset, usage_id: str) -> dict[str, Any]:
    """Hard-delete usage record `usage_id` (DELETE /Usage/{id}): it leaves the list and the expectations."""
    record = _usage(dataset, usage_id)
    at = dataset.tick()
    dataset.usage.drop(record)
    return {"change": "delete_usage", "usage": record.id, "at": format_instant(at)}


def _usage(dataset: YouniumDataset, usage_id: str) -> UsageRecord:
    record = dataset.usage.find(usage_id)
    if record is None:
        raise ValueError(f"no usage record {usage_id!r}")
    return record


# -- the ledger's (the rules are younium.gl's) ---------------------------------------------------------


def reopen_period(dataset: YouniumDataset, period: str) -> dict[str, Any]:
    """Reopen Closed accounting period `period` ("YYYY-MM"): Open, closedDate null; no journal changes."""
    month = dataset.gl.closed_month(period, dataset.now)
    at = dataset.tick()
    dataset.gl.reopen(month)
    return {"change": "reopen_period", "period": period_name(month), "status": OPEN, "at": format_instant(at)}


def close_period(dataset: YouniumDataset, period: str) -> dict[str, Any]:
    """Close Open accounting period `period` ("YYYY-MM") now (every journal here is posted when written, as
    Younium requires before a close); no journal changes."""
    month = dataset.gl.open_month(period, dataset.now)
    at = dataset.tick()
    dataset.gl.close(month, at)
    return {"change": "close_period", "period": period_name(month), "status": CLOSED, "closed_date": format_instant(at)}


def post_into_closed_period(dataset: YouniumDataset, period: str) -> dict[str, Any]:
    """Reopen Closed period `period`, post a correction journal into it, and close it again, now."""
    gl = dataset.gl
    month = gl.closed_month(period, dataset.now)
    at = dataset.tick()
    gl.reopen(month)
    journal = gl.correct(month, at)
    gl.close(month, at)
    return {
        "change": "post_into_closed_period",
        "period": period_name(month),
        "journal": journal.id,
        "journal_number": journal.journal_number,
        "amount": str(money(journal.vouchers[0].amount)),
        "debit_account": CORRECTION_ACCOUNTS[0],
        "credit_account": CORRECTION_ACCOUNTS[1],
        "modified": format_instant(at),
        "closed_date": format_instant(at),
    }


# -- finding what a change names -----------------------------------------------------------------------


def _catalogue_charge(dataset: YouniumDataset, charge_id: str) -> tuple[CatalogueProduct, int]:
    found = dataset.catalogue.find_charge(charge_id)
    if found is None:
        raise ValueError(f"no catalogue charge {charge_id!r}")
    return found


def _invoice(dataset: YouniumDataset, invoice_id: str) -> int:
    n = dataset.invoices.find(invoice_id)
    if n is None:
        raise ValueError(f"no invoice {invoice_id!r}")
    return n


def _open_draft(dataset: YouniumDataset, invoice_id: str, doing: str) -> int:
    """The number of invoice `invoice_id`, an open draft; otherwise a ValueError saying why it cannot be
    `doing`."""
    n = _invoice(dataset, invoice_id)
    invoices = dataset.invoices
    if invoices.is_open_draft(n):
        return n
    number = invoice_number(n)
    if invoices.status(n) != DRAFT:
        why = f"is {invoices.status_name(n)}"
    elif (batch := dataset.billing.batch_of(n)) is not None:
        why = f"is in invoice batch {batch.batch_number}"
    else:
        why = "is being taken into a batch by a generate job"
    raise ValueError(f"invoice {number} {why}: only a draft outside any batch can be {doing}")
