"""What a correct warehouse holds after syncing a Younium tenant completely, computed from the sandbox's
own model (the seed and its stores), not from what the routes served.

Credit notes are invoices (rows of `invoices`, their lines rows of `invoice_lines`, their negative
amounts in every sum). Besides rows and money sums, `invoices` states how many invoices there are per
status (`by_status`: every status, 0 included) and per `invoiceType` (`by_type`: every type), how many
documents a reader must count as credits (`credits`: type Credit or a negative total), how many credit
notes link to the invoice they credit (`credit_links`), the settled and balanced sums, and how many
invoices are past due now (`overdue`: on the tenant's clock, which moves on without changing any
invoice's `modified`, so a warehouse agrees with it only right after a full read).

The ledger's tables (`expected_ledger`) follow: `journals`, `accounting_transactions` (vouchers),
`accounting_transaction_lines`, `chart_of_accounts`, `currencies`, `exchange_rates`, `accounting_periods`
and `trial_balance` (a list, not a table's facts); `periods` then gives what a controller closes by: per
accounting period, each account's opening balance, debits, credits and closing balance, the revenue on the
revenue accounts and the balance sheet's two sides (`expected_periods`). The voucher and line keys a source
builds (journal id, transactionNumber, line index) are not predicted: they are counted.

Deleted records are in none of these counts and sums; what is gone is named instead, as sorted ids, for
a test that checks a warehouse marked exactly those deleted: `invoices.deleted`, `invoice_lines.removed`
(removed from their invoice, or deleted with it), `accounts.deleted`, `invoice_batches.deleted` and
`products.deleted` (hard-deleted catalogue products). The catalogue (`products`) is stated as products
per `productType` and how many charge plans, charges and prices they have (their rows are
`younium.catalogue_expected`'s). With usage (`younium.usage`), `usage` states its rows, how many are processed,
the quantity and rated prices summed and the hard-deleted ids, and `expected_usage` gives every row, column by
column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ..kernel.formats import money, start_of_day
from .catalogue import PRODUCT_TYPES
from .catalogue_expected import expected_catalogue
from .dataset import YouniumDataset
from .extras import earlier_rates
from .gl import ACCOUNTS, CLOSED, CURRENCIES, JOURNAL_TYPES, OPEN, GLLine, Journal, Voucher, period_name, voucher_lines
from .seed import INVOICE_TYPES, STATUS_NAMES, sum_totals


def expected_ids(dataset: YouniumDataset) -> dict[str, list[str]]:
    """The keys each table with ids of its own must hold: sorted ids."""
    with dataset.lock:
        invoices, lines = dataset.invoices.live(), dataset.lines
        return {
            "accounts": sorted(a.id for a in dataset.accounts.live()),
            "invoices": sorted(dataset.invoices.id(n) for n in invoices),
            "invoice_lines": sorted(lines.id(n, k) for n in invoices for k in lines.numbers(n)),
            "invoice_batches": sorted(b.id for b in dataset.batches.all()),
            "payments": sorted(p.id for p in dataset.payments.all()),
            "products": sorted(p.id for p in dataset.catalogue.live()),
            **({"usage": sorted(r.id for r in dataset.usage.live())} if _has_usage(dataset) else {}),
        }


def expected(dataset: YouniumDataset) -> dict[str, Any]:
    """Per table: rows and exact money sums (decimal strings). The keyless tables' keys are derived by
    the source in ways the sandbox does not predict, so they are counted instead."""
    with dataset.lock:
        invoices = dataset.invoices.live()
        invoice_lines = expected_lines(dataset, invoices)
        totals = sum_totals(dataset.lines.totals(n) for n in invoices)
        payments, billing = dataset.payments, dataset.billing
        settled, balanced = [0, 0], [0, 0]
        for n in invoices:
            for sums, (amount, base) in ((settled, payments.settled(n)), (balanced, billing.balance(n))):
                sums[0] += amount
                sums[1] += base
        batches = dataset.batches.all()
        batched = [n for b in batches for n in b.invoices]
        batched_totals = sum_totals(dataset.lines.totals(n) for n in batched)
        paid = money(sum(p.amount for p in payments.all()))
        statuses = [dataset.invoices.status(n) for n in invoices]
        types = [dataset.invoices.invoice_type(n) for n in invoices]
        return {
            "accounts": {"rows": len(dataset.accounts.live()), "deleted": dataset.accounts.deleted_ids()},
            "invoices": {
                "rows": len(invoices),
                "subtotal": str(money(totals.subtotal)),
                "tax": str(money(totals.tax)),
                "total_amount": str(money(totals.total)),
                "total_base_amount": str(money(totals.total_base)),
                "settled_amount": str(money(settled[0])),
                "settled_base_amount": str(money(settled[1])),
                "balanced_amount": str(money(balanced[0])),
                "balanced_base_amount": str(money(balanced[1])),
                "by_status": {name: statuses.count(code) for code, name in enumerate(STATUS_NAMES)},
                "by_type": {name: types.count(name) for name in INVOICE_TYPES},
                "credits": sum(billing.is_credit(n) for n in invoices),
                "credit_links": len(dataset.invoices.credit_notes()),
                "overdue": sum(billing.days_past_due(n, dataset.now) > 0 for n in invoices),
                "deleted": dataset.invoices.deleted_ids(),
            },
            "invoice_lines": invoice_lines,
            "invoice_batches": {
                "rows": len(batches),
                "posted": sum(b.posted for b in batches),
                "invoice_count": len(batched),
                "deleted": dataset.batches.deleted_ids(),
            },
            "invoice_batches__invoices": {
                "rows": len(batched),
                "subtotal": str(money(batched_totals.subtotal)),
                "total_amount": str(money(batched_totals.total)),
            },
            "invoice_batches__batch_groups": {"rows": sum(len(b.groups) for b in batches)},
            "invoice_batch_log": {"rows": sum(len(b.log) for b in batches)},
            "payments": {"rows": len(payments), "amount": str(paid)},
            "payment_settlements": {"rows": len(payments), "amount": str(paid)},
            "products": expected_products(dataset),
            **({"usage": expected_usage_summary(dataset)} if _has_usage(dataset) else {}),
            **expected_ledger(dataset),
        }


def expected_lines(dataset: YouniumDataset, invoices: Sequence[int]) -> dict[str, Any]:
    """The lines of `invoices`: rows, money sums and units; the removed ones named. Computes (and caches)
    each invoice's totals from the lines on the way."""
    sums = [0] * 6
    count = quantity = 0
    for n in invoices:
        lines = dataset.lines.of(n)
        for line in lines:
            for i, value in enumerate(line.amounts):
                sums[i] += value
            quantity += line.quantity
        count += len(lines)
        dataset.lines.totals(n, lines)
    return {
        "rows": count,
        "subtotal": str(money(sums[0])),
        "tax": str(money(sums[1])),
        "total": str(money(sums[2])),
        "quantity": quantity,
        "removed": dataset.lines.removed_ids(),
    }


