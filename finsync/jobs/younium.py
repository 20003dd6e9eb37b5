"""Invoice-batch jobs: generate a batch, post it, and follow the job until it finishes.

These write to Younium. They are never part of a sync: only an explicit command runs them. Every
POST carries a `younium-idempotency-key`, chosen once per invocation, so the HTTP layer's retries (and
a rerun within 48 hours that passes the same key) cannot start a second job.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from finsync.errors import BatchJobError
from finsync.http import JsonObject, Rule, pause
from finsync.jobs import DEFAULT_JOB_DESCRIPTION, DEFAULT_JOB_POLL_INTERVAL, DEFAULT_JOB_TIMEOUT
from finsync.sources.younium.answers import error_summary, is_nothing_found
from finsync.sources.younium.client import INVOICE_BATCHES_PATH, YouniumClient, iso_utc
from finsync.sources.younium.schema import INVOICE_BATCH_LOG
from finsync.tables import records_of

logger = logging.getLogger(__name__)


# A job not visible yet (404, or 400 "could not be found") is pending.
NOT_VISIBLE_YET = (Rule((404,), "empty"), Rule((400,), "empty", when=is_nothing_found))


def refused(doing: str) -> Rule:
    """Younium answers 400 to a job it refuses (`doing`: what was asked of it)."""
    return Rule((400,), lambda _request, reply: BatchJobError(f"{doing} (HTTP 400: {error_summary(reply.body)})"))


JobKind = Literal["Generated", "Posted"]
IDEMPOTENCY_HEADER = "younium-idempotency-key"
FINISHED = ("Succeeded", "Failed")
# An answer first made longer ago than this is a replay (clocks of the two hosts may differ by seconds).
REPLAY_TOLERANCE = timedelta(minutes=2)
_JOB_NAMES = {"Generated": "generate", "Posted": "post"}


@dataclass(frozen=True)
class BatchJob:
    """Younium's answer to starting a job (InvoiceBatchJobResponse)."""

    idempotency_key: str
    job_id: str | None
    batch_id: str | None
    batch_number: str | None
    event_id: str | None
    result_status: str | None
    message: str | None
    raw: JsonObject = field(repr=False, default_factory=dict)
    # When Younium answered with the response it stored for this key (a replay), when that response was
    # first made: the job is the one started then, and this request's parameters were not applied.
    first_answered: datetime | None = None

    @property
    def reference(self) -> str:
        """What BatchJobStatus accepts: the job id, else the batch id, batch number or event id."""
        for candidate in (self.job_id, self.batch_id, self.batch_number, self.event_id):
            if candidate:
                return candidate
        raise BatchJobError(f"the job answer names no job, batch or event to follow: {self.raw}")

    @classmethod
    def parse(cls, body: object, idempotency_key: str) -> BatchJob:
        raw = body if isinstance(body, dict) else {}
        return cls(
            idempotency_key,
            _text(raw.get("jobId")),
            _text(raw.get("id")),
            _text(raw.get("batchNumber")),
            _text(raw.get("eventId")),
            _text(raw.get("resultStatus")),
            _text(raw.get("message")),
            raw,
        )


@dataclass(frozen=True)
class JobProgress:
    """One poll of a job's status, for progress display."""

    reference: str
    kind: JobKind
    status: str
    message: str | None
    polls: int
    elapsed: float


@dataclass(frozen=True)
class JobResult:
    """A finished job: its status, the batch it produced or posted, and Younium's messages."""

    status: str
    batch_id: str | None
    batch_number: str | None
    message: str | None
    details: list[JsonObject]

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def generate_batch(
    client: YouniumClient,
    *,
    target_date: date | datetime,
    invoice_date: date | datetime | None = None,
    accounts: Sequence[str] | None = None,
    batch_groups: Sequence[str] | None = None,
    minimum_amount: Decimal | None = None,
    idempotency_key: str | None = None,
    ensure_webhooks: bool = False,
    description: str = DEFAULT_JOB_DESCRIPTION,
) -> BatchJob:
    """Start a generate-invoice-batch job (POST /InvoiceBatches).

    `accounts` / `batch_groups` of None mean all of them. Pass the `idempotency_key` of an earlier
    invocation to resume it rather than start another job; by default a new one is made.
    """
    key = idempotency_key or new_idempotency_key()
    body: dict[str, Any] = {
        "targetDate": _day(target_date),
        "invoiceAllAccounts": accounts is None,
        "accounts": list(accounts or []),
        "invoiceAllBatchGroups": batch_groups is None,
        "invoiceBatchGroups": list(batch_groups or []),
        "ensureWebhooksAreEnabled": ensure_webhooks,
        "jobDescription": description,
    }
    if invoice_date is not None:
        body["invoiceDate"] = _day(invoice_date)
    if minimum_amount is not None:
        body["minimumInvoiceAmount"] = _number(minimum_amount)
    return _start(client, INVOICE_BATCHES_PATH, body, key, "generate an invoice batch")


