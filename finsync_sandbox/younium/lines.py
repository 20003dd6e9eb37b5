"""The lines of the Younium tenant's invoices: drawn from the seed, plus what changed them since.

Invoice `n` has lines 1..`per_invoice`, each drawn from a digest of (seed, n, line number) when read
(`younium.seed`): product, quantity, price and VAT, in the currency of the invoice's account. Only
drafts outside batches are ever changed: a line gets one more unit (an edit, which moves the line's
`modified`), or is removed. Both are kept here by (invoice, line); every other line is as seeded. A
credit note's lines are those of the invoice it credits, negated. An invoice's totals are the sums of
its lines', cached until one of its lines changes. A subscription charge's invoice is not drawn from the
seed: it is given its lines as it is billed (`give`, `younium.subscription_invoices`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .invoices import InvoiceStore
from .seed import RATES_E4, Line, Totals, YouniumSeed, line_amounts, negated, sum_totals


class LineStore:
    """The lines of every invoice, by (invoice number, `invoiceLineNumber`)."""

    def __init__(self, seeded: YouniumSeed, invoices: InvoiceStore, per_invoice: int) -> None:
        self.seeded = seeded
        self.invoices = invoices
        self.per_invoice = per_invoice
        self._edits: dict[tuple[int, int], tuple[int, int]] = {}  # (invoice, line) -> (extra quantity, modified)
        self._removed: dict[int, set[int]] = {}  # invoice -> its removed line numbers
        self._totals: dict[int, Totals] = {}
        self._given: dict[int, list[Line]] = {}  # invoice -> its lines, for invoices not drawn from the seed

    def id(self, n: int, k: int) -> str:
        return self.seeded.line_id(n, k)

    def numbers(self, n: int) -> Sequence[int]:
        """The `invoiceLineNumber`s invoice `n` still has."""
        given = self._given.get(n)
        if given is not None:
            return range(1, len(given) + 1)
        removed = self._removed.get(n)
        numbers = range(1, self.per_invoice + 1)
        return [k for k in numbers if k not in removed] if removed else numbers

    def of(self, n: int) -> list[Line]:
        """Invoice `n`'s lines as they are now (a credit note's: the credited lines, negated)."""
        given = self._given.get(n)
        if given is not None:
            return list(given)
        invoices = self.invoices
        original = invoices.credited(n)
        if original is not None:
            return [
                line._replace(
                    quantity=-line.quantity,
                    amounts=negated(line.amounts),
                    modified=invoices.created(n),
                    id=self.id(n, line.number),
                )
                for line in self.of(original)
            ]
        account, created = invoices.account(n), invoices.created(n)
        rate = RATES_E4[account.currency]
        lines = []
        for k in self.numbers(n):
            seeded = self.seeded.line(n, k, account.vat)
            quantity, modified = seeded.quantity, created
            edit = self._edits.get((n, k))
            if edit is not None:
                quantity, modified = quantity + edit[0], edit[1]
            amounts = line_amounts(quantity, seeded.price, seeded.tax_rate, rate)
            lines.append(
                Line(
                    k,
                    seeded.digest,
                    seeded.product,
                    quantity,
                    seeded.price,
                    seeded.tax_rate,
                    amounts,
                    modified,
                    self.id(n, k),
                )
            )
        return lines

    def totals(self, n: int, lines: Iterable[Line] | None = None) -> Totals:
        """Invoice `n`'s amounts, the sums of its lines' (`lines`, when the caller has them already)."""
        cached = self._totals.get(n)
        if cached is None:
            cached = self._totals[n] = sum_totals(line.amounts for line in (lines or self.of(n)))
        return cached

    def give(self, n: int, line: Line) -> None:
        """Invoice `n` (not drawn from the seed: a subscription charge's) gets `line`, numbered next."""
        self._given.setdefault(n, []).append(line)
        self._totals.pop(n, None)

    def removed_ids(self) -> list[str]:
        """Every line that existed and is gone: removed from its invoice, or deleted with it."""
        invoices = self.invoices
        gone = [(n, k) for n, removed in self._removed.items() if not invoices.is_deleted(n) for k in removed]
        gone += [(n, k) for n in invoices.deleted() for k in range(1, self.per_invoice + 1)]
        return sorted(self.id(n, k) for n, k in gone)

    # -- changes (their rules and times are younium.changes' and younium.edits') -----------------------

    def edit(self, n: int, k: int, at: int) -> None:
        """Line `k` of invoice `n` gets one more unit, modified `at`."""
        extra, _ = self._edits.get((n, k), (0, 0))
        self._edits[(n, k)] = (extra + 1, at)
        self._totals.pop(n, None)

    def drop(self, n: int, k: int) -> None:
        """Line `k` of invoice `n` is removed."""
        self._removed.setdefault(n, set()).add(k)
        self._totals.pop(n, None)
