"""Younium warehouse tables, declared once.

Field names follow the API 2.1 response schemas (InvoiceBatchResponse, InvoiceResponse, InvoiceLineResponse,
AccountResponse, PaymentResponse). Fields of nested objects are read through dotted names (`account.id`);
doubles there are money here. A few columns are derived by the resources and say so.
"""

from __future__ import annotations

import pyarrow as pa

from finsync.tables import EXTRA_FIELDS, LOAD_TIME, Column, Kind, Table, Wire, list_of, records_of

from .columns import BASE_CURRENCY, CALENDAR_DATE, DELETED_AT, DOC_CURRENCY, IN_UTC, P, external_ids, stamps
from .orders import account_metrics

_DELIVERY = "Email, Print, ElectronicInvoice, ExternalPrint or AutomaticElectronicRouting"

INVOICE_BATCHES = Table(
    "invoice_batches",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the invoice batch; the table's key"),
        Column("batchNumber", doc="Number of the invoice batch, as Younium shows it"),
        Column(
            "targetDate",
            Kind.DATE,
            doc=f"Date the batch invoiced up to (every earlier un-invoiced period included), {CALENDAR_DATE}",
        ),
        Column("invoiceDate", Kind.DATE, doc=f"Invoice date printed on the batch's invoices, {CALENDAR_DATE}"),
        # Derived: how many invoices the batch lists (what a complete `invoice_batches__invoices` holds).
        Column(
            "invoiceCount",
            Kind.INT,
            wire=Wire.DERIVED,
            doc="Invoices the batch lists, counted by finsync (the rows a complete invoice_batches__invoices holds)",
        ),
        *stamps("invoice batch"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One Younium invoice batch (a run that generates invoices up to a target date), from /InvoiceBatches",
    history="modified",
)

# The `invoices` list of each batch. Derived `key` = "<invoice batch id>:<invoice id>".
INVOICE_BATCH_INVOICES = Table(
    "invoice_batches__invoices",
    "key",
    (
        Column(
            "key", nullable=False, wire=Wire.DERIVED, doc='Key derived by finsync: "<invoice batch id>:<invoice id>"'
        ),
        Column(
            "invoiceBatchId",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Id of the invoice batch listing the invoice, set by finsync",
        ),
        Column("id", doc="Younium's id of the invoice; joins invoices.id"),
        Column("invoiceNumber", doc="Invoice number"),
        Column("status", doc="Status of the invoice when the batch was read: Draft, Posted, Cancelled or Settled"),
        Column("invoiceDate", Kind.DATE, doc=f"Invoice date, {CALENDAR_DATE}"),
        Column("currency", doc="Currency code of the invoice"),
        Column("subtotal", Kind.MONEY, doc=f"Invoice amount before tax; {DOC_CURRENCY}"),
        Column("totalAmount", Kind.MONEY, doc=f"Invoice total including tax; {DOC_CURRENCY}"),
        *external_ids("invoice"),
    ),
    replaced_per="invoice_batch_id",
    doc="One invoice listed by a Younium invoice batch; a batch's rows are replaced whenever the batch is read again",
)

# The `batchGroups` list of each batch. Derived `key` = "<invoice batch id>:<batch group>".
INVOICE_BATCH_GROUPS = Table(
    "invoice_batches__batch_groups",
    "key",
    (
        Column(
            "key", nullable=False, wire=Wire.DERIVED, doc='Key derived by finsync: "<invoice batch id>:<batch group>"'
        ),
        Column("invoiceBatchId", nullable=False, wire=Wire.DERIVED, doc="Id of the invoice batch, set by finsync"),
        Column("batchGroup", doc="Invoice batch group the batch covers, as Younium lists it in batchGroups"),
    ),
    replaced_per="invoice_batch_id",
    doc="One batch group of a Younium invoice batch; a batch's rows are replaced whenever the batch is read again",
)

# GET /InvoiceBatches/{id}/BatchLog. Entries have no id: derived `key` combines the batch, entity,
# reference, creation time and a digest of the message.
INVOICE_BATCH_LOG = Table(
    "invoice_batch_log",
    "key",
    (
        Column(
            "key",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Key derived by finsync from batch id, entity id, reference, creation time and a message digest, "
            "joined by |",
        ),
        Column(
            "invoiceBatchId",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Id of the invoice batch the entry was logged for, set by finsync",
        ),
        Column("entityId", doc="Id of the record the entry is about"),
        Column("entityName", doc="Name of the record the entry is about, as Younium gives it"),
        Column("reference", doc="Reference of the record the entry is about, as Younium gives it"),
        Column("errorMessage", doc="Error message Younium logged for the record"),
        *stamps("log entry"),
    ),
    doc="One entry of a Younium invoice batch's log (/InvoiceBatches/{id}/BatchLog), such as an error for one record",
)

INVOICES = Table(
    "invoices",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the invoice; the table's key"),
        Column("invoiceNumber", doc="Invoice number"),
        Column("status", doc="Status of the invoice: Draft, Posted, Cancelled or Settled"),
        Column(
            "invoiceType",
            doc="Type of the invoice: Invoice, Credit or OnAccount (Younium also counts any negative total as a "
            "credit)",
        ),
        Column("account.id", name="account_id", doc="Id of the invoiced account (account.id); joins accounts.id"),
        Column(
            "account.accountNumber", name="account_number", doc="Number of the invoiced account (account.accountNumber)"
        ),
        Column("account.name", name="account_name", doc="Name of the invoiced account (account.name)"),
        Column(
            "invoiceBatchId",
            doc="Id of the invoice batch the invoice was generated in, if any; joins invoice_batches.id",
        ),
        Column(
            "invoiceDate", Kind.DATE, wire=Wire.REQUIRED, doc=f"Invoice date printed on the invoice, {CALENDAR_DATE}"
        ),
        Column("dueDate", Kind.DATE, doc=f"Date payment of the invoice is due, {CALENDAR_DATE}"),
        Column("paymentDate", Kind.DATE, doc=f"Date the invoice was paid, {CALENDAR_DATE}"),
        Column("lastPaymentDate", Kind.DATE, doc=f"Date of the latest payment on the invoice, {CALENDAR_DATE}"),
        Column(
            "daysPastDue",
            Kind.INT,
            calendar=True,
            doc="Days past the due date, Younium's own count when finsync last read the invoice (it does not age in "
            "the warehouse, and a change of it alone is no new version; analytics.invoices.days_past_due is "
            "finsync's count as of the last load)",
        ),
        Column("nrOfReminders", Kind.INT, doc="Number of payment reminders sent for the invoice"),
        Column(
            "paymentTerm.name", name="payment_term_name", doc="Name of the invoice's payment term (paymentTerm.name)"
        ),
        Column(
            "paymentTerm.days",
            Kind.INT,
            name="payment_term_days",
            doc="Days to pay under the invoice's payment term (paymentTerm.days)",
        ),
        Column("currency", wire=Wire.REQUIRED, doc="Currency code of the invoice, the currency of its amounts"),
        Column(
            "exchangeRate",
            Kind.RATE,
            doc="Rate from the invoice's currency to the base currency (base amounts are about amount times rate)",
        ),
        Column("subtotal", Kind.MONEY, doc=f"Invoice amount before tax; {DOC_CURRENCY}"),
        Column("subtotalBaseAmount", Kind.MONEY, doc=f"Invoice amount before tax; {BASE_CURRENCY}"),
        Column("tax", Kind.MONEY, doc=f"Tax on the invoice; {DOC_CURRENCY}"),
        Column("taxBaseAmount", Kind.MONEY, doc=f"Tax on the invoice; {BASE_CURRENCY}"),
        Column("totalAmount", Kind.MONEY, wire=Wire.REQUIRED, doc=f"Invoice total including tax; {DOC_CURRENCY}"),
        Column("totalBaseAmount", Kind.MONEY, doc=f"Invoice total including tax; {BASE_CURRENCY}"),
        Column("totalRoundingAmount", Kind.MONEY, doc=f"Rounding adjustment of the invoice total; {DOC_CURRENCY}"),
        Column("totalRoundingBaseAmount", Kind.MONEY, doc=f"Rounding adjustment of the invoice total; {BASE_CURRENCY}"),
        Column("settledAmount", Kind.MONEY, doc=f"Amount paid or settled on the invoice so far; {DOC_CURRENCY}"),
        Column("settledBaseAmount", Kind.MONEY, doc=f"Amount paid or settled on the invoice so far; {BASE_CURRENCY}"),
        Column("balancedAmount", Kind.MONEY, doc=f"Amount still open (unpaid) on the invoice; {DOC_CURRENCY}"),
        Column("balancedBaseAmount", Kind.MONEY, doc=f"Amount still open (unpaid) on the invoice; {BASE_CURRENCY}"),
        Column("taxIncluded", Kind.BOOL, doc="Whether the invoice's prices include tax"),
        Column(
            "accountsReceivable.code",
            name="accounts_receivable_code",
            doc="Accounts-receivable GL account code of the invoice (accountsReceivable.code)",
        ),
        Column(
            "yourReference", sensitivity=P, doc="Your reference: the customer's contact person named on the invoice"
        ),
        Column("ourReference", sensitivity=P, doc="Our reference: the seller's contact person named on the invoice"),
        Column(
            "buyerReference", sensitivity=P, doc="Buyer's reference on the invoice, as used in electronic invoicing"
        ),
        Column("yourOrderNumber", doc="Customer's purchase order number for the invoice"),
        Column("ocrNumber", doc="OCR number: the payment reference customers quote when paying the invoice"),
        Column("sendMethod", doc="How the invoice was sent, as Younium records it (values not documented upstream)"),
        Column("invoiceDeliveryMethod", doc=f"How the invoice is delivered: {_DELIVERY}"),
        Column("paymentMethodForInvoice", doc="How the invoice is to be paid: Invoice, Stripe or GoCardless"),
        Column(
            "onlinePaymentStatus", doc="Status of the invoice's online payment: None, Succeeded, Processing or Failed"
        ),
        Column("notes", doc="Notes on the invoice"),
        Column("settledNotes", doc="Notes recorded when the invoice was settled"),
        *external_ids("invoice"),
        *stamps("invoice"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One Younium invoice or credit note, from /Invoices, with its account and payment term flattened",
    history="modified",
)

INVOICE_LINES = Table(
    "invoice_lines",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the invoice line; the table's key"),
        Column(
            "invoiceId",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Id of the invoice the line is on, set by finsync; joins invoices.id",
        ),
        Column("invoiceLineNumber", Kind.INT, doc="Number (position) of the line on its invoice"),
        Column("productNumber", doc="Number of the product the line bills"),
        Column("productName", doc="Name of the product the line bills"),
        Column("chargeNumber", doc="Number of the charge the line bills"),
        Column("chargeDescription", doc="Description of the charge, as on the line"),
        Column("charge.id", name="charge_id", doc="Id of the charge the line bills (charge.id)"),
        Column("quantity", Kind.RATE, doc="Quantity billed on the line, exact decimal"),
        Column(
            "unitOfMeasure.unitCode",
            name="unit_of_measure",
            doc="Unit code of the line's quantity (unitOfMeasure.unitCode)",
        ),
        Column("price", Kind.MONEY, doc=f"Unit price on the line; {DOC_CURRENCY}"),
        Column("subtotal", Kind.MONEY, doc=f"Line amount before tax; {DOC_CURRENCY}"),
        Column("subtotalBaseAmount", Kind.MONEY, doc=f"Line amount before tax; {BASE_CURRENCY}"),
        Column("total", Kind.MONEY, wire=Wire.REQUIRED, doc=f"Line amount including tax; {DOC_CURRENCY}"),
        Column("totalBaseAmount", Kind.MONEY, doc=f"Line amount including tax; {BASE_CURRENCY}"),
        Column("tax", Kind.MONEY, doc=f"Tax on the line; {DOC_CURRENCY}"),
        Column("taxBaseAmount", Kind.MONEY, doc=f"Tax on the line; {BASE_CURRENCY}"),
        Column("taxRate", Kind.RATE, doc="Tax rate of the line, as Younium reports it"),
        Column("taxCategoryName", doc="Name of the tax category of the line"),
        Column("exchangeRate", Kind.RATE, doc="Rate from the invoice's currency to the base currency, for this line"),
        Column(
            "servicePeriodStartDate", Kind.DATE, doc=f"First day of the service period the line bills, {CALENDAR_DATE}"
        ),
        Column(
            "servicePeriodEndDate",
            Kind.DATE,
            doc=f"Last day (inclusive) of the service period the line bills, {CALENDAR_DATE}",
        ),
        Column("accountId", doc="Id of the account the line is invoiced to; joins accounts.id"),
        Column("orderId", doc="Id of the order (subscription) the line comes from"),
        Column("orderChargeId", doc="Id of the order charge the line comes from"),
        Column("orderProductId", doc="Id of the order product the line comes from"),
        Column("chargePlanId", doc="Id of the charge plan of the line's charge"),
        Column(
            "recognizedRevenue.code",
            name="recognized_revenue_code",
            doc="GL account code the line's revenue is recognized in (recognizedRevenue.code)",
        ),
        Column(
            "deferredRevenue.code",
            name="deferred_revenue_code",
            doc="GL account code the line's revenue is deferred in until recognized (deferredRevenue.code)",
        ),
        Column(
            "accountsReceivable.code",
            name="accounts_receivable_code",
            doc="Accounts-receivable GL account code of the line (accountsReceivable.code)",
        ),
        Column("notes", doc="Notes on the invoice line"),
        *external_ids("invoice line"),
        *stamps("invoice line"),
        DELETED_AT,
    ),
    doc="One line of a Younium invoice, from the invoice's invoiceLines; merged by its id and never deleted",
    history="modified",
)


ACCOUNTS = Table(
    "accounts",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the account; the table's key"),
        Column("accountNumber", doc="Account number"),
        Column("name", doc="Name of the account (the customer's or company's name)"),
        Column("accountType", doc="Type of the account: Customer, Reseller, Subsidiary, Prospect or Other"),
        Column("inactive", Kind.BOOL, doc="Whether the account is marked inactive"),
        Column("parentAccountId", doc="Id of the parent account, if any; joins accounts.id"),
        Column("currencyCode", doc="Currency code the account is invoiced in"),
        Column("organizationNumber", doc="Company registration (organization) number of the account"),
        Column("taxRegistrationNumber", doc="Tax (VAT) registration number of the account"),
        Column("domain", doc="Web domain of the account"),
        Column("accountsReceivable", doc="Accounts-receivable GL account code of the account"),
        Column("defaultPaymentTerm", doc="Default payment term of the account's invoices, as Younium gives it"),
        Column("invoiceDeliveryMethod", doc=f"How the account's invoices are delivered: {_DELIVERY}"),
        Column("invoiceBatchGroupId", doc="Id of the invoice batch group the account's invoices are batched in"),
        Column("invoiceEmailAddress", sensitivity=P, doc="Email address the account's invoices are sent to"),
        Column("reminderEmailAddress", sensitivity=P, doc="Email address the account's payment reminders are sent to"),
        Column("yourReference", sensitivity=P, doc="Your reference: the customer's contact person for the account"),
        Column("ourReference", sensitivity=P, doc="Our reference: the seller's contact person for the account"),
        *account_metrics(),
        *external_ids("account"),
        *stamps("account"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One Younium account (a customer, reseller, subsidiary, prospect or other party), from /Accounts",
    history="modified",
)

# Payments carry no created/modified fields: the table is read whole on every run, and a payment no longer
# listed is marked `deleted_at`.
PAYMENTS = Table(
    "payments",
    "id",
    (
        Column("id", nullable=False, doc="Younium's id of the payment; the table's key"),
        Column("paymentDate", Kind.DATE, wire=Wire.REQUIRED, doc=f"Date the payment was made, {CALENDAR_DATE}"),
        Column("postedDate", Kind.TIMESTAMP, doc=f"When the payment was posted in Younium, {IN_UTC}"),
        Column(
            "amount.amount",
            Kind.MONEY,
            name="amount",
            wire=Wire.REQUIRED,
            doc="Amount paid (amount.amount); exact decimal in the payment's currency",
        ),
        Column("amount.currencyCode", name="currency", doc="Currency code of the payment (amount.currencyCode)"),
        Column(
            "amount.baseCurrencyAmount",
            Kind.MONEY,
            name="base_amount",
            doc="Amount paid in the base currency (amount.baseCurrencyAmount); exact decimal",
        ),
        Column("amount.baseCurrencyCode", name="base_currency", doc="Base currency code (amount.baseCurrencyCode)"),
        Column(
            "bankFeeAmount.amount",
            Kind.MONEY,
            name="bank_fee_amount",
            doc="Bank fee charged on the payment (bankFeeAmount.amount); exact decimal",
        ),
        Column("exchangeRate", Kind.RATE, doc="Rate from the payment's currency to the base currency"),
        Column(
            "paymentAccount.code",
            name="payment_account_code",
            doc="GL account code the payment is booked to (paymentAccount.code)",
        ),
        Column("paymentMethodName", doc="Name of the payment method"),
        Column("paymentMethodId", doc="Id of the payment method"),
        Column("paymentBatchNumber", doc="Number of the payment batch the payment belongs to"),
        Column("paymentBatchId", doc="Id of the payment batch the payment belongs to"),
        Column("reference", doc="Reference given with the payment"),
        Column("description", doc="Description of the payment"),
        Column("payerName", sensitivity=P, doc="Name of the payer"),
        Column("payerInformation", sensitivity=P, doc="Further details about the payer, as given with the payment"),
        Column("externalBankId", doc="External bank id of the payment (meaning not documented upstream)"),
        Column("onlinePaymentIntentId", doc="Id of the online payment intent behind the payment"),
        Column("onlinePaymentChargeId", doc="Id of the online payment charge behind the payment"),
        DELETED_AT,
        EXTRA_FIELDS,
    ),
    doc="One payment received in Younium, from /Payments, read whole every run; a payment no longer listed gets "
    "deleted_at",
    history=LOAD_TIME,
    created=("posted_date",),
)

# The `paymentSettlements` of each payment: which invoice a payment settled, and by how much.
# Settlements have no id: derived `key` = "<payment id>:<position>".
PAYMENT_SETTLEMENTS = Table(
    "payment_settlements",
    "key",
    (
        Column("key", nullable=False, wire=Wire.DERIVED, doc='Key derived by finsync: "<payment id>:<position>"'),
        Column(
            "paymentId", nullable=False, wire=Wire.DERIVED, doc="Id of the payment, set by finsync; joins payments.id"
        ),
        Column(
            "position",
            Kind.INT,
            wire=Wire.DERIVED,
            doc="Position of the settlement in the payment's list, counted from 1 by finsync",
        ),
        Column("invoice.id", name="invoice_id", doc="Id of the settled invoice (invoice.id); joins invoices.id"),
        Column(
            "invoice.invoiceNumber", name="invoice_number", doc="Number of the settled invoice (invoice.invoiceNumber)"
        ),
        Column(
            "invoice.account.id",
            name="account_id",
            doc="Id of the account (customer) of the settled invoice (invoice.account.id); joins accounts.id",
        ),
        Column("invoice.account.name", name="account_name", doc="Name of that account (invoice.account.name)"),
        Column(
            "amount.amount",
            Kind.MONEY,
            name="amount",
            doc="Amount of the payment applied to the invoice (amount.amount); exact decimal in the settlement's "
            "currency",
        ),
        Column("amount.currencyCode", name="currency", doc="Currency code of the settled amount (amount.currencyCode)"),
        Column(
            "amount.baseCurrencyAmount",
            Kind.MONEY,
            name="base_amount",
            doc="Amount applied to the invoice in the base currency (amount.baseCurrencyAmount); exact decimal",
        ),
        Column("amount.baseCurrencyCode", name="base_currency", doc="Base currency code (amount.baseCurrencyCode)"),
        DELETED_AT,
    ),
    replaced_per="payment_id",
    doc="One settlement of a Younium payment: the invoice it settled and by how much; replaced with its payment",
)

# GET /Currency/BaseCurrency, read on every run (one request): the currency of every …BaseAmount.
TENANT = Table(
    "tenant",
    "key",
    (
        Column(
            "key",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Derived by finsync: the legal entity, or '-' for the default one",
        ),
        Column(
            "legalEntity", doc="The legal entity this dataset holds (sources.younium.legal_entity); NULL: the default"
        ),
        Column("baseCurrency", doc="The base currency code (GET /Currency/BaseCurrency): what every base amount is in"),
        Column(
            "bookingAmounts",
            wire=Wire.DERIVED,
            doc="delta or total (sources.younium.booking_amounts): whether a Change or Churn booking carries the "
            "change of its order's CMRR, ACV and TCV or the order's figures after it",
        ),
    ),
    doc="The Younium tenant (legal entity) this dataset holds, with its base currency (one row)",
)


def invoice_records() -> pa.Schema:
    """An /Invoices page's records as Arrow reads them (`columnar`): an invoice's fields, its nested objects
    as structs, and its `invoiceLines`, each line's fields likewise."""
    return records_of(INVOICES, invoiceLines=list_of(records_of(INVOICE_LINES)))
