"""Younium settings, under `[sources.younium]` (or `SOURCES__YOUNIUM__<NAME>`): each default written once,
here. The source and the invoice-batch job commands read the same settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from dlt.common.configuration import configspec
from dlt.common.typing import TSecretStrValue

from finsync.sources.settings import Problem, SourceSettings, at_least_one, http_url, not_blank

# API 2.1 serves at most 100 records per page.
MAX_PAGE_SIZE = 100
# Never less: ModifiedAfter is floored to the second, a commit can become visible after its `modified`
# time, and the two hosts' clocks drift.
MIN_OVERLAP_MINUTES = 10.0
BOOKING_AMOUNTS = ("delta", "total")


@configspec
class YouniumSettings(SourceSettings):
    section: ClassVar[str] = "younium"
    tenant_own: ClassVar[tuple[str, ...]] = ("legal_entity", "client_id")

    # Required (dlt reads a field that defaults to None, but is not Optional, as one to resolve).
    client_id: TSecretStrValue = None  # type: ignore[assignment]
    secret: TSecretStrValue = None  # type: ignore[assignment]
    base_url: str = "https://api.younium.com"
    legal_entity: str | None = None  # sent as the legal-entity header; required for multi-entity tenants
    api_version: str = "2.1"
    # /auth/v2/token answers in snake_case (access_token, expires_in); the v1 /auth/token in camelCase.
    auth_path: str = "/auth/v2/token"
    # ModifiedAfter's inclusivity and time zone are undocumented: every run re-reads this trailing window
    # (wide enough for a server reading the bound in a European zone) and merges by id.
    overlap_minutes: float = 180.0
    page_size: int = MAX_PAGE_SIZE
    concurrency: int = 4  # pages, batch logs and invoices read by id, fetched at once
    # The sweep reads the swept lists (invoices, accounts, products, invoice batches, subscriptions, sales orders,
    # bookings, usage) whole, to find what was deleted upstream, every this many hours (and on `finsync run --sweep`).
    sweep_interval_hours: float = 24.0
    sequential: bool = False
    # Features an API user may not be allowed to read (see `features`): false leaves one out, its tables as
    # they are. The base currency, when given (an ISO code), is used instead of asking Younium for it.
    ledger: bool = True
    payments: bool = True
    subscriptions: bool = True
    usage: bool = True
    base_currency: str | None = None
    # Whether a Change or Churn booking carries the change of the order's CMRR, ACV and TCV ("delta") or the
    # order's figures after it ("total"): the facts leave it open (commercial facts checklist 2). The views and
    # `finsync check` read it from the tenant table.
    booking_amounts: str = "delta"
    # Younium publishes no limit (and no 429); public clients fetch every page of a list at once.
    max_requests_per_second: float = 25.0

    @property
    def in_flight(self) -> int:
        return 1 if self.sequential else self.concurrency

    def problems(self) -> Iterator[Problem]:
        yield from not_blank(self, "client_id", "secret")
        yield from http_url(self.base_url)
        if not self.api_version.strip():
            yield "api_version", "is empty (Younium's current version is 2.1)"
        if not self.auth_path.startswith("/"):
            yield "auth_path", f"must be a path such as /auth/v2/token, not {self.auth_path!r}"
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            yield "page_size", f"must be between 1 and {MAX_PAGE_SIZE} (the API's maximum), not {self.page_size}"
        if self.overlap_minutes < MIN_OVERLAP_MINUTES:
            yield (
                "overlap_minutes",
                f"must be at least {MIN_OVERLAP_MINUTES:g} (ModifiedAfter is floored to the second, late commits "
                f"and clock drift need room), not {self.overlap_minutes}",
            )
        yield from at_least_one(self, "concurrency")
        if self.base_currency is not None and not re.fullmatch(r"[A-Z]{3}", self.base_currency):
            yield "base_currency", f"must be an ISO 4217 code such as EUR, not {self.base_currency!r}"
        if self.booking_amounts not in BOOKING_AMOUNTS:
            yield "booking_amounts", f"must be delta or total, not {self.booking_amounts!r}"
        if self.sweep_interval_hours <= 0:
            yield "sweep_interval_hours", f"must be positive, not {self.sweep_interval_hours}"
        yield from super().problems()
