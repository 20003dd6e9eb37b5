"""What the sandbox serves, table by table, as `Wanted` warehouse rows (see `columns`): a Younium legal entity's
records, each as its route writes it (YM's are `upstream_ym`'s).

Per table, the exceptions to "a field's column is the snake_case of its wire name": fields named otherwise
(`RENAMED`), fields served but not kept (`UNLOADED`, patterns), and the columns finsync derives, either
computed here by their documented rule (a parent's id, a position, a `key` of ids, a count) or, where no
rule can be predicted, not compared (`unread`).
"""

from __future__ import annotations

from typing import Any

from finsync_sandbox import YouniumTenant
from finsync_sandbox.younium import gl_records as gl
from finsync_sandbox.younium.account_metrics import account_record
from finsync_sandbox.younium.catalogue_records import product_record

from .columns import Naming, Wanted, served, snake
from .upstream_orders import VERSIONED, commercial_rows, instant

# -- Younium -----------------------------------------------------------------------------------------------------

# Fields whose column is not the snake_case of their wire name.
_AMOUNT = {
    "amount.amount": "amount",
    "amount.currencyCode": "currency",
    "amount.baseCurrencyAmount": "base_amount",
    "amount.baseCurrencyCode": "base_currency",
}
_PERIOD_NAMED = {"description", "startDate", "endDate", "status", "closedDate"}
_PERIOD = ("fiscalYear", "fiscalPeriod", "fiscalQuarter", "calendarYear", "calendarMonth", *_PERIOD_NAMED)
# An account's metrics (CurrencyAmounts): the amount and its base twin, the currency codes not kept (the account
# names its currency).
_METRICS = {"cmrr": "cmrr", "acv": "acv", "tcv": "tcv", "emrr": "emrr", "oneTimeFees": "one_time_fees"}
_ORDER_METRICS = {**_METRICS, "fmrr": "fmrr"}


def _amounts(metrics: tuple[str, ...], base: str = "baseCurrencyAmount") -> dict[str, str]:
    """Metrics (CurrencyAmounts, or a booking header's `{amount, amountInBaseCurrency}`) as their amount and
    its base twin `<metric>_base`."""
    return {
        **{f"{m}.amount": _ORDER_METRICS[m] for m in metrics},
        **{f"{m}.{base}": f"{_ORDER_METRICS[m]}_base" for m in metrics},
    }


_ORDER_AMOUNTS = ("cmrr", "acv", "tcv", "emrr", "oneTimeFees")
# The currency codes of a row's metrics: its first metric's (cmrr's) kept once, as `currency` and
# `base_currency`; an order's own `currency` names the first, so an order keeps the base code alone.
_CODES = {"cmrr.currencyCode": "currency", "cmrr.baseCurrencyCode": "base_currency"}
_ORDER = {
    "account.accountNumber": "account_number",
    **_amounts(_ORDER_AMOUNTS),
    "cmrr.baseCurrencyCode": "base_currency",
}
RENAMED: dict[str, dict[str, str]] = {
    "invoices": {"account.accountNumber": "account_number"},
    "accounts": {
        **{f"{metric}.amount": name for metric, name in _METRICS.items()},
        **{f"{metric}.baseCurrencyAmount": f"{name}_base" for metric, name in _METRICS.items()},
    },
    "invoice_lines": {"unitOfMeasure.unitCode": "unit_of_measure"},
    "payments": {**_AMOUNT, "bankFeeAmount.amount": "bank_fee_amount"},
    "payment_settlements": {
        **_AMOUNT,
        "invoice.invoiceNumber": "invoice_number",
        "invoice.account.id": "account_id",
        "invoice.account.name": "account_name",
    },
    # A journal's accounting period, flattened: its name and dates prefixed `period_`, its numbers not.
    "journals": {f"accountingPeriod.{f}": ("period_" if f in _PERIOD_NAMED else "") + snake(f) for f in _PERIOD},
    "subscriptions": _ORDER,
    "subscription_versions": _ORDER,
    "sales_orders": {"account.accountNumber": "account_number"},
    "sales_order_versions": {"account.accountNumber": "account_number"},
    "order_products": {**_amounts(_ORDER_AMOUNTS), **_CODES},
    "order_charges": {
        **_amounts(_ORDER_AMOUNTS),
        **_CODES,
        "cmrr.currencyConversionDate": "currency_conversion_date",
    },
    "bookings": {
        **_amounts((*_ORDER_AMOUNTS, "fmrr"), "amountInBaseCurrency"),
        "classification.classificationType": "classification_type",
        "order.orderNumber": "order_number",
    },
    "booking_lines": {**_amounts((*_ORDER_AMOUNTS, "fmrr")), **_CODES, "charge.chargeNumber": "charge_number"},
    "revenue_schedule_items": {
        "orderProductCharge.id": "order_charge_id",
        "orderProductCharge.name": "charge_name",
        **{f"{m}.amount": snake(m) for m in ("deferredRevenue", "recognizedRevenue")},
        **{f"{m}.baseCurrencyAmount": f"{snake(m)}_base" for m in ("deferredRevenue", "recognizedRevenue")},
        "deferredRevenue.currencyCode": "currency",
        "deferredRevenue.baseCurrencyCode": "base_currency",
        **{f"accountingPeriod.{f}": snake(f) for f in ("fiscalYear", "fiscalPeriod")},
        **{f"accountingPeriod.{f}": f"period_{snake(f)}" for f in ("startDate", "endDate", "status")},
        "invoiceLine.id": "invoice_line_id",
        "invoiceLine.invoiceId": "invoice_id",
        "invoiceLine.invoiceDate": "invoice_date",
        "invoiceLine.subtotal": "invoice_line_subtotal",
        "invoiceLine.servicePeriodStartDate": "service_start_date",
        "invoiceLine.servicePeriodEndDate": "service_end_date",
        "invoiceLine.deferredRevenueAccount": "deferred_revenue_account",
        "invoiceLine.recognizedRevenueAccount": "recognized_revenue_account",
    },
}


