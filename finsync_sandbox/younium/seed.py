"""What the seeded Younium tenant is made of (its entities), and the facts drawn from digests of (seed, number).

Everything here is fixed once drawn: an account's name, form and terms, an invoice's id, account and
creation time, a line's product, quantity and price. What changes later (statuses, batches, edited
quantities, `modified` times) the dataset's stores keep on top of these (`younium.dataset`). Money is in
whole cents: a line's subtotal is quantity x price, its tax the subtotal times the VAT rate rounded
half-even, converted to the base currency (SEK) at a fixed rate, rounded half-even too.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import NamedTuple

from ..kernel.formats import DAY, HOUR, MINUTE, SECOND, digest, luhn_digit, seed_key, uuid_of

# Invoice n was created (n - 1) x spacing after this, plus up to 9 minutes: creation times strictly
# increase. The spacing spreads the seeded invoices over about ten months, and is never under 23m17s.
FIRST_CREATED = int(datetime(2024, 1, 2, 7, 30, tzinfo=timezone.utc).timestamp()) * SECOND
INVOICE_SPACING = 23 * MINUTE + 17 * SECOND
SPREAD = 300 * DAY
INVOICE_JITTER = 9 * MINUTE
# The seeded accounts were all created before the first invoice, 3h17m apart.
ACCOUNT_SPACING = 3 * HOUR + 17 * MINUTE
FIRST_INVOICE_NUMBER = 100_001
FIRST_ACCOUNT_NUMBER = 10_001
BASE_CURRENCY = "SEK"
# An invoice's status (the invoice store keeps the code) and the API's names for them.
DRAFT, POSTED, SETTLED, CANCELLED = 0, 1, 2, 3
STATUS_NAMES = ("Draft", "Posted", "Settled", "Cancelled")
INVOICE_TYPES = ("Invoice", "Credit", "OnAccount")


# (legal form, country, currency, VAT applies): most customers are Swedish, the rest abroad (no Swedish VAT).
FORMS = (("AB", "Sweden", "SEK", True),) * 6 + (
    ("AS", "Norway", "NOK", False),
    ("AS", "Norway", "NOK", False),
    ("Oy", "Finland", "EUR", False),
    ("GmbH", "Germany", "EUR", False),
    ("Inc.", "United States", "USD", False),
)
CITIES = {
    "Sweden": (("Stockholm", "111 22"), ("Göteborg", "411 05"), ("Malmö", "211 19"), ("Uppsala", "753 20")),
    "Norway": (("Oslo", "0150"), ("Bergen", "5003")),
    "Finland": (("Helsinki", "00100"), ("Tampere", "33100")),
    "Germany": (("Hamburg", "20095"), ("Berlin", "10115")),
    "United States": (("Boston", "02108"), ("Austin", "78701")),
}
NAME_STEMS = (
    "Nordvik", "Fjällström", "Ekholm", "Solberg", "Lindqvist", "Havsbris", "Björkdal", "Granlund",
    "Åkerlund", "Strandberg", "Vinterhav", "Östergren", "Kvarnby", "Myrén", "Sjöberg", "Alvik",
    "O'Neill & Berg", "Smith \"Nordic\"",
)  # fmt: skip
NAME_TRADES = (
    "Logistik", "Fastigheter", "Consulting", "Bygg & Design", "Media", "Software", "Health", "Analytics",
    "Retail", "Energi", "Marine", "Studio",
)  # fmt: skip
PEOPLE = (
    "Anna Andersson", "Erik Johansson", "Sofia Karlsson", "Lars Nilsson", "Maja Eriksson", "Oskar Larsson",
    "Ingrid Olsen", "Mikko Virtanen", "Jana Müller", "Emily Carter", "Åsa Lindgren", "Per-Olof Öberg",
)  # fmt: skip
OUR_PEOPLE = ("Karin Holm", "Johan Berg", "Elin Sandberg")
STREETS = ("Storgatan", "Kungsgatan", "Drottninggatan", "Sveavägen", "Hamngatan", "Industrivägen")

_GROUPS = (("MONTHLY", "Monthly invoicing"), ("QUARTERLY", "Quarterly invoicing"), ("ANNUAL", "Annual invoicing"))
ACCOUNT_TYPES = ("Customer",) * 7 + ("Reseller", "Subsidiary", "Other")


class BatchGroup(NamedTuple):
    id: str
    code: str
    description: str


class PaymentTerm(NamedTuple):
    id: str
    days: int
    name: str


class Product(NamedTuple):
    number: str
    name: str
    description: str
    unit: dict[str, str]
    prices: tuple[int, ...]  # cents; negative for discounts
    max_quantity: int
    recognized: dict[str, str]
    deferred: dict[str, str]
    weight: int


def _account(code: str, name: str) -> dict[str, str]:
    return {"code": code, "name": name, "description": name}


def _unit(code: str, name: str) -> dict[str, str]:
    return {"unitCode": code, "name": name, "displayName": name}


PRODUCTS = (
    Product("P-100", "Platform subscription", "Monthly platform fee", _unit("MON", "Month"),
             (49_000, 99_000, 149_000), 1, _account("3011", "Subscription revenue"),
             _account("2971", "Deferred subscription revenue"), 5),
    Product("P-200", "User seats", "Named user licence", _unit("SEAT", "Seat"), (9_900, 12_900, 14_900), 40,
             _account("3012", "Licence revenue"), _account("2972", "Deferred licence revenue"),
             6),
    Product("P-300", "Premium support", "Support and SLA, per month", _unit("MON", "Month"), (25_000, 45_000), 1,
             _account("3041", "Support revenue"), _account("2974", "Deferred support revenue"),
             3),
    Product("P-400", "API usage", "API calls above the included volume, per 1000", _unit("KCALL", "1000 calls"),
             (150, 275, 395), 500, _account("3051", "Usage revenue"),
             _account("2975", "Deferred usage revenue"), 3),
    Product("P-500", "Onboarding", "One-off onboarding package", _unit("EA", "Each"), (500_000, 1_250_000), 1,
             _account("3061", "Services revenue"), _account("2976", "Deferred services revenue"),
             1),
    Product("P-600", "Storage add-on", "Extra storage, per 100 GB", _unit("100GB", "100 GB"), (4_900, 7_900), 20,
             _account("3013", "Add-on revenue"), _account("2973", "Deferred add-on revenue"), 2),
    Product("P-900", "Loyalty discount", "Discount for multi-year customers", _unit("EA", "Each"),
             (-5_000, -10_000, -25_000), 1, _account("3090", "Discounts given"),
             _account("2979", "Deferred discounts"), 1),
)  # fmt: skip
_PRODUCT_WHEEL = tuple(p for p in PRODUCTS for _ in range(p.weight))
VAT_RATES = (25,) * 8 + (12, 6)  # Swedish VAT, percent
# Base-currency (SEK) value of one unit, to four decimals, as integers.
RATES_E4 = {"SEK": 10_000, "NOK": 9_874, "EUR": 114_523, "USD": 106_217}


class Totals(NamedTuple):
    """An invoice's (or line's) amounts in cents: invoice currency, then base currency (SEK)."""

    subtotal: int
    tax: int
    total: int
    subtotal_base: int
    tax_base: int
    total_base: int


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

    @property
    def place(self) -> tuple[str, str]:
        """(city, zip code)."""
        cities = CITIES[self.form[1]]
        return cities[self.digest[15] % len(cities)]


class SeededLine(NamedTuple):
    digest: bytes
    product: Product
    quantity: int  # before any edit
    price: int
    tax_rate: int


class SubscriptionRef(NamedTuple):
    """What a line invoicing a subscription charge names (`younium.subscription_invoices`): the order
    product and charge version it bills, the order version that made it, and the service period."""

    product_number: str  # OP-…
    product_name: str
    product_id: str
    plan_id: str
    charge_number: str  # OPC-…
    charge_id: str  # the charge version's id
    order_id: str  # the order version's id
    first: int  # service period, day ordinals, inclusive
    last: int


class Line(NamedTuple):
    """An invoice line as it is now: seeded, plus the units edits added. A credit note's line mirrors the
    line it credits: its digest (so its charge), its price, and the negated quantity and amounts. A line
    invoicing a subscription charge carries what it bills (`subscription`)."""

    number: int  # invoiceLineNumber
    digest: bytes
    product: Product
    quantity: int
    price: int
    tax_rate: int
    amounts: Totals
    modified: int
    id: str
    subscription: SubscriptionRef | None = None


@dataclass(frozen=True)
class LogEntry:
    """One InvoiceBatchLogResponse."""

    entity_id: str
    entity_name: str
    reference: str
    error_message: str | None
    created: int


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
    amount: int  # cents, in the invoice's currency: its total, or part of it
    amount_base: int  # the same in the base currency, at the invoice's rate


class Segment(NamedTuple):
    """Records numbered from `first` were created from `start`, `spacing` apart; the invoices of a segment
    belong to the first `accounts` accounts (an account segment leaves it 0). Each growth of the tenant
    adds one, so a record's creation time stays a function of its number."""

    first: int
    start: int
    spacing: int
    accounts: int = 0

    def created_from(self, number: int) -> int:
        """When record `number` of the segment was created (an invoice: before its jitter)."""
        return self.start + (number - self.first) * self.spacing


