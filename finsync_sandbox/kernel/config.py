"""Sandbox settings: fixed credentials, dataset scale, and how the emulated APIs behave."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

MAX_LINES_PER_INVOICE = 1000

StatusStyle = Literal["number", "name", "mixed"]
STATUS_STYLES: tuple[str, ...] = ("number", "name", "mixed")

# Dataset sizes that `--scale` may set.
SCALE_KEYS: tuple[str, ...] = (
    "ym_items",
    "batch_size",
    "younium_accounts",
    "younium_invoices",
    "lines_per_invoice",
    "younium_subscriptions",
    "younium_usage",
)


@dataclass
class SandboxConfig:
    """Everything a sandbox needs to know; mutable so a test can change behaviour mid-run
    (e.g. `sandbox.config.export_latency_seconds = 0`). Scale and seed are read once, when the
    dataset is built."""

    # The day the data is dated relative to, taken once when the sandbox starts (`finsync demo` passes the
    # UTC day it runs): the seeded history keeps its shape but is moved by whole weeks so that its newest
    # record is from the week before this day, and the next days' events follow it (`history_shift_days`).
    # None: the fixed calendar (YM's history starts 2024-01-01, Younium's 2024-01-02), which tests pin.
    today: date | None = None

    client_id: int = 24680
    api_key: str = "sandbox-api-key"
    api_password: str = "sandbox-api-password"
    seed: int = 7
    ym_items: int = 5000
    batch_size: int = 250
    # An export reports WORKING for this long after it was started, then COMPLETE.
    export_latency_seconds: float = 0.2
    # The export file answers 404 this many times after the export completed.
    export_not_ready_count: int = 1
    session_idle_seconds: float = 900.0
    # How ExportStatus writes Status: -1/0/1/2, FAILURE/UNKNOWN/WORKING/COMPLETE, or alternating.
    status_style: StatusStyle = "number"
    # YM's date-times carry no offset; they are in this zone.
    server_timezone: str = "America/New_York"
    # InvoiceItems and FinanceBatchDetails silently cap PageSize at this.
    max_page_size: int = 5000
    default_page_size: int = 100
    # Requests per second each credential may make (YM: its ClientID; Younium: its API client), in bursts
    # of at most max(1, rate); more are answered HTTP 429 with Retry-After (`limits`). 0: no limit.
    rate_limit_per_second: float = 0.0

    # -- Younium (API 2.1, under /younium) --
    younium_client_id: str = "sandbox-younium-client"
    younium_secret: str = "sandbox-younium-secret"
    # The tenant's default legal entity: a `legal-entity` header must name it (or its id), or be left out
    # while it is the only one.
    younium_legal_entity: str = "Sandbox AB"
    # Legal entities beyond the default one (a group of companies): each has a dataset of its own, seeded
    # apart, of the same sizes; one API client and its tokens serve them all, and with any of them every
    # data request must name its entity in a `legal-entity` header.
    younium_legal_entities: tuple[str, ...] = ()
    younium_accounts: int = 50
    younium_invoices: int = 600
    lines_per_invoice: int = 5
    # Invoice batches already generated over the oldest invoices (this share of them); all but the newest are
    # posted. `finsync demo` batches nearly all, in monthly batches, so its receivables have every age.
    younium_batches: int = 4
    younium_batched_share: float = 0.7
    # Subscriptions (orders) the Younium tenant's commercial story has, with their versions and bookings
    # (`younium.order_story`); 0, the default, leaves /Subscriptions and /Bookings empty.
    younium_subscriptions: int = 0
    # Whether a booking's header carries the order's CMRR, ACV, TCV and EMRR after its event (True) or the
    # change the event made (False): the facts leave it open (commercial facts checklist 2). Its lines carry the
    # change either way, and the story's expected figures are the changes.
    younium_booking_totals: bool = False
    # Usage records (`younium.usage`: a month's usage of the catalogue's Usage product each, on the story's
    # orders where the account has one); 0, the default, leaves /Usage empty.
    younium_usage: int = 0
    younium_token_seconds: float = 86_400.0
    # A generate or post job reports Pending for this long, then Succeeded (or Failed, when a fault says so).
    younium_job_seconds: float = 0.2

    def __post_init__(self) -> None:
        if self.status_style not in STATUS_STYLES:
            raise ValueError(f"status_style must be one of {STATUS_STYLES}, not {self.status_style!r}")
        if self.ym_items < 0 or self.batch_size < 1:
            raise ValueError("ym_items must be >= 0 and batch_size >= 1")
        counts = (self.younium_invoices, self.younium_batches, self.younium_subscriptions, self.younium_usage)
        if self.younium_accounts < 1 or min(counts) < 0:
            raise ValueError(
                "younium_accounts must be >= 1, younium_invoices, _batches, _subscriptions and _usage >= 0"
            )
        if not 0 < self.younium_batched_share <= 1:
            raise ValueError(f"younium_batched_share must be above 0 and at most 1, not {self.younium_batched_share}")
        if not 1 <= self.lines_per_invoice <= MAX_LINES_PER_INVOICE:
            raise ValueError(f"lines_per_invoice must be between 1 and {MAX_LINES_PER_INVOICE}")
        if not (math.isfinite(self.rate_limit_per_second) and self.rate_limit_per_second >= 0):
            raise ValueError("rate_limit_per_second must be a number >= 0 (0: no limit)")
        self.younium_legal_entities = tuple(self.younium_legal_entities)
        names = [self.younium_legal_entity, *self.younium_legal_entities]
        if not all(isinstance(n, str) and n.strip() == n and n for n in names):
            raise ValueError("legal entity names must be non-empty text without surrounding spaces")
        if len({n.lower() for n in names}) != len(names):
            # The header names an entity case-insensitively: two names one header could mean are refused.
            raise ValueError(f"legal entity names must differ (ignoring case), not {names}")

    def history_shift_days(self) -> int:
        """Days (a whole number of weeks, so weekdays stay) the seeded history is moved from the fixed
        calendar: 0 without `today`; else as many that the history's newest record is dated at least a
        day before `today` and less than eight days before it, whatever the dataset's size."""
        if self.today is None:
            return 0
        # The fixed calendar's histories span their spread (300 days) or, at larger scales, their spacing
        # times their size (YM's items 97 s apart, Younium's invoices 23m17s apart), plus a day of jitter.
        spans = (300 * 86_400, 97 * self.ym_items, (23 * 60 + 17) * self.younium_invoices)
        newest = date(2024, 1, 2).toordinal() + math.ceil(max(spans) / 86_400) + 1
        return (self.today.toordinal() - 1 - newest) // 7 * 7

    def scaled(self, spec: str) -> SandboxConfig:
        """A copy with the sizes of a `key=value,key=value` spec, e.g. `ym_items=100000,younium_invoices=20000`."""
        sizes: dict[str, Any] = {}  # whole numbers, for fields of several types
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep or key not in SCALE_KEYS:
                raise ValueError(f"unknown scale setting {part!r}; expected key=value with key one of {SCALE_KEYS}")
            try:
                sizes[key] = int(value.strip().replace("_", ""))
            except ValueError:
                raise ValueError(f"scale setting {key} needs a whole number, not {value.strip()!r}") from None
        return dataclasses.replace(self, **sizes)