def post_batch(
    client: YouniumClient,
    batch_id: str,
    idempotency_key: str | None = None,
    *,
    ensure_webhooks: bool = False,
    description: str = DEFAULT_JOB_DESCRIPTION,
) -> BatchJob:
    """Start a post-invoice-batch job (POST /InvoiceBatches/{id}/Post)."""
    key = idempotency_key or new_idempotency_key()
    body = {"ensureWebhooksAreEnabled": ensure_webhooks, "jobDescription": description}
    return _start(
        client, f"{INVOICE_BATCHES_PATH}/{quote(batch_id, safe='')}/Post", body, key, f"post invoice batch {batch_id}"
    )


def _start(client: YouniumClient, path: str, body: JsonObject, key: str, what: str) -> BatchJob:
    rules = (refused(f"refused to {what}"),)
    reply = client.call("POST", path, json_body=body, headers={IDEMPOTENCY_HEADER: key}, rules=rules)
    job = replace(BatchJob.parse(reply.body, key), first_answered=_replayed_at(reply.headers))
    if job.result_status == "Failed":
        raise BatchJobError(f"the job to {what} failed at once: {job.message or 'no reason given'}")
    logger.info("Younium job to %s started (reference %s, idempotency key %s)", what, job.reference, key)
    return job


def _replayed_at(headers: Mapping[str, str]) -> datetime | None:
    """Younium stores a key's first response for `durationinhours` and replays it; its `expires` then lies
    less than that duration ahead (by the time since the first request). None for a fresh answer."""
    try:
        expires = datetime.fromisoformat(headers["younium-idempotency-expires"].replace("Z", "+00:00"))
        duration = timedelta(hours=float(headers.get("younium-idempotency-durationinhours", 48)))
    except (KeyError, ValueError):
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    first = expires - duration
    return first if datetime.now(timezone.utc) - first > REPLAY_TOLERANCE else None


def wait_for_job(
    client: YouniumClient,
    reference: str,
    kind: JobKind,
    *,
    poll_interval: float = DEFAULT_JOB_POLL_INTERVAL,
    timeout: float = DEFAULT_JOB_TIMEOUT,
    on_progress: Callable[[JobProgress], None] | None = None,
    sleep: Callable[[float], None] = pause,
    clock: Callable[[], float] = time.monotonic,
) -> JobResult:
    """Poll GET /InvoiceBatches/BatchJobStatus/{reference}/{kind} until the job succeeds or fails.

    Returns the result of a job that succeeded; raises `BatchJobError` (carrying the result) for one
    that failed, and for one still pending after `timeout` seconds.
    """
    if kind not in ("Generated", "Posted"):
        raise ValueError(f"kind must be 'Generated' or 'Posted', not {kind!r}")
    path = f"{INVOICE_BATCHES_PATH}/BatchJobStatus/{quote(reference, safe='')}/{kind}"
    started = clock()
    polls = 0
    rules = (*NOT_VISIBLE_YET, refused(f"the status of job {reference} could not be read"))
    while True:
        reply = client.call("GET", path, rules=rules)
        polls += 1
        body = reply.body if not reply.empty and isinstance(reply.body, dict) else {}
        status = _text(body.get("resultStatus")) or "Pending"
        message = _text(body.get("statusMessage"))
        elapsed = clock() - started
        if on_progress is not None:
            on_progress(JobProgress(reference, kind, status, message, polls, elapsed))
        if status in FINISHED:
            result = _result(status, message, body.get("resultBody"))
            if not result.succeeded:
                raise BatchJobError(f"the {_JOB_NAMES[kind]} job {reference} failed: {result.message}", result)
            return result
        if elapsed + poll_interval > timeout:
            raise BatchJobError(
                f"the {_JOB_NAMES[kind]} job {reference} is still {status} after {elapsed:.0f}s; it may still finish: "
                f"follow it in Younium (Settings > Scheduled jobs) or wait for it again with reference {reference}"
            )
        sleep(poll_interval)


def batch_log_errors(client: YouniumClient, batch_id: str) -> list[JsonObject]:
    """The log entries of an invoice batch that carry an `errorMessage` (what kept invoices out of it)."""
    log = client.batch_log(batch_id, records_of(INVOICE_BATCH_LOG)).to_pylist()
    return [entry for entry in log if _text(entry.get("errorMessage"))]


def _result(status: str, message: str | None, body: object) -> JobResult:
    # Generated answers one BatchJobDetail, Posted a list of them.
    listed = body if isinstance(body, list) else []
    details = [body] if isinstance(body, dict) else [d for d in listed if isinstance(d, dict)]
    first = next((d for d in details if d.get("batchId") or d.get("batchNumber")), details[0] if details else {})
    messages = [m for m in [message, *(_text(d.get("message")) for d in details)] if m]
    return JobResult(
        status,
        _text(first.get("batchId")),
        _text(first.get("batchNumber")),
        "; ".join(dict.fromkeys(messages)) or None,
        details,
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _day(value: date | datetime) -> str:
    return iso_utc(value) if isinstance(value, datetime) else value.isoformat()


def _number(value: Decimal) -> int | float:
    """minimumInvoiceAmount is a JSON number (double); whole amounts are sent without a fraction."""
    return int(value) if value == value.to_integral_value() else float(value)
