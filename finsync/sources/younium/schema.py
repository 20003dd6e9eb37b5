"""Younium warehouse tables, declared once.

Field names follow the API 2.1 response schemas (InvoiceBatchResponse, InvoiceResponse, InvoiceLineResponse,
AccountResponse, PaymentResponse). Nested objects are read through dotted names (`account.id`) after
`flatten`; doubles there are money here. A few columns are derived by the resources and say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finsync.tables import Column, Kind, Sensitivity, Table

P = Sensitivity.PERSONAL


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (`account.id`), the names the columns below read; lists stay as they are."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _external_ids() -> tuple[Column, ...]:
    return (Column("externalERPId"), Column("externalCRMId"))


# Derived: set by finsync when a complete read of the whole list no longer has the row (never removed).
_DELETED_AT = Column("deletedAt", Kind.TIMESTAMP, name="deleted_at")


def _stamps() -> tuple[Column, ...]:
    return (Column("created", Kind.TIMESTAMP), Column("modified", Kind.TIMESTAMP))


INVOICE_BATCHES = Table(
    "invoice_batches",
    "id",
    (
        Column("id", nullable=False),
        Column("batchNumber"),
        Column("targetDate", Kind.TIMESTAMP),
        Column("invoiceDate", Kind.TIMESTAMP),
        # Derived: how many invoices the batch lists (what a complete `invoice_batches__invoices` holds).
        Column("invoiceCount", Kind.INT),
        *_stamps(),
    ),
)

# The `invoices` list of each batch. Derived `key` = "<invoice batch id>:<invoice id>".
INVOICE_BATCH_INVOICES = Table(
    "invoice_batches__invoices",
    "key",
    (
        Column("key", nullable=False),
        Column("invoiceBatchId", nullable=False),
        Column("id"),
        Column("invoiceNumber"),
        Column("status"),
        Column("invoiceDate", Kind.TIMESTAMP),
        Column("currency"),
        Column("subtotal", Kind.MONEY),
        Column("totalAmount", Kind.MONEY),
        *_external_ids(),
    ),
    merge_key="invoice_batch_id",
)

# The `batchGroups` list of each batch. Derived `key` = "<invoice batch id>:<batch group>".
INVOICE_BATCH_GROUPS = Table(
    "invoice_batches__batch_groups",
    "key",
    (
        Column("key", nullable=False),
        Column("invoiceBatchId", nullable=False),
        Column("batchGroup"),
    ),
    merge_key="invoice_batch_id",
)

# GET /InvoiceBatches/{id}/BatchLog. Entries have no id: derived `key` combines the batch, entity,
# reference, creation time and a digest of the message.
INVOICE_BATCH_LOG = Table(
    "invoice_batch_log",
    "key",
    (
        Column("key", nullable=False),
        Column("invoiceBatchId", nullable=False),
        Column("entityId"),
        Column("entityName"),
        Column("reference"),
        Column("errorMessage"),
        *_stamps(),
    ),
)

INVOICES = Table(
    "invoices",
    "id",
    (
        Column("id", nullable=False),
        Column("invoiceNumber"),
        Column("status"),
        Column("invoiceType"),
        Column("account.id", name="account_id"),
        Column("account.accountNumber", name="account_number"),
        Column("account.name", name="account_name"),
        Column("invoiceBatchId"),
        Column("invoiceDate", Kind.TIMESTAMP),
        Column("dueDate", Kind.TIMESTAMP),
        Column("paymentDate", Kind.TIMESTAMP),
        Column("lastPaymentDate", Kind.TIMESTAMP),
        Column("daysPastDue", Kind.INT),
        Column("nrOfReminders", Kind.INT),
        Column("paymentTerm.name", name="payment_term_name"),
        Column("paymentTerm.days", Kind.INT, name="payment_term_days"),
        Column("currency"),
        Column("exchangeRate", Kind.RATE),
        Column("subtotal", Kind.MONEY),
        Column("subtotalBaseAmount", Kind.MONEY),
        Column("tax", Kind.MONEY),
        Column("taxBaseAmount", Kind.MONEY),
        Column("totalAmount", Kind.MONEY),
        Column("totalBaseAmount", Kind.MONEY),
        Column("totalRoundingAmount", Kind.MONEY),
        Column("totalRoundingBaseAmount", Kind.MONEY),
        Column("settledAmount", Kind.MONEY),
        Column("settledBaseAmount", Kind.MONEY),
        Column("balancedAmount", Kind.MONEY),
        Column("balancedBaseAmount", Kind.MONEY),
        Column("taxIncluded", Kind.BOOL),
        Column("accountsReceivable.code", name="accounts_receivable_code"),
        Column("yourReference", sensitivity=P),
        Column("ourReference", sensitivity=P),
        Column("buyerReference", sensitivity=P),
        Column("yourOrderNumber"),
        Column("ocrNumber"),
        Column("sendMethod"),
        Column("invoiceDeliveryMethod"),
        Column("paymentMethodForInvoice"),
        Column("onlinePaymentStatus"),
        Column("notes"),
        Column("settledNotes"),
        *_external_ids(),
        *_stamps(),
    ),
)

INVOICE_LINES = Table(
    "invoice_lines",
    "id",
    (
        Column("id", nullable=False),
        Column("invoiceId", nullable=False),
        Column("invoiceLineNumber", Kind.INT),
        Column("productNumber"),
        Column("productName"),
        Column("chargeNumber"),
        Column("chargeDescription"),
        Column("charge.id", name="charge_id"),
        Column("quantity", Kind.RATE),
        Column("unitOfMeasure.unitCode", name="unit_of_measure"),
        Column("price", Kind.MONEY),
        Column("subtotal", Kind.MONEY),
        Column("subtotalBaseAmount", Kind.MONEY),
        Column("total", Kind.MONEY),
        Column("totalBaseAmount", Kind.MONEY),
        Column("tax", Kind.MONEY),
        Column("taxBaseAmount", Kind.MONEY),
        Column("taxRate", Kind.RATE),
        Column("taxCategoryName"),
        Column("exchangeRate", Kind.RATE),
        Column("servicePeriodStartDate", Kind.TIMESTAMP),
        Column("servicePeriodEndDate", Kind.TIMESTAMP),
        Column("accountId"),
        Column("orderId"),
        Column("orderChargeId"),
        Column("orderProductId"),
        Column("chargePlanId"),
        Column("recognizedRevenue.code", name="recognized_revenue_code"),
        Column("deferredRevenue.code", name="deferred_revenue_code"),
        Column("accountsReceivable.code", name="accounts_receivable_code"),
        Column("notes"),
        *_external_ids(),
        *_stamps(),
    ),
)

ACCOUNTS = Table(
    "accounts",
    "id",
    (
        Column("id", nullable=False),
        Column("accountNumber"),
        Column("name"),
        Column("accountType"),
        Column("inactive", Kind.BOOL),
        Column("parentAccountId"),
        Column("currencyCode"),
        Column("organizationNumber"),
        Column("taxRegistrationNumber"),
        Column("domain"),
        Column("accountsReceivable"),
        Column("defaultPaymentTerm"),
        Column("invoiceDeliveryMethod"),
        Column("invoiceBatchGroupId"),
        Column("invoiceEmailAddress", sensitivity=P),
        Column("reminderEmailAddress", sensitivity=P),
        Column("yourReference", sensitivity=P),
        Column("ourReference", sensitivity=P),
        *_external_ids(),
        *_stamps(),
    ),
)

# Payments carry no created/modified fields: the table is read whole on every run, and a payment no longer
# listed is marked `deleted_at`.
PAYMENTS = Table(
    "payments",
    "id",
    (
        Column("id", nullable=False),
        Column("paymentDate", Kind.TIMESTAMP),
        Column("postedDate", Kind.TIMESTAMP),
        Column("amount.amount", Kind.MONEY, name="amount"),
        Column("amount.currencyCode", name="currency"),
        Column("amount.baseCurrencyAmount", Kind.MONEY, name="base_amount"),
        Column("amount.baseCurrencyCode", name="base_currency"),
        Column("bankFeeAmount.amount", Kind.MONEY, name="bank_fee_amount"),
        Column("exchangeRate", Kind.RATE),
        Column("paymentAccount.code", name="payment_account_code"),
        Column("paymentMethodName"),
        Column("paymentMethodId"),
        Column("paymentBatchNumber"),
        Column("paymentBatchId"),
        Column("reference"),
        Column("description"),
        Column("payerName", sensitivity=P),
        Column("payerInformation", sensitivity=P),
        Column("externalBankId"),
        Column("onlinePaymentIntentId"),
        Column("onlinePaymentChargeId"),
        _DELETED_AT,
    ),
)

# The `paymentSettlements` of each payment: which invoice a payment settled, and by how much.
# Settlements have no id: derived `key` = "<payment id>:<position>".
PAYMENT_SETTLEMENTS = Table(
    "payment_settlements",
    "key",
    (
        Column("key", nullable=False),
        Column("paymentId", nullable=False),
        Column("position", Kind.INT),
        Column("invoice.id", name="invoice_id"),
        Column("invoice.invoiceNumber", name="invoice_number"),
        Column("amount.amount", Kind.MONEY, name="amount"),
        Column("amount.currencyCode", name="currency"),
        Column("amount.baseCurrencyAmount", Kind.MONEY, name="base_amount"),
        Column("amount.baseCurrencyCode", name="base_currency"),
        _DELETED_AT,
    ),
    merge_key="payment_id",
)
