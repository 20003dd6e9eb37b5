"""How the Younium tenant changes besides batch jobs: `advance` (time moves on: drafts are edited, accounts
and invoices added, catalogue products edited and added) and the `modify` fault (invoices change while a
sync pages through them). Deletions and the other changes a user makes by hand are `younium.edits`'.

Both are overlays on the seed: an edit adds a unit to some lines of a draft and moves its `modified` time;
which lines, and which drafts, is drawn from the seed and the number of changes so far, so equal
sequences of events give equal data. Only drafts outside batches are ever edited: posted, settled and
cancelled invoices and credit notes keep their lines (`touch` only moves their `modified`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..kernel.formats import MINUTE, SECOND
from .dataset import YouniumDataset
from .seed import DRAFT


@dataclass(frozen=True)
class Advanced:
    """What one `advance` did."""

    new_account_ids: tuple[str, ...]
    new_invoice_ids: tuple[str, ...]
    modified_invoice_ids: tuple[str, ...]
    modified_line_ids: tuple[str, ...]
    new_product_ids: tuple[str, ...] = ()
    modified_product_ids: tuple[str, ...] = ()
    subscription_events: tuple[str, ...] = ()  # what each step of the subscription story told did

    def as_dict(self) -> dict[str, Any]:
        told = {"subscription_events": list(self.subscription_events)} if self.subscription_events else {}
        return told | {
            "new_accounts": len(self.new_account_ids),
            "new_invoices": len(self.new_invoice_ids),
            "modified_invoices": len(self.modified_invoice_ids),
            "modified_lines": len(self.modified_line_ids),
            "new_account_ids": list(self.new_account_ids),
            "new_invoice_ids": list(self.new_invoice_ids),
            "modified_invoice_ids": list(self.modified_invoice_ids),
            "modified_line_ids": list(self.modified_line_ids),
            "new_products": len(self.new_product_ids),
            "modified_products": len(self.modified_product_ids),
            "new_product_ids": list(self.new_product_ids),
            "modified_product_ids": list(self.modified_product_ids),
        }


def advance(
    dataset: YouniumDataset,
    new_invoices: int = 0,
    modified_invoices: int = 0,
    new_accounts: int = 0,
    new_products: int = 0,
    modified_products: int = 0,
) -> Advanced:
    """Move time on: edit `modified_invoices` draft invoices outside any batch (one or more, never all, of
    each one's lines get one more unit, and a new `modified`, as does the invoice) and `modified_products`
    catalogue products (`Catalogue.edit`), then add `new_products` products (a second apart),
    `new_accounts` accounts and `new_invoices` draft invoices (spread over all accounts, new ones
    included), created after everything else."""
    counts = (new_invoices, modified_invoices, new_accounts, new_products, modified_products)
    if min(counts) < 0:
        raise ValueError("every count (invoices, accounts, products; new or modified) must be >= 0")
    with dataset.lock:
        invoices = dataset.invoices
        candidates = [n for n in invoices.numbers() if invoices.is_open_draft(n)]
        if modified_invoices > len(candidates):
            raise ValueError(
                f"only {len(candidates)} draft invoices are outside batches, so {modified_invoices} cannot be "
                "modified; add new invoices first"
            )
        if modified_products > len(dataset.catalogue.live()):
            raise ValueError(
                f"only {len(dataset.catalogue.live())} products are in the catalogue, so {modified_products} "
                "cannot be modified"
            )
        dataset.advances += 1
        if not any(counts):
            return Advanced((), (), (), ())
        at = dataset.tick()
        edited_products = tuple(p.id for p in dataset.catalogue.edit(modified_products, at))
        new_product_ids = tuple(dataset.add_products(new_products, at + SECOND, SECOND))
        chosen: list[int] = []
        edited: list[str] = []
        if modified_invoices:
            stride = len(candidates) // modified_invoices
            start = dataset.seeded.digest(b"advance", dataset.advances)[0] % stride
            chosen = [candidates[start + i * len(candidates) // modified_invoices] for i in range(modified_invoices)]
            edited = _edit(dataset, chosen, at)
        added_accounts = dataset.accounts.add(new_accounts, at + MINUTE, MINUTE) if new_accounts else []
        added_invoices = dataset.add_invoices(new_invoices, at + (new_accounts + 2) * MINUTE) if new_invoices else ()
        return Advanced(
            tuple(a.id for a in added_accounts),
            tuple(invoices.id(n) for n in added_invoices),
            tuple(invoices.id(n) for n in chosen),
            tuple(edited),
            new_product_ids,
            edited_products,
        )


def touch(dataset: YouniumDataset, count: int) -> list[str]:
    """Change the `count` invoices that come first in the listing order, as users (or settling payments)
    changing them while a sync pages through the list would: drafts outside batches get an edited line,
    the others only a new `modified`. They move to the end of the list; returns their ids."""
    invoices = dataset.invoices
    with dataset.lock:
        chosen = [n for n in invoices.listing_order() if not invoices.is_reserved(n)][:count]
        if chosen:
            dataset.advances += 1
            at = dataset.tick()
            _edit(dataset, [n for n in chosen if invoices.status(n) == DRAFT and not invoices.batch(n)], at)
            for n in chosen:
                invoices.set_modified(n, at)
            invoices.reorder(chosen)
        return [invoices.id(n) for n in chosen]


def _edit(dataset: YouniumDataset, chosen: list[int], at: int) -> list[str]:
    """One or more (never all) of each invoice's lines get one more unit; they and the invoice are
    modified `at`. Returns the ids of the lines edited."""
    edited = []
    for n in chosen:
        for k in _lines_to_edit(dataset, n):
            dataset.lines.edit(n, k, at)
            edited.append(dataset.lines.id(n, k))
        dataset.invoices.set_modified(n, at)
    dataset.invoices.reorder(chosen)
    return edited


def _lines_to_edit(dataset: YouniumDataset, n: int) -> list[int]:
    """Which of the lines invoice `n` still has to edit (all of them when it has only one)."""
    numbers = dataset.lines.numbers(n)
    count = len(numbers)
    if count == 1:
        return [numbers[0]]
    d = dataset.seeded.digest(b"edit", n << 16 | dataset.advances)
    edits = 1 + d[0] % (count - 1)  # at least one line, never all of them
    first = d[1] % count
    return sorted(numbers[(first + i) % count] for i in range(edits))
