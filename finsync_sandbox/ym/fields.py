"""YM's record shapes as the API reference publishes them, written down here and nowhere else.

Source: the ServiceStack metadata pages of InvoiceItems and FinanceBatches (InvoiceItemData and
FinanceBatch parameters, in the order the pages list them) and the reference notes on
FinanceBatchDetailData. The sandbox serves these names; it does not take them from finsync, so a
misspelt name in finsync's declarations shows up as a field finsync cannot find.
"""

from __future__ import annotations

from ..kernel.jsonwriter import FieldList

_ADDRESS = ("Address1", "Address2", "City", "State", "Province", "PostalCode", "Country")

# InvoiceItemData: the records of InvoiceItems and FinanceBatchDetails, and the export file's columns.
INVOICE_ITEM_FIELDS: tuple[str, ...] = (
    "InvoiceNo", "InvoiceType", "InvoiceNameLast", "InvoiceNameFirst", "InvoiceNameMiddle", "InvoiceNameSuffix",
    "OriginalInvoicePaymentOption", "PaymentTerms", "Organization", *_ADDRESS, "EmailAddress", "Phone",
    "OutstandingBalance", *(f"OriginalInvoiceBilling{part}" for part in _ADDRESS), "OriginalInvoiceBillingPhone",
    "OriginalInvoiceNameOnCard", "OriginalInvoiceCardNumber", "OriginalInvoiceCardType",
    "OriginalInvoiceCardExpMonth", "OriginalInvoiceCardExpYear", "OriginalInvoiceComments",
    "OriginalInvoiceInternalNotes", "DateInvoiceLastSent", "LineItemID", "LineItemRelatedTo", "LineItemType",
    "LineItemDescription", "GLCodeItemName", "QBClassItemName", "LineItemDate", "LineItemAmount",
    "LineItemQuantity", "LineTotal", "LineItemTaxVATRate", "LineItemNotesVisible", "LineItemNotesInternal",
    "PaymentOption", "PaymentCheckReferenceNumber", *(f"PaymentBilling{part}" for part in _ADDRESS),
    "PaymentBillingPhone", "PaymentNameOnCard", "PaymentEmailAddress", "PaymentCardNumber", "PaymentCardType",
    "PaymentCardExpMonth", "PaymentCardExpYear", "EnteredBy", "Account", "OriginalInvoiceBillingOrganization",
    "PaymentBillingOrganization", "PO", "WebSiteMemberID", "ConstituentID", "PaymentProcessorAccountID",
    "PaymentProcessor", "PaymentProcessorAccountNickname", "LineItemDateEntered",
)  # fmt: skip
# The DateTime fields of InvoiceItemData (the others are string, int or double).
ITEM_DATE_TIMES = frozenset({"DateInvoiceLastSent", "LineItemDate", "LineItemDateEntered"})

# FinanceBatchDetailData has the same fields, but names the invoice's name fields differently and has
# the card expiry as strings.
DETAIL_NAMES: dict[str, str] = {
    "InvoiceNameLast": "NameOnInvoiceLast",
    "InvoiceNameFirst": "NameOnInvoiceFirst",
    "InvoiceNameMiddle": "NameOnInvoiceMiddle",
    "InvoiceNameSuffix": "NameOnInvoiceSuffix",
}
DETAIL_TEXT_FIELDS = (
    "OriginalInvoiceCardExpMonth",
    "OriginalInvoiceCardExpYear",
    "PaymentCardExpMonth",
    "PaymentCardExpYear",
)

INVOICE_ITEM_DATA = FieldList([(name, name) for name in INVOICE_ITEM_FIELDS])
FINANCE_BATCH_DETAIL_DATA = FieldList([(name, DETAIL_NAMES.get(name, name)) for name in INVOICE_ITEM_FIELDS])


def as_detail(record: dict[str, object]) -> dict[str, object]:
    """An InvoiceItemData record (changed in place) with FinanceBatchDetailData's values: expiry as text,
    the month in two digits."""
    for name in DETAIL_TEXT_FIELDS:
        value = record[name]
        if value is not None:
            record[name] = f"{value:02d}" if name.endswith("Month") else str(value)
    return record


def csv_cell(name: str, value: object) -> str:
    """As the export file writes values: `2024-05-03 01:24:34`, empty for no date, plain numbers."""
    if value is None:
        return ""
    if name in ITEM_DATE_TIMES:
        text = str(value)
        return "" if text.startswith("0001-01-01") else text.replace("T", " ", 1)
    return str(value)
