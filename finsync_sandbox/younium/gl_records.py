"""The general ledger's records as the API 2.1 writes them (`younium.gl` is the model): FinancialAccountResponse,
Currency, ExchangeRateResponse, JournalResponse / JournalDetailsResponse with their embedded AccountingPeriod,
vouchers (AccountingTransactionResponse as JournalResponse embeds it) and transactions (TransactionResponse).
Money as exact Decimals, null members left for the writer to drop; the members only a share of the records
carry are `younium.extras`'.

- FinancialAccountResponse `{id, code, name, description, externalERPId, externalCRMId}` (no
  created/modified);
- Currency `{id, code, description}`: SEK has the id `/Currency/BaseCurrency` answers;
- ExchangeRateResponse `{id, fromCurrency, toCurrency, rate, effectiveFromDate, effectiveToDate}` (codes;
  `toCurrency` the base currency; the current rates open-ended, `effectiveToDate` null, after the earlier
  ones they superseded);
- JournalResponse `{id, journalNumber, accountingPeriod, journalType, description, posted, postedDate,
  externalERPId, transferredToERP, created, modified, vouchers}` (JournalDetailsResponse: the same without
  `vouchers`);
- AccountingPeriod `{description ("2024-03"), fiscalYear, fiscalPeriod (month), fiscalQuarter,
  calendarYear, calendarMonth, startDate, endDate (the last day), status, closedDate}`;
- voucher `{transactionNumber, effectiveDate, source, transactions, invoiceNumber, invoiceId,
  invoiceAccountId, paymentId, created, modified}` and the references and ids only some carry
  (`younium.extras`);
- transaction `{description, account (code), debitAmount, creditAmount, salesCurrencyDebitAmount,
  salesCurrencyCreditAmount, salesCurrency, exchangeRate}`: one side is 0.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..kernel.formats import format_day, format_instant, money
from .dataset import YouniumDataset
from .extras import earlier_rates, gl_account_parts, journal_parts, voucher_parts
from .gl import (
    ACCOUNTS,
    CURRENCIES,
    PAYMENT,
    RATES_FROM,
    SOURCES,
    GLLine,
    Journal,
    Voucher,
    month_days,
    period_name,
    voucher_lines,
)
from .seed import BASE_CURRENCY, RATES_E4, YouniumSeed, invoice_number
from .window import Window

_ZERO = money(0)


def rate_of(rate_e4: int) -> Decimal:
    return Decimal(rate_e4).scaleb(-4)


def chart_of_accounts(seeded: YouniumSeed) -> list[dict[str, Any]]:
    """FinancialAccountResponse of every account, by code."""
    return [
        {
            "id": seeded.uuid(b"gl-account", int(code)),
            "code": code,
            "name": name,
            "description": text,
            **gl_account_parts(seeded, code),
        }
        for code, name, text in ACCOUNTS
    ]


def currencies(seeded: YouniumSeed) -> list[dict[str, Any]]:
    """Currency of every currency, the base currency first (with the id /Currency/BaseCurrency answers)."""
    return [{"id": seeded.uuid(b"currency", i), "code": c, "description": d} for i, (c, d) in enumerate(CURRENCIES)]


def exchange_rates(seeded: YouniumSeed) -> list[dict[str, Any]]:
    """ExchangeRateResponse of each foreign currency into the base currency: the rates invoices use, then
    those they superseded."""
    current = [
        {
            "id": seeded.uuid(b"exchange-rate", i),
            "fromCurrency": code,
            "toCurrency": BASE_CURRENCY,
            "rate": rate_of(RATES_E4[code]),
            "effectiveFromDate": format_day(RATES_FROM),
            "effectiveToDate": None,
        }
        for i, (code, _) in enumerate(CURRENCIES)
        if code != BASE_CURRENCY
    ]
    return current + earlier_rates(seeded)


def accounting_period(dataset: YouniumDataset, month: int) -> dict[str, Any]:
    """AccountingPeriod as it is now (its status on the tenant's clock)."""
    year, m = divmod(month, 12)
    first, last = month_days(month)
    status, closed = dataset.gl.period_state(month, dataset.now)
    return {
        "description": period_name(month),
        "fiscalYear": year,
        "fiscalPeriod": m + 1,
        "fiscalQuarter": m // 3 + 1,
        "calendarYear": year,
        "calendarMonth": m + 1,
        "startDate": format_day(first),
        "endDate": format_day(last),
        "status": status,
        "closedDate": format_instant(closed) if closed is not None else None,
    }


def journal(
    dataset: YouniumDataset, entry: Journal, window: Window = Window(), *, vouchers: bool = True
) -> dict[str, Any]:
    """JournalResponse, with the vouchers modified within `window` (the API applies ModifiedAfter/Before to
    vouchers too); without `vouchers`, JournalDetailsResponse."""
    record: dict[str, Any] = {
        "id": entry.id,
        "journalNumber": entry.journal_number,
        "accountingPeriod": accounting_period(dataset, entry.month),
        "journalType": entry.journal_type,
        "description": entry.description,
        "posted": True,
        "postedDate": format_instant(entry.created),
        **journal_parts(dataset.seeded, entry),
        "created": format_instant(entry.created),
        "modified": format_instant(entry.modified),
    }
    if vouchers:
        record["vouchers"] = [
            voucher(dataset, entry, position, v) for position, v in enumerate(entry.vouchers) if window.contains(v.at)
        ]
    return record


def voucher(dataset: YouniumDataset, entry: Journal, position: int, v: Voucher) -> dict[str, Any]:
    stamp = format_instant(v.at)
    invoice = v.invoice
    return {
        "transactionNumber": entry.transaction_number(position),
        "effectiveDate": format_day(v.day),
        "source": SOURCES[v.kind],
        "transactions": [transaction(line) for line in voucher_lines(dataset.invoices, dataset.lines, v)],
        "invoiceNumber": invoice_number(invoice) if invoice else None,
        "invoiceId": dataset.invoices.id(invoice) if invoice else None,
        "invoiceAccountId": dataset.invoices.account(invoice).id if invoice else None,
        "paymentId": v.payment.id if v.kind == PAYMENT and v.payment else None,
        **voucher_parts(dataset, entry, position, v),
        **(dict(v.posting.references) if v.posting is not None else {}),
        "created": stamp,
        "modified": stamp,
    }


def transaction(line: GLLine) -> dict[str, Any]:
    """TransactionResponse: the signed amounts on their side, the other side 0."""
    debit, credit = (line.base, 0) if line.base >= 0 else (0, -line.base)
    sales_debit, sales_credit = (line.sales, 0) if line.sales >= 0 else (0, -line.sales)
    return {
        "description": line.description,
        "account": line.account,
        "debitAmount": money(debit) if debit else _ZERO,
        "creditAmount": money(credit) if credit else _ZERO,
        "salesCurrencyDebitAmount": money(sales_debit) if sales_debit else _ZERO,
        "salesCurrencyCreditAmount": money(sales_credit) if sales_credit else _ZERO,
        "salesCurrency": line.currency,
        "exchangeRate": rate_of(line.rate_e4),
    }
