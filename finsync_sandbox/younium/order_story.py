"""The subscription story a Younium tenant tells (`SandboxConfig.younium_subscriptions` orders; none by
default), drawn from the seed and dated on the tenant's clock.

Customers (the seeded accounts, in an order drawn from the seed) each get a story from `WHEEL`:

- `contraction`: subscribes, adds a second subscription, later cancels it (contraction, not churn);
- `comeback`: subscribes, cancels everything (churn), comes back months later (a reactivation);
- `upgrade`, `downgrade`: subscribes, then a change raises (or lowers) one recurring charge;
- `seesaw`: subscribes, upgrades, then downgrades;
- `evergreen`: subscribes to an Evergreen order (no end date) and keeps it;
- `draft`: an order left in Draft (no booking, no MRR).

Stories start over the tenant's first ~eleven months (from the first invoice's day, so
`history_shift_days` moves them too), their steps 40 to 150 days apart. Steps planned before the day
the seeded history ends happened then (9:00 to 17:00 UTC on their day); the others wait for
`happen` (`advance`'s `subscription_events`), which makes the next ones happen now, an hour apart on
the tenant's clock, dated on the day they happen. A step whose order is gone (hard-deleted) or no longer
Active does nothing.

An order has one or two products, each with one or two Recurring charges priced per month, quarter or
year (billed as priced, in advance; some in Volume or Tiered price tiers), the first sometimes with a OneOff
setup fee; some orders have a discount or milestones (`younium.pricing_terms`); a Termed order runs 24
or 36 months (its inclusive end the day before), an Evergreen one has no end. A change makes a new order
version effective the day it happens: the changed charge's version is closed the day before
(CancelledFromChange) and a new version (NewFromChange) starts that day. A cancellation makes a new
version, Cancelled, whose charges in force end the day before the cancellation date.

Invoicing: the seeded history's nightly runs (22:00) invoiced each charge's periods that started before
the seeded history ended, moving its `chargedThroughDate` (exclusive, capped at the day after its end)
and its `modified`, never the order's `modified` (commercial facts §2.10). Each recurring charge's
invoicing is journaled and scheduled for recognition (`younium.revenue`): the seeded runs, a charge
invoiced by `touch_charge`, and the credit a later change or cancellation makes of what was invoiced past
the charge's new end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..kernel.formats import HOUR, MINUTE, SECOND, day_of, start_of_day
from .catalogue import Catalogue
from .catalogue_records import kind_of, product_name
from .orders import (
    ACTIVE,
    CANCELLED,
    DRAFT,
    ONE_OFF,
    PERIOD_MONTHS,
    RECURRING,
    BookingFacts,
    Order,
    OrderCharge,
    OrderProduct,
    OrderStore,
    OrderVersion,
    add_months,
)
from .pricing_terms import give_terms, model_of, tiers_of
from .revenue import RevenueLedger
from .sales_orders import sales_count, tell_sales_orders
from .seed import RATES_E4, Account, YouniumSeed

# Each story: its steps, the first at the story's start, each later one `gap` days (plus up to `span`) on.
STORIES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "contraction": (("subscribe", 0, 0), ("add", 40, 40), ("cancel_added", 70, 60)),
    "comeback": (("subscribe", 0, 0), ("churn", 90, 60), ("reactivate", 60, 60)),
    "upgrade": (("subscribe", 0, 0), ("upgrade", 60, 60)),
    "downgrade": (("subscribe", 0, 0), ("downgrade", 60, 60)),
    "seesaw": (("subscribe", 0, 0), ("upgrade", 45, 40), ("downgrade", 60, 60)),
    "evergreen": (("subscribe_evergreen", 0, 0),),
    "draft": (("draft", 0, 0),),
}
WHEEL = ("contraction", "comeback", "upgrade", "downgrade", "evergreen", "draft", "seesaw", "upgrade")
_MAKES_ORDER = frozenset({"subscribe", "subscribe_evergreen", "add", "reactivate", "draft"})
STORY_DAYS = 330  # stories start within this many days of the first invoice
INVOICE_RUN = 22 * HOUR
PERIODS = ("Monthly", "Quarterly", "Annual")


@dataclass(frozen=True)
class Step:
    day: int  # the day it is planned for
    seq: int
    story: int
    action: str


@dataclass
class Story:
    account: Account
    orders: list[Order]


class SubscriptionStory:
    """The planned steps of every story, and the store they are told into."""

    def __init__(
        self,
        seeded: YouniumSeed,
        accounts: Sequence[Account],
        catalogue: Catalogue,
        store: OrderStore,
        count: int,
        revenue: RevenueLedger,
    ) -> None:
        self.seeded, self.catalogue, self.store, self.revenue = seeded, catalogue, store, revenue
        chosen = sorted(accounts, key=lambda a: seeded.digest(b"subscriber", a.number))
        first_day = day_of(seeded.first_created)
        self.stories: list[Story] = []
        steps: list[Step] = []
        orders = 0
        while orders < count and chosen:
            k = len(self.stories)
            name = WHEEL[k % len(WHEEL)]
            plan = STORIES[name]
            if sum(action in _MAKES_ORDER for action, _, _ in plan) > count - orders:
                plan = STORIES["upgrade"]  # the last story fits what is left: one order
            d = seeded.digest(b"story", k)
            day = first_day + (k * 37 + d[0]) % STORY_DAYS
            for i, (action, gap, span) in enumerate(plan):
                day += gap + (d[1 + i] % span if span else 0)
                steps.append(Step(day, len(steps), k, action))
            orders += sum(action in _MAKES_ORDER for action, _, _ in plan)
            self.stories.append(Story(chosen[k % len(chosen)], []))
        self.pending = deque(sorted(steps, key=lambda s: (s.day, s.seq)))
        self.first_day, self.sales_orders = first_day, sales_count(count)

    def seed_history(self, end: int) -> None:
        """Tell the steps planned before the day of `end` (the seeded history's last moment), then the
        invoice runs up to then."""
        last = day_of(end)
        while self.pending and self.pending[0].day < last:
            step = self.pending.popleft()
            d = self.seeded.digest(b"step", step.seq)
            # Between 9:00 and 17:00, and after the event told before it, so the script stays in time order.
            latest = self.store.events[-1].at if self.store.events else 0
            self._tell(step, max(start_of_day(step.day) + 9 * HOUR + (d[0] * 2 % 480 * MINUTE), latest + SECOND))
        customers = [s.account for s in self.stories]
        tell_sales_orders(self.seeded, self.catalogue, self.store, customers, self.sales_orders, self.first_day, last)
        billed: list[tuple[int, int, OrderCharge, Order, int, int]] = []
        for order in self.store.orders:
            if order.latest.status != DRAFT:
                for charge in order.charges:
                    for at, start, end in _invoice(charge, last):
                        billed.append((at, charge.number, charge, order, start, end))
        for at, _, charge, order, start, end in sorted(billed, key=lambda b: b[:2]):
            if charge.charge_type == RECURRING:
                self.revenue.bill(charge, order, at, start, end)

    def happen(self, count: int, tick: Callable[[], int]) -> list[str]:
        """The next `count` planned steps happen now, each at the tenant's next event time; what each did."""
        if count > len(self.pending):
            raise ValueError(f"only {len(self.pending)} subscription events are left in the story, not {count}")
        told = []
        for _ in range(count):
            step = self.pending.popleft()
            told.append(self._tell(step, tick()))
        return told

    # -- the steps -------------------------------------------------------------------------------------

    def _tell(self, step: Step, at: int) -> str:
        story = self.stories[step.story]
        day = day_of(at)
        action = step.action
        if action in ("subscribe", "subscribe_evergreen", "add", "reactivate", "draft"):
            status = DRAFT if action == "draft" else ACTIVE
            order = self._new_order(story.account, at, day, action == "subscribe_evergreen", status)
            story.orders.append(order)
            return f"{action} {order.order_number}"
        if action in ("upgrade", "downgrade"):
            target = story.orders[0] if story.orders else None
            if _in_force(target):
                assert target is not None
                self._change(target, at, day, upgrade=action == "upgrade")
                return f"{action} {target.order_number}"
        elif action == "cancel_added":
            target = story.orders[-1] if len(story.orders) > 1 else None
            if _in_force(target):
                assert target is not None
                self._cancel(target, at, day)
                return f"cancel {target.order_number}"
        elif action == "churn":
            gone = [o for o in self.store.of_account(story.account.number) if _in_force(o)]
            for i, order in enumerate(gone):
                self._cancel(order, at + i * SECOND, day)
            if gone:
                return "churn " + " ".join(o.order_number for o in gone)
        return f"{action}: nothing to do"

    def _new_order(self, account: Account, at: int, day: int, evergreen: bool, status: str) -> Order:
        store = self.store
        number = store.next_order_number()
        d = self.seeded.digest(b"order", number)
        term = 12 * (2 + d[0] % 2)
        order = Order(number, account, RATES_E4[account.currency], evergreen, term, day, day - 1 - d[1] % 14, d)
        version = OrderVersion(self._version_id(order, 1), 1, status, at, at, None if evergreen else _end(day, term))
        order.versions.append(version)
        shape = [1 + d[3 + p] % 2 for p in range(1 + d[2] % 2)]  # recurring charges per product
        setup = d[6] < 128
        first_product, first_charge = store.next_numbers(len(shape), sum(shape) + setup)
        recurring = [p for p in self.catalogue.live() if kind_of(p).charge_type == RECURRING] or self.catalogue.live()
        opened: list[OrderCharge] = []
        charge_number = first_charge
        for p, charges in enumerate(shape):
            sold = recurring[d[7 + p] % len(recurring)]
            _, plan, catalogue_charges = self.catalogue.numbers(sold)[0]
            product = _product(self.seeded, first_product + p, product_name(sold), plan, catalogue_charges[0], at)
            order.products.append(product)
            for c in range(charges + (setup and p == 0)):
                one_off = c == charges
                cd = self.seeded.digest(b"order-charge", charge_number)
                period = PERIODS[cd[0] % len(PERIODS)]
                units = (20 + cd[1] % 80) * (100 if account.currency in ("SEK", "NOK") else 10)
                if one_off:
                    units = (1 + cd[2] % 5) * (1000 if account.currency in ("SEK", "NOK") else 100)
                charge = OrderCharge(
                    self._charge_id(charge_number, 1), charge_number, 1, product, 1, version.id,
                    ONE_OFF if one_off else RECURRING, "Monthly" if one_off else period, units * 100, 0,
                    day, day if one_off else version.end, at, at,
                )  # fmt: skip
                charge.base = _to_base(charge.amount, order.rate_e4)
                charge.price_model = model_of(cd[3], one_off)
                charge.tiers = tiers_of(charge.price_model, charge.amount * (1 if one_off else PERIOD_MONTHS[period]))
                opened.append(charge)
                charge_number += 1
        order.charges.extend(opened)
        give_terms(self.seeded, order, version.id, opened)
        store.add(order)
        facts = None if status == DRAFT else self._judge_activation(order)
        store.record("activate" if status == ACTIVE else "draft", order, at, opened, [], facts)
        return order

    def _change(self, order: Order, at: int, day: int, *, upgrade: bool) -> None:
        live = [c for c in order.live() if c.charge_type == RECURRING]
        old = live[order.digest[9 + len(order.versions)] % len(live)]
        day = max(day, old.start + 1)
        units = old.amount // 100
        new_units = units * 3 // 2 if upgrade else max(1, units * 3 // 5)
        version = OrderVersion(
            self._version_id(order, len(order.versions) + 1), len(order.versions) + 1, ACTIVE, at, at,
            order.latest.end, change_date=day,
        )  # fmt: skip
        order.versions.append(version)
        old.end, old.state, old.closed_in, old.last = day - 1, "CancelledFromChange", version.version, False
        old.modified = at
        if old.charged_through is not None and old.charged_through > day:
            self.revenue.bill(old, order, at, day, old.charged_through, -1)
            old.charged_through = day
        new = OrderCharge(
            self._charge_id(old.number, old.version + 1), old.number, old.version + 1, old.product, version.version,
            version.id, RECURRING, old.price_period, new_units * 100, _to_base(new_units * 100, order.rate_e4),
            day, version.end, at, at, state="NewFromChange", price_model=old.price_model,
            tiers=tiers_of(old.price_model, new_units * 100 * PERIOD_MONTHS[old.price_period]),
        )  # fmt: skip
        order.charges.append(new)
        old.product.modified = at
        facts = self._facts(order, "Change", "Upsell" if upgrade else "Downsell", "Existing",
                            "Expansion" if upgrade else "Contraction")  # fmt: skip
        self.store.record("change", order, at, [new], [old], facts)

    def _cancel(self, order: Order, at: int, day: int) -> None:
        day = max([day, *(c.start + 1 for c in order.live())])
        others = [o for o in self.store.of_account(order.account.number) if o is not order]
        lost = not any(_in_force(o) for o in others)
        version = OrderVersion(
            self._version_id(order, len(order.versions) + 1), len(order.versions) + 1, CANCELLED, at, at, day - 1,
            cancellation_date=day,
        )  # fmt: skip
        closed = [c for c in order.live() if c.end is None or c.end >= day]
        order.versions.append(version)
        for charge in closed:
            charge.end, charge.state, charge.closed_in, charge.modified = day - 1, "Cancelled", version.version, at
            if charge.charged_through is not None and charge.charged_through > day:
                if charge.charge_type == RECURRING:
                    self.revenue.bill(charge, order, at, day, charge.charged_through, -1)
                charge.charged_through = day
        facts = self._facts(order, "Churn", "None", "Lost" if lost else "Existing",
                            "CustomerChurn" if lost else "Contraction")  # fmt: skip
        self.store.record("cancel", order, at, [], closed, facts)

    def _judge_activation(self, order: Order) -> BookingFacts:
        """New customer, a further subscription of a paying one (Existing: Expansion), or a customer who had
        subscribed before and had nothing in force (a reactivation; Younium's account categories have no
        word for it, the sandbox calls it New)."""
        same = [o for o in self.store.of_account(order.account.number, deleted=True) if o is not order]
        if any(_in_force(o) for o in same if not o.deleted):
            return self._facts(order, "New", "None", "Existing", "Expansion")
        if any(o.latest.status != DRAFT for o in same):
            return self._facts(order, "New", "None", "New", "Reactivate")
        return self._facts(order, "New", "None", "New", "NewCustomer")

    def _facts(self, order: Order, booking_type: str, change: str, category: str, classification: str) -> BookingFacts:
        booking_id = self.seeded.uuid(b"booking", len(self.store.bookings) + 1)
        return BookingFacts(booking_id, booking_type, change, category, classification)

    def _version_id(self, order: Order, version: int) -> str:
        return self.seeded.uuid(b"order-version", order.number << 8 | version)

    def _charge_id(self, number: int, version: int) -> str:
        return self.seeded.uuid(b"order-charge-id", number << 8 | version)

    # -- what the control actions do -------------------------------------------------------------------

    def touch_charge(self, order: Order, at: int) -> OrderCharge:
        """Invoice the next period of the Active order's first recurring charge in force (or bump a charge
        already invoiced to its end): the charge's `modified` and the order's `lastUpdated` move, the
        order's `modified` does not."""
        live = [c for c in order.live() if c.charge_type == RECURRING]
        if order.latest.status != ACTIVE or not live:
            status = order.latest.status
            raise ValueError(f"subscription {order.order_number} is {status}: only an Active one is invoiced")
        charge = live[0]
        through = charge.charged_through if charge.charged_through is not None else charge.start
        moved = add_months(through, PERIOD_MONTHS[charge.price_period])
        charge.charged_through = moved if charge.end is None else min(moved, charge.end + 1)
        charge.modified = at
        self.revenue.bill(charge, order, at, through, charge.charged_through)
        return charge


def _in_force(order: Order | None) -> bool:
    return order is not None and not order.deleted and order.latest.status == ACTIVE


def _end(start: int, term: int) -> int:
    """A Termed order's inclusive last day: `term` months on, less a day."""
    return add_months(start, term) - 1


def _to_base(cents: int, rate_e4: int) -> int:
    """Cents in the base currency at `rate_e4`, rounded half-even (amounts here are never negative)."""
    quotient, remainder = divmod(cents * rate_e4, 10_000)
    return quotient + (2 * remainder > 10_000 or (2 * remainder == 10_000 and quotient % 2))


def _product(seeded: YouniumSeed, number: int, name: str, plan: int, catalogue_charge: int, at: int) -> OrderProduct:
    return OrderProduct(
        seeded.uuid(b"order-product", number), number, name, seeded.uuid(b"charge-plan", plan), plan,
        seeded.uuid(b"charge-id", catalogue_charge), at, at,
    )  # fmt: skip


def _invoice(charge: OrderCharge, until: int) -> list[tuple[int, int, int]]:
    """The nightly invoice runs of the days before `until` (a day ordinal) invoiced the charge's periods
    that had started: each moved `chargedThroughDate` to the next period's start (the day after the
    charge's end at most) and `modified` to the run. What each run invoiced: (when, first day, the day
    after)."""
    last = until - 1 if charge.end is None else min(charge.end, until - 1)
    if charge.charge_type == ONE_OFF:
        if charge.start <= last:
            charge.charged_through = charge.start + 1
            charge.modified = max(charge.modified, start_of_day(charge.start) + INVOICE_RUN)
            return [(start_of_day(charge.start) + INVOICE_RUN, charge.start, charge.start + 1)]
        return []
    months = PERIOD_MONTHS[charge.price_period]
    period, k = charge.start, 0
    runs = []
    while period <= last:
        k += 1
        following = add_months(charge.start, k * months)
        charge.charged_through = following if charge.end is None else min(following, charge.end + 1)
        charge.modified = max(charge.modified, start_of_day(period) + INVOICE_RUN)
        runs.append((start_of_day(period) + INVOICE_RUN, period, charge.charged_through))
        period = following
    return runs
