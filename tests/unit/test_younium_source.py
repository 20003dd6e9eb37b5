"""The Younium source run by finsync's runner against mocked HTTP, loading into a throwaway DuckDB file."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import respx

from finsync.errors import FinsyncError, SyncError
from finsync.warehouse.runner import Warehouse, sync

BASE = "https://younium.example.test"
NOTHING = {"errors": {"message": ["No records could be found"]}, "status": 400}


def envelope(rows: object) -> dict[str, Any]:
    return {"pageNumber": 1, "pageSize": 100, "totalPages": 1, "totalCount": 1, "nextPage": None, "data": rows}


def line(line_id: str, total: str, modified: str) -> dict[str, Any]:
    return {
        "id": line_id,
        "invoiceLineNumber": 1,
        "productName": "Seat licence",
        "quantity": 3,
        "price": total,
        "total": total,
        "taxRate": 25,
        "recognizedRevenue": {"code": "3010", "name": "Revenue"},
        "deferredRevenue": {"code": "2970"},
        "accountsReceivable": {"code": "1510"},
        "modified": modified,
    }


BATCH = {
    "id": "b-1",
    "batchNumber": "IB-1",
    "targetDate": "2024-03-31T00:00:00",
    "batchGroups": ["monthly", "monthly", "annual"],
    "invoices": [
        {"id": "i-1", "invoiceNumber": "1001", "subtotal": 100.10, "totalAmount": 125.13},
        {"id": "i-2", "invoiceNumber": "1002", "subtotal": 0.1, "totalAmount": 0.13},
    ],
    "created": "2024-03-01T08:00:00Z",
    "modified": "2024-03-01T09:00:00Z",
}
INVOICE = {
    "id": "i-1",
    "invoiceNumber": "1001",
    "account": {"id": "a-1", "accountNumber": "A-100", "name": "Acme AB"},
    "currency": "SEK",
    "subtotal": 100.10,
    "totalAmount": 125.13,
    "yourReference": "Anna Andersson",
    "invoiceDate": "2024-03-31T00:00:00",
    "invoiceLines": [line("l-1", "33.37", "2024-03-01T09:00:00Z"), line("l-2", "66.73", "2024-03-01T09:00:00Z")],
    "modified": "2024-03-01T10:00:00Z",
}
ACCOUNT = {
    "id": "a-1",
    "accountNumber": "A-100",
    "name": "Acme AB",
    "inactive": False,
    "invoiceEmailAddress": "billing@acme.test",
    "modified": "2024-02-01T00:00:00",
}
PERIOD = {"description": "2024-03", "fiscalYear": 2024, "fiscalPeriod": 3, "status": "Open"}
JOURNAL = {
    "id": "j-1",
    "journalNumber": "JNL-1",
    "journalType": "Invoice",
    "posted": True,
    "accountingPeriod": {**PERIOD, "startDate": "2024-03-01T00:00:00", "endDate": "2024-03-31T00:00:00"},
    "vouchers": [
        {
            "transactionNumber": "T-1",
            "effectiveDate": "2024-03-31T00:00:00",
            "source": "Invoicing",
            "invoiceId": "i-1",
            "transactions": [
                {"account": "1510", "debitAmount": 125.13, "creditAmount": 0},
                {"account": "3010", "debitAmount": 0, "creditAmount": 100.10},
                {"account": "2611", "debitAmount": 0, "creditAmount": 25.03},
            ],
            "modified": "2024-03-01T10:00:00Z",
        }
    ],
    "modified": "2024-03-01T10:00:00Z",
}
PAYMENT = {
    "id": "p-1",
    "payerName": "Acme AB",
    "paymentDate": "2024-04-10T00:00:00",
    "amount": {"amount": 125.13, "currencyCode": "SEK"},
    "paymentSettlements": [{"amount": {"amount": 125.13, "currencyCode": "SEK"}, "invoice": {"id": "i-1"}}],
}


PRODUCT = {
    "id": "pr-1",
    "productNumber": "P-000001",
    "name": "Analytics Pro",
    "productType": "Simple",
    "category": "Software",
    "activationDate": "2024-01-01T00:00:00",
    "isFrameworkProduct": False,
    "legalEntityId": "le-1",
    "created": "2024-01-01T08:00:00",
    "modified": "2024-02-01T08:00:00",
    "chargePlans": [{"id": "cp-1", "chargePlanNumber": "CP-1", "charges": [{"id": "c-1", "chargeType": "Recurring"}]}],
}


class Upstream:
    """What the mocked Younium answers; tests change it between runs."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = [BATCH]
        self.invoices: list[dict[str, Any]] = [INVOICE]
        self.accounts: list[dict[str, Any]] = [ACCOUNT]
        self.payments: list[dict[str, Any]] = [PAYMENT]
        self.products: list[dict[str, Any]] = [PRODUCT]
        self.log: object = {"entityId": "i-3", "errorMessage": "Account a-9 has no currency", "created": "2024-03-01"}
        self.base_currency: object = {"id": "c-1", "code": "SEK", "description": "Swedish krona"}
        # GET /Invoices/{id}: the invoice with all its lines (by default, as listed).
        self.by_id: dict[str, dict[str, Any]] = {}
        self.journals: list[dict[str, Any]] = [JOURNAL]
        self.journals_by_id: dict[str, dict[str, Any]] = {}
        self.chart: list[dict[str, Any]] = [{"id": "gl-1", "code": "1510", "name": "Kundfordringar"}]
        self.currencies: list[dict[str, Any]] = [{"id": "c-1", "code": "SEK"}, {"id": "c-2", "code": "EUR"}]
        self.rates: list[dict[str, Any]] = [
            {"id": "r-1", "fromCurrency": "EUR", "toCurrency": "SEK", "rate": 11.5, "effectiveFromDate": "2024-01-01"}
        ]
        # GET /Subscriptions lists orders; GET /Subscriptions/{orderNumber}/versions answers a bare array.
        self.subscriptions: list[dict[str, Any]] = []
        self.versions: dict[str, list[dict[str, Any]]] = {}
        self.bookings: list[dict[str, Any]] = []
        # GET /SalesOrders and their versions, as the subscriptions'; GET /RevenueSchedule/Charge/{chargeNumber}:
        # the items of each charge number (none known: 404).
        self.sales_orders: list[dict[str, Any]] = []
        self.sales_versions: dict[str, list[dict[str, Any]]] = {}
        self.schedules: dict[str, list[dict[str, Any]]] = {}
        # GET /Usage: usage records (none: "No usage could be found").
        self.usage: list[dict[str, Any]] = []

    def install(self, mock: respx.MockRouter) -> dict[str, respx.Route]:
        mock.post(f"{BASE}/auth/v2/token").mock(
            return_value=httpx.Response(200, json={"access_token": "tok-1234", "expires_in": 86400})
        )
        return {
            "batches": mock.get(f"{BASE}/InvoiceBatches").mock(side_effect=lambda _r: self.answer(self.batches)),
            "log": mock.get(f"{BASE}/InvoiceBatches/b-1/BatchLog").mock(side_effect=lambda _r: self.answer(self.log)),
            "invoices": mock.get(f"{BASE}/Invoices").mock(side_effect=lambda _r: self.answer(self.invoices)),
            "accounts": mock.get(f"{BASE}/Accounts").mock(side_effect=lambda _r: self.answer(self.accounts)),
            "products": mock.get(f"{BASE}/Products").mock(side_effect=lambda _r: self.answer(self.products)),
            "payments": mock.get(f"{BASE}/Payments").mock(side_effect=lambda _r: self.answer(self.payments)),
            "invoice": mock.get(url__regex=rf"^{BASE}/Invoices/[^/]+$").mock(side_effect=self.invoice),
            "journals": mock.get(f"{BASE}/Journals").mock(side_effect=lambda _r: self.answer(self.journals)),
            "details": mock.get(f"{BASE}/Journals/JournalDetails").mock(
                side_effect=lambda _r: self.answer(
                    [{k: v for k, v in j.items() if k != "vouchers"} for j in self.journals]
                )
            ),
            "journal": mock.get(url__regex=rf"^{BASE}/Journals/[^/]+$").mock(side_effect=self.journal),
            "chart": mock.get(f"{BASE}/ChartOfAccounts").mock(side_effect=lambda _r: self.answer(self.chart)),
            "currencies": mock.get(f"{BASE}/Currency").mock(side_effect=lambda _r: self.answer(self.currencies)),
            "rates": mock.get(f"{BASE}/ExchangeRate").mock(side_effect=lambda _r: self.answer(self.rates)),
            "subscriptions": mock.get(f"{BASE}/Subscriptions").mock(
                side_effect=lambda _r: self.answer(self.subscriptions)
            ),
            "versions": mock.get(url__regex=rf"^{BASE}/Subscriptions/[^/]+/versions$").mock(side_effect=self.version),
            "sales_orders": mock.get(f"{BASE}/SalesOrders").mock(side_effect=lambda _r: self.answer(self.sales_orders)),
            "sales_versions": mock.get(url__regex=rf"^{BASE}/SalesOrders/[^/]+/versions$").mock(
                side_effect=lambda r: self.version(r, self.sales_versions)
            ),
            "schedule": mock.get(url__regex=rf"^{BASE}/RevenueSchedule/Charge/[^/]+$").mock(side_effect=self.schedule),
            "bookings": mock.get(f"{BASE}/Bookings").mock(side_effect=lambda _r: self.answer(self.bookings)),
            "booking": mock.get(url__regex=rf"^{BASE}/Bookings/[^/]+$").mock(side_effect=self.booking),
            "usage": mock.get(f"{BASE}/Usage").mock(side_effect=lambda _r: self.answer(self.usage)),
            "product": mock.get(url__regex=rf"^{BASE}/Products/[^/]+$").mock(side_effect=self.product),
            "base_currency": mock.get(f"{BASE}/Currency/BaseCurrency").mock(
                side_effect=lambda _r: httpx.Response(200, json=self.base_currency)
            ),
        }

    def invoice(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.path.rsplit("/", 1)[-1]
        found = self.by_id.get(wanted) or next((i for i in self.invoices if i["id"] == wanted), None)
        return httpx.Response(200, json=found) if found else httpx.Response(404, json={"title": "Not Found"})

    def journal(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.path.rsplit("/", 1)[-1]
        found = self.journals_by_id.get(wanted) or next((j for j in self.journals if j["id"] == wanted), None)
        return httpx.Response(200, json=found) if found else httpx.Response(404, json={"title": "Not Found"})

    def version(
        self, request: httpx.Request, versions: dict[str, list[dict[str, Any]]] | None = None
    ) -> httpx.Response:
        number = request.url.path.split("/")[-2]
        found = (self.versions if versions is None else versions).get(number)
        return (
            httpx.Response(200, json=found) if found is not None else httpx.Response(404, json={"title": "Not Found"})
        )

    def schedule(self, request: httpx.Request) -> httpx.Response:
        found = self.schedules.get(request.url.path.rsplit("/", 1)[-1])
        return self.answer(found) if found is not None else httpx.Response(404, json={"title": "Not Found"})

    def booking(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.path.rsplit("/", 1)[-1]
        found = next((b for b in self.bookings if b["id"] == wanted), None)
        return httpx.Response(200, json=found) if found else httpx.Response(404, json={"title": "Not Found"})

    def product(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.path.rsplit("/", 1)[-1]
        found = next((p for p in self.products if p["id"] == wanted), None)
        return httpx.Response(200, json=found) if found else httpx.Response(404, json={"title": "Not Found"})

    @staticmethod
    def answer(rows: object) -> httpx.Response:
        return httpx.Response(200, json=envelope(rows)) if rows else httpx.Response(400, json=NOTHING)


@pytest.fixture
def pipeline(tmp_path: Path) -> Warehouse:
    return Warehouse("duckdb", tmp_path / "w.duckdb")


def run(warehouse: Warehouse, upstream: Upstream, **settings: Any) -> dict[str, respx.Route]:
    with respx.mock(assert_all_called=False) as mock:
        routes = upstream.install(mock)
        sync("younium", warehouse, settings={"client_id": "cid-1", "secret": "secret-1", "base_url": BASE, **settings})
    return routes


def refused(warehouse: Warehouse, upstream: Upstream, path: str) -> str:
    """The message a run ends with when `path` answers 403 (a feature the API user may not read)."""
    with respx.mock(assert_all_called=False) as mock:
        upstream.install(mock)
        mock.get(f"{BASE}{path}").mock(return_value=httpx.Response(403, json={"title": "Forbidden"}))
        with pytest.raises(FinsyncError) as raised:
            sync("younium", warehouse, settings={"client_id": "c", "secret": "s", "base_url": BASE})
    return str(raised.value)


def rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        connection.execute("SET search_path = 'younium'")
        return [tuple(r) for r in connection.execute(sql).fetchall()]


def columns(warehouse: Warehouse, table: str) -> dict[str, str]:
    return dict(
        rows(
            warehouse,
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = 'younium' AND table_name = '{table}'",
        )
    )


def test_a_first_run_loads_every_table_with_exact_amounts(pipeline: Warehouse) -> None:
    run(pipeline, Upstream())
    assert rows(pipeline, "SELECT id, batch_number, invoice_count FROM invoice_batches") == [("b-1", "IB-1", 2)]
    assert rows(pipeline, "SELECT invoice_batch_id, id, subtotal FROM invoice_batches__invoices ORDER BY id") == [
        ("b-1", "i-1", Decimal("100.1000")),
        ("b-1", "i-2", Decimal("0.1000")),
    ]
    assert rows(pipeline, "SELECT batch_group FROM invoice_batches__batch_groups ORDER BY 1") == [
        ("annual",),
        ("monthly",),
    ]
    assert rows(pipeline, "SELECT invoice_batch_id, entity_id, error_message FROM invoice_batch_log") == [
        ("b-1", "i-3", "Account a-9 has no currency")
    ]
    assert rows(pipeline, "SELECT id, account_id, account_number, account_name, total_amount FROM invoices") == [
        ("i-1", "a-1", "A-100", "Acme AB", Decimal("125.1300"))
    ]
    assert rows(
        pipeline,
        "SELECT id, invoice_id, total, tax_rate, recognized_revenue_code, deferred_revenue_code, "
        "accounts_receivable_code FROM invoice_lines ORDER BY id",
    ) == [
        ("l-1", "i-1", Decimal("33.3700"), Decimal("25.00000000"), "3010", "2970", "1510"),
        ("l-2", "i-1", Decimal("66.7300"), Decimal("25.00000000"), "3010", "2970", "1510"),
    ]
    assert rows(pipeline, "SELECT id, account_number, inactive FROM accounts") == [("a-1", "A-100", False)]
    assert rows(pipeline, "SELECT id, amount, currency FROM payments") == [("p-1", Decimal("125.1300"), "SEK")]
    assert rows(pipeline, "SELECT payment_id, invoice_id, amount FROM payment_settlements") == [
        ("p-1", "i-1", Decimal("125.1300"))
    ]
    assert rows(pipeline, "SELECT key, legal_entity, base_currency FROM tenant") == [("-", None, "SEK")]
    types = columns(pipeline, "invoices")
    assert types["total_amount"] == "DECIMAL(19,4)" and types["modified"] == "TIMESTAMP WITH TIME ZONE"
    # Calendar dates are the upstream's own dates, whatever the reader's time zone.
    assert types["invoice_date"] == "DATE"
    assert rows(pipeline, "SELECT invoice_date, due_date FROM invoices") == [(date(2024, 3, 31), None)]


def test_the_base_currency_is_read_whether_or_not_it_comes_in_an_envelope(pipeline: Warehouse) -> None:
    upstream = Upstream()
    upstream.base_currency = {"data": {"id": "c-2", "code": "EUR"}}
    run(pipeline, upstream, legal_entity="LE-2")
    assert rows(pipeline, "SELECT key, legal_entity, base_currency FROM tenant") == [("LE-2", "LE-2", "EUR")]


def test_a_base_currency_without_a_code_stops_the_run_and_says_why(pipeline: Warehouse) -> None:
    upstream = Upstream()
    upstream.base_currency = {"id": "c-3"}
    with pytest.raises(SyncError, match=r"without a currency code.*Check the base currency"):
        run(pipeline, upstream)


def test_the_next_run_reads_a_closed_window_from_the_overlap_and_never_deletes_lines_left_out(
    pipeline: Warehouse,
) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    # Younium filters embedded lines by ModifiedAfter: the invoice comes back with its changed line only,
    # and is read again by id for all of them.
    changed = {"invoiceLines": [line("l-2", "70.00", "2024-03-02T09:00:00Z")], "modified": "2024-03-02T09:00:00Z"}
    upstream.invoices = [{**INVOICE, **changed}]
    upstream.by_id = {
        "i-1": {**INVOICE, **changed, "invoiceLines": [INVOICE["invoiceLines"][0], *changed["invoiceLines"]]}
    }
    before = datetime.now(timezone.utc).replace(microsecond=0)
    routes = run(pipeline, upstream, overlap_minutes=60)
    assert routes["invoice"].call_count == 1
    params = routes["invoices"].calls[0].request.url.params
    assert params["ModifiedAfter"] == "2024-03-01T09:00:00Z"
    assert before <= datetime.fromisoformat(params["ModifiedBefore"]) <= datetime.now(timezone.utc)
    assert routes["batches"].calls[0].request.url.params["ModifiedAfter"] == "2024-03-01T08:00:00Z"
    assert rows(pipeline, "SELECT id, total FROM invoice_lines ORDER BY id") == [
        ("l-1", Decimal("33.3700")),
        ("l-2", Decimal("70.0000")),
    ]


def test_a_line_removed_from_a_draft_is_marked_deleted_and_its_other_lines_stay(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    # The draft lost line l-2: the list shows the invoice (changed) with no changed line; by id, only l-1.
    upstream.invoices = [{**INVOICE, "invoiceLines": [], "modified": "2024-03-02T09:00:00Z"}]
    upstream.by_id = {"i-1": {**INVOICE, "invoiceLines": [INVOICE["invoiceLines"][0]], "modified": "2024-03-02T09:00Z"}}
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT id, deleted_at IS NULL FROM invoice_lines ORDER BY id") == [
        ("l-1", True),
        ("l-2", False),
    ]
    assert rows(pipeline, "SELECT line_count FROM analytics.invoices") == [(1,)]
    assert rows(pipeline, "SELECT line_id FROM analytics.invoice_lines") == [("l-1",)]


def test_the_overlap_reads_an_invoice_by_id_once_per_change_and_again_when_a_line_changes_alone(
    pipeline: Warehouse,
) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    upstream.invoices = [{**INVOICE, "invoiceLines": [], "modified": "2024-03-02T09:00:00Z"}]
    upstream.by_id = {"i-1": {**INVOICE, "modified": "2024-03-02T09:00:00Z"}}
    assert run(pipeline, upstream)["invoice"].call_count == 1
    # Listed again by the overlap, unchanged: already in the warehouse as it is.
    assert run(pipeline, upstream)["invoice"].call_count == 0
    # A line changed without the invoice's own modified moving: read again, whole.
    edited = line("l-2", "80.00", "2024-03-02T10:00:00Z")
    upstream.invoices = [{**INVOICE, "invoiceLines": [edited], "modified": "2024-03-02T09:00:00Z"}]
    upstream.by_id = {
        "i-1": {**INVOICE, "invoiceLines": [INVOICE["invoiceLines"][0], edited], "modified": "2024-03-02T09:00:00Z"}
    }
    assert run(pipeline, upstream)["invoice"].call_count == 1
    assert rows(pipeline, "SELECT id, total, deleted_at IS NULL FROM invoice_lines ORDER BY id") == [
        ("l-1", Decimal("33.3700"), True),
        ("l-2", Decimal("80.0000"), True),
    ]


def test_an_invoice_gone_before_it_is_read_by_id_is_left_for_the_sweep(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    upstream.invoices = [{**INVOICE, "modified": "2024-03-02T09:00:00Z"}]
    upstream.by_id = {}
    upstream.invoice = lambda _request: httpx.Response(404, json={"title": "Not Found"})  # type: ignore[method-assign]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT COUNT(*), COUNT(deleted_at) FROM invoice_lines") == [(2, 0)]


def test_a_sweep_reads_invoices_accounts_and_batches_whole_and_marks_the_missing_deleted(pipeline: Warehouse) -> None:
    upstream = Upstream()
    second = {**INVOICE, "id": "i-2", "invoiceNumber": "1002", "invoiceLines": [line("l-9", "1.00", "2024-03-01")]}
    upstream.invoices = [INVOICE, second]
    run(pipeline, upstream)
    upstream.invoices = [INVOICE]  # i-2 (a draft) was deleted upstream; nothing else changed
    quiet = run(pipeline, upstream)
    assert rows(pipeline, "SELECT COUNT(deleted_at) FROM invoices") == [(0,)], "an incremental run cannot tell"
    assert quiet["invoice"].call_count == 1, "the invoices listed (the overlap) are read by id"
    swept = run(pipeline, upstream, sweep=True)
    assert swept["invoices"].calls[-1].request.url.params["ModifiedAfter"] == "2000-01-01T00:00:00Z"
    assert swept["invoice"].call_count == 0, "a whole read's lines are whole already"
    assert rows(pipeline, "SELECT id, deleted_at IS NULL FROM invoices ORDER BY id") == [("i-1", True), ("i-2", False)]
    assert rows(pipeline, "SELECT id, deleted_at IS NULL FROM invoice_lines ORDER BY id") == [
        ("l-1", True),
        ("l-2", True),
        ("l-9", False),
    ]
    assert rows(pipeline, "SELECT invoice_id FROM analytics.invoices") == [("i-1",)], "views leave deleted rows out"
    assert rows(pipeline, "SELECT COUNT(*) FROM accounts WHERE deleted_at IS NULL") == [(1,)]


def test_products_load_with_their_dates_and_a_hard_deleted_one_is_marked_by_the_sweep(pipeline: Warehouse) -> None:
    upstream = Upstream()
    retired = {**PRODUCT, "id": "pr-2", "productNumber": "P-000002", "endOfLifeDate": "2024-06-30T00:00:00"}
    upstream.products = [PRODUCT, retired]
    run(pipeline, upstream)
    assert rows(
        pipeline,
        "SELECT id, product_type, activation_date, end_of_life_date, is_framework_product, legal_entity_id, "
        "modified FROM products ORDER BY id",
    ) == [
        ("pr-1", "Simple", date(2024, 1, 1), None, False, "le-1", datetime(2024, 2, 1, 8, tzinfo=timezone.utc)),
        (
            "pr-2",
            "Simple",
            date(2024, 1, 1),
            date(2024, 6, 30),
            False,
            "le-1",
            datetime(2024, 2, 1, 8, tzinfo=timezone.utc),
        ),
    ]
    upstream.products = [PRODUCT]  # pr-2 was deleted upstream (a hard delete: no trace left in the list)
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT COUNT(deleted_at) FROM products") == [(0,)], "an incremental run cannot tell"
    swept = run(pipeline, upstream, sweep=True)
    assert swept["products"].calls[-1].request.url.params["ModifiedAfter"] == "2000-01-01T00:00:00Z"
    assert rows(pipeline, "SELECT id, deleted_at IS NULL FROM products ORDER BY id") == [
        ("pr-1", True),
        ("pr-2", False),
    ]
    assert rows(pipeline, "SELECT count(*) FROM products__versions") == [(2,)]


def test_every_distinct_version_is_kept_once_dated_by_its_own_modified_time(pipeline: Warehouse) -> None:
    upstream = Upstream()
    upstream.invoices = [{**INVOICE, "status": "Draft"}]
    run(pipeline, upstream)
    run(pipeline, upstream)  # the overlap re-reads the draft: no new version
    posted = {**INVOICE, "status": "Posted", "modified": "2024-03-05T12:00:00Z"}
    upstream.invoices = [posted]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT status, valid_from FROM invoices__versions ORDER BY valid_from") == [
        ("Draft", datetime(2024, 3, 1, 10, tzinfo=timezone.utc)),
        ("Posted", datetime(2024, 3, 5, 12, tzinfo=timezone.utc)),
    ]
    history = rows(pipeline, "SELECT status, valid_to, is_current FROM analytics.invoices_history ORDER BY valid_from")
    # The history view spells a status as every analytics view does (the versions keep Younium's spelling).
    assert history == [("draft", datetime(2024, 3, 5, 12, tzinfo=timezone.utc), False), ("posted", None, True)]
    as_of = rows(
        pipeline,
        "SELECT status FROM analytics.invoices_history WHERE valid_from <= TIMESTAMPTZ '2024-03-03 00:00:00+00' "
        "AND (valid_to IS NULL OR valid_to > TIMESTAMPTZ '2024-03-03 00:00:00+00')",
    )
    assert as_of == [("draft",)]
    # Payments have no modified time: their versions are dated by the load that first saw them.
    dated = rows(pipeline, "SELECT COUNT(*), COUNT(valid_from) FROM payments__versions")
    assert dated == [(1, 1)]


def test_a_run_killed_after_its_load_is_caught_up_by_the_next(
    pipeline: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    upstream.batches = [{**BATCH, "invoices": BATCH["invoices"][:1], "modified": "2024-03-05T00:00:00Z"}]
    import finsync.warehouse.runner as runner

    def killed(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt  # dlt committed the load; finsync's own steps after it never ran

    with monkeypatch.context() as patched:
        patched.setattr(runner, "after_load", killed)
        with pytest.raises(KeyboardInterrupt):
            run(pipeline, upstream)
    assert rows(pipeline, "SELECT COUNT(*) FROM invoice_batches__invoices") == [(2,)], "the stale row is still there"
    upstream.batches = []  # the next run reads no batch: it catches up on the load the killed run left
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT id FROM invoice_batches__invoices") == [("i-1",)]
    assert rows(pipeline, "SELECT COUNT(*) FROM invoice_batches__versions") == [(2,)]


def test_a_batch_read_again_replaces_its_invoice_list_and_groups(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    upstream.batches = [
        {**BATCH, "invoices": BATCH["invoices"][:1], "batchGroups": ["annual"], "modified": "2024-03-05T00:00:00Z"}
    ]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT id FROM invoice_batches__invoices") == [("i-1",)]
    assert rows(pipeline, "SELECT batch_group FROM invoice_batches__batch_groups") == [("annual",)]
    assert rows(pipeline, "SELECT invoice_count FROM invoice_batches") == [(1,)]


def test_payments_no_longer_listed_are_marked_deleted_never_removed(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    upstream.payments = [PAYMENT, {**PAYMENT, "id": "p-2", "paymentSettlements": []}]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT id, deleted_at IS NULL FROM payments ORDER BY id") == [("p-1", True), ("p-2", True)]
    upstream.payments = [{**PAYMENT, "id": "p-2", "paymentSettlements": []}]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT id, deleted_at IS NULL FROM payments ORDER BY id") == [("p-1", False), ("p-2", True)]
    assert rows(pipeline, "SELECT payment_id, deleted_at IS NULL FROM payment_settlements") == [("p-1", False)]
    upstream.payments = []  # read again, and still empty: taken as a fault upstream, it marks nothing
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT count(*), count(deleted_at) FROM payments") == [(2, 1)]
    upstream.payments = [PAYMENT]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT id FROM payments WHERE deleted_at IS NULL") == [("p-1",)], "back when listed again"


def test_a_settlement_removed_from_a_payment_is_gone_with_the_payment_read_again(pipeline: Warehouse) -> None:
    upstream = Upstream()
    two = [
        PAYMENT["paymentSettlements"][0],
        {"amount": {"amount": 1.00, "currencyCode": "SEK"}, "invoice": {"id": "i-2"}},
    ]
    upstream.payments = [{**PAYMENT, "paymentSettlements": two}]
    run(pipeline, upstream)
    upstream.payments = [PAYMENT]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT invoice_id FROM payment_settlements") == [("i-1",)]


def test_pii_drop_keeps_personal_fields_out_of_the_warehouse(pipeline: Warehouse) -> None:
    run(pipeline, Upstream(), pii="drop")
    assert "your_reference" not in columns(pipeline, "invoices")
    assert "invoice_email_address" not in columns(pipeline, "accounts")
    assert "payer_name" not in columns(pipeline, "payments")
    assert rows(pipeline, "SELECT id FROM accounts") == [("a-1",)]


def test_an_empty_tenant_loads_without_error(pipeline: Warehouse) -> None:
    upstream = Upstream()
    upstream.batches, upstream.invoices, upstream.accounts, upstream.payments = [], [], [], []
    routes = run(pipeline, upstream)
    assert routes["log"].call_count == 0


def document(number: str, status: str, kind: str, subtotal: str, base: str, day: str) -> dict[str, Any]:
    """An invoice of one line in EUR (base SEK), dated `day`."""
    line_id = f"l-{number}"
    return {
        "id": f"i-{number}",
        "invoiceNumber": number,
        "status": status,
        "invoiceType": kind,
        "currency": "EUR",
        "exchangeRate": 11.5,
        "subtotal": subtotal,
        "subtotalBaseAmount": base,
        "totalAmount": subtotal,
        "totalBaseAmount": base,
        "balancedAmount": subtotal if status == "Posted" else 0,
        "balancedBaseAmount": base if status == "Posted" else 0,
        "invoiceDate": f"{day}T00:00:00",
        "dueDate": f"{day}T00:00:00",
        "account": {"id": "a-1", "name": "Acme AB"},
        "invoiceLines": [
            {
                "id": line_id,
                "subtotal": subtotal,
                "subtotalBaseAmount": base,
                "total": subtotal,
                "recognizedRevenue": {"code": "3010"},
                "modified": "2024-03-01T09:00:00Z",
            }
        ],
        "modified": "2024-03-01T10:00:00Z",
    }


def test_revenue_counts_posted_and_settled_in_base_currency_and_every_credit_note_negative(
    pipeline: Warehouse,
) -> None:
    upstream = Upstream()
    upstream.invoices = [
        document("1", "Posted", "Invoice", "100.00", "1150.00", "2024-03-31"),
        document("2", "Settled", "Invoice", "10.00", "115.00", "2024-03-01"),
        # A credit note sent with positive amounts (the sign is not documented) and one sent negative.
        document("3", "Posted", "Credit", "40.00", "460.00", "2024-03-15"),
        document("4", "Posted", "Invoice", "-5.00", "-57.50", "2024-03-16"),
        document("5", "Draft", "Invoice", "1000.00", "11500.00", "2024-03-10"),
        document("6", "Cancelled", "Invoice", "2000.00", "23000.00", "2024-03-11"),
        document("7", "Posted", "OnAccount", "300.00", "3450.00", "2024-03-12"),
        document("8", "Posted", "Invoice", "1.00", "11.50", "2024-04-01"),  # the next month
    ]
    run(pipeline, upstream)
    march = Decimal("1150.00") + 115 - 460 - Decimal("57.50")  # a credit note counts negative either way
    assert rows(
        pipeline,
        "SELECT month, gl_account, base_currency, revenue_base, line_count FROM analytics.revenue_by_month ORDER BY 1",
    ) == [(date(2024, 3, 1), "3010", "SEK", march, 4), (date(2024, 4, 1), "3010", "SEK", Decimal("11.5000"), 1)]
    kinds = dict(rows(pipeline, "SELECT invoice_number, invoice_type || '/' || status FROM analytics.invoices"))
    assert kinds == {
        "1": "invoice/posted",
        "2": "invoice/settled",
        "3": "credit_note/posted",
        "4": "credit_note/posted",
        "5": "invoice/draft",
        "6": "invoice/cancelled",
        "7": "on_account/posted",
        "8": "invoice/posted",
    }
    # Receivables leave drafts and cancelled invoices out; a credit note lowers what the customer owes,
    # whichever sign it was sent with.
    assert rows(pipeline, "SELECT SUM(open_balance_base) FROM analytics.receivables_aging") == [
        (Decimal("1150.00") - 460 - Decimal("57.50") + 3450 + Decimal("11.50"),)
    ]


def test_the_ledger_loads_journals_vouchers_and_gl_lines_exactly_and_replaces_them_per_journal(
    pipeline: Warehouse,
) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT id, journal_type, fiscal_year, fiscal_period, period_status FROM journals") == [
        ("j-1", "Invoice", 2024, 3, "Open")
    ]
    assert rows(
        pipeline, "SELECT key, journal_id, source, invoice_id, effective_date FROM accounting_transactions"
    ) == [("j-1:T-1", "j-1", "Invoicing", "i-1", date(2024, 3, 31))]
    assert rows(
        pipeline, "SELECT key, account, debit_amount, credit_amount FROM accounting_transaction_lines ORDER BY key"
    ) == [
        ("j-1:T-1:1", "1510", Decimal("125.1300"), Decimal("0.0000")),
        ("j-1:T-1:2", "3010", Decimal("0.0000"), Decimal("100.1000")),
        ("j-1:T-1:3", "2611", Decimal("0.0000"), Decimal("25.0300")),
    ]
    assert rows(pipeline, "SELECT key, status FROM accounting_periods") == [("2024-03", "Open")]
    assert rows(pipeline, "SELECT code, is_base FROM currencies ORDER BY code") == [("EUR", False), ("SEK", True)]
    assert rows(pipeline, "SELECT from_currency, rate FROM exchange_rates") == [("EUR", Decimal("11.50000000"))]
    assert rows(pipeline, "SELECT code FROM chart_of_accounts") == [("1510",)]
    # The journal changes: the list carries only its changed voucher, by id it has just that one now.
    corrected = {
        **JOURNAL["vouchers"][0],
        "transactionNumber": "T-2",
        "transactions": [{"account": "1510", "debitAmount": 5, "creditAmount": 5}],
        "modified": "2024-03-02T10:00:00Z",
    }
    upstream.journals = [{**JOURNAL, "vouchers": [corrected], "modified": "2024-03-02T10:00:00Z"}]
    routes = run(pipeline, upstream)
    assert routes["journal"].call_count == 1
    assert rows(pipeline, "SELECT key FROM accounting_transactions") == [("j-1:T-2",)]
    assert rows(pipeline, "SELECT key FROM accounting_transaction_lines") == [("j-1:T-2:1",)]


def test_a_list_read_whole_as_the_last_run_read_it_writes_nothing_and_marks_nothing(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    whole = ("payments", "payment_settlements", "chart_of_accounts", "currencies", "exchange_rates")
    written = {table: rows(pipeline, f"SELECT _dlt_load_id FROM {table}") for table in whole}
    run(pipeline, upstream)  # nothing changed upstream
    assert {table: rows(pipeline, f"SELECT _dlt_load_id FROM {table}") for table in whole} == written
    assert rows(pipeline, "SELECT count(deleted_at) FROM payments") == [(0,)], "unwritten is not unseen"
    upstream.rates = [{**upstream.rates[0], "rate": 11.625}]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT rate FROM exchange_rates") == [(Decimal("11.625000"),)]
    assert rows(pipeline, "SELECT _dlt_load_id FROM payments") == written["payments"]


def test_a_list_read_whole_is_written_again_when_what_its_rows_depend_on_changed(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream, pii="drop")
    run(pipeline, upstream)  # pii = "mask" now: the same payments gain their personal columns
    assert "payer_name" in columns(pipeline, "payments")
    upstream.base_currency = {"id": "c-2", "code": "EUR"}
    run(pipeline, upstream)  # the same currencies, another base
    assert rows(pipeline, "SELECT code, is_base FROM currencies ORDER BY code") == [("EUR", True), ("SEK", False)]


def test_a_list_longer_than_the_check_is_written_on_every_run(
    pipeline: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("finsync.sources.younium.reads.UNCHANGED_CHECKED", 1)
    upstream = Upstream()
    run(pipeline, upstream)
    first = rows(pipeline, "SELECT _dlt_load_id FROM currencies")
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT DISTINCT _dlt_load_id FROM currencies") != first


def test_views_left_as_they_are_stand_and_missing_or_changed_ones_are_made_again(
    pipeline: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    import finsync.warehouse.views as views

    created: list[str] = []

    def recorded(connection: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if sql.startswith("CREATE VIEW"):
            created.append(sql.split()[2])
        return query(connection, sql, params)

    query = views.query
    monkeypatch.setattr(views, "query", recorded)
    upstream = Upstream()
    run(pipeline, upstream)
    assert {"analytics.invoices", "analytics.trial_balance"} <= set(created)
    everything, created[:] = list(created), []
    upstream.rates = [{**upstream.rates[0], "rate": 12}]
    run(pipeline, upstream)  # new rows, the same tables and columns
    assert created == []
    with duckdb.connect(str(pipeline.duckdb_path)) as connection:
        connection.execute("DROP VIEW analytics.receivables_aging")
    run(pipeline, upstream)
    assert created == everything
    assert rows(pipeline, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'receivables_aging'") == [(1,)]


def test_records_the_overlap_lists_again_unchanged_are_not_written_again(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    written = rows(pipeline, "SELECT id, _dlt_load_id FROM accounts UNION ALL SELECT key, _dlt_load_id FROM tenant")
    again = run(pipeline, upstream)  # the overlap lists the account and the batch again, unchanged
    assert rows(pipeline, "SELECT id, _dlt_load_id FROM accounts UNION ALL SELECT key, _dlt_load_id FROM tenant") == (
        written
    )
    assert again["log"].call_count == 0, "an unchanged batch's log is not read again"
    upstream.accounts = [{**ACCOUNT, "name": "Acme Nordic AB"}]
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT name FROM accounts") == [("Acme Nordic AB",)]
    upstream.base_currency = {"id": "c-2", "code": "EUR"}
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT base_currency FROM tenant") == [("EUR",)]


def test_a_record_a_sweep_missed_is_written_again_when_it_comes_back_unchanged(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    upstream.accounts = [{**ACCOUNT, "id": "a-2", "accountNumber": "A-200"}]
    run(pipeline, upstream, sweep=True)
    assert rows(pipeline, "SELECT id, deleted_at IS NULL FROM accounts ORDER BY id") == [("a-1", False), ("a-2", True)]
    upstream.accounts = [ACCOUNT, {**ACCOUNT, "id": "a-2", "accountNumber": "A-200"}]  # a-1 back, as it was
    run(pipeline, upstream)
    assert rows(pipeline, "SELECT id, deleted_at IS NULL FROM accounts ORDER BY id") == [("a-1", True), ("a-2", True)]
