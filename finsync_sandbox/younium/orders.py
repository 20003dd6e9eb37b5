"""Younium's orders of type Subscription, their versions, charge versions and bookings: the store.

An order (`O-000001`) keeps every version it had (`OrderVersion`: its own id, a status, dates) and every
charge version any of them made (`OrderCharge`: `OPC-…` numbers stable across versions, a new id per
version). What a version embeds: the charge versions made in it or before, not yet closed before it (a
charge closed by a change or a cancellation in version v is embedded in v, closed, and no longer in v+1).
A charge version is one record whichever order version embeds it: its end date and `changeState` are as
they are now. Its `orderId` names the order version that made it. A charge version carries its price tiers
(`PriceTier`), and an order its discounts and milestones (`younium.pricing_terms` draws them).

How the story unfolds (who subscribes, upgrades, cancels) is `younium.order_story`'s; it tells the store
what happened through `activate`, `change`, `cancel` and `draft`, and each of those is written down in
`events` (`OrderEvent`) as the event script the expected figures replay (`younium.commercial_expected`),
never from the store's mutable state or the served JSON. Bookings are made by the same calls.

Timestamps are ms, dates (start, end, chargedThrough) day ordinals; money is whole cents: a recurring
charge's amount is per month, a one-off charge's is its fee, and the base amount is frozen at activation
at the currency's fixed rate (`seed.RATES_E4`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

from .seed import Account
from .window import Window

RECURRING, ONE_OFF = "Recurring", "OneOff"
ACTIVE, DRAFT, CANCELLED = "Active", "Draft", "Cancelled"
# Orders with these statuses carry no MRR (commercial facts §3).
NO_MRR_STATUSES = frozenset({"Draft", "OrderDraft", "Deleted"})
PERIOD_MONTHS = {"Monthly": 1, "Quarterly": 3, "Annual": 12}


def add_months(day: int, months: int) -> int:
    """The date ordinal `months` calendar months after `day` (the day of month clamped to the month's end)."""
    d = date.fromordinal(day)
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(d.day, last)).toordinal()
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass
class OrderProduct:
    """An order product (`OP-…`), sold from a catalogue charge plan."""

    id: str
    number: int
    name: str
    plan_id: str
    plan_number: int
    catalogue_charge_id: str
    created: int
    modified: int


@dataclass(frozen=True)
class PriceTier:
    """One price detail of a charge (OrderChargeDetailsResponse, facts §2.6): no id, no timestamps."""

    tier: int  # 0-based
    price: int  # cents, for the charge's price period
    from_quantity: int
    to_quantity: int | None  # None: the last tier, unbounded
    price_base: str  # Flat | PerUnit
    description: str | None = None


@dataclass(frozen=True)
class OrderDiscount:
    """An order discount (OrderDiscountsResponse, facts §2.7), on the charges numbered `charge_numbers` alone
    when there are any (`onSpecificCharges`), else on the whole order."""

    id: str
    order_version_id: str  # the version it was given in
    percent: int
    start: int | None  # None: aligned to the order
    end: int | None
    description: str
    charge_numbers: tuple[int, ...] = ()


@dataclass(frozen=True)
class Milestone:
    """An order milestone (SubscriptionMilestoneResponse, facts §2.8)."""

    id: str
    order_version_id: str
    name: str
    description: str | None
    reached: int | None  # milestoneDate; None while not reached
    planned: int


@dataclass
class OrderCharge:
    """One version of an order product charge."""

    id: str
    number: int  # OPC-…, the same for every version of the charge
    version: int
    product: OrderProduct
    made_in: int  # the order version that made it
    order_version_id: str
    charge_type: str  # Recurring | OneOff
    price_period: str  # Monthly | Quarterly | Annual
    amount: int  # cents: per month (Recurring) or the fee (OneOff)
    base: int  # the same in the base currency, at the rate frozen at activation
    start: int
    end: int | None  # inclusive; None: open (an Evergreen order)
    created: int
    modified: int
    state: str = "New"  # changeState
    closed_in: int | None = None  # the order version that closed it
    charged_through: int | None = None  # exclusive: the first day not yet invoiced
    last: bool = True  # isLastVersion
    price_model: str = "Flat"  # Flat | Volume | Tiered
    tiers: tuple[PriceTier, ...] = ()
    start_on: str = "AlignToSubscription"  # or Milestone

    def live_in(self, version: int) -> bool:
        """Whether the charge counts in order version `version` (made by then, not closed by then)."""
        return self.made_in <= version and (self.closed_in is None or self.closed_in > version)

    def embedded_in(self, version: int) -> bool:
        return self.made_in <= version and (self.closed_in is None or self.closed_in >= version)


