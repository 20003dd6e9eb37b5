"""The sandbox's state, shared by the HTTP routes and by tests that hold the object directly."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from .kernel.config import SandboxConfig
from .kernel.faults import FaultBook
from .kernel.limits import RateLimiter
from .ym.dataset import Money, YMDataset
from .ym.exports import Exports
from .ym.sessions import Sessions
from .younium.entities import build_entities, find_entity
from .younium.tenant import YouniumTenant


class Sandbox:
    """Datasets, faults, request counters, the rate limit and settings of the emulated tenants: YM's
    (`dataset`, `sessions`, `exports`) and Younium's (`younium`: its default legal entity's dataset, tokens
    and batch jobs; `younium.entities`: every legal entity, by name, the default one first).

    `clock` (seconds, monotonic) drives session and token expiry, export latency, job durations and the
    rate limit's refills; a test may pass its own to move time without sleeping.
    """

    def __init__(self, config: SandboxConfig | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock
        self.server_zone = ZoneInfo(self.config.server_timezone)
        self.dataset = YMDataset(
            self.config.seed, self.config.ym_items, self.config.batch_size, self.config.history_shift_days()
        )
        # Requests per route name, counted before the rate limit, faults or authentication are applied.
        self.requests: Counter[str] = Counter()
        # Of those, the requests the rate limit refused (HTTP 429), per route name.
        self.rate_limited: Counter[str] = Counter()
        self.limiter = RateLimiter(lambda: self.config.rate_limit_per_second, clock)
        self.sessions = Sessions(lambda: self.config.session_idle_seconds, clock)
        self.exports = Exports(clock)
        self.younium_entities: dict[str, YouniumTenant] = build_entities(self.config, clock)
        self.younium = next(iter(self.younium_entities.values()))
        self.faults = FaultBook(on_expire_sessions=self._expire_sessions)

    def younium_entity(self, name_or_id: str) -> YouniumTenant:
        """The Younium legal entity named `name_or_id` (its name, case-insensitive, or its id); KeyError when
        the tenant has no such entity."""
        tenant = find_entity(self.younium_entities, name_or_id)
        if tenant is None:
            names = ", ".join(self.younium_entities)
            raise KeyError(f"no Younium legal entity {name_or_id!r}; the tenant's are {names}")
        return tenant

    def _expire_sessions(self) -> int:
        """What an `expire_sessions` fault does: end every YM session and every Younium token (the legal
        entities share one set of tokens)."""
        return self.sessions.expire_all() + self.younium.tokens.expire_all()

    def expected(self) -> dict[str, Any]:
        """What a correct warehouse holds after a full sync, per system and table; money as exact decimal
        strings. Revised YM batches' adjustment items count among the invoice items and the finance batch
        items; deleted Younium records in nothing but the lists of what is gone (`younium.expected`). Younium's
        is its default legal entity's; `expected_entity` states another's."""
        return {"ym": self.expected_ym(), "younium": self.younium.expected()}

    def expected_entity(self, name: str) -> dict[str, Any]:
        """What `expected()["younium"]` states, for Younium legal entity `name` (its name or id)."""
        return self.younium_entity(name).expected()

    def expected_ym(self) -> dict[str, Any]:
        """What `expected()["ym"]` states."""
        ds = self.dataset
        batches = ds.batches()
        closed = [b for b in batches if not b.is_open]
        return {
            "invoice_items": _money_summary(ds.expected_money(ds.expected_invoice_item_ids())),
            "finance_batch_items": _money_summary(ds.expected_money(ds.expected_batch_item_ids())),
            "finance_batches": {
                "rows": len(batches),
                "closed": len(closed),
                "newest_closed_batch_id": closed[-1].batch_id if closed else None,
                "open_batch_id": batches[-1].batch_id if batches and batches[-1].is_open else None,
                # ItemCount summed over the list, revisions' adjustment items included
                "item_count": sum(b.item_count for b in batches),
                # the revised batches' adjustment items (LineItemIDs, oldest first), by BatchID
                "revised": {b.batch_id: list(b.adjustments) for b in batches if b.adjustments},
            },
        }


def _money_summary(money: Money) -> dict[str, Any]:
    return {
        "rows": money.count,
        "line_total": str(money.line_total),
        "line_item_amount": str(money.line_item_amount),
    }
