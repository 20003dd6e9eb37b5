"""The sandbox: a local, loopback-only HTTP server that speaks the upstream APIs finsync reads.

It emulates the YourMembership REST API (under `/ym`) as the reference notes describe it, traps
included (401 logins with `ErrorCode "None"`, FinanceBatches pages that repeat, errors inside HTTP 200
replies, export files that 404 at first, a required DateFrom, capped page sizes), over a deterministic
dataset generated from a seed that scales to millions of invoice items without storing them.

It emulates Younium's API 2.1 (under `/younium`) the same way (two token answer spellings, required
api-version and legal-entity headers, HTTP 400 for an empty list, `nextPage` links that drop
ModifiedAfter, invoice lines filtered by ModifiedAfter while `GET /Invoices/{id}` answers all of an
invoice's lines, a BatchLog whose `data` may be one object, batch jobs that take time, idempotent POSTs,
no deleted-records feed), over seeded accounts, invoices and lines, invoice batches and payments, linked
to one another, telling a finance team's stories: cancelled invoices, credit notes (some typed Invoice
with negative totals) linked to what they credit by RelatedInvoices, partly paid and overdue invoices, in
four currencies. Its ledger (`younium.gl`) journals every posting: /Journals (vouchers filtered by
ModifiedAfter too), /Journals/JournalDetails, /Journals/{id}, /ChartOfAccounts, /Currency and
/ExchangeRate, over monthly accounting periods that close as the tenant's clock moves on. Its commercial
side (`SandboxConfig.younium_subscriptions`, none by default) tells a subscription story: /Subscriptions
(latest versions, ModifiedAfter matching a change to any charge), /Subscriptions/{orderNumber}/versions (a
plain array) and /Bookings, with MRR and its movements expected per customer and month; one-off sales
orders at /SalesOrders and /SalesOrders/{orderNumber}/versions; the accounts' metrics on /Accounts and
/Accounts/{id}/Summary; each recurring charge's revenue schedule at /RevenueSchedule/Charge/{chargeNumber},
its invoicing and monthly recognition journaled through deferred revenue (`younium.revenue`), with the
bookings by month and the deferred-revenue roll-forward expected. Usage (`SandboxConfig.younium_usage`, none
by default; `younium.usage`) is served at /Usage, some of it rated and invoiced, and expected row by row. A
tenant may have
several legal entities (`SandboxConfig.younium_legal_entities`, `younium.entities`): one API client and
token for all, a dataset of its own for each, chosen by the `legal-entity` header, then required.

Both APIs may be rate limited (`SandboxConfig.rate_limit_per_second`, `kernel.limits`): a token bucket per
credential, YM's ClientID or Younium's API client, answering HTTP 429 with Retry-After when it is empty.

Control routes under `/_sandbox` (and the same operations on the in-process `Sandbox` object) advance
time, delete and revise records as a tenant's users do (`POST /_sandbox/younium/change`: delete a draft
invoice, remove a line, post or cancel an invoice, delete an account or an unposted invoice batch,
reopen an accounting period or post a correction into a closed one;
`POST /_sandbox/ym/revise-batch`: add an adjustment item to a closed YM batch), inject faults (error
statuses with Retry-After, dropped connections, truncated bodies, slow replies, session and token
expiry, export and job failures), count requests per route, and state exactly what a correct warehouse
must contain, what is gone included (see `control`). The demo, the end-to-end and reliability tests and
the benchmarks run against it.

    with SandboxServer(config=SandboxConfig(ym_items=20_000, younium_invoices=5_000)) as server:
        os.environ.update(server.settings)
        ...  # run a sync, then compare with server.sandbox.expected()
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Names load on first use (PEP 562): `finsync --help` lists `finsync sandbox` without starting Starlette.
_HOMES = {
    "Advanced": "younium.changes",
    "Batch": "ym.dataset",
    "Fault": "kernel.faults",
    "InvoiceBatch": "younium.seed",
    "Money": "ym.dataset",
    "RateLimiter": "kernel.limits",
    "Sandbox": "sandbox",
    "SandboxConfig": "kernel.config",
    "SandboxServer": "server",
    "Window": "younium.window",
    "YMDataset": "ym.dataset",
    "YouniumDataset": "younium.dataset",
    "YouniumTenant": "younium.tenant",
    "build_app": "app",
    "serve": "server",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value