@dataclass
class OrderVersion:
    id: str
    version: int
    status: str
    created: int
    modified: int
    end: int | None  # the order's effectiveEndDate in this version
    change_date: int | None = None
    cancellation_date: int | None = None


@dataclass
class Order:
    number: int
    account: Account
    rate_e4: int  # base-currency value of one unit, frozen at activation
    evergreen: bool
    term: int  # months
    start: int
    order_day: int
    digest: bytes
    versions: list[OrderVersion] = field(default_factory=list)
    products: list[OrderProduct] = field(default_factory=list)
    charges: list[OrderCharge] = field(default_factory=list)
    deleted: bool = False
    order_type: str = "Subscription"  # or SalesOrder (`younium.sales_orders`)
    # Given when the order is made, held by every version after (none is ever removed).
    discounts: list[OrderDiscount] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def order_number(self) -> str:
        return f"O-{self.number:06d}"

    @property
    def currency(self) -> str:
        return self.account.currency

    @property
    def latest(self) -> OrderVersion:
        return self.versions[-1]

    def embedded(self, version: int) -> list[OrderCharge]:
        return [c for c in self.charges if c.embedded_in(version)]

    def live(self) -> list[OrderCharge]:
        """The charge versions of the latest order version still in force."""
        return [c for c in self.charges if c.live_in(self.latest.version)]

    def stamps(self, version: int) -> list[int]:
        """The timestamps ModifiedAfter tests for order version `version`: its own and its children's."""
        charges = self.embedded(version)
        products = {c.product.number: c.product for c in charges}
        own = self.versions[version - 1].modified
        return [own, *(p.modified for p in products.values()), *(c.modified for c in charges)]

    def last_updated(self, version: int) -> int:
        """`lastUpdated`: the latest update of the order version or any of its sub-entities."""
        return max(self.stamps(version))


@dataclass(frozen=True)
class Opened:
    """A charge version an event brought into force, as the event script keeps it."""

    id: str
    number: int
    order_version_id: str
    charge_type: str
    amount: int
    base: int
    start: int
    end: int | None
    tiers: tuple[PriceTier, ...] = ()


@dataclass(frozen=True)
class BookingFacts:
    """What Younium judged about an event when it booked it."""

    id: str
    booking_type: str  # New | Change | Churn
    change_type: str  # None | Upsell | Downsell
    account_category: str  # New | Existing | Lost
    classification: str  # NewCustomer | Expansion | Contraction | CustomerChurn | Reactivate


@dataclass(frozen=True)
class OrderEvent:
    """One event of the subscription story as it happened: the script the expected figures replay."""

    kind: str  # activate | change | cancel | draft
    at: int
    day: int
    order_number: str
    account_id: str
    currency: str
    version_id: str
    version: int
    status: str
    opened: tuple[Opened, ...]
    closed: tuple[tuple[str, int], ...]  # (charge version id, its new end date)
    booking: BookingFacts | None
    term_months: int  # what TCV multiplies CMRR by: the term, or 12 for an Evergreen order
    discounts: tuple[OrderDiscount, ...] = ()  # those the version holds
    milestones: tuple[Milestone, ...] = ()


@dataclass(frozen=True)
class BookingLine:
    charge: OrderCharge
    amount: int  # CMRR delta, cents (Recurring); 0 for a one-off
    base: int
    one_time: int  # one-time fee, cents
    one_time_base: int


@dataclass
class Booking:
    number: int
    id: str
    order: Order
    order_version_id: str
    facts: BookingFacts
    day: int  # effectiveDate: the activation day (the "On Order Activation Date" booking rule)
    created: int
    modified: int
    lines: tuple[BookingLine, ...]
    term_months: int
    notes: str | None = None  # set by hand (PATCH /Bookings/{id}); Younium leaves a null field out


