"""The Younium dataset: accounts, invoices and their lines, invoice batches and payments, linked and seeded.

Every field that never changes is a pure function of (seed, number), drawn from a keyed BLAKE2b digest, so
records are generated when a page asks for them and equal seeds give byte-identical pages. Unlike YM's
items, Younium invoices change in place (batch jobs take draft invoices into batches and post them;
`advance` edits drafts), so a little state is kept per invoice: its status, its batch, its `modified`
time, and which of its lines were edited. Invoices are listed in (modified, id) order from an index that
each change keeps sorted, which makes any page of tens of thousands of invoices a slice away.

Time is the tenant's own: the seeded history starts on 2024-01-02, and each later event (an `advance`, a
job finishing) happens an hour after the previous one, so `modified` only ever moves forward and equal
sequences of events give equal data. Times are integer milliseconds since 1970-01-01 UTC.

How the seeded history looks: the oldest ~70% of the invoices were invoiced in `batches` invoice batches,
cut at day boundaries (a batch takes every draft dated up to its target date), all posted except the
newest; a quarter of the posted invoices were paid, one payment each. The newest invoices are drafts
outside any batch, waiting for the next generate job. Money is in whole cents: each line's subtotal is
quantity x price, its tax the subtotal times the VAT rate rounded half-even, and an invoice's amounts
are the sums of its lines'.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import threading
import time
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, NamedTuple

from .formats import RawJson, dumps, money

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_MS_PER_DAY = DAY
_UNIX_DAY_ORDINAL = date(1970, 1, 1).toordinal()

# Invoice n was created (n - 1) x spacing after this, plus up to 9 minutes: creation times strictly
# increase. The spacing spreads the seeded invoices over about ten months, and is never under 23m17s.
FIRST_CREATED = int(datetime(2024, 1, 2, 7, 30, tzinfo=timezone.utc).timestamp()) * SECOND
INVOICE_SPACING = 23 * MINUTE + 17 * SECOND
SPREAD = 300 * DAY
_INVOICE_JITTER = 9 * MINUTE
# The seeded accounts were all created before the first invoice, 3h17m apart.
ACCOUNT_SPACING = 3 * HOUR + 17 * MINUTE
# Each event after the seeded history (advance, a job finishing) happens this long after the previous one.
EVENT_STEP = HOUR
BATCHED_SHARE = 0.7  # the oldest invoices that the seeded batches took
FIRST_INVOICE_NUMBER = 100_001
FIRST_ACCOUNT_NUMBER = 10_001
BASE_CURRENCY = "SEK"

DRAFT, POSTED, SETTLED = 0, 1, 2
STATUS_NAMES = ("Draft", "Posted", "Settled")

# (legal form, country, currency, VAT applies): most customers are Swedish, the rest abroad (no Swedish VAT).
_FORMS = (("AB", "Sweden", "SEK", True),) * 6 + (
    ("AS", "Norway", "NOK", False),
    ("AS", "Norway", "NOK", False),
    ("Oy", "Finland", "EUR", False),
    ("GmbH", "Germany", "EUR", False),
    ("Inc.", "United States", "USD", False),
)
# Base-currency (SEK) value of one unit, to four decimals, as integers.
_RATES_E4 = {"SEK": 10_000, "NOK": 9_874, "EUR": 114_523, "USD": 106_217}
_CITIES = {
    "Sweden": (("Stockholm", "111 22"), ("Göteborg", "411 05"), ("Malmö", "211 19"), ("Uppsala", "753 20")),
    "Norway": (("Oslo", "0150"), ("Bergen", "5003")),
    "Finland": (("Helsinki", "00100"), ("Tampere", "33100")),
    "Germany": (("Hamburg", "20095"), ("Berlin", "10115")),
    "United States": (("Boston", "02108"), ("Austin", "78701")),
}
_NAME_STEMS = (
    "Nordvik", "Fjällström", "Ekholm", "Solberg", "Lindqvist", "Havsbris", "Björkdal", "Granlund",
    "Åkerlund", "Strandberg", "Vinterhav", "Östergren", "Kvarnby", "Myrén", "Sjöberg", "Alvik",
    "O'Neill & Berg", "Smith \"Nordic\"",
)  # fmt: skip
_NAME_TRADES = (
    "Logistik", "Fastigheter", "Consulting", "Bygg & Design", "Media", "Software", "Health", "Analytics",
    "Retail", "Energi", "Marine", "Studio",
)  # fmt: skip
_PEOPLE = (
    "Anna Andersson", "Erik Johansson", "Sofia Karlsson", "Lars Nilsson", "Maja Eriksson", "Oskar Larsson",
    "Ingrid Olsen", "Mikko Virtanen", "Jana Müller", "Emily Carter", "Åsa Lindgren", "Per-Olof Öberg",
)  # fmt: skip
_OUR_PEOPLE = ("Karin Holm", "Johan Berg", "Elin Sandberg")
_STREETS = ("Storgatan", "Kungsgatan", "Drottninggatan", "Sveavägen", "Hamngatan", "Industrivägen")

ACCOUNT_TYPES = ("Customer",) * 7 + ("Reseller", "Subsidiary", "Other")


class BatchGroup(NamedTuple):
    id: str
    code: str
    description: str


class PaymentTerm(NamedTuple):
    id: str
    days: int
    name: str


class _Product(NamedTuple):
    number: str
    name: str
    description: str
    unit: RawJson
    prices: tuple[int, ...]  # cents; negative for discounts
    max_quantity: int
    recognized: RawJson
    deferred: RawJson
    weight: int


def _financial_account(code: str, name: str) -> RawJson:
    return RawJson(dumps({"code": code, "name": name, "description": name}))


def _unit(code: str, name: str) -> RawJson:
    return RawJson(dumps({"unitCode": code, "name": name, "displayName": name}))


_PRODUCTS = (
    _Product("P-100", "Platform subscription", "Monthly platform fee", _unit("MON", "Month"),
             (49_000, 99_000, 149_000), 1, _financial_account("3011", "Subscription revenue"),
             _financial_account("2971", "Deferred subscription revenue"), 5),
    _Product("P-200", "User seats", "Named user licence", _unit("SEAT", "Seat"), (9_900, 12_900, 14_900), 40,
             _financial_account("3012", "Licence revenue"), _financial_account("2972", "Deferred licence revenue"),
             6),
    _Product("P-300", "Premium support", "Support and SLA, per month", _unit("MON", "Month"), (25_000, 45_000), 1,
             _financial_account("3041", "Support revenue"), _financial_account("2974", "Deferred support revenue"),
             3),
    _Product("P-400", "API usage", "API calls above the included volume, per 1000", _unit("KCALL", "1000 calls"),
             (150, 275, 395), 500, _financial_account("3051", "Usage revenue"),
             _financial_account("2975", "Deferred usage revenue"), 3),
    _Product("P-500", "Onboarding", "One-off onboarding package", _unit("EA", "Each"), (500_000, 1_250_000), 1,
             _financial_account("3061", "Services revenue"), _financial_account("2976", "Deferred services revenue"),
             1),
    _Product("P-600", "Storage add-on", "Extra storage, per 100 GB", _unit("100GB", "100 GB"), (4_900, 7_900), 20,
             _financial_account("3013", "Add-on revenue"), _financial_account("2973", "Deferred add-on revenue"), 2),
    _Product("P-900", "Loyalty discount", "Discount for multi-year customers", _unit("EA", "Each"),
             (-5_000, -10_000, -25_000), 1, _financial_account("3090", "Discounts given"),
             _financial_account("2979", "Deferred discounts"), 1),
)  # fmt: skip
_PRODUCT_WHEEL = tuple(p for p in _PRODUCTS for _ in range(p.weight))
_ACCOUNTS_RECEIVABLE = RawJson(dumps({"code": "1510", "name": "Kundfordringar", "description": "Accounts receivable"}))
_PAYMENT_ACCOUNT = RawJson(dumps({"code": "1930", "name": "Företagskonto", "description": "Bank account"}))
_BANK_FEE_ACCOUNT = RawJson(dumps({"code": "6570", "name": "Bankkostnader", "description": "Bank fees"}))
_EMPTY_OBJECT = RawJson("{}")
_EMPTY_LIST = RawJson("[]")
_VAT_RATES = (25,) * 8 + (12, 6)  # Swedish VAT, percent
_VAT_NAMES = {25: "Standard rate 25%", 12: "Reduced rate 12%", 6: "Reduced rate 6%"}
# Seeded batches have this many warnings in their log, in turn: some none, one, or several.
_SEEDED_LOG_SIZES = (2, 0, 1, 3)


class Window(NamedTuple):
    """ModifiedAfter / ModifiedBefore, both exclusive, in ms (None: unbounded)."""

    after: int | None = None
    before: int | None = None

    def contains(self, moment: int) -> bool:
        return (self.after is None or moment > self.after) and (self.before is None or moment < self.before)


class Totals(NamedTuple):
    """An invoice's (or line's) amounts in cents: invoice currency, then base currency (SEK)."""

    subtotal: int
    tax: int
    total: int
    subtotal_base: int
    tax_base: int
    total_base: int


class _Line(NamedTuple):
    number: int  # invoiceLineNumber
    digest: bytes
    product: _Product
    quantity: int
    price: int
    tax_rate: int
    amounts: Totals
    modified: int


class Account(NamedTuple):
    number: int  # 1-based
    id: str
    account_number: str
    name: str
    form: tuple[str, str, str, bool]
    group: BatchGroup
    term: PaymentTerm
    created: int
    digest: bytes

    @property
    def currency(self) -> str:
        return self.form[2]

    @property
    def vat(self) -> bool:
        return self.form[3]


@dataclass(frozen=True)
class LogEntry:
    """One InvoiceBatchLogResponse."""

    entity_id: str
    entity_name: str
    reference: str
    error_message: str | None
    created: int

    def record(self) -> dict[str, Any]:
        stamp = format_instant(self.created)
        return {
            "entityId": self.entity_id,
            "errorMessage": self.error_message,
            "reference": self.reference,
            "entityName": self.entity_name,
            "created": stamp,
            "modified": stamp,
        }


@dataclass
class InvoiceBatch:
    """An invoice batch: the invoices a generate job took, posted or not yet."""

    number: int  # 1-based, in the order batches were created
    id: str
    batch_number: str
    target_day: int  # date ordinal
    invoice_day: int | None  # the invoice date the job set, if it set one
    invoices: tuple[int, ...]  # invoice numbers
    groups: tuple[str, ...]
    created: int
    modified: int
    posted: bool = False
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Payment:
    number: int
    id: str
    invoice: int  # the invoice it settled
    paid: int  # ms
    batch: int  # the invoice batch of that invoice (payments are grouped into payment batches by it)


@dataclass(frozen=True)
class Advanced:
    """What one `advance` did."""

    new_account_ids: tuple[str, ...]
    new_invoice_ids: tuple[str, ...]
    modified_invoice_ids: tuple[str, ...]
    modified_line_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "new_accounts": len(self.new_account_ids),
            "new_invoices": len(self.new_invoice_ids),
            "modified_invoices": len(self.modified_invoice_ids),
            "modified_lines": len(self.modified_line_ids),
            "new_account_ids": list(self.new_account_ids),
            "new_invoice_ids": list(self.new_invoice_ids),
            "modified_invoice_ids": list(self.modified_invoice_ids),
            "modified_line_ids": list(self.modified_line_ids),
        }


class _AccountJson(NamedTuple):
    reference: RawJson
    address: RawJson
    payment_term: RawJson


class _Segment(NamedTuple):
    """Records numbered from `first` were created from `start`, `spacing` apart; invoices of the segment
    belong to the first `accounts` accounts."""

    first: int
    start: int
    spacing: int
    accounts: int


def format_instant(ms: int) -> str:
    """`2024-01-02T07:30:00.12Z`: UTC, with the milliseconds (trailing zeros dropped) when there are some."""
    seconds, millis = divmod(ms, SECOND)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}.{millis:03d}".rstrip("0") + "Z" if millis else text + "Z"


def format_day(ordinal: int) -> str:
    """A date as Younium writes one: midnight, no offset."""
    return date.fromordinal(ordinal).isoformat() + "T00:00:00"


def day_of(ms: int) -> int:
    """The date ordinal of a moment (UTC)."""
    return _UNIX_DAY_ORDINAL + ms // _MS_PER_DAY


def start_of_day(ordinal: int) -> int:
    return (ordinal - _UNIX_DAY_ORDINAL) * _MS_PER_DAY


def _div_half_even(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def _line_amounts(quantity: int, price: int, tax_rate: int, rate_e4: int) -> Totals:
    subtotal = quantity * price
    tax = _div_half_even(subtotal * tax_rate, 100)
    subtotal_base = _div_half_even(subtotal * rate_e4, 10_000)
    tax_base = _div_half_even(tax * rate_e4, 10_000)
    return Totals(subtotal, tax, subtotal + tax, subtotal_base, tax_base, subtotal_base + tax_base)


def _sum_totals(parts: Iterable[Totals]) -> Totals:
    sums = [0] * 6
    for part in parts:
        for i, value in enumerate(part):
            sums[i] += value
    return Totals(*sums)


def _uuid(raw: bytes) -> str:
    """A version-4 UUID made of the first 16 bytes (what `uuid.UUID(bytes=..., version=4)` makes, faster)."""
    b = bytearray(raw[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _rate_text(rate_e4: int) -> Decimal:
    return Decimal(rate_e4).scaleb(-4)


class YouniumDataset:
    """A seeded Younium tenant. Thread-safe: the server reads pages while tests advance it."""

    def __init__(
        self, seed: int = 7, accounts: int = 50, invoices: int = 600, lines_per_invoice: int = 5, batches: int = 4
    ) -> None:
        if accounts < 1 or invoices < 0 or lines_per_invoice < 1 or batches < 0:
            raise ValueError("accounts and lines_per_invoice must be >= 1, invoices and batches >= 0")
        self.seed = seed
        self.lines_per_invoice = lines_per_invoice
        self._key = hashlib.blake2b(f"finsync-sandbox-younium:{seed}".encode(), digest_size=32).digest()
        self._lock = threading.RLock()
        self.batch_groups = tuple(
            BatchGroup(_uuid(self._digest(b"group", i)), code, text)
            for i, (code, text) in enumerate(
                (("MONTHLY", "Monthly invoicing"), ("QUARTERLY", "Quarterly invoicing"), ("ANNUAL", "Annual invoicing"))
            )
        )
        self.payment_terms = tuple(
            PaymentTerm(_uuid(self._digest(b"term", days)), days, f"{days} days") for days in (10, 30, 45)
        )
        self.legal_entity_id = _uuid(self._digest(b"legal-entity", 1))
        # Accounts.
        self._account_segments = [_Segment(1, FIRST_CREATED - accounts * ACCOUNT_SPACING, ACCOUNT_SPACING, 0)]
        self._accounts: list[Account] = []
        self._account_by_id: dict[str, int] = {}
        self._account_json: dict[int, _AccountJson] = {}
        self._add_accounts(accounts)
        # Invoices: the static part comes from the seed, the rest is kept here, indexed by invoice number.
        self._spacing = max(INVOICE_SPACING, SPREAD // max(invoices, 1))
        self._invoice_segments = [_Segment(1, FIRST_CREATED, self._spacing, accounts)]
        self._ids: list[str] = [""]
        self._invoice_accounts = array("l", [0])
        self._created = array("q", [0])
        self._status = bytearray(1)
        self._batch = array("l", [0])
        self._modified = array("q", [0])
        self._invoice_day: dict[int, int] = {}  # invoice dates a generate job set
        self._edits: dict[tuple[int, int], tuple[int, int]] = {}  # (invoice, line) -> (extra quantity, modified)
        self._totals: dict[int, Totals] = {}
        self._reserved: set[int] = set()  # taken by a generate job that has not finished
        self._add_invoices(invoices)
        self._batches: list[InvoiceBatch] = []
        self._batch_by_number: dict[int, InvoiceBatch] = {}
        self._batch_by_ref: dict[str, InvoiceBatch] = {}
        self._batch_numbers = itertools.count(1)
        self._payments: list[Payment] = []
        self._seed_history(batches)
        self._order = sorted(range(1, invoices + 1), key=self._order_key)
        latest = max([FIRST_CREATED, *self._modified[1:], *(p.paid for p in self._payments)])
        self._now = latest - latest % HOUR + HOUR
        self._advances = 0

    # -- seeded values ---------------------------------------------------------------------------------

    def _digest(self, person: bytes, number: int) -> bytes:
        return hashlib.blake2b(number.to_bytes(8, "little"), key=self._key, person=person, digest_size=48).digest()

    def _order_key(self, n: int) -> tuple[int, str]:
        return self._modified[n], self._ids[n]

    @staticmethod
    def _segment(segments: Sequence[_Segment], number: int) -> _Segment:
        return segments[bisect.bisect_right(segments, number, key=lambda s: s.first) - 1]

    def _add_accounts(self, count: int) -> None:
        first = len(self._accounts) + 1
        for a in range(first, first + count):
            segment = self._segment(self._account_segments, a)
            d = self._digest(b"account", a)
            form = _FORMS[d[0] % len(_FORMS)]
            name = f"{_NAME_STEMS[d[1] % len(_NAME_STEMS)]} {_NAME_TRADES[d[2] % len(_NAME_TRADES)]} {form[0]}"
            account = Account(
                a,
                _uuid(d),
                f"A-{FIRST_ACCOUNT_NUMBER - 1 + a}",
                name,
                form,
                self.batch_groups[d[3] % len(self.batch_groups)],
                self.payment_terms[d[4] % len(self.payment_terms)],
                segment.start + (a - segment.first) * segment.spacing,
                d,
            )
            self._accounts.append(account)
            self._account_by_id[account.id] = a

    def _add_invoices(self, count: int) -> None:
        first = len(self._ids)
        for n in range(first, first + count):
            segment = self._segment(self._invoice_segments, n)
            d = self._digest(b"invoice", n)
            created = (
                segment.start
                + (n - segment.first) * segment.spacing
                + int.from_bytes(d[4:8], "little") % (_INVOICE_JITTER)
            )
            self._ids.append(_uuid(d[16:32]))
            self._invoice_accounts.append(1 + int.from_bytes(d[0:4], "little") % segment.accounts)
            self._created.append(created)
            self._status.append(DRAFT)
            self._batch.append(0)
            self._modified.append(created)

    def _seed_history(self, batches: int) -> None:
        """The batches, postings and payments that happened before the sandbox started."""
        invoices = self.invoices_count
        batched = int(invoices * BATCHED_SHARE) if invoices > 1 else 0
        count = min(batches, batched)
        days = [day_of(c) for c in self._created[1:]]
        cuts: list[tuple[int, int, int]] = []  # (first invoice, last invoice, target day) of each batch
        for b in range(1, count + 1):
            # Batches take every invoice dated up to their target date; the newest day's stay drafts.
            target = min(days[max(1, round(batched * b / count)) - 1], days[-1] - 1)
            last = bisect.bisect_right(days, target)
            first = cuts[-1][1] + 1 if cuts else 1
            if last >= first:
                cuts.append((first, last, target))
        for b, (first, last, target) in enumerate(cuts, start=1):
            generated = start_of_day(target + 1) + HOUR
            batch = self._new_batch(self.reserve_batch_number(), range(first, last + 1), target, None, generated)
            for k in range(_SEEDED_LOG_SIZES[(b - 1) % len(_SEEDED_LOG_SIZES)]):
                n = batch.invoices[self._digest(b"log", b * 16 + k)[0] * len(batch.invoices) // 256]
                account = self.account(self._invoice_accounts[n])
                batch.log.append(
                    LogEntry(
                        self._ids[n],
                        "Invoice",
                        self.invoice_number(n),
                        f"Account {account.account_number} has no e-invoice address; invoice "
                        f"{self.invoice_number(n)} will be sent by email instead",
                        generated + (k + 1) * SECOND,
                    )
                )
            if b == len(cuts):
                break  # the newest batch is still waiting to be posted
            self._post(batch, generated + 2 * HOUR)
            paid = batch.modified + DAY + 3 * HOUR
            for n in batch.invoices:
                if self._digest(b"paid", n)[0] < 64:  # a quarter of them
                    self._status[n] = SETTLED
                    self._modified[n] = paid
                    self._payments.append(
                        Payment(len(self._payments) + 1, _uuid(self._digest(b"payment", n)), n, paid, b)
                    )
        self._payments.sort(key=lambda p: (p.paid, p.id))

    # -- accounts --------------------------------------------------------------------------------------

    def account(self, a: int) -> Account:
        return self._accounts[a - 1]

    def account_number_of(self, account_id: str) -> int | None:
        return self._account_by_id.get(account_id)

    def account_record(self, a: int) -> dict[str, Any]:
        account = self.account(a)
        d = account.digest
        contact = _PEOPLE[d[10] % len(_PEOPLE)]
        domain = account.name.split(" ")[0].lower().replace("'", "").replace('"', "") + ".example"
        stamp = format_instant(account.created)
        address = self._account_parts(account).address
        return {
            "id": account.id,
            "accountNumber": account.account_number,
            "name": account.name,
            "accountType": ACCOUNT_TYPES[d[5] % len(ACCOUNT_TYPES)],
            "inactive": d[6] < 13,
            "currencyCode": account.currency,
            "organizationNumber": f"556{int.from_bytes(d[7:10], 'little') % 1_000_000:06d}"
            if account.form[1] == "Sweden"
            else None,
            "taxRegistrationNumber": f"SE556{int.from_bytes(d[7:10], 'little') % 1_000_000:06d}01"
            if account.form[1] == "Sweden"
            else None,
            "domain": domain,
            "invoiceDeliveryMethod": "Email" if d[11] < 200 else "ElectronicInvoice",
            "accountsReceivable": "1510",
            "defaultPaymentTerm": account.term.name,
            "invoiceBatchGroupId": account.group.id,
            "invoiceEmailAddress": f"invoices@{domain}",
            "reminderEmailAddress": f"{contact.split(' ')[0].lower()}@{domain}" if d[12] < 128 else None,
            "yourReference": contact,
            "ourReference": _OUR_PEOPLE[d[13] % len(_OUR_PEOPLE)],
            "defaultInvoiceAddress": address,
            "defaultDeliveryAddress": address,
            "addresses": RawJson(f"[{address}]"),
            "customFields": _EMPTY_OBJECT,
            "externalERPId": f"C{10_000 + account.number}",
            "externalCRMId": f"0015g00000{d[14:20].hex()[:8].upper()}",
            "created": stamp,
            "modified": stamp,
        }

    @staticmethod
    def _place(account: Account) -> tuple[str, str]:
        cities = _CITIES[account.form[1]]
        return cities[account.digest[15] % len(cities)]

    def _account_parts(self, account: Account) -> _AccountJson:
        """The account's pieces that invoices and payments embed, encoded once."""
        parts = self._account_json.get(account.number)
        if parts is None:
            city, zip_code = self._place(account)
            d = account.digest
            address = {
                "id": _uuid(d[20:36]),
                "description": "Invoice address",
                "name": account.name,
                "street": f"{_STREETS[d[16] % len(_STREETS)]} {1 + d[17] % 80}",
                "city": city,
                "zip": zip_code,
                "country": account.form[1],
            }
            reference = {
                "name": account.name,
                "accountNumber": account.account_number,
                "id": account.id,
                "externalERPId": f"C{10_000 + account.number}",
            }
            parts = _AccountJson(
                RawJson(dumps(reference)), RawJson(dumps(address)), RawJson(dumps(account.term._asdict()))
            )
            self._account_json[account.number] = parts
        return parts

    def accounts_in(self, window: Window) -> range:
        """Numbers of the accounts modified within `window`, oldest first (accounts never change, and were
        created in number order)."""
        count = len(self._accounts)
        first = 1
        if window.after is not None:
            first = 1 + bisect.bisect_right(self._accounts, window.after, key=lambda a: a.created)
        last = count
        if window.before is not None:
            last = bisect.bisect_left(self._accounts, window.before, key=lambda a: a.created)
        return range(first, max(first, last + 1))

    # -- invoices --------------------------------------------------------------------------------------

    @property
    def invoices_count(self) -> int:
        return len(self._ids) - 1

    def invoice_id(self, n: int) -> str:
        return self._ids[n]

    @staticmethod
    def invoice_number(n: int) -> str:
        return str(FIRST_INVOICE_NUMBER - 1 + n)

    def invoice_status(self, n: int) -> str:
        return STATUS_NAMES[self._status[n]]

    def invoice_batch(self, n: int) -> InvoiceBatch | None:
        return self._batch_by_number.get(self._batch[n])

    def invoice_account(self, n: int) -> Account:
        return self.account(self._invoice_accounts[n])

    def invoice_day(self, n: int) -> int:
        """The invoice date (ordinal): the day it was created, unless a generate job set another."""
        return self._invoice_day.get(n) or day_of(self._created[n])

    def line_id(self, n: int, k: int) -> str:
        return _uuid(self._line_digest(n, k))

    def _line_digest(self, n: int, k: int) -> bytes:
        return self._digest(b"line", n << 10 | k)

    def _lines(self, n: int) -> list[_Line]:
        account = self.invoice_account(n)
        rate = _RATES_E4[account.currency]
        created = self._created[n]
        lines = []
        for k in range(1, self.lines_per_invoice + 1):
            d = self._line_digest(n, k)
            product = _PRODUCT_WHEEL[d[16] % len(_PRODUCT_WHEEL)]
            quantity = 1 + int.from_bytes(d[17:19], "little") % product.max_quantity
            price = product.prices[d[19] % len(product.prices)]
            tax_rate = _VAT_RATES[d[20] % len(_VAT_RATES)] if account.vat else 0
            modified = created
            edit = self._edits.get((n, k))
            if edit is not None:
                quantity += edit[0]
                modified = edit[1]
            amounts = _line_amounts(quantity, price, tax_rate, rate)
            lines.append(_Line(k, d, product, quantity, price, tax_rate, amounts, modified))
        return lines

    def totals(self, n: int) -> Totals:
        cached = self._totals.get(n)
        if cached is None:
            cached = self._totals[n] = _sum_totals(line.amounts for line in self._lines(n))
        return cached

    def _bounds(self, window: Window) -> tuple[int, int]:
        """Where the invoices modified within `window` start and stop in the (modified, id) order."""
        order, modified = self._order, self._modified
        start = 0 if window.after is None else bisect.bisect_right(order, window.after, key=modified.__getitem__)
        stop = len(order)
        if window.before is not None:
            stop = bisect.bisect_left(order, window.before, key=modified.__getitem__)
        return start, max(start, stop)

    def invoices_in(self, window: Window) -> list[int]:
        """Invoice numbers modified within `window`, in (modified, id) order: the order the API lists them in."""
        with self._lock:
            start, stop = self._bounds(window)
            return self._order[start:stop]

    def invoice_page(self, window: Window, skip: int, size: int) -> tuple[int, list[dict[str, Any]]]:
        """(how many invoices are in `window`, the records of `size` of them after the first `skip`)."""
        with self._lock:
            start, stop = self._bounds(window)
            numbers = self._order[start + skip : min(stop, start + skip + size)]
            return stop - start, [self._invoice_record(n, window) for n in numbers]

    def invoice_record(self, n: int, window: Window | None = None) -> dict[str, Any]:
        """Invoice `n` as an InvoiceResponse; its `invoiceLines` only those modified within `window` (the
        API applies ModifiedAfter/ModifiedBefore to sub-entities too)."""
        with self._lock:
            return self._invoice_record(n, window or Window())

    def _invoice_record(self, n: int, window: Window) -> dict[str, Any]:
        account = self.invoice_account(n)
        d = self._digest(b"invoice", n)
        invoice_id = self._ids[n]
        lines = self._lines(n)
        totals = self._totals.get(n)
        if totals is None:
            totals = self._totals[n] = _sum_totals(line.amounts for line in lines)
        status = self._status[n]
        rate_e4 = _RATES_E4[account.currency]
        rate = _rate_text(rate_e4)
        invoice_day = self.invoice_day(n)
        created_at = self._created[n]
        created = format_instant(created_at)
        batch = self.invoice_batch(n)
        payment_day = format_day(day_of(self._modified[n])) if status == SETTLED else None
        settled = totals.total if status == SETTLED else 0
        settled_base = totals.total_base if status == SETTLED else 0
        order_id = _uuid(d[32:48])
        period_start = format_day(day_of(self._created[n]))
        period_end = format_day(day_of(self._created[n]) + 30)
        parts = self._account_parts(account)
        invoice_lines = [
            self._line_record(
                invoice_id, order_id, account.id, line, rate, period_start, period_end, created_at, created
            )
            for line in lines
            if window.contains(line.modified)
        ]
        return {
            "id": invoice_id,
            "invoiceNumber": self.invoice_number(n),
            "status": STATUS_NAMES[status],
            "invoiceType": "Invoice",
            "account": parts.reference,
            "paymentTerm": parts.payment_term,
            "invoiceDate": format_day(invoice_day),
            "dueDate": format_day(invoice_day + account.term.days),
            "paymentDate": payment_day,
            "lastPaymentDate": payment_day,
            "nrOfReminders": 0,
            "currency": account.currency,
            "exchangeRate": rate,
            "subtotal": money(totals.subtotal),
            "subtotalBaseAmount": money(totals.subtotal_base),
            "tax": money(totals.tax),
            "taxBaseAmount": money(totals.tax_base),
            "totalAmount": money(totals.total),
            "totalBaseAmount": money(totals.total_base),
            "totalRoundingAmount": money(0),
            "totalRoundingBaseAmount": money(0),
            "settledAmount": money(settled),
            "settledBaseAmount": money(settled_base),
            "balancedAmount": money(totals.total - settled),
            "balancedBaseAmount": money(totals.total_base - settled_base),
            "taxIncluded": False,
            "invoiceAddress": parts.address,
            "deliveryAddress": parts.address,
            "invoiceBatchId": batch.id if batch else None,
            "invoiceLines": invoice_lines,
            "latestOnlinePaymentLogs": _EMPTY_LIST,
            "onlinePaymentStatus": "None",
            "yourReference": _PEOPLE[account.digest[10] % len(_PEOPLE)],
            "ourReference": _OUR_PEOPLE[account.digest[13] % len(_OUR_PEOPLE)],
            "yourOrderNumber": f"PO-{int.from_bytes(d[8:10], 'little') % 90_000 + 10_000}" if d[10] < 90 else None,
            "buyerReference": f"REF{d[11]:03d}" if d[12] < 60 else None,
            "ocrNumber": _ocr(FIRST_INVOICE_NUMBER - 1 + n),
            "sendMethod": "Email",
            "invoiceDeliveryMethod": "Email",
            "paymentMethodForInvoice": "Invoice",
            "disableAutomaticInvoiceReminder": False,
            "accountsReceivable": _ACCOUNTS_RECEIVABLE,
            "customFields": _EMPTY_OBJECT,
            "externalERPId": f"F{FIRST_INVOICE_NUMBER - 1 + n}" if status != DRAFT else None,
            "externalCRMId": None,
            "created": created,
            "modified": format_instant(self._modified[n]),
        }

    @staticmethod
    def _line_record(
        invoice_id: str,
        order_id: str,
        account_id: str,
        line: _Line,
        rate: Decimal,
        period_start: str,
        period_end: str,
        created_at: int,
        created: str,
    ) -> dict[str, Any]:
        d, product, amounts = line.digest, line.product, line.amounts
        line_id = _uuid(d)
        charge_number = f"C-{int.from_bytes(d[21:24], 'little') % 900_000 + 100_000}"
        subtotal, tax, total = money(amounts.subtotal), money(amounts.tax), money(amounts.total)
        subtotal_base, tax_base = money(amounts.subtotal_base), money(amounts.tax_base)
        total_base = money(amounts.total_base)
        return {
            "id": line_id,
            "invoiceId": invoice_id,
            "invoiceLineNumber": line.number,
            "productNumber": product.number,
            "productName": product.name,
            "chargeDescription": product.description,
            "chargeNumber": charge_number,
            "charge": RawJson(f'{{"name":"{product.name}","chargeNumber":"{charge_number}","id":"{_uuid(d[16:32])}"}}'),
            "quantity": line.quantity,
            "unitOfMeasure": product.unit,
            "price": money(line.price),
            "subtotal": subtotal,
            "subtotalBaseAmount": subtotal_base,
            "total": total,
            "totalBaseAmount": total_base,
            "tax": tax,
            "taxBaseAmount": tax_base,
            "subtotalPreDiscount": subtotal,
            "subtotalPreDiscountBaseAmount": subtotal_base,
            "totalPreDiscount": total,
            "totalPreDiscountBaseAmount": total_base,
            "taxPreDiscount": tax,
            "taxPreDiscountBaseAmount": tax_base,
            "exchangeRate": rate,
            "taxCategoryName": _VAT_NAMES.get(line.tax_rate, "Reverse charge"),
            "taxRate": line.tax_rate,
            "servicePeriodStartDate": period_start,
            "servicePeriodEndDate": period_end,
            "orderChargeId": _uuid(d[16:32]),
            "orderId": order_id,
            "accountId": account_id,
            "orderProductId": _uuid(d[32:48]),
            "accountsReceivable": _ACCOUNTS_RECEIVABLE,
            "deferredRevenue": product.deferred,
            "recognizedRevenue": product.recognized,
            "customFields": _EMPTY_OBJECT,
            "created": created,
            "modified": created if line.modified == created_at else format_instant(line.modified),
        }

    def simple_invoice(self, n: int) -> dict[str, Any]:
        """Invoice `n` as a batch lists it (SimpleInvoiceModel)."""
        totals = self.totals(n)
        return {
            "invoiceNumber": self.invoice_number(n),
            "status": STATUS_NAMES[self._status[n]],
            "invoiceDate": format_day(self.invoice_day(n)),
            "currency": self.invoice_account(n).currency,
            "subtotal": money(totals.subtotal),
            "totalAmount": money(totals.total),
            "id": self._ids[n],
            "externalERPId": f"F{FIRST_INVOICE_NUMBER - 1 + n}" if self._status[n] != DRAFT else None,
        }

    # -- invoice batches -------------------------------------------------------------------------------

    def batches(self) -> list[InvoiceBatch]:
        with self._lock:
            return list(self._batches)

    def batch(self, reference: str) -> InvoiceBatch | None:
        """A batch by id or batch number."""
        return self._batch_by_ref.get(reference.strip().lower())

    def batches_in(self, window: Window) -> list[InvoiceBatch]:
        with self._lock:
            return sorted((b for b in self._batches if window.contains(b.modified)), key=lambda b: (b.modified, b.id))

    def batch_record(self, batch: InvoiceBatch) -> dict[str, Any]:
        with self._lock:
            return {
                "id": batch.id,
                "batchNumber": batch.batch_number,
                "targetDate": format_day(batch.target_day),
                "invoiceDate": format_day(batch.invoice_day) if batch.invoice_day else None,
                "batchGroups": list(batch.groups),
                "invoices": [self.simple_invoice(n) for n in batch.invoices],
                "batchLog": [entry.record() for entry in batch.log],
                "created": format_instant(batch.created),
                "modified": format_instant(batch.modified),
            }

    def batch_identity(self, number: int) -> tuple[str, str]:
        """(id, batch number) of the `number`th batch, known before the batch exists."""
        return _uuid(self._digest(b"batch", number)), f"IB-{number:05d}"

    def _new_batch(
        self, number: int, invoices: Iterable[int], target_day: int, invoice_day: int | None, at: int
    ) -> InvoiceBatch:
        numbers = tuple(invoices)
        batch_id, batch_number = self.batch_identity(number)
        groups = sorted({self.invoice_account(n).group.code for n in numbers})
        batch = InvoiceBatch(number, batch_id, batch_number, target_day, invoice_day, numbers, tuple(groups), at, at)
        self._batches.append(batch)
        self._batch_by_number[number] = batch
        self._batch_by_ref[batch_id] = self._batch_by_ref[batch_number.lower()] = batch
        for n in numbers:
            self._batch[n] = number
            self._modified[n] = at
            if invoice_day is not None:
                self._invoice_day[n] = invoice_day
        return batch

    def _post(self, batch: InvoiceBatch, at: int) -> None:
        batch.posted = True
        batch.modified = at
        for n in batch.invoices:
            self._status[n] = POSTED
            self._modified[n] = at

    # -- what batch jobs do ----------------------------------------------------------------------------

    def reserve_batch_number(self) -> int:
        """The number of the next batch a job will create: known (with its id) when the job starts."""
        with self._lock:
            return next(self._batch_numbers)

    def select_for_batch(
        self,
        target_day: int,
        accounts: set[int] | None = None,
        groups: set[str] | None = None,
        minimum: Decimal | None = None,
    ) -> tuple[list[int], list[int]]:
        """The draft invoices outside any batch that a generate job with these settings takes, and those it
        leaves out for being below the minimum amount: (taken, too small), in invoice order."""
        with self._lock:
            taken: list[int] = []
            too_small: list[int] = []
            for n in range(1, len(self._ids)):
                if self._status[n] != DRAFT or self._batch[n] or n in self._reserved:
                    continue
                if self.invoice_day(n) > target_day:
                    continue
                account = self.invoice_account(n)
                if accounts is not None and account.number not in accounts:
                    continue
                if groups is not None and account.group.id not in groups:
                    continue
                if minimum is not None and money(self.totals(n).total) < minimum:
                    too_small.append(n)
                else:
                    taken.append(n)
            return taken, too_small

    def reserve(self, invoices: Iterable[int]) -> None:
        with self._lock:
            self._reserved.update(invoices)

    def release(self, invoices: Iterable[int]) -> None:
        with self._lock:
            self._reserved.difference_update(invoices)

    def generate(
        self,
        number: int,
        invoices: Sequence[int],
        too_small: Sequence[int],
        target_day: int,
        invoice_day: int | None,
        minimum: Decimal | None,
    ) -> InvoiceBatch:
        """A generate job finishing: the invoices go into a new batch, whose log names those left out."""
        with self._lock:
            at = self._tick()
            self.release(invoices)
            batch = self._new_batch(number, invoices, target_day, invoice_day, at)
            for n in too_small:
                total = self.totals(n)
                currency = self.invoice_account(n).currency
                batch.log.append(
                    LogEntry(
                        self._ids[n],
                        "Invoice",
                        self.invoice_number(n),
                        f"Invoice {self.invoice_number(n)} was not included: its total {money(total.total)} "
                        f"{currency} is below the minimum invoice amount {minimum}",
                        at,
                    )
                )
            self._reorder(set(invoices))
            return batch

    def post(self, batch: InvoiceBatch) -> None:
        """A post job finishing: the batch's invoices are posted."""
        with self._lock:
            self._post(batch, self._tick())
            self._reorder(set(batch.invoices))

    def _tick(self) -> int:
        self._now += EVENT_STEP
        return self._now

    def _reorder(self, changed: set[int]) -> None:
        """Move invoices that just changed (all at the latest time) to the end of the (modified, id) order."""
        if changed:
            kept = [n for n in self._order if n not in changed]
            self._order = kept + sorted(changed, key=self._order_key)

    # -- advance ---------------------------------------------------------------------------------------

    def advance(self, new_invoices: int = 0, modified_invoices: int = 0, new_accounts: int = 0) -> Advanced:
        """Move time on: edit `modified_invoices` draft invoices outside any batch (one or more, never all,
        of each one's lines get one more unit, and a new `modified`, as does the invoice), then add
        `new_accounts` accounts and `new_invoices` draft invoices (spread over all accounts, new ones
        included), created after everything else."""
        if min(new_invoices, modified_invoices, new_accounts) < 0:
            raise ValueError("new_invoices, modified_invoices and new_accounts must be >= 0")
        with self._lock:
            candidates = [
                n
                for n in range(1, len(self._ids))
                if self._status[n] == DRAFT and not self._batch[n] and n not in self._reserved
            ]
            if modified_invoices > len(candidates):
                raise ValueError(
                    f"only {len(candidates)} draft invoices are outside batches, so {modified_invoices} cannot be "
                    "modified; add new invoices first"
                )
            self._advances += 1
            if not (new_invoices or modified_invoices or new_accounts):
                return Advanced((), (), (), ())
            at = self._tick()
            chosen: list[int] = []
            edited: list[str] = []
            if modified_invoices:
                stride = len(candidates) // modified_invoices
                start = self._digest(b"advance", self._advances)[0] % stride
                chosen = [
                    candidates[start + i * len(candidates) // modified_invoices] for i in range(modified_invoices)
                ]
                edited = self._edit(chosen, at)
            first_account = len(self._accounts) + 1
            if new_accounts:
                self._account_segments.append(_Segment(first_account, at + MINUTE, MINUTE, 0))
                self._add_accounts(new_accounts)
            first_invoice = len(self._ids)
            if new_invoices:
                start_at = at + (new_accounts + 2) * MINUTE
                self._invoice_segments.append(_Segment(first_invoice, start_at, self._spacing, len(self._accounts)))
                self._add_invoices(new_invoices)
                self._order.extend(range(first_invoice, len(self._ids)))
                self._now = max(self._now, self._created[-1])
            return Advanced(
                tuple(a.id for a in self._accounts[first_account - 1 :]),
                tuple(self._ids[first_invoice:]),
                tuple(self._ids[n] for n in chosen),
                tuple(edited),
            )

    def touch(self, count: int) -> list[str]:
        """Change the `count` invoices that come first in the listing order, as users (or settling payments)
        changing them while a sync pages through the list would: drafts outside batches get an edited line,
        the others only a new `modified`. They move to the end of the list; returns their ids."""
        with self._lock:
            chosen = [n for n in self._order if n not in self._reserved][:count]
            if chosen:
                self._advances += 1
                at = self._tick()
                drafts = [n for n in chosen if self._status[n] == DRAFT and not self._batch[n]]
                self._edit(drafts, at)
                for n in chosen:
                    self._modified[n] = at
                self._reorder(set(chosen))
            return [self._ids[n] for n in chosen]

    def _edit(self, chosen: list[int], at: int) -> list[str]:
        """One or more (never all) of each invoice's lines get one more unit; they and the invoice are
        modified `at`. Returns the ids of the lines edited."""
        edited = []
        for n in chosen:
            for k in self._lines_to_edit(n):
                extra, _ = self._edits.get((n, k), (0, 0))
                self._edits[(n, k)] = (extra + 1, at)
                edited.append(self.line_id(n, k))
            self._modified[n] = at
            self._totals.pop(n, None)
        self._reorder(set(chosen))
        return edited

    def _lines_to_edit(self, n: int) -> list[int]:
        count = self.lines_per_invoice
        if count == 1:
            return [1]
        d = self._digest(b"edit", n << 16 | self._advances)
        edits = 1 + d[0] % (count - 1)  # at least one line, never all of them
        first = d[1] % count
        return sorted((first + i) % count + 1 for i in range(edits))

    # -- payments --------------------------------------------------------------------------------------

    def payments_in(self, window: Window) -> list[Payment]:
        """Payments have no modified time of their own; the window applies to when they were made."""
        with self._lock:
            return [p for p in self._payments if window.contains(p.paid)]

    def payment_record(self, payment: Payment) -> dict[str, Any]:
        n = payment.invoice
        account = self.invoice_account(n)
        totals = self.totals(n)
        rate = _rate_text(_RATES_E4[account.currency])
        amount = {
            "amount": money(totals.total),
            "currencyCode": account.currency,
            "baseCurrencyAmount": money(totals.total_base),
            "baseCurrencyCode": BASE_CURRENCY,
        }
        paid = format_day(day_of(payment.paid))
        invoice_day = self.invoice_day(n)
        batch_id, batch_number = _uuid(self._digest(b"payment-batch", payment.batch)), f"PB-{payment.batch:05d}"
        return {
            "id": payment.id,
            "payerName": account.name,
            "payerInformation": f"{account.name}, {self._place(account)[0]}",
            "paymentDate": paid,
            "postedDate": paid,
            "reference": _ocr(FIRST_INVOICE_NUMBER - 1 + n),
            "description": f"Payment of invoice {self.invoice_number(n)}",
            "amount": amount,
            "bankFeeAmount": {"amount": money(0), "currencyCode": account.currency},
            "exchangeRate": rate,
            "paymentAccount": _PAYMENT_ACCOUNT,
            # Sic: the API spells this one with a capital B.
            "BankFeeAccount": _BANK_FEE_ACCOUNT,
            "paymentMethodName": "Bank transfer",
            "paymentMethodId": _uuid(self._digest(b"payment-method", 1)),
            "paymentBatchNumber": batch_number,
            "paymentBatchId": batch_id,
            "paymentSettlements": [
                {
                    "amount": amount,
                    "invoice": {
                        "account": self._account_parts(account).reference,
                        "id": self._ids[n],
                        "invoiceNumber": self.invoice_number(n),
                        "status": STATUS_NAMES[self._status[n]],
                        "invoiceDate": format_day(invoice_day),
                        "dueDate": format_day(invoice_day + account.term.days),
                        "currency": account.currency,
                        "subtotal": money(totals.subtotal),
                        "tax": money(totals.tax),
                        "totalAmount": money(totals.total),
                        "settledAmount": money(totals.total),
                    },
                    "writeOffs": _EMPTY_LIST,
                }
            ],
            "paymentWriteOffs": _EMPTY_LIST,
            "externalBankId": f"BG{payment.number:08d}",
        }

    # -- what a correct warehouse holds ----------------------------------------------------------------

    def expected_ids(self) -> dict[str, list[str]]:
        """The keys each table must hold after syncing everything: sorted ids (for the keyless tables,
        the same derived keys the source builds are not predictable, so they are counted instead)."""
        with self._lock:
            invoices = range(1, len(self._ids))
            return {
                "accounts": sorted(a.id for a in self._accounts),
                "invoices": sorted(self._ids[1:]),
                "invoice_lines": sorted(
                    self.line_id(n, k) for n in invoices for k in range(1, self.lines_per_invoice + 1)
                ),
                "invoice_batches": sorted(b.id for b in self._batches),
                "payments": sorted(p.id for p in self._payments),
            }

    def expected(self) -> dict[str, dict[str, Any]]:
        """Per table: rows and exact money sums (decimal strings) of a warehouse holding everything."""
        with self._lock:
            invoices = range(1, len(self._ids))
            line_sums = [0] * 6
            line_count = quantity = 0
            for n in invoices:
                lines = self._lines(n)
                for line in lines:
                    for i, value in enumerate(line.amounts):
                        line_sums[i] += value
                    quantity += line.quantity
                line_count += len(lines)
                if n not in self._totals:
                    self._totals[n] = _sum_totals(line.amounts for line in lines)
            line_totals = Totals(*line_sums)
            totals = _sum_totals(self._totals[n] for n in invoices)
            batched = [n for b in self._batches for n in b.invoices]
            batched_totals = _sum_totals(self.totals(n) for n in batched)
            paid = _sum_totals(self.totals(p.invoice) for p in self._payments)
            statuses = [STATUS_NAMES[s] for s in self._status[1:]]
            return {
                "accounts": {"rows": len(self._accounts)},
                "invoices": {
                    "rows": len(invoices),
                    "subtotal": str(money(totals.subtotal)),
                    "tax": str(money(totals.tax)),
                    "total_amount": str(money(totals.total)),
                    "total_base_amount": str(money(totals.total_base)),
                    "by_status": {name: statuses.count(name) for name in STATUS_NAMES},
                },
                "invoice_lines": {
                    "rows": line_count,
                    "subtotal": str(money(line_totals.subtotal)),
                    "tax": str(money(line_totals.tax)),
                    "total": str(money(line_totals.total)),
                    "quantity": quantity,
                },
                "invoice_batches": {
                    "rows": len(self._batches),
                    "posted": sum(b.posted for b in self._batches),
                    "invoice_count": len(batched),
                },
                "invoice_batches__invoices": {
                    "rows": len(batched),
                    "subtotal": str(money(batched_totals.subtotal)),
                    "total_amount": str(money(batched_totals.total)),
                },
                "invoice_batches__batch_groups": {"rows": sum(len(b.groups) for b in self._batches)},
                "invoice_batch_log": {"rows": sum(len(b.log) for b in self._batches)},
                "payments": {"rows": len(self._payments), "amount": str(money(paid.total))},
                "payment_settlements": {"rows": len(self._payments), "amount": str(money(paid.total))},
            }


def _ocr(number: int) -> str:
    """A Swedish OCR reference: the number, a length digit and a Luhn check digit."""
    body = f"{number}{(len(str(number)) + 2) % 10}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        digit = int(ch) * (2 if i % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return body + str((10 - total % 10) % 10)
