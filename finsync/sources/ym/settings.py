"""YM settings, under `[sources.ym]` (or `SOURCES__YM__<NAME>`): each default written once, here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dlt.common.configuration import configspec
from dlt.common.typing import TSecretStrValue

from finsync.sources.settings import Problem, SourceSettings, at_least_one, http_url, not_blank

BATCH_ITEMS_MODES = ("export", "details")
# Requests in flight at once, however many exports run: their threads mostly wait on the board of polls.
EXPORT_REQUESTS_IN_FLIGHT = 8
# Never less: entries can appear after later ones (InvoiceItems is cached), and the two hosts' clocks differ.
MIN_OVERLAP_HOURS = 1.0


@configspec
class YMSettings(SourceSettings):
    section: ClassVar[str] = "ym"
    tenant_own: ClassVar[tuple[str, ...]] = ("client_id",)

    # Required (dlt reads a field that defaults to None, but is not Optional, as one to resolve).
    client_id: int = None  # type: ignore[assignment]  # the numeric ClientID
    api_key: TSecretStrValue = None  # type: ignore[assignment]
    api_password: TSecretStrValue = None  # type: ignore[assignment]
    base_url: str = "https://ws.yourmembership.com"
    # YM date-times without an offset are in this zone. `start_date` is read in it too, and is also sent
    # as InvoiceItems' required DateFrom.
    server_timezone: str = "America/New_York"
    # YM reports no currency: every amount is in the client's, which the analytics views take from here.
    currency: str = "USD"
    batch_items_mode: str = "export"
    # Exports running at once: a run takes about as long as its slowest export, not the sum of them.
    export_concurrency: int = 50
    export_poll_interval: float = 3.0
    export_timeout: float = 900.0
    # There is no documented REST route for the legacy Sa.Export.Status; tenants may expose another one.
    export_status_route: str = "/Ams/{client_id}/ExportStatus/{export_id}"
    invoice_items_page_size: int = 1000
    finance_batches_page_size: int = 100
    details_page_size: int = 1000
    # InvoiceItems and FinanceBatchDetails pages read ahead at once (YM gives no total to plan with).
    page_concurrency: int = 4
    # InvoiceItems is served "with cache": re-read this trailing window of entry dates on every run.
    overlap_hours: float = 48.0
    # The sweep re-reads this many days of InvoiceItems, for entries back-dated past the overlap (imports),
    # every `sweep_interval_hours` (and on `finsync run --sweep`).
    sweep_days: float = 35.0
    sweep_interval_hours: float = 24.0
    # Sessions expire after 15 minutes idle; renew a little before that.
    session_refresh_seconds: float = 840.0
    # YM documents no limit but answers 429 behind Cloudflare; public connectors space requests 600 ms apart
    # and the advice is to start at 1-2 per second and back off on 429 and 503. A run starts at 2 and ramps
    # up while YM answers normally; the first 429 or 503 ends the ramp and halves the rate (`pacing`).
    max_requests_per_second: float = 50.0
    start_requests_per_second: float = 2.0

    def problems(self) -> Iterator[Problem]:
        if self.client_id < 1:
            yield "client_id", f"must be the positive numeric YM ClientID, not {self.client_id}"
        yield from not_blank(self, "api_key", "api_password")
        yield from http_url(self.base_url)
        if self._zone() is None:
            yield "server_timezone", f"names no known time zone ({self.server_timezone!r}); use an IANA name"
        if not (len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()):
            yield "currency", f"must be an ISO 4217 currency code such as USD, not {self.currency!r}"
        if self.batch_items_mode not in BATCH_ITEMS_MODES:
            yield "batch_items_mode", f"must be one of {BATCH_ITEMS_MODES}, not {self.batch_items_mode!r}"
        yield from at_least_one(
            self,
            "export_concurrency",
            "invoice_items_page_size",
            "finance_batches_page_size",
            "details_page_size",
            "page_concurrency",
        )
        if self.export_timeout <= 0:
            yield "export_timeout", f"must be a positive number of seconds, not {self.export_timeout}"
        if self.overlap_hours < MIN_OVERLAP_HOURS:
            yield (
                "overlap_hours",
                f"must be at least {MIN_OVERLAP_HOURS:g} (InvoiceItems is cached, clocks differ), not "
                f"{self.overlap_hours}",
            )
        elif self.sweep_days * 24 < self.overlap_hours:
            yield "sweep_days", f"must cover at least the overlap ({self.overlap_hours:g} hours), not {self.sweep_days}"
        if self.sweep_interval_hours <= 0:
            yield "sweep_interval_hours", f"must be positive, not {self.sweep_interval_hours}"
        yield from super().problems()

    @property
    def in_flight(self) -> int:
        return max(min(self.export_concurrency, EXPORT_REQUESTS_IN_FLIGHT), self.page_concurrency)

    @property
    def zone(self) -> ZoneInfo:
        return self._zone() or ZoneInfo("UTC")

    def _zone(self) -> ZoneInfo | None:
        try:
            return ZoneInfo(self.server_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return None
