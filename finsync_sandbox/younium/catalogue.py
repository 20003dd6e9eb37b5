"""Younium's product catalogue: products, their charge plans and the charges of each plan (`GET /Products`).

Each legal entity has a catalogue of its own, seeded like the rest of its dataset: a few dozen products
(more for a larger tenant, at most `MAX_PRODUCTS`), created over the year before the first invoice, a
third of them edited later (still before it). A product's facts are drawn from a digest of (seed, its
number): name, `productType` and with it how many charge plans and charges per plan it has (Simple 1 x 1,
MultipleCharges 1 x many, MultipleChargePlans many x 1, Full many x many), category, lifecycle dates
and each charge's model, type, billing and prices. Plans and charges are numbered across the catalogue
(`CP-000001`, `C-000001`) in the order their products were created.

What changes between runs (`younium.changes.advance`, `younium.edits`): a product is edited (it stops
being sold to new customers: `endOfNewSalesDate` set, `modified` now), a product is created (all of it
now), a product is hard-deleted (it leaves the list and its by-id read answers 404; the catalogue remembers
its id so expectations can name it), a charge's prices are raised (`reprice_charge`) or its price in one
currency removed (`remove_price`, through a PATCH of the product upstream). A charge edited gets that
`modified`, and so does its product: the facts say ModifiedAfter lists a product when it or any plan or
charge changed (price details have no modified time of their own), not whether the product's own
`modified` moves with them; the sandbox moves it, so a product's `modified` is always the latest of its
own and its children's, the time ModifiedAfter tests.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..kernel.formats import DAY, HOUR, MINUTE, SECOND, day_of
from .window import Window

if TYPE_CHECKING:
    from .seed import YouniumSeed

MAX_PRODUCTS = 60
# The catalogue was built over the year before the first invoice (2024-01-02).
FIRST_PRODUCT_CREATED = int(datetime(2023, 1, 9, 9, 15, tzinfo=timezone.utc).timestamp()) * SECOND
PRODUCT_SPACING = 5 * DAY + 3 * HOUR + 11 * MINUTE
PRODUCT_TYPES = ("Simple", "MultipleCharges", "MultipleChargePlans", "Full")
# Most products are simple: one plan, one charge.
_TYPE_WHEEL = ("Simple",) * 4 + ("MultipleCharges",) * 2 + ("MultipleChargePlans", "Full")


def catalogue_size(accounts: int) -> int:
    """How many products a tenant of `accounts` accounts sells: 20, one more per 25 accounts, at most 60."""
    return min(MAX_PRODUCTS, 20 + accounts // 25)


RAISE_PERCENT = 10  # each repricing raises every price of the charge by this much (rounded down to the cent)


@dataclass
class ChargeEdit:
    """What users changed on one catalogue charge since it was made, and when they last did."""

    modified: int
    raises: int = 0  # how many times its prices were raised
    removed: tuple[str, ...] = ()  # the currencies whose prices were removed


@dataclass
class CatalogueProduct:
    """One product as it is now: its seeded facts come from `digest`; an edit sets `end_of_new_sales`."""

    number: int  # 1-based, in creation order: P-000001
    id: str
    digest: bytes
    created: int
    modified: int
    first_plan: int  # the number of its first charge plan (CP-…), the others follow
    first_charge: int  # the number of its first charge (C-…), the others follow
    end_of_new_sales: int | None = None  # a date ordinal an edit set
    charge_edits: dict[int, ChargeEdit] = field(default_factory=dict)  # by charge number

    @property
    def product_type(self) -> str:
        return _TYPE_WHEEL[self.digest[20] % len(_TYPE_WHEEL)]

    def shape(self) -> tuple[int, ...]:
        """How many charges each of its charge plans has."""
        many_plans = self.product_type in ("MultipleChargePlans", "Full")
        many_charges = self.product_type in ("MultipleCharges", "Full")
        plans = 2 + self.digest[1] % 2 if many_plans else 1
        return tuple(2 + self.digest[2 + i] % 2 if many_charges else 1 for i in range(plans))


class Catalogue:
    """The products there are and were, by number; deleted ones are left out of every list."""

    def __init__(self, seeded: YouniumSeed, count: int, lock: threading.RLock) -> None:
        self.seeded = seeded
        self.lock = lock  # the dataset's
        self._products: list[CatalogueProduct] = []
        self._by_id: dict[str, CatalogueProduct] = {}
        self._deleted: dict[str, CatalogueProduct] = {}
        self.edits = 0  # how many edits so far: which products the next one picks is drawn from it
        for p in range(1, count + 1):
            created = (
                FIRST_PRODUCT_CREATED
                + seeded.shift
                + (p - 1) * PRODUCT_SPACING
                + self.seeded.digest(b"product", p)[8] * MINUTE
            )
            product = self._add(created)
            if product.digest[9] % 3 == 0:  # a third were edited later, before the first invoice
                product.modified = created + (1 + product.digest[10] % 60) * DAY

    def _add(self, created: int) -> CatalogueProduct:
        p = len(self._products) + 1
        last = self._products[-1] if self._products else None
        first_plan = last.first_plan + len(last.shape()) if last else 1
        first_charge = last.first_charge + sum(last.shape()) if last else 1
        d = self.seeded.digest(b"product", p)
        product = CatalogueProduct(p, self.seeded.uuid(b"product-id", p), d, created, created, first_plan, first_charge)
        self._products.append(product)
        self._by_id[product.id] = product
        return product

    def live(self) -> list[CatalogueProduct]:
        return [p for p in self._products if p.id not in self._deleted]

    def products_in(self, window: Window) -> list[CatalogueProduct]:
        """The live products modified (themselves or a child) within `window`, in (modified, id) order."""
        with self.lock:
            return sorted((p for p in self.live() if window.contains(p.modified)), key=lambda p: (p.modified, p.id))

    def find(self, product_id: str) -> CatalogueProduct | None:
        """A live product by id."""
        product = self._by_id.get(product_id.strip().lower())
        return None if product is None or product.id in self._deleted else product

    def deleted_ids(self) -> list[str]:
        return sorted(self._deleted)

    # -- changes (their rules and times are younium.changes' and younium.edits') ---------------------------

    def add(self, count: int, start: int, spacing: int) -> list[CatalogueProduct]:
        """`count` new products, created from `start`, `spacing` apart."""
        return [self._add(start + i * spacing) for i in range(count)]

    def edit(self, count: int, at: int) -> list[CatalogueProduct]:
        """Stop selling `count` live products to new customers from 30 days after `at`; they are modified
        `at`. Which ones is drawn from the seed and the edits so far."""
        live = self.live()
        if not count:
            return []
        self.edits += 1
        start = self.seeded.digest(b"product-edit", self.edits)[0] % len(live)
        chosen = [live[(start + i * len(live) // count) % len(live)] for i in range(count)]
        for product in chosen:
            product.end_of_new_sales = day_of(at) + 30
            product.modified = at
        return chosen

    def find_charge(self, charge_id: str) -> tuple[CatalogueProduct, int] | None:
        """A live product's charge by the charge's id: the product and the charge's number."""
        wanted = charge_id.strip().lower()
        for product in self.live():
            for _i, _plan, charges in self.numbers(product):
                for number in charges:
                    if self.seeded.uuid(b"charge-id", number) == wanted:
                        return product, number
        return None

    def edit_charge(
        self, product: CatalogueProduct, number: int, at: int, *, raise_prices: bool = False, remove: str = ""
    ) -> ChargeEdit:
        """Raise charge `number`'s prices, or remove its price in currency `remove`, at `at`: the charge and
        its product are modified then."""
        edit = product.charge_edits.setdefault(number, ChargeEdit(at))
        edit.modified = at
        edit.raises += raise_prices
        if remove:
            edit.removed = (*edit.removed, remove)
        product.modified = at
        return edit

    def drop(self, product: CatalogueProduct) -> None:
        self._deleted[product.id] = product

    def numbers(self, product: CatalogueProduct) -> Sequence[tuple[int, int, Sequence[int]]]:
        """(plan index, plan number, charge numbers) of each of the product's charge plans."""
        plans = []
        charge = product.first_charge
        for i, charges in enumerate(product.shape()):
            plans.append((i, product.first_plan + i, range(charge, charge + charges)))
            charge += charges
        return plans
