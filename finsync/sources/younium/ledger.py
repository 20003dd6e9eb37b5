"""The ledger side of Younium, declared once: journals, their accounting transactions (vouchers) and GL
lines, the accounting periods journals carry, the chart of accounts, currencies and exchange rates.

Field names follow the API 2.1 schemas of the finance facts (JournalResponse, AccountingTransactionResponse,
TransactionResponse, FinancialAccountResponse, Currency, ExchangeRateResponse). Vouchers and GL lines have
no id upstream: their keys are derived from the journal, the voucher's `transactionNumber` and the line's
position, and a journal's vouchers and lines are replaced whenever the journal is read again (whole: an
incremental window's journals are read again by id, since ModifiedAfter filters their vouchers too). The
periods come from every journal's header (`/Journals/JournalDetails`, read whole each run): reopening or
closing a period modifies none of its journals.
Debits and credits are in the base currency, the `salesCurrency…` amounts in the document's.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from finsync.tables import EXTRA_FIELDS, LOAD_TIME, Column, Kind, Table, Wire, unnested

from .columns import DELETED_AT, external_ids, stamps
from .rows import children, joined, keyed_children, with_columns


def _period(prefix: str = "accountingPeriod.", named: str = "period_") -> tuple[Column, ...]:
    return (
        Column(f"{prefix}fiscalYear", Kind.INT, name="fiscal_year", doc="The accounting period's fiscal year"),
        Column(f"{prefix}fiscalPeriod", Kind.INT, name="fiscal_period", doc="The period's number within its year"),
        Column(f"{prefix}fiscalQuarter", Kind.INT, name="fiscal_quarter", doc="The fiscal quarter of the period"),
        Column(f"{prefix}calendarYear", Kind.INT, name="calendar_year", doc="The calendar year of the period"),
        Column(f"{prefix}calendarMonth", Kind.INT, name="calendar_month", doc="The calendar month of the period"),
        Column(f"{prefix}startDate", Kind.DATE, name=f"{named}start_date", doc="The period's first day"),
        Column(f"{prefix}endDate", Kind.DATE, name=f"{named}end_date", doc="The period's last day"),
        Column(f"{prefix}status", name=f"{named}status", doc="Open or Closed, as the journal was last read"),
        Column(
            f"{prefix}closedDate",
            Kind.TIMESTAMP,
            name=f"{named}closed_date",
            doc="When the period was closed, in UTC, as the journal was last read (accounting_periods has it as "
            "it is now); NULL while open",
        ),
    )


JOURNALS = Table(
    "journals",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the journal"),
        Column("journalNumber", doc="The journal's number"),
        Column("journalType", doc="Invoice, RevenueRecognition, Payment, Payout or Order"),
        Column("description", doc="The journal's description"),
        Column("posted", Kind.BOOL, doc="Whether the journal is posted"),
        Column("postedDate", Kind.TIMESTAMP, doc="When the journal was posted, in UTC"),
        Column("accountingPeriod.description", name="period_description", doc="The accounting period's name"),
        *_period(),
        Column("externalERPId", doc="The journal's id in the ERP it was transferred to"),
        Column("transferredToERP", Kind.TIMESTAMP, doc="When the journal was transferred to the ERP, in UTC"),
        *stamps("journal"),
        EXTRA_FIELDS,
    ),
    doc="One Younium journal (a posting run), from /Journals, with its accounting period",
    history="modified",
)

ACCOUNTING_TRANSACTIONS = Table(
    "accounting_transactions",
    "key",
    (
        Column(
            "key", nullable=False, wire=Wire.DERIVED, doc='Key derived by finsync: "<journal id>:<transactionNumber>"'
        ),
        Column("journalId", nullable=False, wire=Wire.DERIVED, doc="The journal the voucher is in; joins journals.id"),
        Column("transactionNumber", doc="The voucher's number within its journal"),
        Column("effectiveDate", Kind.DATE, doc="The voucher's effective (booking) date"),
        Column("source", doc="What the voucher books: Invoicing, RevenueRecognition, Payment, Payout or Order"),
        Column("invoiceId", doc="The invoice the voucher books, if any; joins invoices.id"),
        Column("invoiceNumber", doc="The number of that invoice"),
        Column("invoiceLineId", doc="The invoice line the voucher books, if any"),
        Column("invoiceAccountId", doc="The account (customer) of that invoice"),
        Column("paymentId", doc="The payment the voucher books, if any; joins payments.id"),
        Column("paymentSettlementId", doc="The payment settlement the voucher books, if any"),
        Column("orderChargeId", doc="The order charge the voucher books, if any"),
        Column("orderChargeNumber", doc="The number of that order charge"),
        Column("revenueScheduleItemId", doc="The revenue schedule item the voucher books, if any"),
        *external_ids("voucher"),
        *stamps("voucher"),
    ),
    replaced_per="journal_id",
    doc="One accounting transaction (voucher) of a Younium journal; a journal's are replaced with it",
)

ACCOUNTING_TRANSACTION_LINES = Table(
    "accounting_transaction_lines",
    "key",
    (
        Column(
            "key",
            nullable=False,
            wire=Wire.DERIVED,
            doc='Key derived by finsync: "<journal id>:<transactionNumber>:<position>"',
        ),
        Column("journalId", nullable=False, wire=Wire.DERIVED, doc="The journal the line is in; joins journals.id"),
        Column(
            "transactionKey",
            nullable=False,
            wire=Wire.DERIVED,
            doc="The voucher the line is in; joins accounting_transactions.key",
        ),
        Column(
            "position", Kind.INT, wire=Wire.DERIVED, doc="The line's position in its voucher, counted from 1 by finsync"
        ),
        Column("description", doc="The line's description"),
        Column("account", doc="The GL account code the line books to; joins chart_of_accounts.code"),
        Column("debitAmount", Kind.MONEY, wire=Wire.REQUIRED, doc="Debit, exact decimal in the base currency"),
        Column("creditAmount", Kind.MONEY, wire=Wire.REQUIRED, doc="Credit, exact decimal in the base currency"),
        Column("salesCurrencyDebitAmount", Kind.MONEY, doc="Debit in the document's currency (newer tenants)"),
        Column("salesCurrencyCreditAmount", Kind.MONEY, doc="Credit in the document's currency (newer tenants)"),
        Column("salesCurrency", doc="The document's currency code"),
        Column("exchangeRate", Kind.RATE, doc="The rate from the document's currency to the base currency"),
    ),
    replaced_per="journal_id",
    doc="One GL line of a Younium voucher: debit and credit in base currency; a journal's are replaced with it",
)

ACCOUNTING_PERIODS = Table(
    "accounting_periods",
    "key",
    (
        Column(
            "key",
            nullable=False,
            wire=Wire.DERIVED,
            doc='Key derived by finsync: "<fiscal year>-<fiscal period>", e.g. "2024-03"',
        ),
        Column("description", doc="The period's name"),
        *_period("", named=""),
    ),
    doc="One accounting period that journals use, as it is now: from every journal's header, read each run (Younium "
    "lists no periods)",
    history=LOAD_TIME,
    # A period first seen Closed has been so since it closed; one first seen Open, since it began.
    created=("closed_date", "start_date"),
)

CHART_OF_ACCOUNTS = Table(
    "chart_of_accounts",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the financial account"),
        Column("code", wire=Wire.REQUIRED, doc="The account code lines and invoices use"),
        Column("name", doc="The account's name"),
        Column("description", doc="The account's description"),
        *external_ids("financial account"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One financial account of Younium's chart of accounts, read whole every run (no modified upstream)",
)

CURRENCIES = Table(
    "currencies",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the currency"),
        Column("code", wire=Wire.REQUIRED, doc="The ISO 4217 code"),
        Column("description", doc="The currency's name"),
        Column(
            "isBase",
            Kind.BOOL,
            wire=Wire.DERIVED,
            name="is_base",
            doc="Derived by finsync: whether it is the base currency",
        ),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One currency of the Younium tenant, read whole every run, the base currency flagged",
)

EXCHANGE_RATES = Table(
    "exchange_rates",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the rate"),
        Column("fromCurrency", doc="The currency the rate converts from"),
        Column("toCurrency", doc="The currency the rate converts to (the base currency)"),
        Column("rate", Kind.RATE, wire=Wire.REQUIRED, doc="Units of the base currency per unit of fromCurrency"),
        Column("effectiveFromDate", Kind.DATE, wire=Wire.REQUIRED, doc="The first day the rate applies"),
        Column("effectiveToDate", Kind.DATE, doc="The last day the rate applies; NULL: open-ended"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One exchange rate into the base currency, read whole every run (no modified upstream)",
)


def voucher_rows(journals: pa.Table) -> pa.Table:
    """Each journal's vouchers, keyed `<journal id>:<transactionNumber>` (a voucher has no id upstream)."""
    return keyed_children(journals, "vouchers", "journalId", "transactionNumber")