def segment_of(segments: Sequence[Segment], number: int) -> Segment:
    """The segment record `number` belongs to, of `segments` in number order."""
    return segments[bisect.bisect_right(segments, number, key=lambda s: s.first) - 1]


class YouniumSeed:
    """The tenant's fixed facts, each a pure function of (seed, number)."""

    def __init__(self, seed: int, shift_days: int = 0) -> None:
        self._seed = seed
        # The seeded history starts `shift_days` after the fixed calendar's (`SandboxConfig.history_shift_days`):
        # the first invoice's creation, the accounts and products created before it.
        self.shift = shift_days * DAY
        self.first_created = FIRST_CREATED + self.shift
        self._key = seed_key("younium", seed)
        groups = (
            ("MONTHLY", "Monthly invoicing"),
            ("QUARTERLY", "Quarterly invoicing"),
            ("ANNUAL", "Annual invoicing"),
        )
        self.batch_groups = tuple(BatchGroup(self.uuid(b"group", i), c, t) for i, (c, t) in enumerate(groups))
        self.payment_terms = tuple(PaymentTerm(self.uuid(b"term", days), days, f"{days} days") for days in (10, 30, 45))
        self.legal_entity_id = self.uuid(b"legal-entity", 1)
        self.payment_method_id = self.uuid(b"payment-method", 1)

    def digest(self, person: bytes, number: int) -> bytes:
        return digest(self._key, person, number)

    def uuid(self, person: bytes, number: int) -> str:
        return uuid_of(self.digest(person, number))

    def account(self, a: int, created: int) -> Account:
        d = self.digest(b"account", a)
        form = FORMS[d[0] % len(FORMS)]
        name = f"{NAME_STEMS[d[1] % len(NAME_STEMS)]} {NAME_TRADES[d[2] % len(NAME_TRADES)]} {form[0]}"
        group = self.batch_groups[d[3] % len(self.batch_groups)]
        term = self.payment_terms[d[4] % len(self.payment_terms)]
        return Account(a, uuid_of(d), f"A-{FIRST_ACCOUNT_NUMBER - 1 + a}", name, form, group, term, created, d)

    def invoice(self, n: int, created_from: int, accounts: int) -> tuple[str, int, int]:
        """(id, account number, created) of invoice `n`, created `created_from` plus some jitter, belonging
        to one of the first `accounts` accounts."""
        d = self.digest(b"invoice", n)
        created = created_from + int.from_bytes(d[4:8], "little") % INVOICE_JITTER
        return self.invoice_id(n), 1 + int.from_bytes(d[0:4], "little") % accounts, created

    def invoice_id(self, n: int) -> str:
        """The id of invoice `n`, whatever it is (a credit note's too)."""
        return uuid_of(self.digest(b"invoice", n)[16:32])

    def line(self, n: int, k: int, vat: bool) -> SeededLine:
        """Line `k` of invoice `n` (of an account that pays Swedish VAT or not)."""
        d = self.digest(b"line", n << 10 | k)
        product = _PRODUCT_WHEEL[d[16] % len(_PRODUCT_WHEEL)]
        quantity = 1 + int.from_bytes(d[17:19], "little") % product.max_quantity
        tax_rate = VAT_RATES[d[20] % len(VAT_RATES)] if vat else 0
        return SeededLine(d, product, quantity, product.prices[d[19] % len(product.prices)], tax_rate)

    def line_id(self, n: int, k: int) -> str:
        return self.uuid(b"line", n << 10 | k)

    def job_digest(self, seq: int) -> bytes:
        """The bytes the ids of the `seq`th batch job come from."""
        return hashlib.blake2b(f"{self._seed}:{seq}".encode(), digest_size=32, person=b"job").digest()

    def batch_identity(self, number: int) -> tuple[str, str]:
        """(id, batch number) of the `number`th batch, known before the batch exists."""
        return self.uuid(b"batch", number), f"IB-{number:05d}"


