"""The YM dataset: invoice items and finance batches, generated on demand from a seed.

Nothing is stored per item. Item `n` (1-based) is a pure function of (seed, n): its fields come from a
keyed BLAKE2b digest of `n`, so any page of a million-item dataset is produced as fast as the first one,
and two sandboxes with the same seed serve byte-identical pages. Items of the same invoice share
invoice-level fields (name, address, card), drawn from a digest of the invoice number.

Time only moves forward: `advance` appends items with later entry dates, closes the batch that was
open as it is, and puts the new items into new batches. Closed batches therefore never change, which is
what lets a test compare the warehouse with `expected_*` exactly.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from finsync.sources.ym.schema import INVOICE_ITEM_COLUMNS

from .formats import NO_DATE, TICKS_PER_SECOND, format_ticks, money, ticks_of

# Entry dates: item n is entered (n - 1) * spacing after this, plus up to 40 s of jitter, so entry dates
# strictly increase with n (binary search relies on that). The spacing spreads the initial items over
# about ten months (monthly reports have something to show), and is never under 97 s.
FIRST_ENTERED = ticks_of(datetime(2024, 1, 1, 8, 0, 0))
ITEM_SPACING_SECONDS = 97
SPREAD_SECONDS = 300 * 86_400
_MAX_JITTER_SECONDS = 40
_DAY = 86_400 * TICKS_PER_SECOND

FIRST_BATCH_ID = 1001
# Items imported with old entry dates (`backdate`) are numbered from here.
BACKDATED_FIRST_ID = 900_000_001
FIRST_INVOICE_NO = 100_001
# Invoices: every block of 10 consecutive items is split into 4 invoices of 1 to 7 items.
_INVOICE_BLOCK = 10
_INVOICES_PER_BLOCK = 4
_INVOICE_SPLITS = tuple(itertools.combinations(range(1, _INVOICE_BLOCK), _INVOICES_PER_BLOCK - 1))
# Money sums are cached per block of items (items never change, so neither do the sums).
_MONEY_BLOCK = 1024

ITEM_FIELDS: tuple[str, ...] = tuple(c.source for c in INVOICE_ITEM_COLUMNS)


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


class Money(NamedTuple):
    """Sums a warehouse must hold for a set of items."""

    count: int
    line_total: Decimal
    line_item_amount: Decimal


@dataclass(frozen=True)
class Batch:
    """A finance batch: a contiguous run of items, closed for good or (the newest) still open."""

    number: int  # 1-based position, oldest first
    first_item: int
    last_item: int
    is_open: bool
    commerce_type: str
    create_ticks: int
    closed_ticks: int | None

    @property
    def batch_id(self) -> str:
        return str(FIRST_BATCH_ID - 1 + self.number)

    @property
    def item_count(self) -> int:
        return self.last_item - self.first_item + 1

    def record(self) -> dict[str, Any]:
        """As a FinanceBatch of the FinanceBatches reply."""
        return {
            "BatchID": self.batch_id,
            "CommerceType": self.commerce_type,
            "ItemCount": self.item_count,
            "ClosedDate": NO_DATE if self.closed_ticks is None else format_ticks(self.closed_ticks),
            "CreateDateTime": format_ticks(self.create_ticks),
        }


@dataclass(frozen=True)
class _Layout:
    """Which items exist and where each batch starts; replaced whole on `advance`, so readers on other
    threads always see a consistent pair."""

    items: int
    starts: tuple[int, ...]  # first item number of each batch


class YMDataset:
    """A seeded YM tenant of `items` invoice items in finance batches of `batch_size`."""

    def __init__(self, seed: int = 7, items: int = 5000, batch_size: int = 250) -> None:
        if items < 0 or batch_size < 1:
            raise ValueError("items must be >= 0 and batch_size >= 1")
        self.seed = seed
        self.batch_size = batch_size
        self._key = hashlib.blake2b(f"finsync-sandbox-ym:{seed}".encode(), digest_size=32).digest()
        self._spacing = max(ITEM_SPACING_SECONDS, SPREAD_SECONDS // max(items, 1))
        self._layout = _Layout(items, tuple(range(1, items + 1, batch_size)))
        self._lock = threading.Lock()
        self._money_blocks: dict[int, tuple[int, int]] = {}
        self._backdated: list[tuple[int, int]] = []  # (LineItemID, entry ticks) of imported items
        self._batch_cache: dict[tuple[int, int, int, bool], Batch] = {}

    # -- size and time -------------------------------------------------------------------------------

    @property
    def items(self) -> int:
        return self._layout.items

    def advance(self, items: int) -> list[Batch]:
        """Append `items` new items, entered after every existing one; returns the batches they went to.

        The batch that was open is closed as it is; the new items fill new batches of `batch_size`,
        the newest of which stays open.
        """
        if items < 0:
            raise ValueError("items must be >= 0")
        with self._lock:
            old = self._layout
            if items:
                new_starts = tuple(range(old.items + 1, old.items + items + 1, self.batch_size))
                self._layout = _Layout(old.items + items, old.starts + new_starts)
        return self.batches()[len(old.starts) :] if items else []

    # -- items ---------------------------------------------------------------------------------------

    def _digest(self, person: bytes, number: int) -> bytes:
        return hashlib.blake2b(number.to_bytes(8, "little"), key=self._key, person=person, digest_size=48).digest()

    def _entered(self, n: int, d: bytes) -> int:
        seconds = (n - 1) * self._spacing + d[0] % (_MAX_JITTER_SECONDS + 1)
        # One item in three carries YM's seven fraction digits.
        fraction = int.from_bytes(d[2:5], "little") % TICKS_PER_SECOND if d[1] % 3 == 0 else 0
        return FIRST_ENTERED + seconds * TICKS_PER_SECOND + fraction

    def entered_ticks(self, n: int) -> int:
        """LineItemDateEntered of item `n`, as server-local ticks."""
        return self._entered(n, self._digest(b"item", n))

    def dated_ticks(self, n: int) -> int:
        """LineItemDate of item `n` (midnight of its entry day), as server-local ticks."""
        entered = self.entered_ticks(n)
        return entered - entered % _DAY

    def first_entered_at_or_after(self, ticks: int) -> int:
        """The first item number entered at or after `ticks` (items + 1 if none): a binary search, since
        entry dates increase with the item number."""
        n = self.items
        return 1 + bisect.bisect_left(range(1, n + 1), ticks, key=self.entered_ticks)

    def first_dated_at_or_after(self, ticks: int) -> int:
        """The first item number whose LineItemDate is at or after `ticks` (items + 1 if none)."""
        n = self.items
        return 1 + bisect.bisect_left(range(1, n + 1), ticks, key=self.dated_ticks)

    @staticmethod
    def _line(d: bytes) -> tuple[_Category, int, int]:
        """(category, LineItemAmount in cents, LineItemQuantity): all that money depends on."""
        category = _CATEGORIES[d[5] % len(_CATEGORIES)]
        if category.prices_cents:
            cents = category.prices_cents[d[6] % len(category.prices_cents)]
        else:
            cents = 500 + int.from_bytes(d[7:9], "little") % 49_501
        quantity = 1 + d[9] % category.max_quantity
        if d[10] < 8:  # about 3%: a credit line
            cents = -cents
        return category, cents, quantity

    def _money_cents(self, n: int) -> tuple[int, int]:
        _, cents, quantity = self._line(self._digest(b"item", n))
        return cents * quantity, cents

    def item(self, n: int) -> dict[str, Any]:
        """Item `n` as an InvoiceItemData record (money as Decimal, dates as YM strings)."""
        if not 1 <= n <= self.items:
            raise KeyError(n)
        return next(self._generate(n, n))

    def backdate(self, count: int, days: int) -> list[int]:
        """Import `count` items now whose entry date lies `days` before the newest item's (as an import of
        old entries does): they get LineItemIDs of their own range and belong to no finance batch."""
        if count < 0 or days < 0:
            raise ValueError("count and days must be >= 0")
        newest = self.entered_ticks(self.items) if self.items else FIRST_ENTERED
        with self._lock:
            for _ in range(count):
                k = len(self._backdated)
                self._backdated.append((BACKDATED_FIRST_ID + k, newest - days * _DAY + k * TICKS_PER_SECOND))
            return [n for n, _ in self._backdated[-count:]] if count else []

    def backdated_records(self, dated_from: int, entered_from: int | None) -> list[dict[str, Any]]:
        """The imported items a listing with these filters holds, after every generated one (LineItemID order)."""
        found = []
        for n, entered in list(self._backdated):
            dated = entered - entered % _DAY
            if dated >= dated_from and (entered_from is None or entered >= entered_from):
                found.append(next(self._generate(n, n, entered)))
        return found

    def records(self, first: int, last: int) -> Iterator[dict[str, Any]]:
        """Items `first`..`last` (inclusive, clamped to the existing ones), in item order."""
        return self._generate(max(first, 1), min(last, self.items))

    def _generate(self, first: int, last: int, entered: int | None = None) -> Iterator[dict[str, Any]]:
        block, cuts, invoice_no, invoice = -1, (0,), 0, {}
        for n in range(first, last + 1):
            n_block, position = divmod(n - 1, _INVOICE_BLOCK)
            if n_block != block:
                block, cuts = n_block, self._invoice_split(n_block)
            sub = bisect.bisect_right(cuts, position)
            number = FIRST_INVOICE_NO + block * _INVOICES_PER_BLOCK + sub
            if number != invoice_no:
                first_item = block * _INVOICE_BLOCK + 1 + (cuts[sub - 1] if sub else 0)
                invoice_no, invoice = number, self._invoice(number, first_item, entered)
            yield self._record(n, invoice, entered)

    def _invoice_split(self, block: int) -> tuple[int, ...]:
        """Where the block's 4 invoices start, as offsets 1..9 within its 10 items (the first starts at 0)."""
        d = self._digest(b"block", block)
        return _INVOICE_SPLITS[int.from_bytes(d[0:2], "little") % len(_INVOICE_SPLITS)]

    def _invoice(self, invoice_no: int, first_item: int, entered: int | None = None) -> dict[str, Any]:
        """The fields every item of one invoice shares (`first_item`'s entry, or `entered`, dates it)."""
        c = self._digest(b"invoice", invoice_no)
        first = _FIRST_NAMES[c[0] % len(_FIRST_NAMES)]
        last = _LAST_NAMES[c[1] % len(_LAST_NAMES)]
        full_name = f"{first} {last}"
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
        phone = f"({area}) 555-{100 + c[9] % 100:04d}"
        organization = _ORGANIZATIONS[c[10] % len(_ORGANIZATIONS)]
        email = f"{first}.{last}{c[11] % 90 + 10}@{_EMAIL_DOMAINS[c[12] % 4]}".lower().replace(" ", "").replace("'", "")
        option, terms = _INVOICE_OPTIONS[c[13] % len(_INVOICE_OPTIONS)]
        by_card = option == "Credit Card"
        card_type = _CARD_TYPES[c[14] % len(_CARD_TYPES)] if by_card else ""
        card = _card_number(card_type, int.from_bytes(c[15:23], "little")) if by_card else ""
        exp_month = 1 + c[23] % 12 if by_card else None
        exp_year = 2025 + c[24] % 6 if by_card else None
        # "Invoice Me" invoices are paid by check half of the time and still open otherwise.
        paid_option = option if option != "Invoice Me" else ("Check" if c[25] < 128 else "")
        processor_id, processor, nickname = _PROCESSORS[c[26] % len(_PROCESSORS)] if by_card else (None, "", "")
        member_id = 200_000 + int.from_bytes(c[27:30], "little") % 60_000
        sent = c[30] < 90
        first_entered = self.entered_ticks(first_item) if entered is None else entered
        sent_ticks = first_entered // TICKS_PER_SECOND * TICKS_PER_SECOND + (1 + c[31] % 14) * _DAY
        billing = {f"OriginalInvoiceBilling{k}": v for k, v in address.items()}
        payment_billing = {f"PaymentBilling{k}": (v if paid_option else "") for k, v in address.items()}
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
            "OriginalInvoiceNameOnCard": full_name if by_card else "",
            "OriginalInvoiceCardNumber": card,
            "OriginalInvoiceCardType": card_type,
            "OriginalInvoiceCardExpMonth": exp_month,
            "OriginalInvoiceCardExpYear": exp_year,
            "OriginalInvoiceComments": "Please send the receipt, attn: Accounts Payable" if c[35] < 10 else "",
            "OriginalInvoiceInternalNotes": 'Member asked to "waive the late fee".\nApproved by J. Lee.'
            if c[36] < 4
            else "",
            "DateInvoiceLastSent": format_ticks(sent_ticks) if sent else NO_DATE,
            "PaymentOption": paid_option,
            "PaymentCheckReferenceNumber": str(1000 + int.from_bytes(c[37:39], "little") % 9000)
            if paid_option == "Check"
            else "",
            **payment_billing,
            "PaymentBillingPhone": phone if paid_option else "",
            "PaymentNameOnCard": full_name if by_card else "",
            "PaymentEmailAddress": email if paid_option else "",
            "PaymentCardNumber": card,
            "PaymentCardType": card_type,
            "PaymentCardExpMonth": exp_month,
            "PaymentCardExpYear": exp_year,
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

    def _record(self, n: int, invoice: dict[str, Any], entered_ticks: int | None = None) -> dict[str, Any]:
        d = self._digest(b"item", n)
        entered = format_ticks(self._entered(n, d) if entered_ticks is None else entered_ticks)
        category, cents, quantity = self._line(d)
        description = category.descriptions[d[11] % len(category.descriptions)]
        record = dict(invoice)
        record.update(
            {
                "OutstandingBalance": money(cents * quantity if not invoice["PaymentOption"] else 0),
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

    # -- batches -------------------------------------------------------------------------------------

    def batches(self) -> list[Batch]:
        """Every batch, oldest first; all closed but the newest."""
        layout = self._layout
        count = len(layout.starts)
        return [
            self._batch(k + 1, start, (layout.starts[k + 1] - 1) if k + 1 < count else layout.items, k + 1 == count)
            for k, start in enumerate(layout.starts)
        ]

    def batch(self, batch_id: str) -> Batch | None:
        layout = self._layout
        try:
            k = int(batch_id) - FIRST_BATCH_ID
        except ValueError:
            return None
        if not 0 <= k < len(layout.starts) or str(batch_id).strip() != str(k + FIRST_BATCH_ID):
            return None
        last = (layout.starts[k + 1] - 1) if k + 1 < len(layout.starts) else layout.items
        return self._batch(k + 1, layout.starts[k], last, k + 1 == len(layout.starts))

    def _batch(self, number: int, first: int, last: int, is_open: bool) -> Batch:
        key = (number, first, last, is_open)
        cached = self._batch_cache.get(key)
        if cached is None:
            # Created just before its first item was entered; closed 50 s after its last one, which is
            # before the next item's entry (items are more than 56 s apart).
            create = self.entered_ticks(first) // TICKS_PER_SECOND * TICKS_PER_SECOND - 5 * TICKS_PER_SECOND
            closed = None if is_open else self.entered_ticks(last) // TICKS_PER_SECOND * TICKS_PER_SECOND
            commerce = ("M", "D", "S")[self._digest(b"batch", number)[0] % 3]
            cached = Batch(
                number,
                first,
                last,
                is_open,
                commerce,
                create,
                None if closed is None else closed + 50 * TICKS_PER_SECOND,
            )
            self._batch_cache[key] = cached
        return cached

    # -- what a correct warehouse holds --------------------------------------------------------------

    def expected_invoice_item_ids(self) -> Sequence[int]:
        """LineItemIDs of every item (the `invoice_items` table), imported ones included."""
        generated = range(1, self.items + 1)
        return [*generated, *(n for n, _ in self._backdated)] if self._backdated else generated

    def expected_batch_item_ids(self) -> range:
        """LineItemIDs of the items in closed batches (the `finance_batch_items` table)."""
        layout = self._layout
        return range(1, layout.starts[-1] if layout.starts else 1)

    def expected_money(self, ids: Iterable[int]) -> Money:
        """Exact sums of LineTotal and LineItemAmount over `ids` (LineItemIDs).

        A `range` (what the `expected_*_ids` methods return) is summed from cached per-block sums, so
        repeated calls on a big dataset are cheap.
        """
        if isinstance(ids, range) and ids.step == 1:
            count, total, amount = self._range_cents(ids.start, ids.stop - 1)
        elif isinstance(ids, list) and ids and ids[: self.items] == range(1, self.items + 1):
            count, total, amount = self._range_cents(1, self.items)
            for n in ids[self.items :]:
                line_total, line_amount = self._money_cents(n)
                count, total, amount = count + 1, total + line_total, amount + line_amount
        else:
            count = total = amount = 0
            for n in ids:
                line_total, line_amount = self._money_cents(n)
                count, total, amount = count + 1, total + line_total, amount + line_amount
        return Money(count, money(total), money(amount))

    def _range_cents(self, first: int, last: int) -> tuple[int, int, int]:
        total = amount = 0
        n = first
        while n <= last:
            block = (n - 1) // _MONEY_BLOCK
            block_first, block_last = block * _MONEY_BLOCK + 1, (block + 1) * _MONEY_BLOCK
            if n == block_first and block_last <= last:
                sums = self._money_blocks.get(block)
                if sums is None:
                    sums = self._sum_cents(block_first, block_last)
                    self._money_blocks[block] = sums
                n = block_last + 1
            else:
                end = min(block_last, last)
                sums = self._sum_cents(n, end)
                n = end + 1
            total += sums[0]
            amount += sums[1]
        return max(last - first + 1, 0), total, amount

    def _sum_cents(self, first: int, last: int) -> tuple[int, int]:
        total = amount = 0
        for n in range(first, last + 1):
            line_total, line_amount = self._money_cents(n)
            total += line_total
            amount += line_amount
        return total, amount


def _card_number(card_type: str, randomness: int) -> str:
    """A 16-digit test card number of the type's prefix, with a valid Luhn check digit."""
    prefix = {"Visa": "4", "MasterCard": "5" + str(1 + randomness % 5), "Discover": "6011"}[card_type]
    body = prefix + str(randomness).rjust(20, "0")[-(15 - len(prefix)) :]
    return body + str(_luhn_check_digit(body))


def _luhn_check_digit(body: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(body)):
        digit = int(ch)
        if i % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10
