"""The rows the subscription and booking tables make of their records: an order's latest version, the versions
read per order (a bounded fan-out over `/Subscriptions/{orderNumber}/versions`), their products, charge
versions, price details, discounts and milestones, and a booking's lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from finsync import progress
from finsync.http import bounded_map
from finsync.sources.state import SourceState
from finsync.tables import Table, unnested

from .client import YouniumClient
from .order_terms import ORDER_CHARGE_PRICE_DETAILS, ORDER_DISCOUNT_CHARGES, ORDER_DISCOUNTS, ORDER_MILESTONES
from .orders import ORDER_CHARGES, ORDER_PRODUCTS, SUBSCRIPTION_VERSIONS, version_records
from .rows import children, joined, parent_ids, with_columns
from .sales_orders import SALES_ORDER_VERSIONS, sales_version_records

if TYPE_CHECKING:
    from .lists import YouniumRun

VERSIONS_READ = "subscription_versions"
VersionsRead = Callable[[YouniumClient, str, pa.Schema], pa.Table]  # (client, order number, records) -> versions


def subscription_rows(orders: pa.Table) -> pa.Table:
    """One row per order (a subscription or a sales order): its latest version (the highest `version` a page
    lists of it, should the list ever carry several), orders without a number (drafts) left out."""
    numbered = orders.filter(pc.fill_null(pc.not_equal(orders.column("orderNumber"), ""), False))
    latest: dict[str, tuple[int, int]] = {}
    versions = numbered.column("version").to_pylist()
    for index, number in enumerate(numbered.column("orderNumber").to_pylist()):
        version = int(str(versions[index])) if versions[index] is not None else -1
        if number not in latest or version >= latest[number][0]:
            latest[number] = (version, index)
    kept = sorted(index for _version, index in latest.values())
    return unnested(numbered.take(pa.array(kept, pa.int64())))


def versions_fan_out(
    list_name: str, read_name: str, version_table: Table, records: Callable[[], pa.Schema], fetch: VersionsRead
) -> Any:
    """The dlt transformer reading every version of each order a window of `list_name` lists (one request
    per order, `concurrency` at once), whole with its products, charges, discounts and milestones: the list's
    own record is only the latest version. Its requests are counted as the list's fan-out in the run's summary."""

    def read(orders: pa.Table, run: YouniumRun) -> Iterator[pa.Table]:
        numbers = [str(n) for n in dict.fromkeys(orders.column("orderNumber").to_pylist()) if n]
        wire = run.wire.records(records())
        tables = (
            version_table.name,
            ORDER_PRODUCTS.name,
            ORDER_CHARGES.name,
            ORDER_CHARGE_PRICE_DETAILS.name,
            ORDER_DISCOUNTS.name,
            ORDER_DISCOUNT_CHARGES.name,
            ORDER_MILESTONES.name,
        )
        census = run.fan_out_census(read_name, tables, over=list_name)
        read = []
        for outcome in bounded_map(lambda n: fetch(run.client, n, wire), numbers, run.concurrency):
            if outcome.error is not None:
                raise outcome.error
            assert outcome.result is not None
            read.append(census.take(outcome.result))
        progress.advance(f"{version_table.name.replace('_', ' ')} read", len(numbers))
        SourceState.current().list(list_name).fanned_out(len(numbers))
        if found := [page for page in read if page.num_rows]:
            yield pa.concat_tables(found, promote_options="permissive")
        run.remember_fan_out(read_name)

    return dlt.transformer(read, name=f"{read_name}_records", selected=False)


subscription_versions = versions_fan_out(
    "subscriptions",
    VERSIONS_READ,
    SUBSCRIPTION_VERSIONS,
    version_records,
    lambda client, number, records: client.subscription_versions(number, records),
)
sales_order_versions = versions_fan_out(
    "sales_orders",
    "sales_order_versions",
    SALES_ORDER_VERSIONS,
    sales_version_records,
    lambda client, number, records: client.sales_order_versions(number, records),
)


def version_rows(versions: pa.Table) -> pa.Table:
    return unnested(versions)


def _products(versions: pa.Table) -> pa.Table:
    """Each version's products, with the version's id, order number, account and currency beside them."""
    found = children(versions, "products", keyed=True)
    version_ids = parent_ids(versions, found)

    def of_version(name: str) -> pa.Array:
        return versions.column(name).combine_chunks().take(found.parent)

    account = versions.column("account").combine_chunks().field("id").take(found.parent)
    return with_columns(
        found.rows,
        orderVersionId=version_ids,
        orderNumber=of_version("orderNumber"),
        accountId=account,
        orderCurrency=of_version("currency"),
        key=joined(version_ids, ":", found.rows.column("id")),
    )


def product_rows(versions: pa.Table) -> pa.Table:
    return _products(versions)


def charge_rows(versions: pa.Table) -> pa.Table:
    """Each charge version of each version's products, keyed by the order version and its own id."""
    products = _products(versions)
    found = children(products, "charges", keyed=False)
    inherited = {
        name: products.column(name).combine_chunks().take(found.parent)
        for name in ("orderVersionId", "orderNumber", "accountId", "orderCurrency")
    }
    key = joined(inherited["orderVersionId"], ":", found.rows.column("id"))
    return with_columns(found.rows, **inherited, key=key)


