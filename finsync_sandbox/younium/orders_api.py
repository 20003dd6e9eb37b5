"""Younium's commercial routes as the sandbox serves them: GET /Subscriptions, GET
/Subscriptions/{orderNumber}/versions and GET /Bookings (the store is `younium.orders`, the story
`younium.order_story`, the records `younium.order_records`).

- /Subscriptions lists one record per order, its latest version, with all its products and charges;
  ModifiedAfter/ModifiedBefore (exclusive) match an order when its latest version or any product or
  charge it embeds was modified in the window (the OR of commercial facts §1.2), so a charge invoiced
  lists the order though the order's own `modified` did not move; ordered by (lastUpdated, id);
- /Subscriptions/{orderNumber}/versions answers a plain JSON array of every version, oldest first, full
  objects; its paging and filter parameters are accepted and ignored (§1.1); an unknown or hard-deleted
  order is 404;
- /SalesOrders and /SalesOrders/{orderNumber}/versions the same for the sales orders
  (`younium.sales_orders`): the same OR over children, the same plain array, "No sales orders could be
  found";
- /RevenueSchedule/Charge/{chargeNumber} lists the schedule items of a subscription charge (`younium.revenue`,
  `younium.revenue_records`), paged like any list (facts §7.1: the common six parameters): 404 for a
  charge number no order has, 400 "No revenue schedule items could be found" for one never invoiced;
- /Bookings lists one booking per order event, in (modified, id) order, with its lines; a booking names
  its order (version id and number), never an account, and outlives the order should it be deleted;
  `GET /Bookings/{id}` (no query parameters) answers one booking as a plain object, 404 for an unknown id;
- like every list, the last page has no `nextPage` and a `lastPage`, and an empty list or a page past
  the end is HTTP 400 "No subscriptions could be found" ("No bookings …").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..kernel.drift import drifted
from ..kernel.guard import Reject, drifts_of
from ..kernel.jsonwriter import RawJson, dumps
from .order_records import booking, subscription
from .orders import Booking, Order, OrderStore
from .replies import younium_json
from .revenue import ScheduleItem
from .revenue_records import schedule_item
from .sales_orders import sales_order
from .scope import RequestScope
from .window import Window

Listed = Callable[[Request, str, Callable[[Window], Sequence[Any]], Callable[[Any], Any]], Response]


class OrderRoutes:
    """The commercial routes of `YouniumApi`, which hands them its checks (`enter`), its list writer
    (`listed`: paging, window, envelope and the empty-list 400) and its 404."""

    def __init__(
        self,
        scope: RequestScope,
        enter: Callable[[Request], dict[str, str]],
        listed: Listed,
        not_found: Callable[[], Response],
    ) -> None:
        self.scope = scope
        self.enter, self.listed, self.not_found = enter, listed, not_found

    @property
    def store(self) -> OrderStore:
        return self.scope.tenant.dataset.orders

    async def subscriptions(self, request: Request) -> Response:
        return self.listed(request, "subscriptions", self.store.orders_in, self._latest)

    def _latest(self, order: Order) -> dict[str, Any]:
        with self.store.lock:
            return subscription(order, order.latest.version)

    async def sales_orders(self, request: Request) -> Response:
        return self.listed(request, "sales orders", self.store.sales_in, self._sales_order)

    def _sales_order(self, order: Order) -> dict[str, Any]:
        with self.store.lock:
            return sales_order(order)

    async def versions(self, request: Request) -> Response:
        """Every version of the subscription the path names, as a plain array (no envelope, no paging)."""
        return self._versions(request, self.store.find, lambda o, v: subscription(o, v))

    async def sales_versions(self, request: Request) -> Response:
        """Every version of the sales order the path names (it has one), as a plain array."""
        return self._versions(request, self.store.find_sales, lambda o, _: sales_order(o))

    def _versions(
        self, request: Request, find: Callable[[str], Order | None], record: Callable[[Order, int], Any]
    ) -> Response:
        self.enter(request)
        store = self.store
        with store.lock:
            order = find(request.path_params["order"])
            if order is None:
                raise Reject(self.not_found())
            listed = RawJson(dumps([record(order, v.version) for v in order.versions]))
        if drifts := drifts_of(request):
            listed = drifted(listed, drifts)
        return younium_json(listed)

    async def revenue_schedule(self, request: Request) -> Response:
        """The schedule items of the charge number the path names (every version's), in (created, id)
        order, ModifiedAfter/ModifiedBefore on their `modified`; 404 for a charge number no order has, 400
        "No revenue schedule items could be found" for one never invoiced."""
        dataset = self.scope.tenant.dataset
        wanted = request.path_params["charge"].strip().upper()

        def found(window: Window) -> list[dict[str, Any]]:
            stamped: list[tuple[dict[str, Any], ScheduleItem]]
            with self.store.lock:
                known = {c.number for o in (*self.store.orders, *self.store.sales) for c in o.charges}
                number = int(wanted[4:]) if wanted.startswith("OPC-") and wanted[4:].isdigit() else None
                if number is None or number not in known:
                    raise Reject(self.not_found())
                items = dataset.revenue.of_charge(number)
                stamped = [(schedule_item(dataset, i), i) for i in items]
            kept = [(r, i) for r, i in stamped if window.contains(dataset.revenue.recognised_at(i) or i.billing.at)]
            return [r for r, _ in sorted(kept, key=lambda ri: (ri[1].billing.at, ri[1].id))]

        return self.listed(request, "revenue schedule items", found, lambda record: record)

    async def bookings(self, request: Request) -> Response:
        return self.listed(request, "bookings", self.store.bookings_in, self._booking)

    async def booking(self, request: Request) -> Response:
        """One booking by id, as a plain object outside any envelope."""
        self.enter(request)
        with self.store.lock:
            found = next((b for b in self.store.bookings if b.id == request.path_params["id"]), None)
            if found is None:
                raise Reject(self.not_found())
            return younium_json(RawJson(dumps(booking(found, self._totals))))

    @property
    def _totals(self) -> bool:
        return self.scope.tenant.config.younium_booking_totals

    def _booking(self, record: Booking) -> dict[str, Any]:
        with self.store.lock:
            return booking(record, self._totals)
