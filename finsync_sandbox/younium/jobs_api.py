"""Younium's batch jobs as the sandbox serves them: POST /InvoiceBatches (generate), POST
/InvoiceBatches/{id}/Post, and GET /InvoiceBatches/BatchJobStatus/{reference}/{kind}.

A job stays Pending for a while (the tenant runs it, see `younium.tenant`); a POST repeated with the same
`younium-idempotency-key` on the same endpoint replays the first reply instead of starting another job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..kernel.formats import day_of, parse_moment
from ..kernel.guard import Reject, lower_keys
from ..kernel.jsonwriter import json_response
from ..kernel.route_names import YOUNIUM_GENERATE, YOUNIUM_POST
from ..sandbox import Sandbox
from .replies import Replies
from .scope import RequestScope
from .seed import InvoiceBatch
from .tenant import IDEMPOTENCY_HOURS, JOB_KINDS, SUCCEEDED, Job, YouniumTenant

IDEMPOTENCY_KEY = "younium-idempotency-key"


class JobRoutes:
    """The job routes of `YouniumApi`, which hands them what they share with its other routes: the checks
    every data route makes first (`enter`) and how a route finds the batch its path names (`batch_of`)."""

    def __init__(
        self,
        sandbox: Sandbox,
        scope: RequestScope,
        replies: Replies,
        enter: Callable[[Request], dict[str, str]],
        batch_of: Callable[[str, int], InvoiceBatch],
    ) -> None:
        self.sandbox = sandbox
        self.scope = scope
        self.not_found, self.validation = replies.not_found, replies.validation
        self.enter = enter
        self.batch_of = batch_of

    @property
    def tenant(self) -> YouniumTenant:
        """The legal entity the request being answered reads."""
        return self.scope.tenant

    # -- jobs ------------------------------------------------------------------------------------------

    async def generate(self, request: Request) -> Response:
        self.enter(request)
        body = await request.body()
        return self._idempotent(request, lambda: self._generate(body))

    def _generate(self, raw: bytes) -> Response:
        fields = self._body(raw)
        target = self._day(fields, "targetDate")
        if target is None:
            custom = lower_keys(fields.get("customizedtargetdates"))
            days = [self._day(custom, name) for name in list(custom)]
            target = max((d for d in days if d is not None), default=None)
        if target is None:
            raise Reject(self.validation({"targetDate": ["The targetDate field is required."]}))
        invoice_day = self._day(fields, "invoiceDate")
        dataset = self.tenant.dataset
        accounts: set[int] | None = None
        if fields.get("invoiceallaccounts") is not True:
            ids = self._id_list(fields, "accounts")
            unknown = [i for i in ids if dataset.accounts.number_of(i) is None]
            if unknown or not ids:
                message = f"Account '{unknown[0]}' could not be found" if unknown else "Name accounts to invoice"
                raise Reject(self.validation({"accounts": [message + ", or set invoiceAllAccounts."]}))
            accounts = {dataset.accounts.number_of(i) or 0 for i in ids}
        groups: set[str] | None = None
        if fields.get("invoiceallbatchgroups") is not True:
            by_ref = {g.id: g.id for g in dataset.batch_groups} | {g.code.lower(): g.id for g in dataset.batch_groups}
            refs = [r.lower() for r in self._id_list(fields, "invoiceBatchGroups")]
            unknown = [r for r in refs if r not in by_ref]
            if unknown or not refs:
                message = f"Invoice batch group '{unknown[0]}' could not be found" if unknown else "Name batch groups"
                raise Reject(self.validation({"invoiceBatchGroups": [message + ", or set invoiceAllBatchGroups."]}))
            groups = {by_ref[r] for r in refs}
        minimum = fields.get("minimuminvoiceamount")
        if minimum is not None and (
            not isinstance(minimum, (int, Decimal)) or isinstance(minimum, bool) or minimum < 0
        ):
            message = "The minimum invoice amount must be 0 or more."
            raise Reject(self.validation({"minimumInvoiceAmount": [message]}))
        job = self.tenant.start_generate(
            target,
            invoice_day,
            accounts,
            groups,
            None if minimum is None else Decimal(minimum),
            lambda refs: self.sandbox.faults.take_job_failure(YOUNIUM_GENERATE, refs),
        )
        return json_response(_job_started(job, "generate"))

    async def post(self, request: Request) -> Response:
        self.enter(request)
        reference = request.path_params["batch"]
        await request.body()  # a JobRequest; nothing in it changes what the job does
        return self._idempotent(request, lambda: self._post(reference))

    def _post(self, reference: str) -> Response:
        batch = self.batch_of(reference, 400)
        if batch.posted:
            raise Reject(self.validation({"message": [f"Invoice batch {batch.batch_number} is already posted"]}))
        if self.tenant.posting(batch):
            raise Reject(self.validation({"message": [f"Invoice batch {batch.batch_number} is being posted"]}))
        job = self.tenant.start_post(batch, lambda refs: self.sandbox.faults.take_job_failure(YOUNIUM_POST, refs))
        return json_response(_job_started(job, "post"))

    async def job_status(self, request: Request) -> Response:
        self.enter(request)
        reference = request.path_params["reference"]
        kind = next((k for k in JOB_KINDS if k.lower() == request.path_params["kind"].lower()), None)
        if kind is None:
            return self.not_found()
        job = self.tenant.find_job(reference, kind)  # type: ignore[arg-type]
        if job is None:
            raise Reject(self.validation({"message": [f"Batch job '{reference}' could not be found"]}))
        detail = {
            "batchId": job.batch_id if job.status == SUCCEEDED else None,
            "batchNumber": job.batch_ref,
            "eventId": job.event_id,
            "message": job.message,
        }
        return json_response(
            {
                # Generated answers one BatchJobDetail, Posted a list of them.
                "resultBody": detail if kind == "Generated" else [detail],
                "resultStatus": job.status,
                "statusMessage": job.message or "The job is queued",
            }
        )

    def _idempotent(self, request: Request, produce: Callable[[], Response]) -> Response:
        """Replay the stored reply of a POST repeated with the same key on the same endpoint; otherwise
        produce the reply (an error too) and store it, for 48 hours unless the request asks otherwise."""
        key = request.headers.get(IDEMPOTENCY_KEY, "").strip()
        endpoint = f"POST {request.url.path}"
        store = self.tenant.idempotency
        if key:
            stored = store.get(key, endpoint)
            if stored is not None:
                return Response(stored.body, stored.status, stored.headers, media_type="application/json")
        try:
            response = produce()
        except Reject as rejected:
            response = rejected.response
        if not key:
            return response
        try:
            hours = float(request.headers.get("younium-idempotency-durationinhours", IDEMPOTENCY_HOURS))
        except ValueError:
            hours = IDEMPOTENCY_HOURS
        expires = datetime.now(timezone.utc) + timedelta(hours=hours)
        headers = {
            IDEMPOTENCY_KEY: key,
            "younium-idempotency-durationinhours": f"{hours:g}",
            "younium-idempotency-expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        response.headers.update(headers)
        store.put(key, endpoint, response.status_code, bytes(response.body), headers, hours)
        return response

    # -- request bodies --------------------------------------------------------------------------------

    def _body(self, raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw or b"{}", parse_float=Decimal)
        except ValueError:
            raise Reject(self.validation({"body": ["The request body is not valid JSON."]})) from None
        if not isinstance(body, dict):
            raise Reject(self.validation({"body": ["The request body must be a JSON object."]}))
        return lower_keys(body)

    def _day(self, fields: Mapping[str, Any], name: str) -> int | None:
        value = fields.get(name.lower())
        if value is None:
            return None
        try:
            return day_of(parse_moment(str(value)))
        except ValueError:
            raise Reject(self.validation({name: [f"The value '{value}' is not a valid date."]})) from None

    def _id_list(self, fields: Mapping[str, Any], name: str) -> list[str]:
        value = fields.get(name.lower()) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Reject(self.validation({name: ["Expected a list of ids."]}))
        return [v.strip() for v in value]


def _job_started(job: Job, verb: str) -> dict[str, Any]:
    """InvoiceBatchJobResponse."""
    return {
        "batchNumber": job.batch_ref,
        "jobId": job.job_id,
        "resultStatus": job.status,
        "webhooksTriggeredWhenCompleted": False,
        "webhooks": [],
        "eventId": job.event_id,
        "id": job.batch_id,
        "message": f"The job to {verb} invoice batch {job.batch_ref} was queued",
    }