def line_rows(journals: pa.Table) -> pa.Table:
    """Each voucher's lines (`transactions`), keyed `<voucher key>:<position>`."""
    vouchers = voucher_rows(journals)
    found = children(vouchers, "transactions", keyed=False)
    voucher = vouchers.column("key").combine_chunks().take(found.parent)
    journal = vouchers.column("journalId").combine_chunks().take(found.parent)
    position = pc.cast(found.position, pa.int64())
    key = joined(voucher, ":", position)
    return with_columns(found.rows, journalId=journal, transactionKey=voucher, position=position, key=key)


def period_rows(journals: pa.Table) -> pa.Table:
    """The accounting periods the journals' headers carry, once each (as the last header listing it has it),
    keyed `<fiscal year>-<fiscal period, two digits>`."""
    periods = unnested(journals.select(["accountingPeriod"]))
    periods = periods.rename_columns([name.removeprefix("accountingPeriod.") for name in periods.column_names])
    periods = periods.filter(pc.is_valid(periods.column("fiscalYear")))
    number = pc.cast(pc.cast(pc.fill_null(periods.column("fiscalPeriod"), 0), pa.int64()), pa.string())
    key = joined(periods.column("fiscalYear"), "-", pc.utf8_lpad(number, 2, "0"))
    last: dict[str, int] = {}
    for index, period in enumerate(key.to_pylist()):
        last[period] = index  # in the order periods first appear, each the last one listed
    return with_columns(periods, key=key).take(pa.array(list(last.values()), pa.int64()))
