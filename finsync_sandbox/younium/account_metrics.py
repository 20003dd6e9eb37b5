"""The metrics Younium keeps on an account (`cmrr`, `acv`, `emrr`, `oneTimeFees`, `tcv`, commercial facts
§2.9 and shared facts §5.3), and GET /Accounts/{id}/Summary (§9.1).

Why: a warehouse ties its own MRR to what Younium says per account (§11.2 (5a)), so the account's figures
must be the sum over its orders that a correct reader can recompute. Only a tenant whose story has
orders shows them on /Accounts: with no subscription the account records stay exactly as they were.

- an account's metrics are the sums over its Active subscriptions (hard-deleted ones left out) of their
  order-level metrics as of the tenant's clock: CMRR = EMRR = the recurring charges in force (their
  `recurringMonthlyAmount`), ACV = 12 x CMRR, TCV = each order's term x its CMRR (12 for an Evergreen
  one), oneTimeFees = the subscriptions' one-off fees in force. Sales orders carry no order-level
  metrics (§4.2), so they add nothing; the amounts are CurrencyAmounts in the account's currency with
  their base twin, no `currencyConversionDate` (as the order-level ones);
- the facts do not say what moves an account's `modified`. The sandbox assumes Younium recomputes the
  account's metrics when an order event is booked, and saves the account then: `modified` is the
  latest of its `created` and of its orders' booked events (activation, change, cancellation). A draft,
  a charge invoiced or a sales order does not move it. With orders, /Accounts is ordered by
  (modified, id) and ModifiedAfter tests that `modified`, as every list;
- the Summary adds `accountBalance` (what the account's posted invoices still owe, credit notes
  netted: `younium.billing`'s balance, in the account's currency with its base twin) and `lastInvoiced`
  (the latest invoice date of its posted invoices, or none), both left undefined by the docs (§9.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..kernel.formats import format_day, format_instant, money
from .dataset import YouniumDataset
from .orders import ACTIVE, ONE_OFF, RECURRING, OrderStore
from .records import YouniumRecords
from .seed import BASE_CURRENCY, CANCELLED, DRAFT, Account
from .window import Window

METRICS = ("cmrr", "acv", "emrr", "oneTimeFees", "tcv")


def metric_cents(store: OrderStore, account: Account) -> dict[str, tuple[int, int]]:
    """Per metric, (amount, base) in cents: the sums over the account's Active subscriptions."""
    sums = dict.fromkeys(METRICS, (0, 0))

    def add(name: str, amount: int, base: int) -> None:
        old = sums[name]
        sums[name] = (old[0] + amount, old[1] + base)

    for order in store.of_account(account.number):
        if order.latest.status != ACTIVE:
            continue
        live = order.live()
        cmrr = sum(c.amount for c in live if c.charge_type == RECURRING)
        cmrr_base = sum(c.base for c in live if c.charge_type == RECURRING)
        months = 12 if order.evergreen else order.term
        add("cmrr", cmrr, cmrr_base)
        add("emrr", cmrr, cmrr_base)
        add("acv", 12 * cmrr, 12 * cmrr_base)
        add("tcv", months * cmrr, months * cmrr_base)
        add(
            "oneTimeFees",
            sum(c.amount for c in live if c.charge_type == ONE_OFF),
            sum(c.base for c in live if c.charge_type == ONE_OFF),
        )
    return sums


def metric_amounts(store: OrderStore, account: Account) -> dict[str, dict[str, Any]]:
    """The account's metrics as CurrencyAmounts."""
    return {
        name: {
            "amount": money(amount),
            "currencyCode": account.currency,
            "baseCurrencyAmount": money(base),
            "baseCurrencyCode": BASE_CURRENCY,
        }
        for name, (amount, base) in metric_cents(store, account).items()
    }


def metrics_moved(store: OrderStore) -> dict[str, int]:
    """Per account id, when its metrics last moved: its orders' latest booked event."""
    moved: dict[str, int] = {}
    for event in store.events:
        if event.booking is not None:
            moved[event.account_id] = max(moved.get(event.account_id, 0), event.at)
    return moved


def accounts_in(dataset: YouniumDataset, window: Window) -> Sequence[int]:
    """The numbers of the accounts modified within `window`: as the store lists them without orders; with
    orders, by the `modified` their metrics moved, in (modified, id) order."""
    if not dataset.orders.orders:
        return dataset.accounts.accounts_in(window)
    with dataset.lock:
        moved = metrics_moved(dataset.orders)
        stamped = [(max(a.created, moved.get(a.id, 0)), a.id, a.number) for a in dataset.accounts.live()]
    return [number for modified, _, number in sorted(stamped) if window.contains(modified)]


def account_record(dataset: YouniumDataset, records: YouniumRecords, a: int) -> dict[str, Any]:
    """AccountResponse; with orders, carrying its metrics and the `modified` they moved."""
    record = records.account(a)
    if not dataset.orders.orders:
        return record
    account = dataset.accounts.numbered(a)
    with dataset.lock:
        metrics = metric_amounts(dataset.orders, account)
        moved = metrics_moved(dataset.orders).get(account.id, 0)
    created, _ = record.pop("created"), record.pop("modified")
    record.update(metrics)
    record["created"] = created
    record["modified"] = format_instant(max(account.created, moved))
    return record


def account_summary(dataset: YouniumDataset, a: int) -> dict[str, Any]:
    """AccountSummaryResponse of account number `a`."""
    account = dataset.accounts.numbered(a)
    invoices, billing = dataset.invoices, dataset.billing
    with dataset.lock:
        metrics = metric_amounts(dataset.orders, account)
        owed, owed_base, last = 0, 0, None
        for n in invoices.of_account(a):
            if invoices.status(n) in (DRAFT, CANCELLED):
                continue
            amount, base = billing.balance(n)
            owed, owed_base = owed + amount, owed_base + base
            last = max(last or 0, invoices.invoice_day(n))
    return {
        **metrics,
        "accountBalance": {
            "amount": money(owed),
            "currencyCode": account.currency,
            "baseCurrencyAmount": money(owed_base),
            "baseCurrencyCode": BASE_CURRENCY,
        },
        "lastInvoiced": format_day(last) if last is not None else None,
        "name": account.name,
        "accountNumber": account.account_number,
        "id": account.id,
        "externalERPId": f"C{10_000 + account.number}",
    }
