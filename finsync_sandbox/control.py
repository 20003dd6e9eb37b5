"""The control API under `/_sandbox`: health, expectations, time, changes, request counts and faults, for
both APIs.

- `GET /health`; `GET /expected` (`Sandbox.expected`; `?legal_entity=NAME_OR_ID`: with that Younium legal
  entity's expectation under "younium", `Sandbox.expected_entity`);
- `POST /advance`: YM's `{"ym_items", "ym_backdated_items", "ym_backdated_days"}` and/or Younium's
  `{"new_invoices", "modified_invoices", "new_accounts", "new_products", "modified_products",
  "subscription_events"}` (the last: the next steps of the subscription story happen now)
  (`YMDataset.advance`/`backdate`,
  `YouniumTenant.advance`), Younium's for every legal entity (answered under "younium" for the default
  one, and, when there are several, by name under "younium_entities"), or only for `"legal_entity"`'s;
- `POST /younium/change`: one change a Younium user makes by hand (`YouniumTenant.change`; the rules are
  `younium.edits`'), answering what it did: `{"change": "delete_invoice", "invoice": ID}`,
  `{"change": "remove_line", "invoice": ID, "line": LINE_ID}`, `{"change": "set_status", "invoice": ID,
  "status": "Posted" | "Cancelled"}`, `{"change": "delete_account", "account": ID}`,
  `{"change": "delete_batch", "batch": ID_OR_BATCH_NUMBER}`, `{"change": "delete_product", "product": ID}`
  (a hard delete of a catalogue product), `{"change": "reprice_charge", "charge": ID}` (a catalogue
  charge's prices raised by 10%), `{"change": "remove_price", "charge": ID, "currency": "EUR"}` (its price
  in one currency removed), `{"change": "delete_subscription", "order": "O-000001"}` (a hard
  delete of a subscription), `{"change": "touch_charge", "order": "O-000001"}` (a charge of it invoiced one
  period further: the order's `lastUpdated` moves, its `modified` does not), and the ledger's (`younium.gl`):
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
from collections.abc import Awaitable, Callable
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
    "subscription_events",
)
# Items imported now with entry dates `ym_backdated_days` before the newest one.
YM_ADVANCE_KEYS: tuple[str, ...] = ("ym_items", "ym_backdated_items", "ym_backdated_days")

ControlHandler = Callable[[Sandbox, Request], Awaitable[Any]]


class Problem(Exception):
    """A control request the sandbox refuses: HTTP 400 `{"error": message}`."""


def control_routes(sandbox: Sandbox) -> list[Route]:
    """One route per path of `HANDLERS`, dispatching on the request's method."""

    def endpoint(handlers: dict[str, ControlHandler]) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            try:
                reply = await handlers[request.method](sandbox, request)
            except Problem as problem:
                return JSONResponse({"error": str(problem)}, status_code=400)
            return reply if isinstance(reply, Response) else JSONResponse(reply)

        return answer

    return [Route(path, endpoint(handlers), methods=list(handlers)) for path, handlers in HANDLERS.items()]


# -- health and expectations ------------------------------------------------------------------------------


async def health(sandbox: Sandbox, request: Request) -> Any:
    return {"status": "ok", "ym_items": sandbox.dataset.items}


async def expected(sandbox: Sandbox, request: Request) -> Any:
    name = request.query_params.get("legal_entity")
    if name is None:
        # Summing money over millions of items takes a moment the first time: keep the loop free.
        return await run_in_threadpool(sandbox.expected)
    tenant = _entity(sandbox, name)
    return await run_in_threadpool(lambda: {"ym": sandbox.expected_ym(), "younium": tenant.expected()})


# -- time and changes -------------------------------------------------------------------------------------


async def advance(sandbox: Sandbox, request: Request) -> Any:
    """YM's `{"ym_items": N, "ym_backdated_items": N, "ym_backdated_days": D}` and/or Younium's
    `{"new_invoices": N, "modified_invoices": N, "new_accounts": N, "new_products": N, "modified_products": N,
    "subscription_events": N}`."""
    body = await _json_object(request)
    named = _entity(sandbox, body.pop("legal_entity")) if "legal_entity" in body else None
    unknown = set(body) - {*YM_ADVANCE_KEYS, *YOUNIUM_ADVANCE_KEYS}
    if unknown or any(type(v) is not int or v < 0 for v in body.values()):
        keys = ", ".join(f'"{k}"' for k in (*YM_ADVANCE_KEYS, *YOUNIUM_ADVANCE_KEYS))
        raise Problem(f'expected an object of whole numbers >= 0 under some of {keys} (and "legal_entity")')
    younium = {k: body[k] for k in YOUNIUM_ADVANCE_KEYS if k in body}
    # Time moves on for the whole tenant, every legal entity, unless the body names one.
    tenants = [named] if named is not None else list(sandbox.younium_entities.values())
    advanced = await _advance_younium(tenants, younium) if younium else {}
    added = sandbox.dataset.advance(body.get("ym_items", 0))
    imported = sandbox.dataset.backdate(body.get("ym_backdated_items", 0), body.get("ym_backdated_days", 10))
    reply: dict[str, Any] = {"ym_items": sandbox.dataset.items, "new_batch_ids": [b.batch_id for b in added]}
    if imported:
        reply["backdated_item_ids"] = imported
    if younium:
        reply["younium"] = advanced[tenants[0].name]
        if len(tenants) > 1:
            reply["younium_entities"] = advanced
    return reply


