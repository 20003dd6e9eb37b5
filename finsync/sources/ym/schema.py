"""YM warehouse tables, declared once. Field names and types follow the InvoiceItemData and FinanceBatch
pages of the YM REST metadata (see the seed pages); doubles there are money here."""

from __future__ import annotations

import pyarrow as pa

from finsync.tables import EXTRA_FIELDS, LOAD_TIME, Column, Kind, Sensitivity, Table, Wire

P = Sensitivity.PERSONAL
CARD = Sensitivity.CARD

# Shared endings of the column docs.
_LOCAL_TIME = "in UTC (converted from YM's server-local time, sources.ym.server_timezone, sent without an offset)"
_YM_DATE = "a calendar date as YM writes it"
_YM_MONEY = "exact decimal, in the client's currency (YM reports none: setting sources.ym.currency)"

# Whose address each prefix of `_address` holds.
_ADDRESS_OF = {
    "": "the invoiced contact's address",
    "OriginalInvoiceBilling": "the original invoice's billing address",
    "PaymentBilling": "the payment's billing address",
}


def _address(prefix: str) -> tuple[Column, ...]:
    whose = _ADDRESS_OF[prefix]
    parts = {
        "Address1": f"First street line of {whose}",
        "Address2": f"Second street line of {whose}",
        "City": f"City of {whose}",
        "State": f"State of {whose}",
        "Province": f"Province of {whose}",
        "PostalCode": f"Postal (ZIP) code of {whose}",
        "Country": f"Country of {whose}",
    }
    return tuple(Column(prefix + part, sensitivity=P, doc=doc) for part, doc in parts.items())


