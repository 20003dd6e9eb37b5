"""Younium REST client (API 2.1): the personal token, the required headers, what Younium's answers mean, and
the paged list envelope."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pyarrow as pa

from finsync import progress
from finsync.errors import AuthenticationError, DataError, UpstreamError
from finsync.http import (
    CountedPaginator,
    HttpClient,
    HttpSettings,
    JsonObject,
    Page,
    Records,
    Reply,
    Rule,
    register_secret,
)
from finsync.http.columnar import ListPage, census_of, with_census
from finsync.http.wire import Census
from finsync.sources.reads import Window

from .answers import error_summary, is_nothing_found
from .settings import YouniumSettings
from .token import (
    SYSTEM as SYSTEM,  # the system every error of this client names
    TOKEN_REFRESH_MARGIN_SECONDS,
    YouniumToken,
    whole_number,
)

INVOICE_BATCHES_PATH = "/InvoiceBatches"
INVOICES_PATH = "/Invoices"
ACCOUNTS_PATH = "/Accounts"
PAYMENTS_PATH = "/Payments"
BASE_CURRENCY_PATH = "/Currency/BaseCurrency"
JOURNALS_PATH = "/Journals"
JOURNAL_DETAILS_PATH = f"{JOURNALS_PATH}/JournalDetails"
CHART_OF_ACCOUNTS_PATH = "/ChartOfAccounts"
CURRENCIES_PATH = "/Currency"
EXCHANGE_RATES_PATH = "/ExchangeRate"
PRODUCTS_PATH = "/Products"
SUBSCRIPTIONS_PATH = "/Subscriptions"
BOOKINGS_PATH = "/Bookings"
SALES_ORDERS_PATH = "/SalesOrders"
REVENUE_SCHEDULE_PATH = "/RevenueSchedule/Charge"
USAGE_PATH = "/Usage"

logger = logging.getLogger(__name__)

# "Fields … that have no value, which are null … are excluded from the JSON response": an absent field may be
# a null one, so a field's absence says little until its history does (`finsync.warehouse.upstream`).
OMITS_NULLS = True
BASE_URL_SETTING = "sources.younium.base_url"

# What of the list envelope a page decoded into Arrow keeps: what `parse_page` reads.
ENVELOPE = {"pageNumber": pa.int64(), "totalPages": pa.int64(), "totalCount": pa.int64(), "nextPage": pa.string()}

# A list read that returns fewer records than its page 1 announced is read again, this many times in all.
READ_ATTEMPTS = 3


def iso_utc(moment: datetime) -> str:
    """ModifiedAfter's form: ISO-8601 in UTC with `Z` (a naive moment is taken to be UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_page(body: object, requested: int, what: str) -> Page:
    """One page of the list envelope {pageNumber, pageSize, totalPages, totalCount, nextPage, data}, as
    `columnar.ListPage` decodes it: its records one table."""
    if isinstance(body, pa.Table):  # an endpoint answering a bare list has no further pages
        return Page(requested, body, 1, body.num_rows)
    if not isinstance(body, dict) or not isinstance(body.get("data"), pa.Table):
        raise UpstreamError(SYSTEM, f"{what} returned {type(body).__name__}, not the paged JSON envelope")
    rows: Records = body["data"]
    return Page(
        whole_number(body.get("pageNumber")) or requested,
        rows,
        whole_number(body.get("totalPages")),
        whole_number(body.get("totalCount")),
        bool(body.get("nextPage")),
    )


def _refused(what: str, reply: Reply) -> UpstreamError:
    return UpstreamError(
        SYSTEM, f"{what} was rejected with HTTP {reply.status}: {error_summary(reply.body)}", status=reply.status
    )


# A list with no matching records is HTTP 400 "No X could be found"; any other 400 is a refusal.
LIST_RULES = (Rule((400,), "empty", when=is_nothing_found), Rule((400,), _refused))