async def _advance_younium(tenants: list[YouniumTenant], counts: dict[str, int]) -> dict[str, Any]:
    """What advancing each of `tenants` by `counts` did, by name."""
    advanced: dict[str, Any] = {}
    for tenant in tenants:
        try:
            advanced[tenant.name] = (await run_in_threadpool(lambda t=tenant: t.advance(**counts))).as_dict()
        except ValueError as error:
            raise Problem(f"{tenant.name}: {error}" if len(tenants) > 1 else str(error)) from None
    return advanced


async def younium_change(sandbox: Sandbox, request: Request) -> Any:
    body = await _json_object(request)
    tenant = _entity(sandbox, body.pop("legal_entity", None))
    try:
        name = body.pop("change", None)
        return await run_in_threadpool(lambda: tenant.change(name, **body))
    except ValueError as error:
        raise Problem(str(error)) from None


async def ym_revise_batch(sandbox: Sandbox, request: Request) -> Any:
    body = await _json_object(request)
    batch_id = body.get("batch_id")
    if set(body) != {"batch_id"} or type(batch_id) not in (str, int):
        raise Problem('expected {"batch_id": "<the BatchID of a closed finance batch>"}')
    dataset = sandbox.dataset
    try:
        added = dataset.revise_batch(str(batch_id).strip())
    except ValueError as error:
        raise Problem(str(error)) from None
    batch = dataset.batch(str(batch_id).strip())
    assert batch is not None
    return {
        "batch_id": batch.batch_id,
        "item_count": batch.item_count,
        "line_item_id": added,
        "line_item_date_entered": dataset.item(added)["LineItemDateEntered"],
    }


# -- request counts and faults ----------------------------------------------------------------------------


async def requests(sandbox: Sandbox, request: Request) -> Any:
    counts = {name: sandbox.requests[name] for name in ROUTE_NAMES}
    # Flat, beside the request counts, so that a reader of route names' counts reads on unchanged.
    counts.update({f"rate_limited.{name}": sandbox.rate_limited[name] for name in ROUTE_NAMES})
    return counts


async def forget_requests(sandbox: Sandbox, request: Request) -> Any:
    sandbox.requests.clear()
    sandbox.rate_limited.clear()
    return await requests(sandbox, request)


async def faults(sandbox: Sandbox, request: Request) -> Any:
    return {"pending": [f.as_dict() for f in sandbox.faults.pending()]}


async def arm_faults(sandbox: Sandbox, request: Request) -> Any:
    body = await _json_object(request, allow_list=True)
    try:
        armed = [Fault.from_mapping(f) for f in (body if isinstance(body, list) else [body])]
    except (ValueError, TypeError, AttributeError) as error:
        raise Problem(str(error)) from None
    for fault in armed:
        sandbox.faults.add(fault)
    return await faults(sandbox, request)


async def clear_faults(sandbox: Sandbox, request: Request) -> Any:
    sandbox.faults.clear()
    return await faults(sandbox, request)


# Each control path, and its handler per method.
HANDLERS: dict[str, dict[str, ControlHandler]] = {
    "/health": {"GET": health},
    "/expected": {"GET": expected},
    "/advance": {"POST": advance},
    "/younium/change": {"POST": younium_change},
    "/ym/revise-batch": {"POST": ym_revise_batch},
    "/requests": {"GET": requests, "DELETE": forget_requests},
    "/faults": {"GET": faults, "POST": arm_faults, "DELETE": clear_faults},
}


async def _json_object(request: Request, *, allow_list: bool = False) -> Any:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise Problem("the body is not valid JSON") from None
    if isinstance(body, dict) or (allow_list and isinstance(body, list)):
        return body
    raise Problem("expected a JSON object")


def _entity(sandbox: Sandbox, name: object) -> YouniumTenant:
    """The Younium legal entity a control request names (by name or id; none: the default one)."""
    if name is None:
        return sandbox.younium
    if not isinstance(name, str) or not name.strip():
        raise Problem('"legal_entity" names a Younium legal entity (its name or id)')
    try:
        return sandbox.younium_entity(name)
    except KeyError as error:
        raise Problem(str(error.args[0])) from None
