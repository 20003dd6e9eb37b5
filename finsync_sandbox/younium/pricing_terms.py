"""The terms an order of the sandbox's story carries beside its charges (commercial facts §2.6-2.8): each charge's
price details (its tiers), the order's discounts and its milestones, drawn from the seed.

- Price details: a charge is Flat (one tier, 0, `priceBase` Flat), or, for about one recurring charge in
  three, Volume or Tiered with three tiers of PerUnit prices (0 to 10 units, 10 to 50, 50 on: the last tier's
  `toQuantity` is left out, unbounded). A charge's quantity is 1, so its first tier's price is its price for
  the period, and its `recurringMonthlyAmount` stays what the story priced it at. `listPrice` is the tier's
  price (the sandbox negotiates none), line discounts 0. A change's new charge version keeps the model, its
  tiers priced from its new amount.
- Discounts: about one order in three gets one when it is made, held by every version after. Half of them
  apply to the order's first recurring charge alone (`onSpecificCharges`, listed in `orderProductCharges`
  with a back-reference `orderDiscounts` on the charge), from a specific day for three months; the others
  to the whole order, aligned to it. The response spells the specific-date option `SpecificeDate` (§2.7),
  as the sandbox does. Assumption: a discount changes no amount the sandbox serves (`recurringMonthlyAmount`,
  the metrics, bookings, hence MRR): the facts leave open whether Younium's amounts are net of it.
- Milestones: about one order in three has two: Kick-off, reached on the order's first day (its setup fee,
  when it has one, starts on it: `startOn` Milestone), and Go-live, planned two months on and not reached yet
  (`milestoneDate` null).

A discount's or milestone's `orderId` names the order version it was given in (as a charge's names the
version that made it); which charge versions a discount lists in an order version: every version of its
charge that the order version embeds.
"""

from __future__ import annotations

from collections.abc import Sequence

from .orders import ONE_OFF, Milestone, Order, OrderCharge, OrderDiscount, PriceTier
from .seed import YouniumSeed

BANDS = ((0, 10, 100), (10, 50, 90), (50, None, 80))  # (from, to, percent of the first tier's price)
KICK_OFF_GAP = 60  # days from Kick-off to the planned Go-live


def tiers_of(model: str, price: int) -> tuple[PriceTier, ...]:
    """The price details of a charge of `model` priced `price` cents for its period (at quantity 1)."""
    if model == "Flat":
        return (PriceTier(0, price, 0, 0, "Flat"),)
    return tuple(
        PriceTier(tier, price * share // 100, low, high, "PerUnit", f"{low} to {high} units" if high else f"{low}+")
        for tier, (low, high, share) in enumerate(BANDS)
    )


def model_of(drawn: int, one_off: bool) -> str:
    """The price model of a charge, from one seeded byte: one-off fees are Flat."""
    return "Flat" if one_off or drawn % 3 else ("Volume", "Tiered")[drawn // 3 % 2]


def give_terms(seeded: YouniumSeed, order: Order, version_id: str, charges: Sequence[OrderCharge]) -> None:
    """The discounts and milestones the order gets when it is made (version `version_id`, its `charges`)."""
    d = seeded.digest(b"order-terms", order.number)
    recurring = [c for c in charges if c.charge_type != ONE_OFF]
    if d[0] % 3 == 0 and recurring:
        specific = d[1] % 2 == 0
        start = order.start + 14 + d[2] % 30
        order.discounts.append(
            OrderDiscount(
                seeded.uuid(b"order-discount", order.number),
                version_id,
                5 * (1 + d[3] % 4),
                start if specific else None,
                start + 90 if specific else None,
                "Introductory discount" if specific else "Partner discount",
                (recurring[0].number,) if specific else (),
            )
        )
    if d[4] % 3 == 0:
        kick_off, go_live = (seeded.uuid(b"order-milestone", order.number << 1 | k) for k in (0, 1))
        order.milestones += [
            Milestone(kick_off, version_id, "Kick-off", "Project start", order.start, order.start),
            Milestone(go_live, version_id, "Go-live", None, None, order.start + KICK_OFF_GAP),
        ]
        for charge in charges:
            if charge.charge_type == ONE_OFF:
                charge.start_on = "Milestone"