# Shared by `invoice_items` and `finance_batch_items`: each doc must read right in both.
INVOICE_ITEM_COLUMNS: tuple[Column, ...] = (
    Column("InvoiceNo", Kind.INT, wire=Wire.REQUIRED, doc="Number of the YM invoice the line item is on"),
    Column("InvoiceType", doc="Type of the invoice, as YM labels it (values not documented upstream)"),
    Column("InvoiceNameLast", sensitivity=P, doc="Last name of the person the invoice is made out to"),
    Column("InvoiceNameFirst", sensitivity=P, doc="First name of the person the invoice is made out to"),
    Column("InvoiceNameMiddle", sensitivity=P, doc="Middle name of the person the invoice is made out to"),
    Column(
        "InvoiceNameSuffix", sensitivity=P, doc="Name suffix (such as Jr.) of the person the invoice is made out to"
    ),
    Column("OriginalInvoicePaymentOption", doc="Payment option recorded on the original invoice, as YM labels it"),
    Column("PaymentTerms", doc="Payment terms of the invoice, as YM writes them"),
    Column(
        "Organization",
        doc="Organization (company) of the invoiced contact; the customer name in analytics.invoice_lines",
    ),
    *_address(""),
    Column("EmailAddress", sensitivity=P, doc="Email address of the invoiced contact"),
    Column("Phone", sensitivity=P, doc="Phone number of the invoiced contact"),
    Column(
        "OutstandingBalance",
        Kind.MONEY,
        doc=f"Balance still owed on the invoice, as YM reported it when the item was read; {_YM_MONEY}",
    ),
    *_address("OriginalInvoiceBilling"),
    Column("OriginalInvoiceBillingPhone", sensitivity=P, doc="Billing phone number on the original invoice"),
    Column("OriginalInvoiceNameOnCard", sensitivity=P, doc="Cardholder name of the card on the original invoice"),
    Column(
        "OriginalInvoiceCardNumber",
        sensitivity=CARD,
        doc="Card number on the original invoice, masked to its last four digits",
    ),
    Column("OriginalInvoiceCardType", sensitivity=P, doc="Type (brand) of the card on the original invoice"),
    Column(
        "OriginalInvoiceCardExpMonth", Kind.INT, sensitivity=P, doc="Expiry month of the card on the original invoice"
    ),
    Column(
        "OriginalInvoiceCardExpYear", Kind.INT, sensitivity=P, doc="Expiry year of the card on the original invoice"
    ),
    Column("OriginalInvoiceComments", doc="Comments entered on the original invoice"),
    Column("OriginalInvoiceInternalNotes", doc="Internal notes on the original invoice"),
    Column(
        "DateInvoiceLastSent",
        Kind.DATE,
        doc=f"Date the invoice was last sent, {_YM_DATE} (YM's empty date 0001-01-01 is NULL)",
    ),
    Column("LineItemID", Kind.INT, nullable=False, doc="YM's id of the invoice line item; the table's key"),
    Column(
        "LineItemRelatedTo", Kind.INT, doc="Id of a line item this one relates to (meaning not documented upstream)"
    ),
    Column("LineItemType", doc="Type of the line item, as YM labels it (values not documented upstream)"),
    Column("LineItemDescription", doc="Description of the line item, as on the invoice"),
    Column(
        "GLCodeItemName",
        doc="General-ledger code the line item is booked to; the GL account in analytics.invoice_lines",
    ),
    Column("QBClassItemName", doc="QuickBooks class the line item is assigned to"),
    Column(
        "LineItemDate",
        Kind.DATE,
        doc=f"Date of the line item, {_YM_DATE}; YM has no invoice date, so analytics.invoice_lines uses this one",
    ),
    Column("LineItemAmount", Kind.MONEY, doc=f"Unit price of the line item; {_YM_MONEY}"),
    Column("LineItemQuantity", Kind.INT, doc="Quantity of the line item"),
    Column("LineTotal", Kind.MONEY, wire=Wire.REQUIRED, doc=f"Total amount of the line item; {_YM_MONEY}"),
    Column(
        "LineItemTaxVATRate",
        Kind.RATE,
        doc="Tax or VAT rate of the line item, as YM reports it (YM reports no tax amount)",
    ),
    Column("LineItemNotesVisible", doc="Notes on the line item that are shown on the invoice"),
    Column("LineItemNotesInternal", doc="Internal notes on the line item, not shown on the invoice"),
    Column("PaymentOption", doc="Payment option the item was paid with, as YM labels it"),
    Column("PaymentCheckReferenceNumber", doc="Check or reference number of the payment"),
    *_address("PaymentBilling"),
    Column("PaymentBillingPhone", sensitivity=P, doc="Billing phone number given with the payment"),
    Column("PaymentNameOnCard", sensitivity=P, doc="Cardholder name of the card the payment was made with"),
    Column("PaymentEmailAddress", sensitivity=P, doc="Email address given with the payment"),
    Column(
        "PaymentCardNumber",
        sensitivity=CARD,
        doc="Card number the payment was made with, masked to its last four digits",
    ),
    Column("PaymentCardType", sensitivity=P, doc="Type (brand) of the card the payment was made with"),
    Column("PaymentCardExpMonth", Kind.INT, sensitivity=P, doc="Expiry month of the card the payment was made with"),
    Column("PaymentCardExpYear", Kind.INT, sensitivity=P, doc="Expiry year of the card the payment was made with"),
    Column("EnteredBy", doc="Who entered the line item in YM"),
    Column("Account", doc="Account of the line item, as YM records it (meaning not documented upstream)"),
    Column("OriginalInvoiceBillingOrganization", doc="Billing organization on the original invoice"),
    Column("PaymentBillingOrganization", doc="Billing organization given with the payment"),
    Column("PO", doc="Purchase order number given for the invoice"),
    Column(
        "WebSiteMemberID",
        Kind.INT,
        doc="YM website member id of the invoiced member; the customer id in analytics.invoice_lines",
    ),
    Column("ConstituentID", doc="Constituent id of the invoiced member (meaning not documented upstream)"),
    Column("PaymentProcessorAccountID", Kind.INT, doc="Id of the payment processor account that took the payment"),
    Column("PaymentProcessor", doc="Payment processor (gateway) that took the payment"),
    Column("PaymentProcessorAccountNickname", doc="Nickname of the payment processor account that took the payment"),
    Column(
        "LineItemDateEntered",
        Kind.TIMESTAMP,
        wire=Wire.REQUIRED,
        doc=f"When the line item was entered in YM, {_LOCAL_TIME}",
    ),
)