def expected_products(dataset: YouniumDataset) -> dict[str, Any]:
    """The catalogue: live products (per `productType`), their charge plans, charges and prices; deleted ids."""
    live = dataset.catalogue.live()
    types = [p.product_type for p in live]
    return {
        "rows": len(live),
        "by_type": {name: types.count(name) for name in PRODUCT_TYPES},
        "charge_plans": sum(len(p.shape()) for p in live),
        "charges": sum(sum(p.shape()) for p in live),
        "price_details": len(expected_catalogue(dataset)["catalogue_price_details"]),
        "deleted": dataset.catalogue.deleted_ids(),
    }


def _has_usage(dataset: YouniumDataset) -> bool:
    """Whether the tenant has (or had) usage: without any, /Usage is empty and the table never made."""
    return bool(dataset.usage.live() or dataset.usage.deleted_ids())


def expected_usage(dataset: YouniumDataset) -> list[dict[str, Any]]:
    """Every live usage record as the warehouse's `usage` row holds it, every column but the load's own
    (`deleted_at`, `extra_fields`): from the store's records (`younium.usage`), never from what /Usage served.
    Quantities and prices are exact Decimals, times UTC datetimes, rows in id order."""
    store = dataset.usage
    rows = []
    with dataset.lock:
        for r in sorted(store.live(), key=lambda r: r.id):
            refs = r.order or (None,) * 6
            rated = r.rated
            rows.append(
                {
                    "id": r.id,
                    "description": store.description(r),
                    "from_date": _utc(start_of_day(r.first_day)),
                    "to_date": _utc(start_of_day(r.to_day) + r.to_time) if r.to_day is not None else None,
                    "quantity": Decimal(r.quantity).scaleb(-3),
                    "unit": store.unit(r),
                    "source": r.source,
                    "account_id": r.account.id,
                    "account_number": r.account.account_number,
                    "account_name": r.account.name,
                    "order_id": refs[0],
                    "order_number": refs[1],
                    "product_id": refs[2],
                    "product_number": refs[3],
                    "charge_id": refs[4],
                    "charge_number": refs[5],
                    "import_date": _utc(r.imported),
                    "processed": r.processed,
                    "rated_price": money(rated) if rated is not None else None,
                    "rated_price_currency_code": r.account.currency if rated is not None else None,
                    "created": _utc(r.imported),
                    "modified": _utc(r.modified),
                }
            )
    return rows