class OrderStore:
    """Every order there is and was (hard-deleted ones are kept aside), every booking, and the event script."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock  # the dataset's
        self.orders: list[Order] = []
        self.sales: list[Order] = []  # the sales orders (`younium.sales_orders`): their own list, no bookings
        self._by_account: dict[int, list[Order]] = {}
        self.bookings: list[Booking] = []
        self.events: list[OrderEvent] = []
        self.product_count = 0
        self.charge_count = 0

    def add(self, order: Order) -> None:
        self.orders.append(order)
        self._by_account.setdefault(order.account.number, []).append(order)

    def next_order_number(self) -> int:
        """The next `O-…` number: subscriptions and sales orders share the series."""
        return len(self.orders) + len(self.sales) + 1

    def add_sales(self, order: Order) -> None:
        self.sales.append(order)

    def find_sales(self, order_number: str) -> Order | None:
        """A sales order by its number (case-insensitive)."""
        wanted = order_number.strip().upper()
        return next((o for o in self.sales if o.order_number == wanted), None)

    def sales_in(self, window: Window) -> list[Order]:
        """The sales orders whose latest version, or one of its products or charges, was modified within
        `window` (the same OR as `orders_in`), in (lastUpdated, latest version id) order."""
        with self.lock:
            found = [o for o in self.sales if any(window.contains(t) for t in o.stamps(o.latest.version))]
            return sorted(found, key=lambda o: (o.last_updated(o.latest.version), o.latest.id))

    def of_account(self, account: int, *, deleted: bool = False) -> list[Order]:
        """The orders of account number `account`, oldest first (hard-deleted ones only when `deleted`)."""
        return [o for o in self._by_account.get(account, []) if deleted or not o.deleted]

    def find(self, order_number: str) -> Order | None:
        """A live (not hard-deleted) order by its number (case-insensitive)."""
        wanted = order_number.strip().upper()
        found = next((o for o in self.orders if o.order_number == wanted), None)
        return None if found is None or found.deleted else found

    def live(self) -> list[Order]:
        return [o for o in self.orders if not o.deleted]

    def deleted(self) -> list[Order]:
        return [o for o in self.orders if o.deleted]

    def orders_in(self, window: Window) -> list[Order]:
        """The live orders whose latest version, or one of its products or charges, was modified within
        `window` (the OR of commercial facts §1.2), in (lastUpdated, latest version id) order."""
        with self.lock:
            found = [o for o in self.live() if any(window.contains(t) for t in o.stamps(o.latest.version))]
            return sorted(found, key=lambda o: (o.last_updated(o.latest.version), o.latest.id))

    def bookings_in(self, window: Window) -> list[Booking]:
        """The bookings modified (themselves or a line) within `window`, in (modified, id) order. A booking
        outlives the order it books, should the order be hard-deleted."""
        with self.lock:
            # A booking's lines are made and modified with it: its `modified` stands for them too.
            found = [b for b in self.bookings if window.contains(b.modified)]
            return sorted(found, key=lambda b: (b.modified, b.id))

    def next_numbers(self, products: int, charges: int) -> tuple[int, int]:
        """The first of `products` new order product numbers and of `charges` new charge numbers."""
        first = (self.product_count + 1, self.charge_count + 1)
        self.product_count += products
        self.charge_count += charges
        return first

    def record(
        self,
        kind: str,
        order: Order,
        at: int,
        opened: list[OrderCharge],
        closed: list[OrderCharge],
        facts: BookingFacts | None,
    ) -> None:
        """Write down an event of the story (`kind`: activate, change, cancel or draft) that made the
        order's latest version, opening and closing those charge versions, and book it (unless a draft):
        lines of the CMRR each charge version adds (opened) or takes away (closed), one-off fees apart."""
        version = order.latest
        term = 12 if order.evergreen else order.term
        self.events.append(
            OrderEvent(
                kind, at, version.change_date or version.cancellation_date or order.start, order.order_number,
                order.account.id, order.currency, version.id, version.version, version.status,
                tuple(Opened(c.id, c.number, c.order_version_id, c.charge_type, c.amount, c.base, c.start, c.end,
                             c.tiers) for c in opened),
                tuple((c.id, c.end) for c in closed if c.end is not None),
                facts, term, tuple(order.discounts), tuple(order.milestones),
            )
        )  # fmt: skip
        if facts is None:
            return
        lines = [_line(c, 1) for c in opened] + [_line(c, -1) for c in closed]
        created = at + 100  # Younium books a tenth of a second after the order is saved
        day = self.events[-1].day
        number = len(self.bookings) + 1
        booking = Booking(number, facts.id, order, version.id, facts, day, created, created, tuple(lines), term)
        self.bookings.append(booking)


def _line(charge: OrderCharge, sign: int) -> BookingLine:
    if charge.charge_type == RECURRING:
        return BookingLine(charge, sign * charge.amount, sign * charge.base, 0, 0)
    return BookingLine(charge, 0, 0, sign * charge.amount, sign * charge.base)