def price_detail_rows(versions: pa.Table) -> pa.Table:
    """Each price detail (tier) of each charge version, keyed by the order version, the charge and the tier."""
    charges = charge_rows(versions)
    found = children(charges, "priceDetails", keyed=False)
    inherited = {
        name: charges.column(source).combine_chunks().take(found.parent)
        for name, source in (
            ("orderVersionId", "orderVersionId"),
            ("orderNumber", "orderNumber"),
            ("orderChargeId", "id"),
            ("chargeNumber", "chargeNumber"),
        )
    }
    key = joined(inherited["orderVersionId"], ":", inherited["orderChargeId"], ":", found.rows.column("tier"))
    return with_columns(found.rows, **inherited, key=key)


def _of_version(versions: pa.Table, field: str) -> pa.Table:
    """The records of each version's list `field` (with an id each), with the version's id and order number."""
    found = children(versions, field)
    version_ids = parent_ids(versions, found)
    number = versions.column("orderNumber").combine_chunks().take(found.parent)
    key = joined(version_ids, ":", found.rows.column("id"))
    return with_columns(found.rows, orderVersionId=version_ids, orderNumber=number, key=key)


def discount_rows(versions: pa.Table) -> pa.Table:
    return _of_version(versions, "orderDiscounts")


def discount_charge_rows(versions: pa.Table) -> pa.Table:
    """The charges each discount of each version applies to, keyed by the version, the discount and the charge
    (the discount they are listed under, whatever their own orderDiscountId says)."""
    discounts = _of_version(versions, "orderDiscounts")
    found = children(discounts, "orderProductCharges", keyed=False)
    version_ids = discounts.column("orderVersionId").combine_chunks().take(found.parent)
    number = discounts.column("orderNumber").combine_chunks().take(found.parent)
    discount = discounts.column("id").combine_chunks().take(found.parent)
    key = joined(version_ids, ":", discount, ":", found.rows.column("chargeId"))
    return with_columns(found.rows, orderVersionId=version_ids, orderNumber=number, key=key)


def milestone_rows(versions: pa.Table) -> pa.Table:
    return _of_version(versions, "milestones")


def booking_line_rows(bookings: pa.Table) -> pa.Table:
    """A booking's lines are replaced with the booking (lines have no id: keyed by position)."""
    found = children(bookings, "bookingLines")
    booking = parent_ids(bookings, found)
    position = pc.cast(found.position, pa.int64())
    return with_columns(found.rows, bookingId=booking, position=position, key=joined(booking, ":", position))
