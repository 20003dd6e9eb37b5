"""The emulated Younium tenant: its dataset plus what moves around it (bearer tokens, batch jobs, stored
replies of idempotent POSTs).

Jobs run on the sandbox's clock: a job started now reports Pending for `younium_job_seconds`, then
Succeeded (its batch generated or posted, at that moment) or Failed. Nothing runs in the background:
due jobs are applied whenever the tenant is next looked at (`settle`), which every route and every
expectation does first.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from .config import SandboxConfig
from .younium_dataset import Advanced, InvoiceBatch, YouniumDataset

JobKind = Literal["Generated", "Posted"]
JOB_KINDS: tuple[str, ...] = ("Generated", "Posted")
PENDING, SUCCEEDED, FAILED = "Pending", "Succeeded", "Failed"
# How long Younium keeps the reply of an idempotent POST, unless the request asks otherwise.
IDEMPOTENCY_HOURS = 48


class Tokens:
    """Bearer tokens handed out by the token endpoints; each lives `lifetime()` seconds."""

    def __init__(self, lifetime: Callable[[], float], clock: Callable[[], float]) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        # Every token and refresh token ever handed out, so tests can check that none of them leaks into logs.
        self.issued: list[str] = []

    def issue(self) -> tuple[str, str, float]:
        """(access token, refresh token, lifetime in seconds)."""
        lifetime = self._lifetime()
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
        token = f"{header}.{secrets.token_urlsafe(48)}.{secrets.token_urlsafe(32)}"
        refresh = secrets.token_hex(32)
        with self._lock:
            self._expiry[token] = self._clock() + lifetime
            self.issued += [token, refresh]
        return token, refresh, lifetime

    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._expiry.get(token)
            if expiry is None:
                return False
            if self._clock() >= expiry:
                del self._expiry[token]
                return False
            return True

    def expire_all(self) -> int:
        """Invalidate every token; returns how many were live."""
        with self._lock:
            count = len(self._expiry)
            self._expiry.clear()
        return count


@dataclass(frozen=True)
class StoredReply:
    status: int
    body: bytes
    headers: dict[str, str]
    expires_at: float  # sandbox clock


class IdempotencyStore:
    """Replies to POSTs that carried a `younium-idempotency-key`, per key and endpoint, until they expire."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._replies: dict[tuple[str, str], StoredReply] = {}

    def get(self, key: str, endpoint: str) -> StoredReply | None:
        with self._lock:
            stored = self._replies.get((key, endpoint))
            if stored is not None and self._clock() >= stored.expires_at:
                del self._replies[(key, endpoint)]
                return None
            return stored

    def put(self, key: str, endpoint: str, status: int, body: bytes, headers: dict[str, str], hours: float) -> None:
        with self._lock:
            self._replies[(key, endpoint)] = StoredReply(status, body, headers, self._clock() + hours * 3600)

    def __len__(self) -> int:
        return len(self._replies)


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
    """One Younium tenant: `dataset`, `tokens`, `idempotency` and the batch jobs."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self.dataset = YouniumDataset(
            config.seed,
            config.younium_accounts,
            config.younium_invoices,
            config.lines_per_invoice,
            config.younium_batches,
        )
        self.tokens = Tokens(lambda: config.younium_token_seconds, clock)
        self.idempotency = IdempotencyStore(clock)
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._jobs: list[Job] = []
        for batch in self.dataset.batches():  # the seeded batches' jobs, long finished
            self._job("Generated", batch.number, 0.0, False).status = SUCCEEDED
            if batch.posted:
                self._job("Posted", batch.number, 0.0, False).status = SUCCEEDED

    # -- time ------------------------------------------------------------------------------------------

    def settle(self) -> None:
        """Finish the jobs whose time has come, oldest first."""
        with self._lock:
            now = self.clock()
            for job in sorted(self._jobs, key=lambda j: (j.ready_at, j.seq)):
                if job.status == PENDING and job.ready_at <= now:
                    self._finish(job)

    def advance(self, new_invoices: int = 0, modified_invoices: int = 0, new_accounts: int = 0) -> Advanced:
        """See `YouniumDataset.advance`."""
        with self._lock:
            self.settle()
            return self.dataset.advance(new_invoices, modified_invoices, new_accounts)

    def expected(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            self.settle()
            return self.dataset.expected()

    def expected_ids(self) -> dict[str, list[str]]:
        with self._lock:
            self.settle()
            return self.dataset.expected_ids()

    # -- jobs ------------------------------------------------------------------------------------------

    def _job(self, kind: JobKind, batch_number: int, ready_at: float, fails: bool) -> Job:
        seq = next(self._seq)
        digest = hashlib.blake2b(f"{self.config.seed}:{seq}".encode(), digest_size=32, person=b"job").digest()
        job_id = str(uuid.UUID(bytes=digest[:16], version=4))
        event_id = f"evt_{digest[16:28].hex()}"
        batch_id, batch_ref = self.dataset.batch_identity(batch_number)
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
            number = self.dataset.reserve_batch_number()
            batch_id, batch_ref = self.dataset.batch_identity(number)
            taken, too_small = self.dataset.select_for_batch(target_day, accounts, groups, minimum)
            job = self._job(
                "Generated", number, self.clock() + self.config.younium_job_seconds, fails((batch_id, batch_ref))
            )
            job.invoices, job.too_small = tuple(taken), tuple(too_small)
            job.target_day, job.invoice_day, job.minimum = target_day, invoice_day, minimum
            self.dataset.reserve(taken)
            return job

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
                dataset.release(job.invoices)
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
                batch = dataset.generate(
                    job.batch_number, job.invoices, job.too_small, job.target_day, job.invoice_day, job.minimum
                )
                job.status = SUCCEEDED
                job.message = f"Invoice batch {batch.batch_number} was generated with {len(batch.invoices)} invoices"
            return
        batch = dataset.batch(job.batch_id)
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
            dataset.post(batch)
            job.status = SUCCEEDED
            job.message = f"Invoice batch {batch.batch_number} was posted: {len(batch.invoices)} invoices"
