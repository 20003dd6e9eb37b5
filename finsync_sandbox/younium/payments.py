"""The Younium tenant's payments: each settles one invoice, in full or in part, and never changes.

Payments are made by the seeded history (`younium.history`), each with one settlement of one invoice,
grouped into payment batches by the invoice batch of the invoice they pay. What an invoice still owes
is its total less what its payment settled: that spans the invoices too, so it is `younium.billing`'s.
"""

from __future__ import annotations

import threading

from .seed import Payment, YouniumSeed
from .window import Window


class PaymentStore:
    """The payments made, in (paid, id) order once the seeded history is told (`seal`)."""

    def __init__(self, seeded: YouniumSeed, lock: threading.RLock) -> None:
        self.seeded = seeded
        self.lock = lock  # the dataset's
        self._payments: list[Payment] = []
        self._by_invoice: dict[int, Payment] = {}  # invoice -> the payment that settled it (in full or in part)

    def __len__(self) -> int:
        return len(self._payments)

    def all(self) -> list[Payment]:
        with self.lock:
            return list(self._payments)

    def payments_in(self, window: Window) -> list[Payment]:
        """Payments have no modified time of their own; the window applies to when they were made."""
        with self.lock:
            return [p for p in self._payments if window.contains(p.paid)]

    def for_invoice(self, n: int) -> Payment | None:
        """The payment that settled invoice `n`, in full or in part."""
        return self._by_invoice.get(n)

    def settled(self, n: int) -> tuple[int, int]:
        """(settledAmount, settledBaseAmount) of invoice `n` in cents: what its payment settled."""
        payment = self._by_invoice.get(n)
        return (payment.amount, payment.amount_base) if payment else (0, 0)

    def last_paid(self) -> int:
        """When the latest payment was made (0: none was)."""
        return max((p.paid for p in self._payments), default=0)

    # -- changes (younium.billing makes them, with the invoice's side) ---------------------------------

    def add(self, n: int, at: int, batch: int, amount: int, amount_base: int) -> Payment:
        """A payment of `amount` cents (`amount_base` in the base currency) of invoice `n`, of invoice batch
        `batch`, made `at`."""
        payment = Payment(len(self._payments) + 1, self.seeded.uuid(b"payment", n), n, at, batch, amount, amount_base)
        self._payments.append(payment)
        self._by_invoice[n] = payment
        return payment

    def seal(self) -> None:
        """Order the seeded history's payments by when they were made, as the list serves them."""
        self._payments.sort(key=lambda p: (p.paid, p.id))
