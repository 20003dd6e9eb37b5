"""What the seeded YM tenant's invoices and invoice items contain, drawn from digests.

An invoice's shared fields (name, address, card, payment) come from a digest of its invoice number, an
item's own fields (category, amount, dates) from a digest of its item number; everything here is a pure
function of those bytes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..kernel.formats import NO_DATE, TICKS_PER_SECOND, format_ticks, luhn_digit, money

DAY_TICKS = 86_400 * TICKS_PER_SECOND
FIRST_INVOICE_NO = 100_001
# Invoices: every block of 10 consecutive items is split into 4 invoices of 1 to 7 items.
INVOICE_BLOCK = 10
INVOICES_PER_BLOCK = 4
INVOICE_SPLITS = tuple(itertools.combinations(range(1, INVOICE_BLOCK), INVOICES_PER_BLOCK - 1))


@dataclass(frozen=True)
class _Category:
    line_item_type: str
    gl_code: str
    qb_class: str
    commerce_type: str
    prices_cents: tuple[int, ...]  # empty: any amount (donations)
    max_quantity: int
    descriptions: tuple[str, ...]
    related_base: int
    taxed: bool = False


_DUES = _Category(
    "Dues", "4000 Dues", "Membership", "M", (9500, 15000, 22500, 4950, 31000), 1,
    ("Annual Membership - Professional", "Annual Membership - Student", "Annual Membership - Retired",
     "Chapter Dues - Central Region", "Lifetime Membership Installment"),
    3000,
)  # fmt: skip
_EVENT = _Category(
    "Event Registration", "4100 Events", "Events", "M", (3500, 7500, 12999, 24900, 1250), 4,
    ("2024 Spring Conference - Full Registration", "Networking Breakfast", "Webinar: Nonprofit Finance Basics",
     "Annual Gala Dinner", "Workshop: Grant Writing"),
    5000,
)  # fmt: skip
_STORE = _Category(
    "Store Order", "4200 Store", "Merchandise", "S", (999, 1999, 2495, 475, 5900), 5,
    ("Member T-Shirt (L)", "Coffee Mug", "Handbook, 3rd Edition", "Lapel Pin", 'Hoodie (M) "Classic"'),
    7000, taxed=True,
)  # fmt: skip
_DONATION = _Category(
    "Donation", "4300 Donations", "Development", "D", (), 1,
    ("General Fund Donation", "Scholarship Fund", "Building Fund", "In Memory of a Colleague", "Annual Appeal"),
    9000,
)  # fmt: skip
# Weights: 7 dues, 5 events, 5 store, 3 donations out of 20.
_CATEGORIES = (_DUES,) * 7 + (_EVENT,) * 5 + (_STORE,) * 5 + (_DONATION,) * 3
_TAX_RATES = (Decimal("0.0825"), Decimal("0.0725"), Decimal("0.0625"), Decimal("0"))
_NO_TAX = Decimal("0")

_FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
    "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Zoë", "José", "Priya", "Wei", "Fatima", "Siobhán", "Olu",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "O'Brien", "Muñoz", "Nguyễn", "Patel", "Kowalski",
    "Van der Berg", "Okafor",
)  # fmt: skip
_STREETS = (
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Washington Blvd", "Lakeview Rd", "Park Pl",
    "Congress Ave", "2nd St", "Highland Ave", "River Rd", "Sunset Blvd", "Church St", "Mill Rd", "King St W",
)  # fmt: skip
# (city, state, province, postal prefix, country, phone area code)
_PLACES = (
    ("Austin", "TX", "", "787", "United States", "512"),
    ("Chicago", "IL", "", "606", "United States", "312"),
    ("Denver", "CO", "", "802", "United States", "303"),
    ("Atlanta", "GA", "", "303", "United States", "404"),
    ("Seattle", "WA", "", "981", "United States", "206"),
    ("Boston", "MA", "", "021", "United States", "617"),
    ("Columbus", "OH", "", "432", "United States", "614"),
    ("Portland", "OR", "", "972", "United States", "503"),
    ("Raleigh", "NC", "", "276", "United States", "919"),
    ("Phoenix", "AZ", "", "850", "United States", "602"),
    ("Nashville", "TN", "", "372", "United States", "615"),
    ("Minneapolis", "MN", "", "554", "United States", "612"),
    ("Toronto", "", "ON", "M5V", "Canada", "416"),
    ("Vancouver", "", "BC", "V6B", "Canada", "604"),
)
_ORGANIZATIONS = (
    "", "", "", "", "Acme Nonprofit Consulting", "Smith, Jones & Co.", "Riverbend Community Clinic",
    "Northwind Foundation", "Blue Heron Analytics LLC", "City of Lakeside", "St. Mary's Hospital",
    "Greenfield Unified School District",
)  # fmt: skip
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
# (payment option on the invoice, payment terms)
_INVOICE_OPTIONS = (
    (("Credit Card", "Due Upon Receipt"),) * 6 + (("Check", "Due Upon Receipt"),) * 2 + (("Invoice Me", "Net 30"),) * 2
)
_CARD_TYPES = ("Visa", "Visa", "MasterCard", "Discover")
_PROCESSORS = (
    (11, "Authorize.Net", "Main Merchant Account"),
    (12, "Stripe", "Stripe - Events"),
    (13, "PayPal Payflow Pro", "Store Payflow"),
)
_INVOICE_TYPES = ("Invoice", "Invoice", "Order", "Registration")
_ENTERED_BY = ("Member", "Member", "Member", "admin.jlee", "admin.mkowalski", "System (Auto-Renew)")


def line_money(d: bytes) -> tuple[_Category, int, int]:
    """(category, LineItemAmount in cents, LineItemQuantity) of the item of digest `d`: all that money
    depends on."""
    category = _CATEGORIES[d[5] % len(_CATEGORIES)]
    if category.prices_cents:
        cents = category.prices_cents[d[6] % len(category.prices_cents)]
    else:
        cents = 500 + int.from_bytes(d[7:9], "little") % 49_501
    quantity = 1 + d[9] % category.max_quantity
    if d[10] < 8:  # about 3%: a credit line
        cents = -cents
    return category, cents, quantity


def item_fields(n: int, d: bytes, invoice: dict[str, Any], entered: str) -> dict[str, Any]:
    """Item `n` (digest `d`, entered at `entered`) of `invoice` as an InvoiceItemData record."""
    category, cents, quantity = line_money(d)
    description = category.descriptions[d[11] % len(category.descriptions)]
    record = dict(invoice)
    record.update(
        {
            "LineItemID": n,
            "LineItemRelatedTo": category.related_base + d[11] % len(category.descriptions),
            "LineItemType": category.line_item_type,
            "LineItemDescription": ("Credit: " + description) if cents < 0 else description,
            "GLCodeItemName": category.gl_code,
            "QBClassItemName": category.qb_class,
            "LineItemDate": entered[:10] + "T00:00:00",
            "LineItemAmount": money(cents),
            "LineItemQuantity": quantity,
            "LineTotal": money(cents * quantity),
            "LineItemTaxVATRate": _TAX_RATES[d[12] % len(_TAX_RATES)] if category.taxed else _NO_TAX,
            "LineItemNotesVisible": "Thank you for your support!" if d[13] < 12 else "",
            "LineItemNotesInternal": "Comped by the events team" if d[14] < 5 else "",
            "LineItemDateEntered": entered,
        }
    )
    return record


def _address(c: bytes) -> tuple[dict[str, str], str]:
    """(the invoice's address, its phone area code), from digest `c`."""
    city, state, province, postal, country, area = _PLACES[c[2] % len(_PLACES)]
    postal_code = f"{postal} {c[3] % 10}T{c[4] % 10}" if country == "Canada" else f"{postal}{c[3] % 100:02d}"
    address = {
        "Address1": f"{100 + int.from_bytes(c[5:7], 'little') % 9800} {_STREETS[c[7] % len(_STREETS)]}",
        "Address2": f"Suite {100 + c[8]}" if c[8] < 40 else "",
        "City": city,
        "State": state,
        "Province": province,
        "PostalCode": postal_code,
        "Country": country,
    }
    return address, area


def _card(c: bytes) -> tuple[str, str, int, int]:
    """(card type, number, expiry month, expiry year) of an invoice paid by card, from digest `c`."""
    card_type = _CARD_TYPES[c[14] % len(_CARD_TYPES)]
    return card_type, _card_number(card_type, int.from_bytes(c[15:23], "little")), 1 + c[23] % 12, 2025 + c[24] % 6


def invoice_fields(invoice_no: int, c: bytes, first_entered: int) -> dict[str, Any]:
    """The fields every item of invoice `invoice_no` (digest `c`, first entered `first_entered`) shares."""
    first = _FIRST_NAMES[c[0] % len(_FIRST_NAMES)]
    last = _LAST_NAMES[c[1] % len(_LAST_NAMES)]
    address, area = _address(c)
    phone = f"({area}) 555-{100 + c[9] % 100:04d}"
    organization = _ORGANIZATIONS[c[10] % len(_ORGANIZATIONS)]
    email = f"{first}.{last}{c[11] % 90 + 10}@{_EMAIL_DOMAINS[c[12] % 4]}".lower().replace(" ", "").replace("'", "")
    option, terms = _INVOICE_OPTIONS[c[13] % len(_INVOICE_OPTIONS)]
    by_card = option == "Credit Card"
    name_on_card = f"{first} {last}" if by_card else ""
    card = _card(c) if by_card else ("", "", None, None)
    card_type, card_number, exp_month, exp_year = card
    # "Invoice Me" invoices are paid by check half of the time and still open otherwise.
    paid_option = option if option != "Invoice Me" else ("Check" if c[25] < 128 else "")
    processor_id, processor, nickname = _PROCESSORS[c[26] % len(_PROCESSORS)] if by_card else (None, "", "")
    member_id = 200_000 + int.from_bytes(c[27:30], "little") % 60_000
    sent = c[30] < 90
    sent_ticks = first_entered // TICKS_PER_SECOND * TICKS_PER_SECOND + (1 + c[31] % 14) * DAY_TICKS
    billing = {f"OriginalInvoiceBilling{k}": v for k, v in address.items()}
    return {
        "InvoiceNo": invoice_no,
        "InvoiceType": _INVOICE_TYPES[c[32] % len(_INVOICE_TYPES)],
        "InvoiceNameLast": last,
        "InvoiceNameFirst": first,
        "InvoiceNameMiddle": "ABCDEJKLMRST"[c[33] % 12] + "." if c[33] < 60 else "",
        "InvoiceNameSuffix": ("Jr.", "Sr.", "III", "PhD")[c[34] % 4] if c[34] < 15 else "",
        "OriginalInvoicePaymentOption": option,
        "PaymentTerms": terms,
        "Organization": organization,
        **address,
        "EmailAddress": email,
        "Phone": phone,
        **billing,
        "OriginalInvoiceBillingPhone": phone,
        "OriginalInvoiceNameOnCard": name_on_card,
        "OriginalInvoiceCardNumber": card_number,
        "OriginalInvoiceCardType": card_type,
        "OriginalInvoiceCardExpMonth": exp_month,
        "OriginalInvoiceCardExpYear": exp_year,
        "OriginalInvoiceComments": "Please send the receipt, attn: Accounts Payable" if c[35] < 10 else "",
        "OriginalInvoiceInternalNotes": 'Member asked to "waive the late fee".\nApproved by J. Lee.'
        if c[36] < 4
        else "",
        "DateInvoiceLastSent": format_ticks(sent_ticks) if sent else NO_DATE,
        **_payment_fields(c, paid_option, address, phone, email, name_on_card, card),
        "EnteredBy": _ENTERED_BY[c[39] % len(_ENTERED_BY)],
        "Account": "1010 Operating Checking",
        "OriginalInvoiceBillingOrganization": organization,
        "PaymentBillingOrganization": organization if paid_option else "",
        "PO": f"PO-{int.from_bytes(c[40:42], 'little') % 90000 + 10000}" if organization and c[42] < 100 else "",
        "WebSiteMemberID": member_id,
        "ConstituentID": f"C{member_id:07d}" if c[43] < 180 else "",
        "PaymentProcessorAccountID": processor_id,
        "PaymentProcessor": processor,
        "PaymentProcessorAccountNickname": nickname,
    }


def _payment_fields(
    c: bytes,
    paid_option: str,
    address: dict[str, str],
    phone: str,
    email: str,
    name_on_card: str,
    card: tuple[str, str, int | None, int | None],
) -> dict[str, Any]:
    """The fields of the payment made on the invoice (digest `c`) by `paid_option`: blank while the invoice
    is still open (no option), the card's only when it was paid by card."""
    paid = bool(paid_option)
    card_type, card_number, exp_month, exp_year = card
    return {
        "PaymentOption": paid_option,
        "PaymentCheckReferenceNumber": str(1000 + int.from_bytes(c[37:39], "little") % 9000)
        if paid_option == "Check"
        else "",
        **{f"PaymentBilling{k}": (v if paid else "") for k, v in address.items()},
        "PaymentBillingPhone": phone if paid else "",
        "PaymentNameOnCard": name_on_card,
        "PaymentEmailAddress": email if paid else "",
        "PaymentCardNumber": card_number,
        "PaymentCardType": card_type,
        "PaymentCardExpMonth": exp_month,
        "PaymentCardExpYear": exp_year,
    }


def _card_number(card_type: str, randomness: int) -> str:
    """A 16-digit test card number of the type's prefix, with a valid Luhn check digit."""
    prefix = {"Visa": "4", "MasterCard": "5" + str(1 + randomness % 5), "Discover": "6011"}[card_type]
    body = prefix + str(randomness).rjust(20, "0")[-(15 - len(prefix)) :]
    return body + str(luhn_digit(body))