def _named(*objects: str) -> tuple[str, ...]:
    """The name and description of these embedded objects (GL accounts, units): only their codes are kept."""
    return tuple(f"{o}.{part}" for o in objects for part in ("name", "description", "displayName"))


# Fields served but not kept (no column of their table holds them).
UNLOADED: dict[str, tuple[str, ...]] = {
    "invoices": (
        "account.externalERPId",
        "invoiceAddress.*",
        "deliveryAddress.*",
        "paymentTerm.id",
        "disableAutomaticInvoiceReminder",
        *_named("accountsReceivable"),
    ),
    "invoice_lines": (
        "*PreDiscount*",
        "charge.name",
        "charge.chargeNumber",
        *_named("unitOfMeasure", "recognizedRevenue", "deferredRevenue", "accountsReceivable"),
    ),
    "accounts": (
        "defaultInvoiceAddress.*",
        "defaultDeliveryAddress.*",
        *(f"{metric}.{code}" for metric in _METRICS for code in ("currencyCode", "baseCurrencyCode")),
    ),
    "payments": ("bankFeeAmount.currencyCode", *_named("paymentAccount"), "BankFeeAccount.*"),
    # The settled invoice as the settlement embeds it: only its id, number and account (id and name) are kept.
    "payment_settlements": (
        "invoice.account.accountNumber",
        "invoice.account.externalERPId",
        *(f"invoice.{f}" for f in ("status", "invoiceDate", "dueDate", "currency", "subtotal", "tax")),
        *(f"invoice.{f}" for f in ("totalAmount", "settledAmount")),
    ),
}
# The codes of the metrics after an order's first (the first's are kept: the same currency on all of them).
_OTHER_CODES = tuple(
    f"{m}.{code}" for m in (*_ORDER_AMOUNTS, "fmrr")[1:] for code in ("currencyCode", "baseCurrencyCode")
)
# How an order is invoiced and paid (its batch group, payment term and method, separate invoicing, billing
# period set by hand): the invoices it makes carry the terms they were made with. The invoice account's number
# and name: the accounts table's, by invoice_account_id.
_ORDER_TERMS = (
    "orderPaymentMethod",
    "invoiceSeparatly",
    "paymentTerm",
    "useAccountInvoiceBatchGroup",
    "setOrderBillingPeriod",
    "invoiceBatchGroup.*",
    "invoiceAccount.name",
    "invoiceAccount.accountNumber",
)
_SUBSCRIPTION_UNLOADED = (*_ORDER_TERMS, "cmrr.currencyCode", *_OTHER_CODES)
# How a charge is invoiced and posted beyond its period and timing (its billing day and alignment, tiers per
# line, tax template, GL accounts, unit, displayed price and estimates): the invoice lines it makes carry
# what was invoiced.
_CHARGE_UNLOADED = (
    "startOn",
    "endOn",
    "unitCode",
    "estimatedUsage",
    "estimatedQuantity",
    "displayPrice",
    "billingDay",
    "specificBillingDay",
    "periodAlignment",
    "createInvoiceLinesPerTier",
    "deferredRevenueAccount",
    "recognizedRevenueAccount",
    "taxTemplate",
    "taxIncluded",
    *_OTHER_CODES,
    *(f"{m}.currencyConversionDate" for m in _ORDER_AMOUNTS[1:]),
)
UNLOADED.update(
    {
        "subscriptions": _SUBSCRIPTION_UNLOADED,
        "subscription_versions": _SUBSCRIPTION_UNLOADED,
        "sales_orders": _ORDER_TERMS,
        "sales_order_versions": _ORDER_TERMS,
        "order_products": _OTHER_CODES,
        "order_charges": _CHARGE_UNLOADED,
        # The classification's presentation (its description and chart colour, whether Younium made it): its
        # type and name are kept.
        "bookings": (
            "classification.description",
            "classification.chartColor",
            "classification.isSystemClassification",
        ),
        # A line's metrics were converted at the booking's effective date (bookings keep it): their
        # conversion dates are not kept.
        "booking_lines": (
            *_OTHER_CODES,
            *(f"{m}.currencyConversionDate" for m in (*_ORDER_AMOUNTS, "fmrr")),
        ),
        # The charge's number is the one the item was read for (the derived chargeNumber); the period's name,
        # quarter, calendar month and closing date are accounting_periods'; the invoice line's other fields
        # (its invoice's number, quantity, price, total, tax, accounts receivable) are invoice_lines'.
        "revenue_schedule_items": (
            "orderProductCharge.chargeNumber",
            "recognizedRevenue.currencyCode",
            "recognizedRevenue.baseCurrencyCode",
            *(f"accountingPeriod.{f}" for f in ("description", "fiscalQuarter", "calendarYear", "calendarMonth")),
            "accountingPeriod.closedDate",
            "invoiceLine.*",
        ),
    }
)
# Personal columns: gone under pii = "drop".
YOUNIUM_PERSONAL = {
    "invoices": frozenset({"your_reference", "our_reference", "buyer_reference"}),
    "accounts": frozenset({"invoice_email_address", "reminder_email_address", "your_reference", "our_reference"}),
    "payments": frozenset({"payer_name", "payer_information"}),
}
# Tables whose rows deleted upstream stay, marked `deleted_at`.
_MARKED = {"invoices", "invoice_lines", "accounts", "payments", "payment_settlements", "invoice_batches"}
_MARKED |= {"chart_of_accounts", "currencies", "exchange_rates", "products"}
_MARKED |= {"charge_plans", "catalogue_charges", "catalogue_price_details"}
_MARKED |= {"subscriptions", "sales_orders", "bookings"}
# Closing a period modifies none of its journals: a journal read while its period was open keeps it so (the
# accounting_periods table has the period as it is now).
_PERIOD_AS_READ = {"period_status": "Open", "period_closed_date": None}
# Derived by finsync from a digest of the entry's message: not predicted.
_LOG_KEY = frozenset({"key"})


