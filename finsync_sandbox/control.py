"""The control API under `/_sandbox`: health, expectations, time, changes, request counts and faults, for
both APIs.

- `GET /health`; `GET /expected` (`Sandbox.expected`; `?legal_entity=NAME_OR_ID`: with that Younium legal
  entity's expectation under "younium", `Sandbox.expected_entity`);
- `POST /advance`: YM's `{"ym_items", "ym_backdated_items", "ym_backdated_days"}` and/or Younium's
  `{"new_invoices", "modified_invoices", "new_accounts", "new_products", "modified_products"}`
  (`YMDataset.advance`/`backdate`,
  `YouniumTenant.advance`), Younium's for every legal entity (answered under "younium" for the default
  one, and, when there are several, by name under "younium_entities"), or only for `"legal_entity"`'s;
- `POST /younium/change`: one change a Younium user makes by hand (`YouniumTenant.change`; the rules are
  `younium.edits`'), answering what it did: `{"change": "delete_invoice", "invoice": ID}`,
  `{"change": "remove_line", "invoice": ID, "line": LINE_ID}`, `{"change": "set_status", "invoice": ID,
  "status": "Posted" | "Cancelled"}`, `{"change": "delete_account", "account": ID}`,
  `{"change": "delete_batch", "batch": ID_OR_BATCH_NUMBER}`, `{"change": "delete_product", "product": ID}`
  (a hard delete of a catalogue product), and the ledger's (`younium.gl`):
  `{"change": "reopen_period", "period": "YYYY-MM"}` (a Closed period: Open, closedDate null; answers
  `{change, period, status, at}`), `{"change": "close_period", "period": "YYYY-MM"}` (an Open period: Closed
  now; answers `{change, period, status, closed_date}`), `{"change": "post_into_closed_period", "period":
  "YYYY-MM"}` (reopen a Closed period, post a correction journal into it, close it again; answers
  `{change, period, journal, journal_number, amount, debit_account, credit_account, modified,
  closed_date}`); with `"legal_entity": NAME_OR_ID`, to that legal entity's data (by default the default
  entity's);
- `POST /ym/revise-batch` `{"batch_id": "1003"}`: YM revises a closed batch, adding one adjustment item
  (`YMDataset.revise_batch`); answers the batch's new ItemCount and the item's LineItemID;
- `GET`/`DELETE /requests`: requests per route name and, beside them as `"rate_limited.<route name>"`, how
  many of them the rate limit refused with HTTP 429 (`Sandbox.requests`, `Sandbox.rate_limited`);
  `GET`/`POST`/`DELETE /faults`.

A change the rules forbid, or a body that makes no sense, is HTTP 400 `{"error": "..."}`. Everything here
is also reachable in-process on the `Sandbox` object; these routes exist for the demo, for tests that
drive a sandbox in another process, and for benchmarks.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .kernel.faults import Fault
from .kernel.route_names import ROUTE_NAMES
from .sandbox import Sandbox
from .younium.tenant import YouniumTenant

YOUNIUM_ADVANCE_KEYS: tuple[str, ...] = (
    "new_invoices",
    "modified_invoices",
    "new_accounts",
    "new_products",
    "modified_products",
)
# Items imported now with entry dates `ym_backdated_days` before the newest one.
YM_ADVANCE_KEYS: tuple[str, ...] = ("ym_items", "ym_backdated_items", "ym_backdated_days")


def control_routes(sandbox: Sandbox) -> list[Route]:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "ym_items": sandbox.dataset.items})

    async def expected(request: Request) -> Response:
        name = request.query_params.get("legal_entity")
        if name is None:
            # Summing money over millions of items takes a moment the first time: keep the loop free.
            return JSONResponse(await run_in_threadpool(sandbox.expected))
        tenant = _entity(sandbox, name)
        if isinstance(tenant, Response):
            return tenant
        return JSONResponse(
            await run_in_threadpool(lambda: {"ym": sandbox.expected_ym(), "younium": tenant.expected()})
        )

    async def advance(request: Request) -> Response:
        """YM's `{"ym_items": N, "ym_backdated_items": N, "ym_backdated_days": D}` and/or Younium's
        `{"new_invoices": N, "modified_invoices": N, "new_accounts": N}`."""
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        named = _entity(sandbox, body.pop("legal_entity")) if "legal_entity" in body else None
        if isinstance(named, Response):
            return named
        unknown = set(body) - {*YM_ADVANCE_KEYS, *YOUNIUM_ADVANCE_KEYS}
        if unknown or any(type(v) is not int or v < 0 for v in body.values()):
            keys = ", ".join(f'"{k}"' for k in (*YM_ADVANCE_KEYS, *YOUNIUM_ADVANCE_KEYS))
            return _problem(f'expected an object of whole numbers >= 0 under some of {keys} (and "legal_entity")')
        younium = {k: body[k] for k in YOUNIUM_ADVANCE_KEYS if k in body}
        # Time moves on for the whole tenant, every legal entity, unless the body names one.
        tenants = [named] if named is not None else list(sandbox.younium_entities.values())
        advanced: dict[str, Any] = {}
        for tenant in tenants if younium else []:
            try:
                advanced[tenant.name] = (await run_in_threadpool(tenant.advance, **younium)).as_dict()
            except ValueError as error:
                return _problem(f"{tenant.name}: {error}" if len(tenants) > 1 else str(error))
        added = sandbox.dataset.advance(body.get("ym_items", 0))
        imported = sandbox.dataset.backdate(body.get("ym_backdated_items", 0), body.get("ym_backdated_days", 10))
        reply: dict[str, Any] = {"ym_items": sandbox.dataset.items, "new_batch_ids": [b.batch_id for b in added]}
        if imported:
            reply["backdated_item_ids"] = imported
        if younium:
            reply["younium"] = advanced[tenants[0].name]
            if len(tenants) > 1:
                reply["younium_entities"] = advanced
        return JSONResponse(reply)

    async def younium_change(request: Request) -> Response:
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        tenant = _entity(sandbox, body.pop("legal_entity", None))
        if isinstance(tenant, Response):
            return tenant
        try:
            name = body.pop("change", None)
            return JSONResponse(await run_in_threadpool(lambda: tenant.change(name, **body)))
        except ValueError as error:
            return _problem(str(error))

    async def ym_revise_batch(request: Request) -> Response:
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        batch_id = body.get("batch_id")
        if set(body) != {"batch_id"} or type(batch_id) not in (str, int):
            return _problem('expected {"batch_id": "<the BatchID of a closed finance batch>"}')
        dataset = sandbox.dataset
        try:
            added = dataset.revise_batch(str(batch_id).strip())
        except ValueError as error:
            return _problem(str(error))
        batch = dataset.batch(str(batch_id).strip())
        assert batch is not None
        return JSONResponse(
            {
                "batch_id": batch.batch_id,
                "item_count": batch.item_count,
                "line_item_id": added,
                "line_item_date_entered": dataset.item(added)["LineItemDateEntered"],
            }
        )

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            sandbox.requests.clear()
            sandbox.rate_limited.clear()
        counts = {name: sandbox.requests[name] for name in ROUTE_NAMES}
        # Flat, beside the request counts, so that a reader of route names' counts reads on unchanged.
        counts.update({f"rate_limited.{name}": sandbox.rate_limited[name] for name in ROUTE_NAMES})
        return JSONResponse(counts)

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            sandbox.faults.clear()
        elif request.method == "POST":
            body = await _json_object(request, allow_list=True)
            if isinstance(body, Response):
                return body
            try:
                armed = [Fault.from_mapping(f) for f in (body if isinstance(body, list) else [body])]
            except (ValueError, TypeError, AttributeError) as error:
                return _problem(str(error))
            for fault in armed:
                sandbox.faults.add(fault)
        return JSONResponse({"pending": [f.as_dict() for f in sandbox.faults.pending()]})

    return [
        Route("/health", health, methods=["GET"]),
        Route("/expected", expected, methods=["GET"]),
        Route("/advance", advance, methods=["POST"]),
        Route("/younium/change", younium_change, methods=["POST"]),
        Route("/ym/revise-batch", ym_revise_batch, methods=["POST"]),
        Route("/requests", requests, methods=["GET", "DELETE"]),
        Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
    ]


async def _json_object(request: Request, *, allow_list: bool = False) -> Any:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _problem("the body is not valid JSON")
    if isinstance(body, dict) or (allow_list and isinstance(body, list)):
        return body
    return _problem("expected a JSON object")


def _entity(sandbox: Sandbox, name: object) -> YouniumTenant | Response:
    """The Younium legal entity a control request names (by name or id; none: the default one), or its 400."""
    if name is None:
        return sandbox.younium
    if not isinstance(name, str) or not name.strip():
        return _problem('"legal_entity" names a Younium legal entity (its name or id)')
    try:
        return sandbox.younium_entity(name)
    except KeyError as error:
        return _problem(str(error.args[0]))


def _problem(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)
