"""YM warehouse tables, declared once. Field names and types follow the InvoiceItemData and FinanceBatch
pages of the YM REST metadata (see the seed pages); doubles there are money here."""

from __future__ import annotations

from finsync.tables import Column, Kind, Sensitivity, Table

P = Sensitivity.PERSONAL
CARD = Sensitivity.CARD


def _address(prefix: str) -> tuple[Column, ...]:
    parts = ("Address1", "Address2", "City", "State", "Province", "PostalCode", "Country")
    return tuple(Column(prefix + part, sensitivity=P) for part in parts)


INVOICE_ITEM_COLUMNS: tuple[Column, ...] = (
    Column("InvoiceNo", Kind.INT),
    Column("InvoiceType"),
    Column("InvoiceNameLast", sensitivity=P),
    Column("InvoiceNameFirst", sensitivity=P),
    Column("InvoiceNameMiddle", sensitivity=P),
    Column("InvoiceNameSuffix", sensitivity=P),
    Column("OriginalInvoicePaymentOption"),
    Column("PaymentTerms"),
    Column("Organization"),
    *_address(""),
    Column("EmailAddress", sensitivity=P),
    Column("Phone", sensitivity=P),
    Column("OutstandingBalance", Kind.MONEY),
    *_address("OriginalInvoiceBilling"),
    Column("OriginalInvoiceBillingPhone", sensitivity=P),
    Column("OriginalInvoiceNameOnCard", sensitivity=P),
    Column("OriginalInvoiceCardNumber", sensitivity=CARD),
    Column("OriginalInvoiceCardType", sensitivity=P),
    Column("OriginalInvoiceCardExpMonth", Kind.INT, sensitivity=P),
    Column("OriginalInvoiceCardExpYear", Kind.INT, sensitivity=P),
    Column("OriginalInvoiceComments"),
    Column("OriginalInvoiceInternalNotes"),
    Column("DateInvoiceLastSent", Kind.TIMESTAMP),
    Column("LineItemID", Kind.INT, nullable=False),
    Column("LineItemRelatedTo", Kind.INT),
    Column("LineItemType"),
    Column("LineItemDescription"),
    Column("GLCodeItemName"),
    Column("QBClassItemName"),
    Column("LineItemDate", Kind.TIMESTAMP),
    Column("LineItemAmount", Kind.MONEY),
    Column("LineItemQuantity", Kind.INT),
    Column("LineTotal", Kind.MONEY),
    Column("LineItemTaxVATRate", Kind.RATE),
    Column("LineItemNotesVisible"),
    Column("LineItemNotesInternal"),
    Column("PaymentOption"),
    Column("PaymentCheckReferenceNumber"),
    *_address("PaymentBilling"),
    Column("PaymentBillingPhone", sensitivity=P),
    Column("PaymentNameOnCard", sensitivity=P),
    Column("PaymentEmailAddress", sensitivity=P),
    Column("PaymentCardNumber", sensitivity=CARD),
    Column("PaymentCardType", sensitivity=P),
    Column("PaymentCardExpMonth", Kind.INT, sensitivity=P),
    Column("PaymentCardExpYear", Kind.INT, sensitivity=P),
    Column("EnteredBy"),
    Column("Account"),
    Column("OriginalInvoiceBillingOrganization"),
    Column("PaymentBillingOrganization"),
    Column("PO"),
    Column("WebSiteMemberID", Kind.INT),
    Column("ConstituentID"),
    Column("PaymentProcessorAccountID", Kind.INT),
    Column("PaymentProcessor"),
    Column("PaymentProcessorAccountNickname"),
    Column("LineItemDateEntered", Kind.TIMESTAMP),
)

INVOICE_ITEMS = Table("invoice_items", "line_item_id", INVOICE_ITEM_COLUMNS)

# The same records, exported batch by batch, tagged with the batch they belong to. Each item is handed
# over once per run (see `finance_batch_items`), so a load never holds one twice.
FINANCE_BATCH_ITEMS = Table(
    "finance_batch_items",
    "line_item_id",
    (Column("BatchID", nullable=False), *INVOICE_ITEM_COLUMNS),
    unique_per_load=True,
)

FINANCE_BATCHES = Table(
    "finance_batches",
    "batch_id",
    (
        Column("BatchID", nullable=False),
        Column("CommerceType"),
        Column("ItemCount", Kind.INT),
        Column("ClosedDate", Kind.TIMESTAMP),
        Column("CreateDateTime", Kind.TIMESTAMP),
    ),
)

# FinanceBatchDetailData names a few InvoiceItemData fields differently (the card expiry fields are
# strings there, which the INT columns read as numbers).
DETAILS_FIELD_NAMES: dict[str, str] = {
    "NameOnInvoiceLast": "InvoiceNameLast",
    "NameOnInvoiceFirst": "InvoiceNameFirst",
    "NameOnInvoiceMiddle": "InvoiceNameMiddle",
    "NameOnInvoiceSuffix": "InvoiceNameSuffix",
}