def younium_tables(tenant: YouniumTenant) -> list[Wanted]:
    """The Younium tables of legal entity `tenant`: every record its lists serve (deleted ones are not)."""
    tenant.settle()
    dataset, records = tenant.dataset, tenant.records
    with dataset.lock:
        invoices = [served(records.invoice(n)) for n in dataset.invoices.live()]
        accounts = [served(account_record(dataset, records, a.number)) for a in dataset.accounts.live()]
        batches = [served(records.batch(b)) for b in dataset.batches.all()]
        payments = [served(records.payment(p)) for p in dataset.payments.all()]
        journals = [served(gl.journal(dataset, j)) for j in dataset.gl.journals()]
        catalogue = dataset.catalogue
        products = [served(product_record(catalogue, dataset.legal_entity_id, p)) for p in catalogue.live()]
        commercial = commercial_rows(tenant)
        ledger = {
            "chart_of_accounts": [served(r) for r in gl.chart_of_accounts(dataset.seeded)],
            "currencies": [served(r) for r in gl.currencies(dataset.seeded)],
            "exchange_rates": [served(r) for r in gl.exchange_rates(dataset.seeded)],
        }
    base = ledger["currencies"][0]["code"]  # what /Currency/BaseCurrency answers
    rows: dict[str, list[dict[str, Any]]] = {
        "invoices": invoices,
        "invoice_lines": [
            line | {"invoiceId": invoice["id"]} for invoice in invoices for line in invoice.get("invoiceLines", [])
        ],
        "accounts": accounts,
        "products": products,
        "invoice_batches": [batch | {"invoiceCount": len(batch.get("invoices", []))} for batch in batches],
        "invoice_batches__invoices": [
            invoice | {"invoiceBatchId": batch["id"], "key": f"{batch['id']}:{invoice['id']}"}
            for batch in batches
            for invoice in batch.get("invoices", [])
        ],
        "invoice_batches__batch_groups": [
            {"invoiceBatchId": batch["id"], "batchGroup": group, "key": f"{batch['id']}:{group}"}
            for batch in batches
            for group in dict.fromkeys(batch.get("batchGroups", []))
        ],
        # A record can be logged twice in one batch, the same message a second apart: the entry's time is part of
        # its key, as the instant the warehouse holds.
        "invoice_batch_log": [
            entry | {"invoiceBatchId": batch["id"], "created": instant(entry["created"])}
            for batch in batches
            for entry in batch.get("batchLog", [])
        ],
        "payments": payments,
        "payment_settlements": [
            settlement | {"paymentId": payment["id"], "position": i, "key": f"{payment['id']}:{i}"}
            for payment in payments
            for i, settlement in enumerate(payment.get("paymentSettlements", []), start=1)
        ],
        "journals": journals,
        "accounting_transactions": [
            voucher | {"journalId": journal["id"], "key": f"{journal['id']}:{voucher['transactionNumber']}"}
            for journal in journals
            for voucher in journal.get("vouchers", [])
        ],
        "accounting_transaction_lines": [
            line
            | {
                "journalId": journal["id"],
                "transactionKey": (voucher_key := f"{journal['id']}:{voucher['transactionNumber']}"),
                "position": i,
                "key": f"{voucher_key}:{i}",
            }
            for journal in journals
            for voucher in journal.get("vouchers", [])
            for i, line in enumerate(voucher.get("transactions", []), start=1)
        ],
        # The periods journals carry, as they are now; "<fiscal year>-<fiscal period>" is their key.
        "accounting_periods": list(
            {
                key: period | {"key": key}
                for journal in journals
                if (period := journal["accountingPeriod"])
                and (key := f"{period['fiscalYear']}-{period['fiscalPeriod']:02d}")
            }.values()
        ),
        **ledger,
        **tenant.expected_catalogue(),
        "currencies": [currency | {"isBase": currency["code"] == base} for currency in ledger["currencies"]],
        # How bookings carry amounts is a setting, not served: the tests read with its default.
        "tenant": [{"key": tenant.name, "legalEntity": tenant.name, "baseCurrency": base, "bookingAmounts": "delta"}],
        **commercial.rows,
    }
    keys = {
        "invoice_batches__invoices": ("invoice_batch_id", "id"),
        "invoice_batches__batch_groups": ("invoice_batch_id", "batch_group"),
        "invoice_batch_log": ("invoice_batch_id", "entity_id", "reference", "error_message", "created"),
        "payment_settlements": ("payment_id", "position"),
        "accounting_transactions": ("journal_id", "transaction_number"),
        "accounting_transaction_lines": ("transaction_key", "position"),
        "accounting_periods": ("fiscal_year", "fiscal_period"),
        "catalogue_price_details": ("charge_id", "currency", "tier"),
        "tenant": ("key",),
        **dict.fromkeys(("subscriptions", "sales_orders"), ("order_number",)),
        **dict.fromkeys(VERSIONED, ("key",)),
        "booking_lines": ("booking_id", "position"),
    }
    wanted = []
    for table, records_of_table in rows.items():
        naming = Naming(RENAMED.get(table), UNLOADED.get(table, ()))
        wanted.append(
            Wanted(
                f"younium.{table}",
                keys.get(table, ("id",)),
                [naming.row(record) for record in records_of_table],
                live=table in _MARKED,
                unread=_LOG_KEY if table == "invoice_batch_log" else frozenset(),
                personal=YOUNIUM_PERSONAL.get(table, frozenset()),
                aging=frozenset({"days_past_due"}) if table == "invoices" else frozenset(),
                as_read=_PERIOD_AS_READ if table == "journals" else {},
                fields=naming.fields(),
                gone=commercial.gone.get(table, {}),
                earlier=commercial.earlier.get(table, {}),
            )
        )
    return wanted
