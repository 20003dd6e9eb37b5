"""The emulated Younium tenant: its dataset, its tokens and stored replies, and the batch jobs that change it.

Besides batch jobs, `advance` moves the tenant's time on, and the changes a tenant's users make by hand
(`delete_invoice`, `remove_line`, `set_status`, `delete_account`, `delete_batch`, `delete_product`,
`reprice_charge`, `remove_price`, `delete_subscription`, `touch_charge`, `rerate_usage`, `delete_usage`, and
the ledger's `reopen_period`, `close_period`, `post_into_closed_period`; or `change` by name; the rules
are `younium.edits`' and `younium.gl`'s) let a test delete and revise records.

Jobs run on the sandbox's clock: a job started now reports Pending for `younium_job_seconds`, then
Succeeded (its batch generated or posted, at that moment) or Failed. Nothing runs in the background:
due jobs are applied whenever the tenant is next looked at (`settle`), which every route and every
expectation does first.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ..kernel.config import SandboxConfig
from ..kernel.formats import money, uuid_of
from . import edits
from .auth import IdempotencyStore, Tokens
from .catalogue_expected import expected_catalogue
from .changes import Advanced, advance, touch
from .commercial_expected import commercial_expected, commercial_summary
from .dataset import YouniumDataset
from .expected import expected, expected_ids
from .records import YouniumRecords
from .seed import InvoiceBatch, LogEntry, invoice_number

JobKind = Literal["Generated", "Posted"]
JOB_KINDS: tuple[str, ...] = ("Generated", "Posted")
PENDING, SUCCEEDED, FAILED = "Pending", "Succeeded", "Failed"
# How long Younium keeps the reply of an idempotent POST, unless the request asks otherwise.
IDEMPOTENCY_HOURS = 48


@dataclass
class Job:
    """A generate or post job, and the batch it is about (whose id and number are known from the start)."""

    seq: int
    job_id: str
    event_id: str
    kind: JobKind
    batch_number: int
    batch_id: str
    batch_ref: str  # the batch number, e.g. IB-00005
    ready_at: float
    fails: bool
    status: str = PENDING
    message: str | None = None
    invoices: tuple[int, ...] = ()
    too_small: tuple[int, ...] = ()
    target_day: int = 0
    invoice_day: int | None = None
    minimum: Decimal | None = None
    references: frozenset[str] = field(default_factory=frozenset)

    def matches(self, reference: str) -> bool:
        return reference.strip().lower() in self.references


class YouniumTenant:
    """One Younium legal entity: `dataset` (and its `records`), `tokens`, `idempotency` and the batch jobs.

    By default the tenant's default entity (`config.younium_legal_entity`, seeded by `config.seed`); a
    further entity of the same tenant passes its `name`, its own `seed` and the default entity's `tokens`,
    since one API client's tokens are valid for every entity.
    """

    def __init__(
        self,
        config: SandboxConfig,
        clock: Callable[[], float] = time.monotonic,
        *,
        name: str | None = None,
        seed: int | None = None,
        tokens: Tokens | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.name = config.younium_legal_entity if name is None else name
        self.dataset = YouniumDataset(
            config.seed if seed is None else seed,
            config.younium_accounts,
            config.younium_invoices,
            config.lines_per_invoice,
            config.younium_batches,
            config.history_shift_days(),
            config.younium_batched_share,
            config.younium_subscriptions,
            config.younium_usage,
        )
        self.records = YouniumRecords(self.dataset)
        self.tokens = tokens if tokens is not None else Tokens(lambda: config.younium_token_seconds, clock)
        self.idempotency = IdempotencyStore(clock)
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._jobs: list[Job] = []
        for batch in self.dataset.batches.all():  # the seeded batches' jobs, long finished
            self._job("Generated", batch.number, 0.0, False).status = SUCCEEDED
            if batch.posted:
                self._job("Posted", batch.number, 0.0, False).status = SUCCEEDED

    # -- time and changes ------------------------------------------------------------------------------

    def settle(self) -> None:
        """Finish the jobs whose time has come, oldest first."""
        with self._lock:
            now = self.clock()
            for job in sorted(self._jobs, key=lambda j: (j.ready_at, j.seq)):
                if job.status == PENDING and job.ready_at <= now:
                    self._finish(job)

    def advance(
        self,
        new_invoices: int = 0,
        modified_invoices: int = 0,
        new_accounts: int = 0,
        subscription_events: int = 0,
        **products: int,
    ) -> Advanced:
        """See `younium.changes.advance` (`products`: new_products, modified_products); then the next
        `subscription_events` steps of the subscription story happen now, an hour apart
        (`younium.order_story`)."""
        with self._lock:
            self.settle()
            if subscription_events < 0 or subscription_events > len(self.dataset.story.pending):
                left = len(self.dataset.story.pending)
                raise ValueError(f"subscription_events must be between 0 and {left}, the events left in the story")
            advanced = advance(self.dataset, new_invoices, modified_invoices, new_accounts, **products)
            if not subscription_events:
                return advanced
            with self.dataset.lock:
                told = self.dataset.story.happen(subscription_events, self.dataset.tick)
            return dataclasses.replace(advanced, subscription_events=tuple(told))

    def touch(self, count: int) -> list[str]:
        """See `younium.changes.touch`."""
        return touch(self.dataset, count)

    # -- changes by hand (younium.edits has the rules; each raises ValueError when they forbid it) ---------

    def delete_invoice(self, invoice_id: str) -> dict[str, Any]:
        """Delete an open draft invoice: gone from every list, by-id read and expectation."""
        return self._edit(edits.delete_invoice, invoice_id)

    def remove_line(self, invoice_id: str, line_id: str) -> dict[str, Any]:
        """Remove a line of an open draft invoice; the invoice is modified now, its totals recomputed."""
        return self._edit(edits.remove_line, invoice_id, line_id)

    def set_status(self, invoice_id: str, status: str) -> dict[str, Any]:
        """Post an open draft invoice on its own (`"Posted"`), or cancel an unpaid posted one (`"Cancelled"`)."""
        return self._edit(edits.set_status, invoice_id, status)

    def delete_account(self, account_id: str) -> dict[str, Any]:
        """Delete an account that has no invoices."""
        return self._edit(edits.delete_account, account_id)

    def delete_batch(self, batch: str) -> dict[str, Any]:
        """Delete an invoice batch (by id or batch number) not yet posted: its invoices are open drafts again."""
        return self._edit(edits.delete_batch, batch, self.posting)

    def delete_product(self, product_id: str) -> dict[str, Any]:
        """Hard-delete a catalogue product, its charge plans and charges with it."""
        return self._edit(edits.delete_product, product_id)

    def reprice_charge(self, charge_id: str) -> dict[str, Any]:
        """Raise every price of a catalogue charge by 10%; the charge and its product are modified now."""
        return self._edit(edits.reprice_charge, charge_id)

    def remove_price(self, charge_id: str, currency: str) -> dict[str, Any]:
        """Remove a catalogue charge's price in one currency; the charge and its product are modified now."""
        return self._edit(edits.remove_price, charge_id, currency)

    def delete_subscription(self, order_number: str) -> dict[str, Any]:
        """Hard-delete a subscription (by order number): gone from /Subscriptions, its versions 404, and out
        of the expected figures; its bookings stay."""
        return self._edit(edits.delete_subscription, order_number)

    def touch_charge(self, order_number: str) -> dict[str, Any]:
        """A child-only change: a charge of the subscription is invoiced one period further now (its
        `chargedThroughDate` and `modified`, and the order's `lastUpdated`, move; the order's `modified`
        does not); the invoicing is journaled and scheduled for recognition (`younium.revenue`)."""
        return self._edit(edits.touch_charge, order_number)

    def edit_booking(self, booking_id: str, notes: str) -> dict[str, Any]:
        """Set a booking's notes, as PATCH /Bookings/{id} does: it is modified now, its amounts stay."""
        return self._edit(edits.edit_booking, booking_id, notes)

    def rerate_usage(self, usage_id: str) -> dict[str, Any]:
        """Rate a usage record again now, at a higher price (processed, if it was not): its `modified` moves."""
        return self._edit(edits.rerate_usage, usage_id)

    def delete_usage(self, usage_id: str) -> dict[str, Any]:
        """Hard-delete a usage record: gone from /Usage and from the expected rows."""
        return self._edit(edits.delete_usage, usage_id)

    def reopen_period(self, period: str) -> dict[str, Any]:
        """Reopen Closed accounting period `period` ("YYYY-MM"): Open, closedDate null; its journals (and
        their `modified`) stay as they were, their embedded accountingPeriod shows the new status."""
        return self._edit(edits.reopen_period, period)

    def close_period(self, period: str) -> dict[str, Any]:
        """Close Open accounting period `period` ("YYYY-MM") now; its journals stay as they were."""
        return self._edit(edits.close_period, period)

    def post_into_closed_period(self, period: str) -> dict[str, Any]:
        """Reopen Closed period `period` ("YYYY-MM"), post a balanced correction journal into it (revenue
        moved from 3011 to 3012, created now) and close it again (closedDate now); answers the journal's id
        and number and the amount moved."""
        return self._edit(edits.post_into_closed_period, period)

    def change(self, change: str, /, **fields: Any) -> dict[str, Any]:
        """One of the changes above by name, with its fields as `POST /_sandbox/younium/change` sends them:
        `change("remove_line", invoice=..., line=...)`."""
        wanted = edits.CHANGES.get(change) if isinstance(change, str) else None
        if wanted is None:
            raise ValueError(f"unknown change {change!r}; expected one of {', '.join(edits.CHANGES)}")
        if set(fields) != set(wanted) or not all(isinstance(v, str) and v.strip() for v in fields.values()):
            names = ", ".join(f'"{name}"' for name in wanted)
            raise ValueError(f"{change} takes {names} (text), and nothing else")
        make: Callable[..., dict[str, Any]] = getattr(self, change)
        return make(*(fields[name] for name in wanted))

    def _edit(self, edit: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        with self._lock:
            self.settle()
            with self.dataset.lock:
                return edit(self.dataset, *args)

    def expected(self) -> dict[str, Any]:
        """`younium.expected`'s figures; with a subscription story, its summary too (`subscriptions`,
        `bookings`, `mrr`: `younium.commercial_expected.commercial_summary`)."""
        with self._lock:
            self.settle()
            figures = expected(self.dataset)
            if self.dataset.orders.orders:
                figures.update(commercial_summary(self.dataset))
            return figures

    def commercial_expected(self) -> dict[str, Any]:
        """The subscription story's expected figures (`younium.commercial_expected`): orders, versions,
        charges, bookings, MRR and its movements per (account id, month), exact Decimals."""
        with self._lock:
            self.settle()
            return commercial_expected(self.dataset)

    def expected_catalogue(self) -> dict[str, list[dict[str, Any]]]:
        """The rows of the catalogue's charge plans, charges and prices (`younium.catalogue_expected`)."""
        with self._lock:
            self.settle()
            return expected_catalogue(self.dataset)

    def expected_ids(self) -> dict[str, list[str]]:
        with self._lock:
            self.settle()
            return expected_ids(self.dataset)

    # -- jobs ------------------------------------------------------------------------------------------

    def _job(self, kind: JobKind, batch_number: int, ready_at: float, fails: bool) -> Job:
        seq = next(self._seq)
        digest = self.dataset.seeded.job_digest(seq)
        job_id, event_id = uuid_of(digest), f"evt_{digest[16:28].hex()}"
        batch_id, batch_ref = self.dataset.seeded.batch_identity(batch_number)
        job = Job(seq, job_id, event_id, kind, batch_number, batch_id, batch_ref, ready_at, fails)
        job.references = frozenset(r.lower() for r in (job_id, event_id, batch_id, batch_ref))
        self._jobs.append(job)
        return job

    def start_generate(
        self,
        target_day: int,
        invoice_day: int | None,
        accounts: set[int] | None,
        groups: set[str] | None,
        minimum: Decimal | None,
        fails: Callable[[tuple[str, ...]], bool],
    ) -> Job:
        """Queue a generate job over the drafts that match now (they are set aside for it). `fails` is
        asked, with the batch's id and number, whether the job is to fail."""
        with self._lock:
            self.settle()
            number = self.dataset.batches.reserve_number()
            refs = self.dataset.seeded.batch_identity(number)
            taken, too_small = self._select(target_day, accounts, groups, minimum)
            job = self._job("Generated", number, self.clock() + self.config.younium_job_seconds, fails(refs))
            job.invoices, job.too_small = tuple(taken), tuple(too_small)
            job.target_day, job.invoice_day, job.minimum = target_day, invoice_day, minimum
            self.dataset.invoices.reserve(taken)
            return job

    def _select(
        self, target_day: int, accounts: set[int] | None, groups: set[str] | None, minimum: Decimal | None
    ) -> tuple[list[int], list[int]]:
        """The draft invoices outside any batch that a generate job with these settings takes, and those it
        leaves out for being below the minimum amount: (taken, too small), in invoice order."""
        invoices, lines = self.dataset.invoices, self.dataset.lines
        taken: list[int] = []
        too_small: list[int] = []
        with self.dataset.lock:
            for n in invoices.numbers():
                if not invoices.is_open_draft(n) or invoices.invoice_day(n) > target_day:
                    continue
                account = invoices.account(n)
                if accounts is not None and account.number not in accounts:
                    continue
                if groups is not None and account.group.id not in groups:
                    continue
                if minimum is not None and money(lines.totals(n).total) < minimum:
                    too_small.append(n)
                else:
                    taken.append(n)
        return taken, too_small

    def start_post(self, batch: InvoiceBatch, fails: Callable[[tuple[str, ...]], bool]) -> Job:
        with self._lock:
            self.settle()
            ready = self.clock() + self.config.younium_job_seconds
            return self._job("Posted", batch.number, ready, fails((batch.id, batch.batch_number)))

    def posting(self, batch: InvoiceBatch) -> bool:
        """Whether a post job for `batch` is still pending."""
        with self._lock:
            return any(
                j.kind == "Posted" and j.batch_number == batch.number and j.status == PENDING for j in self._jobs
            )

    def find_job(self, reference: str, kind: JobKind) -> Job | None:
        """The latest job of `kind` known by `reference`: its job id, event id, batch id or batch number."""
        with self._lock:
            self.settle()
            found = [j for j in self._jobs if j.kind == kind and j.matches(reference)]
            return found[-1] if found else None

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs)

    def _finish(self, job: Job) -> None:
        dataset = self.dataset
        if job.kind == "Generated":
            if job.fails:
                dataset.invoices.release(job.invoices)
                job.status = FAILED
                job.message = (
                    f"An unexpected error occurred while generating invoice batch {job.batch_ref}; "
                    "no invoices were changed. Try again."
                )
            elif not job.invoices:
                job.status = FAILED
                job.message = (
                    "No invoices to generate: no draft invoice matched the target date, accounts, "
                    "batch groups and minimum amount"
                )
            else:
                batch = self._generate(job)
                job.status = SUCCEEDED
                job.message = f"Invoice batch {batch.batch_number} was generated with {len(batch.invoices)} invoices"
            return
        batch = dataset.batches.find(job.batch_id)
        if job.fails or batch is None:
            job.status = FAILED
            job.message = (
                f"An unexpected error occurred while posting invoice batch {job.batch_ref}; "
                "no invoices were posted. Try again."
            )
        elif batch.posted:
            job.status = FAILED
            job.message = f"Invoice batch {batch.batch_number} is already posted"
        else:
            with dataset.lock:
                dataset.billing.post_batch(batch, dataset.tick())
                dataset.invoices.reorder(batch.invoices)
            job.status = SUCCEEDED
            job.message = f"Invoice batch {batch.batch_number} was posted: {len(batch.invoices)} invoices"

    def _generate(self, job: Job) -> InvoiceBatch:
        """A generate job finishing: the invoices go into a new batch, whose log names those left out."""
        dataset = self.dataset
        with dataset.lock:
            at = dataset.tick()
            dataset.invoices.release(job.invoices)
            batch = dataset.billing.add_batch(job.batch_number, job.invoices, job.target_day, job.invoice_day, at)
            for n in job.too_small:
                total = money(dataset.lines.totals(n).total)
                message = (
                    f"Invoice {invoice_number(n)} was not included: its total {total} "
                    f"{dataset.invoices.account(n).currency} is below the minimum invoice amount {job.minimum}"
                )
                batch.log.append(LogEntry(dataset.invoices.id(n), "Invoice", invoice_number(n), message, at))
            dataset.invoices.reorder(job.invoices)
            return batch