INVOICE_ITEMS = Table(
    "invoice_items",
    "line_item_id",
    (*INVOICE_ITEM_COLUMNS, EXTRA_FIELDS),
    unique_per_load=True,  # repeats across pages are dropped as they are read (see `invoice_items`)
    doc="One YM invoice line item, from InvoiceItems, whether or not its finance batch has closed",
)

# The same records, exported batch by batch, tagged with the batch they belong to. Each item is handed
# over once per run (see `finance_batch_items`), so a load never holds one twice.
FINANCE_BATCH_ITEMS = Table(
    "finance_batch_items",
    "line_item_id",
    (
        Column(
            "BatchID",
            nullable=False,
            wire=Wire.DERIVED,
            doc="Id of the finance batch the item was exported in, set by finsync from the batch it read",
        ),
        *INVOICE_ITEM_COLUMNS,
        EXTRA_FIELDS,
    ),
    unique_per_load=True,
    # A batch YM revised after it closed is read again: the earlier versions of its items stay.
    history=LOAD_TIME,
    created=("line_item_date_entered",),
    doc="One line item of a closed YM finance batch, from the batch's export or FinanceBatchDetails, with its batch id",
)

FINANCE_BATCHES = Table(
    "finance_batches",
    "batch_id",
    (
        Column("BatchID", nullable=False, doc="YM's id of the finance batch; the table's key"),
        Column(
            "CommerceType",
            doc="Commerce the batch covers: D donations, M dues, S store, blank all (as in YM's legacy API)",
        ),
        Column(
            "ItemCount",
            Kind.INT,
            doc="Invoice items YM says the batch holds; a complete read of a closed batch loads exactly this many",
        ),
        Column("ClosedDate", Kind.TIMESTAMP, doc=f"When the batch was closed, {_LOCAL_TIME}; NULL while it is open"),
        Column("CreateDateTime", Kind.TIMESTAMP, wire=Wire.REQUIRED, doc=f"When the batch was created, {_LOCAL_TIME}"),
        EXTRA_FIELDS,
    ),
    doc="One YM finance batch, from FinanceBatches: a group of invoice items that is exported once the batch is closed",
    history=LOAD_TIME,
    created=("closed_date", "create_date_time"),  # first seen closed: closed since it closed
)

# Derived: written by every run from the settings, so the views know what YM itself does not say.
TENANT = Table(
    "tenant",
    "client_id",
    (
        Column("clientId", Kind.INT, nullable=False, doc="The YM ClientID this dataset holds (sources.ym.client_id)"),
        Column("currency", doc="The client's currency, which YM does not report: setting sources.ym.currency"),
        Column("serverTimezone", doc="The zone YM's offset-less times are read in: setting sources.ym.server_timezone"),
        Column(
            "startDate",
            Kind.TIMESTAMP,
            doc="Where reads begin, in UTC (setting sources.ym.start_date): items entered before it are not read",
        ),
    ),
    doc="The YM client this dataset holds, with the settings its figures depend on (one row)",
)

# FinanceBatchDetailData names a few InvoiceItemData fields differently (the card expiry fields are
# strings there, which the INT columns read as numbers).
DETAILS_FIELD_NAMES: dict[str, str] = {
    "NameOnInvoiceLast": "InvoiceNameLast",
    "NameOnInvoiceFirst": "InvoiceNameFirst",
    "NameOnInvoiceMiddle": "InvoiceNameMiddle",
    "NameOnInvoiceSuffix": "InvoiceNameSuffix",
}


def details_records() -> pa.Schema:
    """A FinanceBatchDetails page's records as the wire names their fields (a batch's items, less its id)."""
    wire_name = {ours: theirs for theirs, ours in DETAILS_FIELD_NAMES.items()}
    items = FINANCE_BATCH_ITEMS.wire_schema()
    return pa.schema(
        [f.with_name(wire_name.get(f.name, f.name)) for f in items if f.name != "BatchID"], metadata=items.metadata
    )