def expected_usage_summary(dataset: YouniumDataset) -> dict[str, Any]:
    """Usage's rows, how many are processed, the quantity and the rated prices (per currency) summed, and the
    hard-deleted records' ids."""
    rows = expected_usage(dataset)
    rated: dict[str, Decimal] = {}
    for row in rows:
        if row["rated_price"] is not None:
            currency = row["rated_price_currency_code"]
            rated[currency] = rated.get(currency, Decimal(0)) + row["rated_price"]
    return {
        "rows": len(rows),
        "processed": sum(row["processed"] for row in rows),
        "quantity": str(sum((row["quantity"] for row in rows), Decimal(0))),
        "rated_price": {currency: str(total) for currency, total in sorted(rated.items())},
        "deleted": dataset.usage.deleted_ids(),
    }


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def expected_ledger(dataset: YouniumDataset) -> dict[str, Any]:
    """The ledger's tables, from the model (`younium.gl`): journals (by `journalType`), their vouchers
    (`accounting_transactions`) and transaction lines (with the debit and credit sums, equal), the chart of
    accounts, currencies, exchange rates, the accounting periods journals use (with their status now), and
    the trial balance: per (fiscalYear, fiscalPeriod, account), the sums of debitAmount and creditAmount."""
    with dataset.lock:
        journals = dataset.gl.journals()
        vouchers = lines = debit = credit = 0
        balance: dict[tuple[int, int, str], list[int]] = {}
        for journal, _, gl_lines in _all_lines(dataset):
            vouchers += 1
            lines += len(gl_lines)
            year, month = divmod(journal.month, 12)
            for line in gl_lines:
                sums = balance.setdefault((year, month + 1, line.account), [0, 0])
                if line.base >= 0:
                    sums[0] += line.base
                    debit += line.base
                else:
                    sums[1] -= line.base
                    credit -= line.base
        months = sorted({j.month for j in journals})
        states = [dataset.gl.period_state(m, dataset.now)[0] for m in months]
        types = [j.journal_type for j in journals]
        return {
            "journals": {"rows": len(journals), "by_type": {t: types.count(t) for t in JOURNAL_TYPES}},
            "accounting_transactions": {"rows": vouchers},
            "accounting_transaction_lines": {"rows": lines, "debit": str(money(debit)), "credit": str(money(credit))},
            "chart_of_accounts": {"rows": len(ACCOUNTS)},
            "currencies": {"rows": len(CURRENCIES)},
            "exchange_rates": {"rows": len(CURRENCIES) - 1 + len(earlier_rates(dataset.seeded))},
            "accounting_periods": {
                "rows": len(months),
                "by_status": {OPEN: states.count(OPEN), CLOSED: states.count(CLOSED)},
                "periods": [
                    {"fiscalYear": m // 12, "fiscalPeriod": m % 12 + 1, "status": state}
                    for m, state in zip(months, states, strict=True)
                ],
            },
            "trial_balance": [
                {
                    "fiscalYear": year,
                    "fiscalPeriod": period,
                    "account": account,
                    "debit": str(money(sums[0])),
                    "credit": str(money(sums[1])),
                }
                for (year, period, account), sums in sorted(balance.items())
            ],
            "periods": expected_periods(dataset),
        }


def _all_lines(dataset: YouniumDataset) -> Iterator[tuple[Journal, Voucher, list[GLLine]]]:
    """Every voucher of every journal, with its transaction lines."""
    for journal in dataset.gl.journals():
        for voucher in journal.vouchers:
            yield journal, voucher, voucher_lines(dataset.invoices, dataset.lines, voucher)


# The chart's revenue accounts (BAS class 3): each product's, and rounding.
def _is_revenue(account: str) -> bool:
    return account.startswith("3")


def _is_asset(account: str) -> bool:
    return account.startswith("1")


def expected_periods(dataset: YouniumDataset) -> list[dict[str, Any]]:
    """Per accounting period (the months journals name, oldest first), with its status now: for every account a
    line books to (in any period) the opening balance, the period's debits and credits and the closing
    balance (debits less credits since the first period, base currency); the period's revenue (credits less
    debits on the revenue accounts); and the balance sheet at its end: the assets (debit balances of the
    asset accounts) and the other side (the credit balances of all other accounts, results included)."""
    with dataset.lock:
        moved: dict[tuple[int, str], list[int]] = {}
        for journal, _, gl_lines in _all_lines(dataset):
            for line in gl_lines:
                sums = moved.setdefault((journal.month, line.account), [0, 0])
                sums[0 if line.base >= 0 else 1] += abs(line.base)
        months = sorted({month for month, _ in moved} | {j.month for j in dataset.gl.journals()})
        accounts = sorted({account for _, account in moved})
        running = dict.fromkeys(accounts, 0)
        periods = []
        for month in months:
            rows, revenue = {}, 0
            for account in accounts:
                debit, credit = moved.get((month, account), [0, 0])
                opening = running[account]
                running[account] += debit - credit
                rows[account] = {
                    "opening": str(money(opening)),
                    "debit": str(money(debit)),
                    "credit": str(money(credit)),
                    "closing": str(money(running[account])),
                }
                revenue += (credit - debit) if _is_revenue(account) else 0
            assets = sum(balance for account, balance in running.items() if _is_asset(account))
            others = -sum(balance for account, balance in running.items() if not _is_asset(account))
            periods.append(
                {
                    "period": period_name(month),
                    "fiscalYear": month // 12,
                    "fiscalPeriod": month % 12 + 1,
                    "status": dataset.gl.period_state(month, dataset.now)[0],
                    "accounts": rows,
                    "revenue": str(money(revenue)),
                    "assets": str(money(assets)),
                    "equity_and_liabilities": str(money(others)),
                }
            )
        return periods