class YouniumClient:
    """One bearer token shared by every thread of a sync; every data call carries `api-version` and, when
    configured, `legal-entity`."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        legal_entity: str | None = None,
        api_version: str = YouniumSettings.api_version,
        auth_path: str = YouniumSettings.auth_path,
        page_size: int = YouniumSettings.page_size,
        concurrency: int = YouniumSettings.concurrency,
        sequential: bool = False,
        http_settings: HttpSettings | None = None,
        refresh_margin_seconds: float = TOKEN_REFRESH_MARGIN_SECONDS,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        register_secret(client_id)
        register_secret(secret)
        self.legal_entity = legal_entity.strip() if legal_entity and legal_entity.strip() else None
        headers = {"Accept": "application/json", "api-version": api_version}
        if self.legal_entity:
            headers["legal-entity"] = self.legal_entity
        self.page_size = page_size
        self.concurrency = max(1, concurrency)
        self.sequential = sequential
        self._http = HttpClient(
            SYSTEM,
            base_url,
            http_settings,
            headers=headers,
            rules=(Rule((403,), self._forbidden),),
            transport=transport,
            base_url_setting=BASE_URL_SETTING,
        )
        credentials = {"clientId": client_id, "secret": secret}
        self._token = YouniumToken(self._http, auth_path, credentials, refresh_margin_seconds, clock=clock)

    def sign_in(self) -> None:
        """Obtain a token now (a refused sign-in raises `AuthenticationError` here), so that what a later
        request is refused is the request's own."""
        self._token.signed_in()

    def _forbidden(self, what: str, reply: Reply) -> AuthenticationError:
        current = f"now {self.legal_entity!r}" if self.legal_entity else "now not set"
        return AuthenticationError(
            SYSTEM,
            f"{what} was refused with HTTP 403 Forbidden ({error_summary(reply.body)}). The token is valid, but "
            "either the legal entity is wrong or missing, or the API user lacks a permission. Set "
            f"sources.younium.legal_entity (SOURCES__YOUNIUM__LEGAL_ENTITY; {current}) to the legal entity's id or "
            "name (required when the tenant has several), and give the token's user the read permissions for this "
            "data (e.g. Invoice Read, Account View).",
            status=403,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        rules: Sequence[Rule] = (),
        decode: Callable[[bytes], Any] | None = None,
    ) -> Reply:
        """An authenticated call; `rules` say what statuses besides 2xx mean for it (and `decode`, see
        `HttpClient.request`, how a 2xx body may be read)."""
        return self._http.request(
            method,
            path,
            params=params,
            json_body=json_body,
            headers=headers,
            auth=self._token,
            rules=rules,
            decode=decode,
        )

    # -- paging ----------------------------------------------------------------------------------------------

    def page(
        self,
        path: str,
        params: Mapping[str, Any],
        number: int,
        page_size: int | None = None,
        *,
        decode: ListPage,
    ) -> Page:
        """One page, its records a table (`decode`); an HTTP 400 "No … could be found" is an empty page,
        any other 400 an error."""
        size = page_size or self.page_size
        what = f"GET {self._http.describe(path)} page {number}"
        params = {**params, "PageSize": size, "PageNumber": number}
        reply = self.call("GET", path, params=params, rules=LIST_RULES, decode=decode)
        if reply.empty:
            return Page(number, decode.records.empty_table(), gone=True)
        page = parse_page(reply.body, number, what)
        logger.info(
            "Younium %s page %d/%s: %d rows",
            self._http.describe(path),
            page.number,
            page.total_pages or "?",
            len(page.rows),
        )
        # Each list's first page announces how many it has: the totals of every list read add up.
        announced = page.total_pages or 0 if page.number == 1 else 0
        progress.advance(f"{path.rsplit('/', 1)[-1]} pages", more=announced)
        return page

    def ask_for_one(self, path: str) -> None:
        """Read one record of a list (an answer of none included): raises what the endpoint answers this
        user instead, as any read of it would."""
        self.call("GET", path, params={"PageSize": 1, "PageNumber": 1}, rules=LIST_RULES)

    def pages(
        self,
        path: str,
        records: pa.Schema,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = "id",
        page_size: int | None = None,
        sequential: bool | None = None,
        expect_rows: bool = False,
    ) -> Iterator[Records]:
        """Every page of a list endpoint, proven complete (see `CountedPaginator`), each an Arrow table of
        `records` (the wire schema of its records, nested): decoded straight into Arrow where that is exact,
        else read value by value into the same kind of table. Each request is built here with the same
        filters: `nextPage` is never followed, as it drops ModifiedAfter."""
        decode = ListPage("data", records, ENVELOPE, f"GET {self._http.describe(path)}")
        filters = dict(params or {})
        paginator = CountedPaginator(
            SYSTEM,
            f"GET {self._http.describe(path)}",
            self.concurrency,
            sequential=self.sequential if sequential is None else sequential,
            attempts=READ_ATTEMPTS,
        )
        return paginator.pages(
            lambda number: self.page(path, filters, number, page_size, decode=decode), key=key, expect_rows=expect_rows
        )

    # -- endpoints: each a list's pages, as tables of `records` ---------------------------------------------

    def _window(self, path: str, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        # A closed window: what changed after its start and before its end, both sent (bounds undocumented).
        params = {"ModifiedAfter": iso_utc(window.after), "ModifiedBefore": iso_utc(window.before)} if window else {}
        return self.pages(path, records, params, expect_rows=window is not None and window.resumed)

    def invoice_batches(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        return self._window(INVOICE_BATCHES_PATH, window, records)

    def invoices(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        """Invoices with their `invoiceLines`; within a window the API filters the lines too."""
        return self._window(INVOICES_PATH, window, records)

    def accounts(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        return self._window(ACCOUNTS_PATH, window, records)

    def products(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        return self._window(PRODUCTS_PATH, window, records)

    def product(self, product_id: str) -> JsonObject | None:
        """One product with all its plans, charges and prices; None once it is gone."""
        return self._by_id(PRODUCTS_PATH, product_id, "product")

    def subscriptions(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        """Orders of type Subscription, one record per order; a window lists an order when it or any of its
        products, charges, discounts or milestones changed within it."""
        return self._window(SUBSCRIPTIONS_PATH, window, records)

    def subscription_versions(self, order_number: str, records: pa.Schema) -> Records:
        """Every version of one subscription, each whole with its products and charges."""
        return self._versions(SUBSCRIPTIONS_PATH, order_number, records)

    def sales_orders(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        """Orders of type SalesOrder, one record per order; a window lists one as it lists a subscription."""
        return self._window(SALES_ORDERS_PATH, window, records)

    def sales_order_versions(self, order_number: str, records: pa.Schema) -> Records:
        """Every version of one sales order, each whole with its products and charges."""
        return self._versions(SALES_ORDERS_PATH, order_number, records)

    def _versions(self, base: str, order_number: str, records: pa.Schema) -> Records:
        """The route answers a plain JSON array, not the paged envelope, and declares paging parameters it
        ignores (none are sent). An order gone by the time it is read (404, or 400 "could not be found") has
        none: the next sweep marks it."""
        path = f"{base}/{quote(order_number, safe='')}/versions"
        endpoint = f"GET {base}/{{orderNumber}}/versions"  # one endpoint, whichever order
        return self._array(path, endpoint, records)

    def revenue_schedule(self, charge_number: str, records: pa.Schema) -> Records:
        """Every revenue schedule item of one charge number (all its versions'), read whole: the route is
        paged like a list, with no ModifiedAfter worth trusting for a replacement. A charge number Younium
        does not know (404) or never invoiced (400 "No revenue schedule items could be found") has none."""
        path = f"{REVENUE_SCHEDULE_PATH}/{quote(charge_number, safe='')}"
        try:
            pages = list(self.pages(path, records, sequential=True))
        except UpstreamError as error:
            if error.status != 404:
                raise
            pages = []
        census = Census()
        for page in pages:
            census.add(census_of(page) or Census())
        census.endpoint = f"GET {REVENUE_SCHEDULE_PATH}/{{chargeNumber}}"  # one endpoint, whichever charge
        return with_census(pa.concat_tables([records.empty_table(), *pages]), census)

    def _array(self, path: str, endpoint: str, records: pa.Schema) -> Records:
        decode = ListPage("data", records, ENVELOPE, endpoint)
        reply = self.call("GET", path, rules=(Rule((404,), "empty"), *LIST_RULES), decode=decode)
        if reply.empty:
            return records.empty_table()
        if not isinstance(reply.body, pa.Table):
            raise UpstreamError(
                SYSTEM, f"GET {self._http.describe(path)} returned {type(reply.body).__name__}, not a JSON array"
            )
        return reply.body

    def bookings(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        """Bookings with their `bookingLines`; a window lists a booking when it or one of its lines changed."""
        return self._window(BOOKINGS_PATH, window, records)

    def booking(self, booking_id: str) -> JsonObject | None:
        """One booking with all its lines (whether a window's page trims them is undocumented); None once gone."""
        return self._by_id(BOOKINGS_PATH, booking_id, "booking")

    def usage(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        """Usage records; a window lists a record when it changed within it (re-rated, or invoiced: `processed`
        set), as the list has no sub-entities. A record deleted upstream is gone: only a sweep tells."""
        return self._window(USAGE_PATH, window, records)

    def journals(self, window: Window | None, records: pa.Schema) -> Iterator[Records]:
        """Journals with their vouchers; within a window the API filters the vouchers too."""
        return self._window(JOURNALS_PATH, window, records)

    def journal_details(self, expect_rows: bool, records: pa.Schema) -> Iterator[Records]:
        """Every journal's header (no vouchers), with its accounting period as it is now."""
        return self.pages(JOURNAL_DETAILS_PATH, records, expect_rows=expect_rows)

    def whole(self, path: str, expect_rows: bool, records: pa.Schema) -> Iterator[Records]:
        """Every page of a list with no modified field to read incrementally by (chart of accounts,
        currencies, exchange rates)."""
        return self.pages(path, records, expect_rows=expect_rows)

    def payments(self, expect_rows: bool, records: pa.Schema) -> Iterator[Records]:
        """Every payment: they have no modified field, so there is nothing to read incrementally by."""
        return self.pages(PAYMENTS_PATH, records, expect_rows=expect_rows)

    def invoice(self, invoice_id: str) -> JsonObject | None:
        """One invoice with all its lines (the list filters them by ModifiedAfter); None once it is gone."""
        return self._by_id(INVOICES_PATH, invoice_id, "invoice")

    def journal(self, journal_id: str) -> JsonObject | None:
        """One journal with all its vouchers (the list filters them by ModifiedAfter); None once it is gone."""
        return self._by_id(JOURNALS_PATH, journal_id, "journal")

    def _by_id(self, base: str, record_id: str, what: str) -> JsonObject | None:
        path = f"{base}/{quote(record_id, safe='')}"
        reply = self.call("GET", path, rules=(Rule((404,), "empty"),))
        if reply.empty:
            return None
        body = reply.body
        if isinstance(body, dict) and "id" not in body:
            body = body.get("data", body)
        if not isinstance(body, dict) or body.get("id") != record_id:
            raise DataError(
                f"Younium: GET {self._http.describe(path)} answered with something other than {what} {record_id} "
                "(nothing was loaded); report it to Younium's support, then run again."
            )
        return body

    def base_currency(self) -> str:
        """The tenant's base currency code: one `Currency` object (`{id, code, description}`), not paged."""
        reply = self.call("GET", BASE_CURRENCY_PATH)
        body = reply.body.get("data", reply.body) if isinstance(reply.body, dict) else reply.body
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(code, str) or not code.strip():
            raise DataError(
                f"Younium: GET {self._http.describe(BASE_CURRENCY_PATH)} answered without a currency code (a "
                f"{type(body).__name__}); every base amount is in the base currency, so nothing was loaded. Check "
                "the base currency in Younium's settings, then run again."
            )
        return code.strip()

    def batch_log(self, batch: str, records: pa.Schema) -> Records:
        """The whole log of one invoice batch (by id or reference), read page by page, with its pages' census."""
        path = f"{INVOICE_BATCHES_PATH}/{quote(str(batch), safe='')}/BatchLog"
        pages = list(self.pages(path, records, key=None, sequential=True))
        census = Census()
        for page in pages:
            census.add(census_of(page) or Census())
        census.endpoint = f"GET {INVOICE_BATCHES_PATH}/{{id}}/BatchLog"  # one endpoint, whichever batch
        return with_census(pa.concat_tables([records.empty_table(), *pages]), census)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> YouniumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
