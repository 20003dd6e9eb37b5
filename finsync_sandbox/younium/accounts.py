"""The Younium tenant's accounts (its customers): seeded, added as the tenant grows, deleted by hand.

An account never changes once created. Its facts are drawn from the seed by its number (`younium.seed`),
its creation time from the segment of numbers it was added in, so accounts are created in number order
and the accounts a ModifiedAfter/ModifiedBefore window holds are a bisection away. A deleted account
keeps its number (invoices name their account by number) but leaves every list and the id index; what
is gone is remembered so expectations can name it.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from .seed import ACCOUNT_SPACING, Account, Segment, YouniumSeed, segment_of
from .window import Window


class AccountStore:
    """Every account there was, by number (1-based; deleted ones too)."""

    def __init__(self, seeded: YouniumSeed, count: int) -> None:
        self.seeded = seeded
        # The seeded accounts were all created before the first invoice.
        self._segments = [Segment(1, seeded.first_created - count * ACCOUNT_SPACING, ACCOUNT_SPACING)]
        self._accounts: list[Account] = []
        self._by_id: dict[str, int] = {}
        self._deleted: set[int] = set()
        self._draw(count)

    def _draw(self, count: int) -> None:
        for a in range(len(self._accounts) + 1, len(self._accounts) + count + 1):
            account = self.seeded.account(a, segment_of(self._segments, a).created_from(a))
            self._accounts.append(account)
            self._by_id[account.id] = a

    def __len__(self) -> int:
        """How many accounts there were, deleted ones included: the number of the newest."""
        return len(self._accounts)

    def numbered(self, a: int) -> Account:
        return self._accounts[a - 1]

    def all(self) -> Sequence[Account]:
        """Every account there was, by number (deleted ones too: `live` leaves them out)."""
        return self._accounts

    def number_of(self, account_id: str) -> int | None:
        """The number of the account with exactly this id, unless it was deleted."""
        return self._by_id.get(account_id)

    def accounts_in(self, window: Window) -> Sequence[int]:
        """Numbers of the accounts modified within `window`, oldest first (accounts never change, and were
        created in number order); deleted ones left out."""
        first, last = 1, len(self._accounts)
        if window.after is not None:
            first = 1 + bisect.bisect_right(self._accounts, window.after, key=lambda a: a.created)
        if window.before is not None:
            last = bisect.bisect_left(self._accounts, window.before, key=lambda a: a.created)
        found = range(first, max(first, last + 1))
        return [a for a in found if a not in self._deleted] if self._deleted else found

    def live(self) -> list[Account]:
        return [a for a in self._accounts if a.number not in self._deleted]

    def is_deleted(self, a: int) -> bool:
        return a in self._deleted

    def nearest_live(self, a: int, among: int) -> int:
        """Account `a`, or (when it was deleted) the next one of the first `among` that was not: where a new
        invoice drawn for a deleted account goes."""
        for step in range(among):
            candidate = (a - 1 + step) % among + 1
            if candidate not in self._deleted:
                return candidate
        raise ValueError("every account was deleted; a new invoice needs one")

    def deleted_ids(self) -> list[str]:
        return sorted(self._accounts[a - 1].id for a in self._deleted)

    # -- changes (their rules and times are younium.changes' and younium.edits') -----------------------

    def add(self, count: int, start: int, spacing: int) -> list[Account]:
        """`count` new accounts, created from `start`, `spacing` apart."""
        first = len(self._accounts) + 1
        self._segments.append(Segment(first, start, spacing))
        self._draw(count)
        return self._accounts[first - 1 :]

    def drop(self, a: int) -> None:
        """Account `a` no longer exists: it leaves every list and the id index."""
        self._deleted.add(a)
        self._by_id.pop(self._accounts[a - 1].id, None)
