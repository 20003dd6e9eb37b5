"""Younium's usage (`GET /Usage`, commercial facts §8.1): the quantities a tenant imports for Usage charges,
rated and invoiced by Younium. `SandboxConfig.younium_usage` records (none by default), drawn from the seed.

The subscription story sells Recurring charges only, so usage is attached from the catalogue: every record
measures what the catalogue's first Usage product sells (its name and unit; any product when the catalogue
has none), for a seeded account. An account with an order in the story (not a draft) has its usage on its
first order's first product, rated on that order product's usage charge: a charge of the sandbox's own
(an id and an `OPC-9…` number no listed charge has), since the story's charges are all Recurring.

Each record is one calendar month's usage (`fromDate` the first day, midnight), imported on the next
month's first day at 06:00; `toDate` is the month's last day at midnight, at 23:59:59 for a meter reading
(`source` meter: the time of day is real), or absent for a single reading. Usage is billed in arrears: the
invoice run two days after the import processes it (`processed` true, `ratedPrice` the quantity at the
product's unit price in the account's currency, `ratedPriceCurrencyCode`), and moves `modified`; usage
imported too recently, and one record in eight held back for review, is not processed (no rated price).
Every record is dated before the seeded history ends.

What changes (`younium.edits`): `rerate_usage` rates a record again now at the next price step (a correction:
`processed` true, a new `ratedPrice`, `modified` now); `delete_usage` hard-deletes one (DELETE /Usage/{id}):
it leaves the list. Timestamps are ms, days ordinals, quantities thousandths, prices cents.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..kernel.formats import DAY, HOUR, SECOND, day_of, format_day, format_naive_instant, money, start_of_day
from .catalogue import Catalogue, CatalogueProduct
from .catalogue_records import kind_of, product_name
from .orders import DRAFT, Order, OrderStore, add_months
from .seed import Account, YouniumSeed
from .window import Window

USAGE = "Usage"
SOURCES = ("api", "csv import", "meter")
IMPORT_HOUR = 6 * HOUR
RATED_AFTER = 2 * DAY + 16 * HOUR  # the invoice run, two days after the import, at 22:00
MONTHS = 11  # usage is spread over the first months of the tenant's history
# Swedish and Norwegian accounts pay the catalogue's (SEK) prices; the others about 11.45 SEK per unit less.
_SEK_PER_UNIT_E2 = 1145


@dataclass
class UsageRecord:
    number: int
    id: str
    account: Account
    product: CatalogueProduct | None  # what the usage measures (the catalogue's Usage product)
    order: tuple[str, str, str, str, str, str] | None  # order id, number; product id, number; charge id, number
    first_day: int
    to_day: int | None  # None: a single reading (no toDate)
    to_time: int  # ms after to_day's midnight (23:59:59 for a meter reading)
    quantity: int  # thousandths
    source: str
    imported: int
    modified: int
    unit_price: int  # cents per unit, in the account's currency
    price_step: int = 0  # how many times it was re-rated
    processed: bool = False

    @property
    def rated(self) -> int | None:
        """The rated price in cents (half-even), once processed."""
        if not self.processed:
            return None
        price = self.unit_price * (100 + 5 * self.price_step)  # each re-rating adds 5% to the unit price
        quotient, remainder = divmod(self.quantity * price, 100_000)
        return quotient + (2 * remainder > 100_000 or (2 * remainder == 100_000 and quotient % 2))


class UsageStore:
    """The usage records there are and were; deleted ones are left out of every list."""

    def __init__(
        self,
        seeded: YouniumSeed,
        accounts: Sequence[Account],
        catalogue: Catalogue,
        orders: OrderStore,
        count: int,
        now: int,
        lock: threading.RLock,
    ) -> None:
        self.seeded, self.lock = seeded, lock
        self._records: list[UsageRecord] = []
        self._deleted: dict[str, UsageRecord] = {}
        live = catalogue.live()
        usage = [p for p in live if kind_of(p).charge_type == USAGE]
        self.product = usage[0] if usage else (live[0] if live else None)
        first = date.fromordinal(day_of(seeded.first_created)).replace(day=1).toordinal()
        for n in range(1, count + 1 if accounts else 1):
            d = seeded.digest(b"usage", n)
            account = accounts[d[0] % len(accounts)]
            start = first
            ordered = [o for o in orders.of_account(account.number) if o.versions[0].status != DRAFT]
            if ordered:
                start = date.fromordinal(ordered[0].start).replace(day=1).toordinal()
            month = add_months(start, d[1] % MONTHS)
            while start_of_day(add_months(month, 1)) + RATED_AFTER >= now and month > first:
                month = add_months(month, -1)  # not yet imported: an earlier month's
            self._records.append(self._record(n, d, account, ordered[0] if ordered else None, month, now))

    def _record(self, n: int, d: bytes, account: Account, order: Order | None, month: int, now: int) -> UsageRecord:
        following = add_months(month, 1)
        imported = start_of_day(following) + IMPORT_HOUR + d[2] * SECOND
        source = SOURCES[d[3] % len(SOURCES)]
        single = d[4] < 32
        refs = None
        if order is not None:
            product = order.products[0]
            refs = (
                order.versions[0].id,
                order.order_number,
                product.id,
                f"OP-{product.number:06d}",
                self.seeded.uuid(b"usage-charge", product.number),
                f"OPC-9{product.number:05d}",
            )
        prices = kind_of(self.product).prices if self.product is not None else (100,)
        base = prices[d[5] % len(prices)]
        unit_price = base if account.currency in ("SEK", "NOK") else max(1, (base * 100 + 572) // _SEK_PER_UNIT_E2)
        record = UsageRecord(
            n,
            self.seeded.uuid(b"usage-id", n),
            account,
            self.product,
            refs,
            month,
            None if single else following - 1,
            (23 * HOUR + 59 * 60 * SECOND + 59 * SECOND) if source == "meter" else 0,
            (50 + (d[6] << 8 | d[7]) % 50_000) * 1000 + d[8] % 1000,
            source,
            imported,
            imported,
            unit_price,
        )
        rated_at = imported + RATED_AFTER
        if rated_at < now and d[9] >= 32:  # invoiced, unless held back for review
            record.processed, record.modified = True, rated_at
        return record

    def live(self) -> list[UsageRecord]:
        return [r for r in self._records if r.id not in self._deleted]

    def records_in(self, window: Window) -> list[UsageRecord]:
        """The live records modified within `window`, in (modified, id) order."""
        with self.lock:
            return sorted((r for r in self.live() if window.contains(r.modified)), key=lambda r: (r.modified, r.id))

    def find(self, usage_id: str) -> UsageRecord | None:
        wanted = usage_id.strip().lower()
        return next((r for r in self.live() if r.id == wanted), None)

    def deleted_ids(self) -> list[str]:
        return sorted(self._deleted)

    def last_modified(self) -> int:
        return max((r.modified for r in self._records), default=0)

    # -- changes (their rules and times are younium.edits') ------------------------------------------------

    def rerate(self, record: UsageRecord, at: int) -> None:
        record.price_step += 1
        record.processed, record.modified = True, at

    def drop(self, record: UsageRecord) -> None:
        self._deleted[record.id] = record

    def description(self, record: UsageRecord) -> str:
        what = product_name(record.product) if record.product is not None else "Usage"
        return f"{what}, {date.fromordinal(record.first_day):%B %Y}"

    def product_name(self, record: UsageRecord) -> str | None:
        return product_name(record.product) if record.product is not None else None

    def unit(self, record: UsageRecord) -> str | None:
        return kind_of(record.product).unit if record.product is not None else None


def usage_record(store: UsageStore, record: UsageRecord) -> dict[str, object]:
    """UsageResponse (facts §8.1): null members are left for the JSON writer to drop; timestamps UTC without
    an offset, calendar days midnight; the quantity and the rated price exact Decimals (doubles on the wire)."""
    account = record.account
    refs = record.order
    rated = record.rated
    return {
        "id": record.id,
        "description": store.description(record),
        "fromDate": format_day(record.first_day),
        "toDate": format_naive_instant(start_of_day(record.to_day) + record.to_time)
        if record.to_day is not None
        else None,
        "quantity": Decimal(record.quantity).scaleb(-3),
        "unit": store.unit(record),
        "source": record.source,
        "account": {"id": account.id, "accountNumber": account.account_number, "name": account.name},
        "order": {"id": refs[0], "orderNumber": refs[1]} if refs else None,
        "product": {"id": refs[2], "productNumber": refs[3], "description": store.product_name(record)}
        if refs
        else None,
        "charge": {"id": refs[4], "chargeNumber": refs[5]} if refs else None,
        "importDate": format_naive_instant(record.imported),
        "processed": record.processed,
        "ratedPrice": money(rated) if rated is not None else None,
        "ratedPriceCurrencyCode": account.currency if rated is not None else None,
        "created": format_naive_instant(record.imported),
        "modified": format_naive_instant(record.modified),
    }