def invoice_number(n: int) -> str:
    return str(FIRST_INVOICE_NUMBER - 1 + n)


def ocr(n: int) -> str:
    """The Swedish OCR reference of invoice `n`: its number, a length digit and a Luhn check digit."""
    number = FIRST_INVOICE_NUMBER - 1 + n
    body = f"{number}{(len(str(number)) + 2) % 10}"
    return body + str(luhn_digit(body))


def _div_half_even(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def to_base(cents: int, rate_e4: int) -> int:
    """An amount in the base currency: `cents` x the rate, rounded half-even (negative amounts as their
    positive twins, negated)."""
    return _div_half_even(cents * rate_e4, 10_000)


def line_amounts(quantity: int, price: int, tax_rate: int, rate_e4: int) -> Totals:
    """A line's amounts. Only Swedish (SEK, rate 1) customers pay VAT, so `total_base` is also
    total x rate, rounded: every base amount is its amount x rate."""
    subtotal = quantity * price
    tax = _div_half_even(subtotal * tax_rate, 100)
    subtotal_base, tax_base = to_base(subtotal, rate_e4), to_base(tax, rate_e4)
    return Totals(subtotal, tax, subtotal + tax, subtotal_base, tax_base, subtotal_base + tax_base)


def negated(totals: Totals) -> Totals:
    return Totals(*(-value for value in totals))


def sum_totals(parts: Iterable[Totals]) -> Totals:
    sums = [0] * 6
    for part in parts:
        for i, value in enumerate(part):
            sums[i] += value
    return Totals(*sums)
