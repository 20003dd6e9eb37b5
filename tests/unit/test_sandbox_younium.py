"""The sandbox's Younium emulation: its data, its traps, its batch jobs, its faults and its control API."""

from __future__ import annotations

import json
import re
import shlex
import time
import warnings
from collections.abc import Iterator
from datetime import timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from finsync.http.columnar import ListPage, exact_table
from finsync.sources.younium.client import ENVELOPE
from finsync.sources.younium.rows import invoice_line_columns
from finsync.sources.younium.schema import INVOICE_LINES, INVOICES, PAYMENTS, invoice_records
from finsync.tables import flatten, records_of, unnested
from finsync_sandbox import Sandbox, SandboxConfig, SandboxServer, YouniumDataset, build_app, cli as sandbox_cli
from finsync_sandbox.kernel.faults import parse_fault_spec
from finsync_sandbox.kernel.formats import parse_moment
from finsync_sandbox.kernel.jsonwriter import dumps
from finsync_sandbox.younium.changes import advance
from finsync_sandbox.younium.expected import expected
from finsync_sandbox.younium.records import YouniumRecords
from finsync_sandbox.younium.window import Window

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CREDENTIALS = {"clientId": "sandbox-younium-client", "secret": "sandbox-younium-secret"}
NOTHING = "One or more validation errors occurred."
UTC = timezone.utc


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Younium:
    """A caller of the sandbox's Younium routes holding a token."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.http = TestClient(build_app(sandbox))
        self.token = self.sign_in()

    def sign_in(self) -> str:
        reply = self.http.post("/younium/auth/v2/token", json=CREDENTIALS)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "api-version": "2.1", **extra}

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return self.http.get(f"/younium{path}", params=params, headers=headers or self.headers())

    def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return self.http.post(f"/younium{path}", json=body, headers=self.headers(**headers))

    def page(self, path: str, **params: Any) -> dict[str, Any]:
        reply = self.get(path, **params)
        assert reply.status_code == 200, reply.text
        return dict(json.loads(reply.content, parse_float=Decimal))

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every record of a list, page by page, with the request's own filters on every page."""
        rows: list[dict[str, Any]] = []
        number = 1
        while True:
            reply = self.get(path, PageSize=100, PageNumber=number, **params)
            if reply.status_code == 400:
                return rows
            body = json.loads(reply.content, parse_float=Decimal)
            rows += body["data"] if isinstance(body["data"], list) else [body["data"]]
            if not body.get("nextPage"):
                return rows
            number += 1

    def generate(self, **fields: Any) -> httpx.Response:
        body = {"targetDate": "2030-01-01", "invoiceAllAccounts": True, "invoiceAllBatchGroups": True, **fields}
        return self.post("/InvoiceBatches", body)

    def status(self, reference: str, kind: str = "Generated") -> dict[str, Any]:
        reply = self.get(f"/InvoiceBatches/BatchJobStatus/{reference}/{kind}")
        assert reply.status_code == 200, reply.text
        return dict(reply.json())


def make(clock: Clock | None = None, **settings: Any) -> Younium:
    return Younium(Sandbox(SandboxConfig(**settings), clock=clock or Clock()))


@pytest.fixture
def younium() -> Younium:
    return make(younium_job_seconds=5)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(config=SandboxConfig(younium_invoices=300)) as running:
        yield running


def latest_modified(rows: list[dict[str, Any]]) -> str:
    return max(r["modified"] for r in rows)


def credit_notes(younium: Younium) -> int:
    """How many credit notes the seeded history added to the seeded invoices (numbered after them)."""
    return len(younium.sandbox.younium.dataset.invoices.credit_notes())


# -- the dataset --------------------------------------------------------------------------------------------


def test_the_same_seed_serves_byte_identical_pages_and_another_seed_does_not() -> None:
    params = {"PageSize": 2, "PageNumber": 2, "ModifiedAfter": "2023-06-01T00:00:00Z"}
    first, second, other = make(), make(), make(seed=8)
    for path in ("/Invoices", "/Accounts", "/Payments", "/InvoiceBatches"):
        page = first.get(path, **params).content
        assert first.get(path, **params).status_code == 200, path
        assert page == second.get(path, **params).content, path
        assert page != other.get(path, **params).content, path


def test_invoices_accounts_batches_and_payments_are_linked() -> None:
    younium = make()
    invoices = {i["id"]: i for i in younium.all("/Invoices")}
    accounts = {a["id"]: a for a in younium.all("/Accounts")}
    batches = younium.all("/InvoiceBatches")
    payments = younium.all("/Payments")
    assert len(invoices) == 600 + credit_notes(younium) and len(accounts) == 50 and len(batches) == 4
    assert len(payments) > 20
    for invoice in invoices.values():
        account = accounts[invoice["account"]["id"]]
        assert invoice["account"]["accountNumber"] == account["accountNumber"]
        assert invoice["currency"] == account["currencyCode"]
        assert {line["invoiceId"] for line in invoice["invoiceLines"]} == {invoice["id"]}
    for batch in batches:
        for listed in batch["invoices"]:
            invoice = invoices[listed["id"]]
            assert invoice["invoiceBatchId"] == batch["id"]
            assert (listed["status"], listed["totalAmount"]) == (invoice["status"], invoice["totalAmount"])
    statuses = [{i["status"] for i in b["invoices"]} for b in batches]
    assert statuses[-1] == {"Draft"}, "all seeded batches posted but the newest"
    assert all({"Posted", "Settled"} <= s <= {"Posted", "Settled", "Cancelled"} for s in statuses[:3])
    assert "Cancelled" in set.union(*statuses), "some posted invoices were cancelled since"
    for payment in payments:
        (settlement,) = payment["paymentSettlements"]
        invoice = invoices[settlement["invoice"]["id"]]
        paid = payment["amount"]["amount"]
        assert (
            paid == settlement["amount"]["amount"] == invoice["settledAmount"] == settlement["invoice"]["settledAmount"]
        )
        if invoice["status"] == "Settled":
            assert paid == invoice["totalAmount"] and invoice["balancedAmount"] == 0
        else:  # paid in part
            assert invoice["status"] == "Posted" and 0 < paid < invoice["totalAmount"]
            assert invoice["balancedAmount"] == invoice["totalAmount"] - paid
    unbatched = [i for i in invoices.values() if "invoiceBatchId" not in i]
    drafts = [i for i in unbatched if i["invoiceType"] == "Invoice" and i["totalAmount"] > 0]
    assert drafts and all(i["status"] == "Draft" for i in drafts)
    credits = [i for i in unbatched if i not in drafts]
    assert len(credits) == credit_notes(younium), "outside batches, only drafts and credit notes"
    assert all(i["status"] == "Posted" and i["totalAmount"] < 0 for i in credits)


def test_money_is_exact_two_decimal_json_and_lines_add_up_to_their_invoice() -> None:
    younium = make()
    reply = younium.get("/Invoices", PageSize=100)
    assert re.search(rb'"subtotal":-?\d+\.\d\d,', reply.content)
    assert not re.search(rb":-?\d+(\.\d+)?[eE]", reply.content), "no exponents"
    for invoice in json.loads(reply.content, parse_float=Decimal)["data"]:
        lines = invoice["invoiceLines"]
        assert len(lines) == 5
        for field in ("subtotal", "tax", "subtotalBaseAmount", "taxBaseAmount"):
            assert sum(line[field] for line in lines) == invoice[field]
        assert sum(line["total"] for line in lines) == invoice["totalAmount"]
        assert invoice["totalAmount"] == invoice["subtotal"] + invoice["tax"]
        for line in lines:
            assert line["subtotal"] == line["price"] * line["quantity"]
            assert line["tax"] == (line["subtotal"] * line["taxRate"] / 100).quantize(Decimal("0.01"))
            assert line["total"] == line["subtotal"] + line["tax"]
    assert "null" not in reply.text  # Younium leaves null fields out


def test_a_page_converts_cleanly_into_the_invoice_tables() -> None:
    from datetime import timezone

    rows = make().page("/Invoices", PageSize=100)["data"]
    invoices = INVOICES.from_rows([flatten(r) for r in rows], timezone.utc)
    lines = INVOICE_LINES.from_rows([flatten(line) for r in rows for line in r["invoiceLines"]], timezone.utc)
    assert invoices.num_rows == 100 and lines.num_rows == 500
    assert sum(invoices.column("total_amount").to_pylist()) == sum(lines.column("total").to_pylist())
    assert None not in invoices.column("account_id").to_pylist()


def value_by_value(table: Any, records: list[dict[str, Any]], pii: str) -> Any:
    """The exact path: records flattened, then every value converted on its own."""
    flat = [flatten(r) for r in records]
    return table.from_columns({c.source: [f.get(c.source) for f in flat] for c in table.kept(pii)}, UTC, pii)


@pytest.mark.parametrize("pii", ["mask", "drop"])
def test_records_read_nested_give_the_tables_their_values_read_one_by_one_give(pii: str) -> None:
    younium = make()
    invoices, payments = younium.all("/Invoices"), younium.all("/Payments")
    lines = [line | {"invoiceId": r["id"]} for r in invoices for line in r["invoiceLines"]]
    for table, records in ((INVOICES, invoices), (INVOICE_LINES, lines), (PAYMENTS, payments)):
        assert read_nested(table, records, pii).equals(value_by_value(table, records, pii)), table.name
    # Values a careless reader would get wrong: a nested field that is no object, sub-cent and exponent
    # amounts, negative zero, an amount written as text, an offset.
    odd = [
        {**payments[0], "amount": "12.50"},
        {**payments[0], "amount": {"amount": Decimal("0.125"), "currencyCode": "SEK"}},
        {**payments[0], "amount": {"amount": Decimal("1E+2"), "baseCurrencyAmount": Decimal("-0.0")}},
        {**payments[0], "amount": {"amount": "7.005"}},
        {**payments[0], "paymentDate": "2024-04-10T00:00:00+02:00"},
    ]
    for record in odd:
        assert read_nested(PAYMENTS, [record], pii).equals(value_by_value(PAYMENTS, [record], pii)), record


def read_nested(table: Any, records: list[dict[str, Any]], pii: str) -> Any:
    """The path of a page: the records as a table of the wire's nesting (read value by value where Arrow's
    reader would not take them), then converted."""
    return table.from_rows(unnested(exact_table(records, records_of(table))), UTC, pii)


def decoded_invoices(body: bytes, pii: str) -> tuple[Any, Any]:
    """A page of invoices decoded straight into Arrow, as the invoices and invoice_lines tables."""
    page = ListPage("data", invoice_records(), ENVELOPE)(body)  # type: ignore[arg-type]
    assert page is not None, "the page should decode straight into Arrow"
    invoices = INVOICES.from_rows(unnested(page["data"]), UTC, pii)  # type: ignore[arg-type]
    return invoices, INVOICE_LINES.from_rows(invoice_line_columns(page["data"]), UTC, pii)  # type: ignore[arg-type]


def invoices_value_by_value(body: bytes, pii: str) -> tuple[Any, Any]:
    records = [r for r in json.loads(body, parse_float=Decimal)["data"] if isinstance(r, dict)]
    lines = [
        line | {"invoiceId": r.get("id") or line.get("invoiceId")}
        for r in records
        for line in r.get("invoiceLines") or []
        if isinstance(line, dict)
    ]
    return value_by_value(INVOICES, records, pii), value_by_value(INVOICE_LINES, lines, pii)


@pytest.mark.parametrize("pii", ["mask", "drop"])
def test_invoice_pages_decoded_into_arrow_give_the_tables_their_values_read_one_by_one_give(pii: str) -> None:
    younium = make()
    for number in (1, 2, 3):
        body = younium.get("/Invoices", PageSize=100, PageNumber=number).content
        fast, slow = decoded_invoices(body, pii), invoices_value_by_value(body, pii)
        assert fast[0].equals(slow[0]) and fast[1].equals(slow[1])


def test_odd_invoices_read_the_same_decoded_into_arrow() -> None:
    invoice = make().page("/Invoices", PageSize=1)["data"][0]
    line = invoice["invoiceLines"][0]
    odd = [
        {**invoice, "id": "x-1", "invoiceLines": None},
        {**invoice, "id": "x-2", "invoiceLines": [None, line]},  # a null in the list is no line
        {**invoice, "id": "", "invoiceLines": [{**line, "id": "l-3", "invoiceId": "x-3"}]},  # the line's own
        {
            **invoice,
            "id": "x-4",
            "totalAmount": Decimal("0.00005"),
            "subtotal": Decimal("-0.0"),
            "tax": Decimal("1E+2"),
        },
        {**invoice, "id": "x-5", "modified": "2024-03-01T10:00:00.1234567Z", "created": "2024-03-01T11:00:00+01:00"},
        {**invoice, "id": "x-6", "account": None, "invoiceLines": [{**line, "id": "l-6", "invoiceLineNumber": 10**18}]},
    ]
    body = dumps({"pageNumber": 1, "totalPages": 1, "totalCount": len(odd), "data": odd}, nulls=True).encode()
    fast, slow = decoded_invoices(body, "mask"), invoices_value_by_value(body, "mask")
    assert fast[0].equals(slow[0]) and fast[1].equals(slow[1])
    owners = fast[1].column("invoice_id").to_pylist()
    assert fast[0].num_rows == 6 and owners[:2] == ["x-2", "x-3"] and set(owners) == {"x-2", "x-3", "x-4", "x-5", "x-6"}


def test_expectations_are_the_exact_sums_of_what_is_served() -> None:
    younium = make()
    invoices = younium.all("/Invoices")
    lines = [line for invoice in invoices for line in invoice["invoiceLines"]]
    payments = younium.all("/Payments")
    batches = younium.all("/InvoiceBatches")
    expected = younium.sandbox.younium.expected()
    assert expected["invoices"]["rows"] == len(invoices) == 600 + credit_notes(younium)
    assert Decimal(expected["invoices"]["subtotal"]) == sum(i["subtotal"] for i in invoices)
    assert Decimal(expected["invoices"]["total_amount"]) == sum(i["totalAmount"] for i in invoices)
    assert expected["invoice_lines"]["rows"] == len(lines) == 5 * len(invoices)
    assert Decimal(expected["invoice_lines"]["total"]) == sum(line["total"] for line in lines)
    assert Decimal(expected["payments"]["amount"]) == sum(p["amount"]["amount"] for p in payments)
    assert expected["invoice_batches"]["rows"] == len(batches)
    assert expected["invoice_batches__invoices"]["rows"] == sum(len(b["invoices"]) for b in batches)
    assert expected["invoice_batch_log"]["rows"] == sum(len(b["batchLog"]) for b in batches)
    ids = younium.sandbox.younium.expected_ids()
    assert ids["invoices"] == sorted(i["id"] for i in invoices)
    assert ids["invoice_lines"] == sorted(line["id"] for line in lines)
    assert ids["payments"] == sorted(p["id"] for p in payments)


def test_every_list_is_ordered_by_modified_then_id() -> None:
    younium = make()
    for path in ("/Invoices", "/Accounts", "/InvoiceBatches"):
        rows = younium.all(path)
        keys = [(r["modified"], r["id"]) for r in rows]
        assert keys == sorted(keys), path
    ties = younium.all("/Invoices")
    assert len({r["modified"] for r in ties}) < len(ties), "a batch job changes many invoices at one moment"


# -- tokens and headers -------------------------------------------------------------------------------------


def test_the_v2_token_answer_is_snake_case_and_the_v1_answer_camel_case() -> None:
    http = make().http
    v2 = http.post("/younium/auth/v2/token", json=CREDENTIALS).json()
    assert set(v2) == {"access_token", "refresh_token", "expires_in", "expires"}
    assert v2["expires_in"] == 86400 and v2["expires"].endswith(" GMT")
    v1 = http.post("/younium/auth/token", json=CREDENTIALS).json()
    assert set(v1) == {"accessToken", "refreshToken", "expiresIn", "expires"}
    headers = {"Authorization": f"Bearer {v1['accessToken']}", "api-version": "2.1"}
    assert http.get("/younium/Accounts", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ({**CREDENTIALS, "secret": "wrong"}, 401, ["Invalid client credentials"]),
        ({**CREDENTIALS, "clientId": "someone-else"}, 401, ["Invalid client credentials"]),
        ({"clientId": CREDENTIALS["clientId"]}, 400, ["clientId and secret are required"]),
    ],
    ids=["secret", "client-id", "missing-secret"],
)
def test_refused_credentials_answer_an_errors_list(body: dict[str, str], status: int, errors: list[str]) -> None:
    reply = make().http.post("/younium/auth/v2/token", json=body)
    assert (reply.status_code, reply.json()) == (status, {"errors": errors})


def test_a_token_expires_after_its_lifetime_and_an_unknown_one_is_401() -> None:
    clock = Clock()
    younium = make(clock, younium_token_seconds=600)
    clock.now += 599
    assert younium.get("/Accounts").status_code == 200
    clock.now += 1
    expired = younium.get("/Accounts")
    assert expired.status_code == 401 and "invalid_token" in expired.headers["WWW-Authenticate"]
    assert younium.get("/Accounts", headers={**younium.headers(), "Authorization": "Bearer forged"}).status_code == 401
    younium.token = younium.sign_in()
    assert younium.get("/Accounts").status_code == 200


@pytest.mark.parametrize("version", [None, "2.0", "3"])
def test_every_data_route_wants_api_version_2_1(younium: Younium, version: str | None) -> None:
    headers = {"Authorization": f"Bearer {younium.token}"} | ({"api-version": version} if version else {})
    for path in ("/Invoices", "/Accounts", "/Payments", "/InvoiceBatches"):
        reply = younium.get(path, headers=headers)
        assert reply.status_code == 400, path
        code = "ApiVersionUnspecified" if version is None else "UnsupportedApiVersion"
        assert reply.json()["error"]["code"] == code
    assert younium.post("/InvoiceBatches", {}, **{"api-version": "2.0"}).status_code == 400


def test_a_legal_entity_header_must_name_the_tenant_and_may_be_left_out(younium: Younium) -> None:
    entity_id = younium.sandbox.younium.dataset.legal_entity_id
    for entity, status in ((None, 200), ("Sandbox AB", 200), ("sandbox ab", 200), (entity_id, 200), ("Other AB", 403)):
        headers = younium.headers(**({"legal-entity": entity} if entity else {}))
        reply = younium.get("/Invoices", headers=headers, PageSize=1)
        assert reply.status_code == status, entity
    forbidden = younium.get("/Invoices", headers=younium.headers(**{"legal-entity": "Other AB"}))
    assert forbidden.json() == {"errors": ["Legal entity 'Other AB' was not found, or the user has no access to it."]}
    assert younium.generate(**{}).status_code == 200
    assert younium.post("/InvoiceBatches", {}, **{"legal-entity": "Other AB"}).status_code == 403


# -- lists ----------------------------------------------------------------------------------------------------


def test_a_page_size_above_100_or_a_page_number_below_1_is_a_400(younium: Younium) -> None:
    assert younium.get("/Invoices", PageSize=100).status_code == 200
    too_big = younium.get("/Invoices", PageSize=101)
    assert too_big.status_code == 400 and "PageSize" in too_big.json()["errors"]
    assert younium.get("/Invoices", PageNumber=0).status_code == 400
    assert younium.get("/Invoices", PageSize="ten").status_code == 400


def test_the_envelope_links_drop_modified_after(younium: Younium) -> None:
    since = "2024-06-01T00:00:00Z"
    body = younium.page("/Invoices", ModifiedAfter=since, PageSize=40, PageNumber=2)
    total = len(younium.sandbox.younium.dataset.invoices.invoices_in(Window(after=parse_moment(since))))
    assert {k: body[k] for k in ("pageNumber", "pageSize", "totalCount", "totalPages")} == {
        "pageNumber": 2,
        "pageSize": 40,
        "totalCount": total,
        "totalPages": -(-total // 40),
    }
    assert total < 600
    for link in ("nextPage", "previousPage", "firstPage", "lastPage"):
        url = urlsplit(body[link])
        assert url.path == "/younium/Invoices"
        assert parse_qs(url.query) == {"PageNumber": [str({"nextPage": 3, "previousPage": 1, "firstPage": 1,
                                       "lastPage": body["totalPages"]}[link])], "PageSize": ["40"]}  # fmt: skip
    # Following nextPage reads the unfiltered list: its page 3 is not the filtered list's page 3.
    followed = younium.http.get(body["nextPage"], headers=younium.headers()).json()
    assert followed["totalCount"] == 600 + credit_notes(younium)
    last = younium.page("/Invoices", ModifiedAfter=since, PageSize=40, PageNumber=body["totalPages"])
    assert "nextPage" not in last and len(last["data"]) == total - 40 * (body["totalPages"] - 1)


@pytest.mark.parametrize(
    ("path", "entity"),
    [
        ("/Invoices", "invoices"),
        ("/Accounts", "accounts"),
        ("/Payments", "payments"),
        ("/InvoiceBatches", "invoice batches"),
    ],
)
def test_a_list_with_nothing_to_return_is_a_400_saying_nothing_could_be_found(
    younium: Younium, path: str, entity: str
) -> None:
    for params in ({"ModifiedAfter": "2031-01-01"}, {"PageNumber": 99}):
        reply = younium.get(path, **params)
        assert reply.status_code == 400
        body = reply.json()
        assert body["errors"] == {"message": [f"No {entity} could be found"]}
        assert (body["title"], body["status"]) == (NOTHING, 400)


def test_modified_after_is_exclusive_and_takes_iso_or_us_style_dates(younium: Younium) -> None:
    accounts = younium.all("/Accounts")
    tenth = accounts[9]["modified"]
    after = younium.all("/Accounts", ModifiedAfter=tenth)
    assert [a["id"] for a in after] == [a["id"] for a in accounts[10:]]
    stamp = tenth.removesuffix("Z")
    assert len(younium.all("/Accounts", ModifiedAfter=stamp)) == 40, "no offset means UTC"
    us = younium.all("/Invoices", ModifiedAfter="01/05/2024 00:00:00")
    assert us == younium.all("/Invoices", ModifiedAfter="2024-01-05")
    bad = younium.get("/Invoices", ModifiedAfter="yesterday")
    assert bad.status_code == 400 and "ModifiedAfter" in bad.json()["errors"]
    before = younium.all("/Accounts", ModifiedBefore=tenth)
    assert len(before) == 9


def test_invoices_listed_with_modified_after_carry_only_their_lines_modified_since() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    cursor = latest_modified(younium.all("/Invoices"))
    advanced = tenant.advance(modified_invoices=6)

    changed = younium.all("/Invoices", ModifiedAfter=cursor)

    assert sorted(i["id"] for i in changed) == sorted(advanced.modified_invoice_ids)
    carried = [line["id"] for i in changed for line in i["invoiceLines"]]
    assert sorted(carried) == sorted(advanced.modified_line_ids)
    assert all(0 < len(i["invoiceLines"]) < 5 for i in changed), "only some lines, never all"
    full = {i["id"]: i for i in younium.all("/Invoices") if i["id"] in advanced.modified_invoice_ids}
    for invoice in changed:
        assert len(full[invoice["id"]]["invoiceLines"]) == 5
        assert invoice["totalAmount"] == full[invoice["id"]]["totalAmount"]
        assert invoice["totalAmount"] == sum(line["total"] for line in full[invoice["id"]]["invoiceLines"])


def test_a_posted_invoice_listed_again_carries_no_lines() -> None:
    clock = Clock()
    younium = make(clock, younium_job_seconds=1)
    unposted = younium.sandbox.younium.dataset.batches.all()[-1]
    cursor = latest_modified(younium.all("/Invoices"))
    assert younium.post(f"/InvoiceBatches/{unposted.id}/Post", {}).status_code == 200
    clock.now += 1

    posted = younium.all("/Invoices", ModifiedAfter=cursor)

    assert sorted(i["id"] for i in posted) == sorted(
        younium.sandbox.younium.dataset.invoices.id(n) for n in unposted.invoices
    )
    assert all(i["status"] == "Posted" and i["invoiceLines"] == [] for i in posted), "posting changed no line"


def test_a_batch_log_of_one_entry_is_answered_as_one_object_and_longer_logs_as_lists(younium: Younium) -> None:
    batches = younium.sandbox.younium.dataset.batches.all()
    sizes = {b.batch_number: len(b.log) for b in batches}
    assert sorted(sizes.values()) == [0, 1, 2, 3]
    for batch in batches:
        reply = younium.get(f"/InvoiceBatches/{batch.id}/BatchLog", PageSize=100)
        if not batch.log:
            assert reply.status_code == 400 and "could be found" in reply.text
            continue
        data = reply.json()["data"]
        if len(batch.log) == 1:
            assert isinstance(data, dict) and data["entityName"] == "Invoice" and data["errorMessage"]
        else:
            assert isinstance(data, list) and len(data) == len(batch.log)
    by_number = younium.get(f"/InvoiceBatches/{batches[0].batch_number}/BatchLog")
    assert by_number.status_code == 200, "a batch log is found by batch number too"
    assert younium.get("/InvoiceBatches/IB-99999/BatchLog").status_code == 400


def test_an_invoice_batch_is_found_by_id_and_an_unknown_one_is_404(younium: Younium) -> None:
    batch = younium.sandbox.younium.dataset.batches.all()[1]
    body = younium.get(f"/InvoiceBatches/{batch.id}").json()
    assert (body["id"], body["batchNumber"], len(body["invoices"])) == (batch.id, "IB-00002", len(batch.invoices))
    assert body["batchGroups"] == sorted(body["batchGroups"]) and body["batchGroups"]
    assert younium.get("/InvoiceBatches/00000000-0000-4000-8000-000000000000").status_code == 404


# -- jobs ------------------------------------------------------------------------------------------------------


def test_a_generate_job_is_pending_then_succeeds_with_a_batch_of_the_unbatched_drafts() -> None:
    clock = Clock()
    younium = make(clock, younium_job_seconds=5)
    dataset = younium.sandbox.younium.dataset
    drafts = [n for n in range(1, 601) if dataset.billing.batch_of(n) is None]
    before = latest_modified(younium.all("/Invoices"))

    started = younium.generate(invoiceDate="2030-02-01")
    assert started.status_code == 200
    job = started.json()
    assert (job["resultStatus"], job["batchNumber"]) == ("Pending", "IB-00005")
    assert set(job) >= {"jobId", "id", "eventId", "webhooksTriggeredWhenCompleted"}
    assert younium.status(job["jobId"])["resultStatus"] == "Pending"
    assert younium.get(f"/InvoiceBatches/{job['id']}").status_code == 404, "nothing exists until the job ran"

    clock.now += 5
    done = younium.status(job["jobId"])
    assert done["resultStatus"] == "Succeeded"
    assert done["resultBody"]["batchId"] == job["id"] and "generated" in done["statusMessage"]
    batch = younium.get(f"/InvoiceBatches/{job['id']}").json()
    assert sorted(i["id"] for i in batch["invoices"]) == sorted(dataset.invoices.id(n) for n in drafts)
    assert batch["invoiceDate"] == "2030-02-01T00:00:00"
    changed = younium.all("/Invoices", ModifiedAfter=before)
    assert {i["id"] for i in changed} == {i["id"] for i in batch["invoices"]}
    assert all(i["invoiceBatchId"] == job["id"] and i["invoiceDate"].startswith("2030-02-01") for i in changed)
    batches = younium.all("/InvoiceBatches", ModifiedAfter=before)
    assert [b["id"] for b in batches] == [job["id"]]


def test_job_status_accepts_the_job_id_batch_id_or_batch_number() -> None:
    clock = Clock()
    younium = make(clock, younium_job_seconds=0)
    job = younium.generate().json()
    for reference in (job["jobId"], job["id"], job["batchNumber"], job["eventId"]):
        assert younium.status(reference)["resultStatus"] == "Succeeded", reference
    assert younium.status("IB-00001")["resultStatus"] == "Succeeded", "the seeded batches' jobs are known too"
    assert younium.status("IB-00001", "Posted")["resultBody"][0]["batchNumber"] == "IB-00001"
    unknown = younium.get("/InvoiceBatches/BatchJobStatus/nope/Generated")
    assert unknown.status_code == 400 and "could not be found" in unknown.text
    assert younium.get(f"/InvoiceBatches/BatchJobStatus/{job['jobId']}/Exploded").status_code == 404


def test_generate_takes_only_the_named_accounts_groups_and_dates_and_logs_invoices_below_the_minimum() -> None:
    younium = make(younium_job_seconds=0)
    dataset = younium.sandbox.younium.dataset
    invoices = dataset.invoices
    drafts = [n for n in range(1, 601) if dataset.billing.batch_of(n) is None]
    account = invoices.account(drafts[-1])
    target = invoices.invoice_day(drafts[-1]) - 1
    from datetime import date

    job = younium.generate(
        targetDate=date.fromordinal(target).isoformat(),
        invoiceAllAccounts=False,
        accounts=[account.id],
        minimumInvoiceAmount=2500,
    ).json()
    batch = younium.get(f"/InvoiceBatches/{job['id']}").json()
    expected = [n for n in drafts if invoices.account(n) == account and invoices.invoice_day(n) <= target]
    small = [n for n in expected if dataset.lines.totals(n).total < 250_000]
    assert sorted(i["id"] for i in batch["invoices"]) == sorted(invoices.id(n) for n in expected if n not in small)
    assert [e["entityId"] for e in batch["batchLog"]] == [invoices.id(n) for n in small]
    assert all("below the minimum invoice amount 2500" in e["errorMessage"] for e in batch["batchLog"])

    group = dataset.batch_groups[0]
    by_group = younium.generate(invoiceAllBatchGroups=False, invoiceBatchGroups=[group.code]).json()
    grouped = younium.get(f"/InvoiceBatches/{by_group['id']}").json()
    assert grouped["batchGroups"] == [group.code]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"targetDate": None}, "targetDate"),
        ({"targetDate": "someday"}, "targetDate"),
        ({"invoiceAllAccounts": False}, "accounts"),
        ({"invoiceAllAccounts": False, "accounts": ["no-such-account"]}, "accounts"),
        ({"invoiceAllBatchGroups": False, "invoiceBatchGroups": ["WEEKLY"]}, "invoiceBatchGroups"),
        ({"minimumInvoiceAmount": -1}, "minimumInvoiceAmount"),
    ],
)
def test_a_generate_request_that_makes_no_sense_is_a_400(younium: Younium, fields: dict[str, Any], field: str) -> None:
    reply = younium.generate(**fields)
    assert reply.status_code == 400 and field in reply.json()["errors"]


def test_a_generate_job_with_nothing_to_invoice_fails() -> None:
    younium = make(younium_job_seconds=0)
    job = younium.generate(targetDate="2020-01-01").json()
    status = younium.status(job["jobId"])
    assert status["resultStatus"] == "Failed" and "No invoices to generate" in status["statusMessage"]


def test_posting_a_batch_marks_its_invoices_posted_once() -> None:
    clock = Clock()
    younium = make(clock, younium_job_seconds=2)
    batch = younium.sandbox.younium.dataset.batches.all()[-1]
    assert not batch.posted
    job = younium.post(f"/InvoiceBatches/{batch.id}/Post", {"ensureWebhooksAreEnabled": False}).json()
    assert younium.status(job["jobId"], "Posted")["resultStatus"] == "Pending"
    again = younium.post(f"/InvoiceBatches/{batch.id}/Post", {})
    assert again.status_code == 400 and "being posted" in again.text
    clock.now += 2
    status = younium.status(batch.batch_number, "Posted")
    assert status["resultStatus"] == "Succeeded" and isinstance(status["resultBody"], list)
    listed = younium.get(f"/InvoiceBatches/{batch.id}").json()["invoices"]
    assert {i["status"] for i in listed} == {"Posted"}
    posted_again = younium.post(f"/InvoiceBatches/{batch.id}/Post", {})
    assert posted_again.status_code == 400 and "already posted" in posted_again.text
    assert younium.post("/InvoiceBatches/IB-99999/Post", {}).status_code == 400


def test_a_job_failure_fault_fails_the_next_job_and_changes_nothing() -> None:
    younium = make(younium_job_seconds=0)
    tenant = younium.sandbox.younium
    before = tenant.expected()
    younium.sandbox.faults.add(kind="job_failure", route="younium.generate")
    failed = younium.generate().json()
    status = younium.status(failed["jobId"])
    assert status["resultStatus"] == "Failed" and "unexpected error" in status["statusMessage"]
    assert tenant.expected() == before
    assert younium.get(f"/InvoiceBatches/{failed['id']}").status_code == 404
    retried = younium.generate().json()
    assert younium.status(retried["jobId"])["resultStatus"] == "Succeeded", "only the next job fails"
    assert retried["batchNumber"] == "IB-00006"

    younium.sandbox.faults.add(kind="job_failure", batch_id=retried["batchNumber"])
    post = younium.post(f"/InvoiceBatches/{retried['id']}/Post", {}).json()
    assert younium.status(post["jobId"], "Posted")["resultStatus"] == "Failed"
    post = younium.post(f"/InvoiceBatches/{retried['id']}/Post", {}).json()
    assert younium.status(post["jobId"], "Posted")["resultStatus"] == "Succeeded"


def test_a_post_repeated_with_the_same_idempotency_key_replays_the_first_reply() -> None:
    younium = make(younium_job_seconds=0)
    body = {"targetDate": "2030-01-01", "invoiceAllAccounts": True, "invoiceAllBatchGroups": True}
    key = {"younium-idempotency-key": "key-1"}
    first = younium.post("/InvoiceBatches", body, **key)
    second = younium.post("/InvoiceBatches", body, **key)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert second.headers["younium-idempotency-key"] == "key-1"
    assert second.headers["younium-idempotency-durationinhours"] == "48"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", second.headers["younium-idempotency-expires"])
    assert len(younium.sandbox.younium.dataset.batches.all()) == 5, "one batch, not two"
    # The key is unique per endpoint: the same key on the post route is a new request.
    batch_id = first.json()["id"]
    posted = younium.post(f"/InvoiceBatches/{batch_id}/Post", {}, **key)
    assert posted.status_code == 200 and posted.json()["jobId"] != first.json()["jobId"]
    # A refusal is stored and replayed too.
    refused = [younium.post("/InvoiceBatches", {"targetDate": None}, **{"younium-idempotency-key": "k2"})] * 2
    assert [r.status_code for r in refused] == [400, 400]
    other = younium.post("/InvoiceBatches", body, **{"younium-idempotency-key": "key-2"})
    assert other.json()["batchNumber"] == "IB-00006"


def test_a_stored_reply_expires_after_the_duration_asked_for() -> None:
    clock = Clock()
    younium = make(clock, younium_job_seconds=0, younium_token_seconds=10 * 3600)
    headers = {"younium-idempotency-key": "k", "younium-idempotency-durationInHours": "1"}
    first = younium.generate().json()
    replayed = younium.post("/InvoiceBatches", {"targetDate": "2020-01-01"}, **headers)
    clock.now += 3600
    fresh = younium.post("/InvoiceBatches", {"targetDate": "2020-01-01"}, **headers)
    assert replayed.headers["younium-idempotency-durationinhours"] == "1"
    assert fresh.content != replayed.content
    assert first["batchNumber"] == "IB-00005"


# -- advance --------------------------------------------------------------------------------------------------


def test_advance_adds_accounts_and_invoices_and_edits_some_lines_of_some_drafts() -> None:
    younium = make()
    tenant = younium.sandbox.younium
    dataset = tenant.dataset
    before = tenant.expected()
    old = {i["id"]: i for i in younium.all("/Invoices")}
    cursor = latest_modified(list(old.values()))

    advanced = tenant.advance(new_invoices=25, modified_invoices=7, new_accounts=3)

    after = tenant.expected()
    assert (after["invoices"]["rows"], after["accounts"]["rows"]) == (625 + credit_notes(younium), 53)
    assert after["invoice_lines"]["rows"] == 5 * after["invoices"]["rows"]
    changed = younium.all("/Invoices", ModifiedAfter=cursor)
    assert {i["id"] for i in changed} == set(advanced.new_invoice_ids) | set(advanced.modified_invoice_ids)
    new_units = sum(
        line["quantity"] for i in changed if i["id"] in advanced.new_invoice_ids for line in i["invoiceLines"]
    )
    edited_units = len(advanced.modified_line_ids)  # each edited line got one more unit
    assert after["invoice_lines"]["quantity"] == before["invoice_lines"]["quantity"] + new_units + edited_units
    for invoice in changed:
        if invoice["id"] in advanced.modified_invoice_ids:
            previous = old[invoice["id"]]
            assert previous["status"] == "Draft" and "invoiceBatchId" not in previous
            assert invoice["totalAmount"] != previous["totalAmount"]
            assert invoice["modified"] > previous["modified"]
    new_accounts = {a["id"] for a in younium.all("/Accounts", ModifiedAfter=cursor)}
    assert new_accounts == set(advanced.new_account_ids)
    assert any(
        dataset.accounts.number_of(i["account"]["id"]) > 50 for i in changed if i["id"] in advanced.new_invoice_ids
    )
    assert min(i["created"] for i in changed if i["id"] in advanced.new_invoice_ids) > cursor


def test_advance_is_deterministic_and_refuses_more_edits_than_drafts() -> None:
    first, second = make().sandbox.younium, make().sandbox.younium
    assert first.advance(new_invoices=5, modified_invoices=3) == second.advance(new_invoices=5, modified_invoices=3)
    assert first.expected() == second.expected()
    with pytest.raises(ValueError, match="draft invoices"):
        first.advance(modified_invoices=10_000)


def test_the_control_api_advances_younium_and_states_its_expectations() -> None:
    younium = make()
    http = younium.http
    expected = http.get("/_sandbox/expected").json()
    assert expected["younium"]["invoices"]["rows"] == 600 + credit_notes(younium) and "ym" in expected
    reply = http.post("/_sandbox/advance", json={"new_invoices": 10, "modified_invoices": 2, "new_accounts": 1})
    body = reply.json()
    assert body["younium"]["new_invoices"] == 10 and len(body["younium"]["modified_invoice_ids"]) == 2
    assert body["ym_items"] == 5000 and body["new_batch_ids"] == []
    assert http.get("/_sandbox/expected").json()["younium"]["invoices"]["rows"] == 610 + credit_notes(younium)
    assert http.post("/_sandbox/advance", json={"new_invoices": -1}).status_code == 400
    assert http.post("/_sandbox/advance", json={"modified_invoices": 100_000}).status_code == 400


# -- faults and counters ------------------------------------------------------------------------------------------


def test_the_base_currency_is_one_currency_object_outside_any_envelope(younium: Younium) -> None:
    answer = younium.get("/Currency/BaseCurrency")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"id", "code", "description"} and body["code"] == "SEK"


def test_requests_are_counted_per_younium_route(younium: Younium) -> None:
    batch = younium.sandbox.younium.dataset.batches.all()[0]
    younium.get("/Invoices")
    younium.get("/Invoices", PageSize=500)  # refused, still counted
    younium.get(f"/Invoices/{younium.sandbox.younium.dataset.invoices.id(1)}")
    younium.get("/Invoices/00000000-0000-4000-8000-000000000000")  # unknown: a 404, still counted
    younium.get(f"/Invoices/{younium.sandbox.younium.dataset.invoices.id(1)}/RelatedInvoices")  # none: a 400
    younium.get("/Accounts")
    younium.get("/Payments")
    younium.get("/Products")
    younium.get("/Products/00000000-0000-4000-8000-000000000000")  # unknown: a 404, still counted
    younium.get("/InvoiceBatches")
    younium.get(f"/InvoiceBatches/{batch.id}")
    younium.get("/Currency/BaseCurrency")
    younium.get("/Currency")
    younium.get("/ExchangeRate")
    younium.get("/ChartOfAccounts")
    younium.get("/Journals")
    younium.get("/Journals/JournalDetails")
    younium.get("/Journals/JournalDetails", ModifiedAfter="2099-01-01")  # nothing: a 400, still counted
    younium.get(f"/Journals/{younium.sandbox.younium.dataset.gl.journals()[0].id}")
    younium.get("/Journals/00000000-0000-4000-8000-000000000000")  # unknown: a 404, still counted
    younium.get(f"/InvoiceBatches/{batch.id}/BatchLog")
    job = younium.generate().json()
    younium.status(job["jobId"])
    younium.post(f"/InvoiceBatches/{batch.id}/Post", {})
    counts = younium.http.get("/_sandbox/requests").json()
    assert {k: v for k, v in counts.items() if k.startswith("younium.")} == {
        "younium.token": 1,
        "younium.invoice_batches": 2,
        "younium.batch_log": 1,
        "younium.invoices": 2,
        "younium.invoice": 2,
        "younium.related_invoices": 1,
        "younium.accounts": 1,
        "younium.payments": 1,
        "younium.products": 1,
        "younium.product": 1,
        "younium.base_currency": 1,
        "younium.currencies": 1,
        "younium.exchange_rates": 1,
        "younium.chart_of_accounts": 1,
        "younium.journals": 1,
        "younium.journal_details": 2,
        "younium.journal": 2,
        "younium.subscriptions": 0,
        "younium.subscription_versions": 0,
        "younium.bookings": 0,
        "younium.booking": 0,
        "younium.sales_orders": 0,
        "younium.sales_order_versions": 0,
        "younium.account_summary": 0,
        "younium.revenue_schedule": 0,
        "younium.usage": 0,
        "younium.generate": 1,
        "younium.post": 1,
        "younium.job_status": 1,
    }


def test_the_existing_fault_kinds_apply_to_younium_routes(younium: Younium) -> None:
    faults = younium.sandbox.faults
    faults.add(kind="status", route="younium.invoices", status=429, retry_after=1.5)
    throttled = younium.get("/Invoices")
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "1.5")
    assert throttled.json()["status"] == 429
    faults.add(kind="status", route="younium.token", status=503)
    assert younium.http.post("/younium/auth/v2/token", json=CREDENTIALS).status_code == 503
    faults.add(kind="expire_sessions", route="younium.accounts", after=1)
    assert younium.get("/Accounts").status_code == 200
    assert younium.get("/Accounts").status_code == 401, "the token expired on the second request"
    younium.token = younium.sign_in()
    faults.add(kind="truncate", route="younium.payments")
    cut = younium.get("/Payments")
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)


def test_a_dropped_generate_reply_still_started_the_job_so_a_retry_with_its_key_replays_it(
    server: SandboxServer,
) -> None:
    token = httpx.post(f"{server.younium_base_url}/auth/v2/token", json=CREDENTIALS).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "api-version": "2.1", "younium-idempotency-key": "retry-me"}
    body = {"targetDate": "2030-01-01", "invoiceAllAccounts": True, "invoiceAllBatchGroups": True}
    tenant = server.sandbox.younium
    batches, jobs = len(tenant.dataset.batches.all()), len(tenant.jobs())
    server.sandbox.faults.add(kind="drop", route="younium.generate")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{server.younium_base_url}/InvoiceBatches", json=body, headers=headers)
    retried = httpx.post(f"{server.younium_base_url}/InvoiceBatches", json=body, headers=headers)
    assert retried.status_code == 200 and retried.json()["resultStatus"] == "Pending"
    assert len(tenant.jobs()) == jobs + 1, "the dropped request started the job; the retry only replayed it"
    time.sleep(server.sandbox.config.younium_job_seconds)
    tenant.settle()
    assert len(tenant.dataset.batches.all()) == batches + 1


def test_the_fault_grammar_knows_job_failures() -> None:
    faults = parse_fault_spec("younium.post:job_failure;job_failure=IB-00007:times=2;younium.invoices:status=503")
    assert [f.as_dict() for f in faults] == [
        {"kind": "job_failure", "route": "younium.post", "times": 1, "after": 0, "delay": 0.0},
        {"kind": "job_failure", "times": 2, "after": 0, "delay": 0.0, "batch_id": "IB-00007"},
        {"kind": "status", "route": "younium.invoices", "times": 1, "after": 0, "status": 503, "delay": 0.0},
    ]
    with pytest.raises(ValueError):
        parse_fault_spec("younium.invoices:job_failure")


# -- scale ----------------------------------------------------------------------------------------------------


def test_twenty_thousand_invoices_answer_a_deep_page_and_their_expectations() -> None:
    younium = make(younium_invoices=20_000, younium_accounts=800)
    body = younium.page("/Invoices", PageSize=100, PageNumber=180, ModifiedAfter="2024-01-01")
    assert body["totalCount"] == 20_000 + credit_notes(younium) and len(body["data"]) == 100
    assert sum(len(i["invoiceLines"]) for i in body["data"]) == 500
    expected = younium.sandbox.younium.expected()
    assert expected["invoice_lines"]["rows"] == 5 * body["totalCount"]


def test_a_dataset_of_one_line_per_invoice_and_no_seeded_batches_works() -> None:
    dataset = YouniumDataset(invoices=30, lines_per_invoice=1, batches=0)
    assert dataset.batches.all() == [] and expected(dataset)["invoice_lines"]["rows"] == 30
    advanced = advance(dataset, modified_invoices=3)
    assert len(advanced.modified_line_ids) == 3
    assert dumps(YouniumRecords(dataset).invoice(1))


# -- server and command line ----------------------------------------------------------------------------------


def test_the_server_exposes_younium_settings(server: SandboxServer) -> None:
    assert server.younium_base_url == f"{server.url}/younium"
    assert server.younium_settings == {
        "SOURCES__YOUNIUM__BASE_URL": f"{server.url}/younium",
        "SOURCES__YOUNIUM__CLIENT_ID": "sandbox-younium-client",
        "SOURCES__YOUNIUM__SECRET": "sandbox-younium-secret",
        "SOURCES__YOUNIUM__LEGAL_ENTITY": "Sandbox AB",
        "SOURCES__YOUNIUM__MAX_REQUESTS_PER_SECOND": "0",  # loopback, no rate limit: no pacing needed
    }
    token = httpx.post(f"{server.younium_base_url}/auth/token", json=CREDENTIALS).json()["accessToken"]
    reply = httpx.get(
        f"{server.younium_base_url}/Invoices",
        params={"PageSize": 5},
        headers={"Authorization": f"Bearer {token}", "api-version": "2.1", "legal-entity": "Sandbox AB"},
    )
    assert reply.json()["totalCount"] == 300 + len(server.sandbox.younium.dataset.invoices.credit_notes())


def test_serve_prints_and_writes_both_sources_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def serve_once(sandbox: Sandbox, *, host: str, port: int, on_ready: Any) -> None:
        with SandboxServer(sandbox, host=host, port=port) as running:
            on_ready(running)

    monkeypatch.setattr(sandbox_cli, "serve_forever", serve_once)
    env_file = tmp_path / "sandbox.env"
    result = CliRunner().invoke(
        sandbox_cli.sandbox_app,
        ["serve", "--scale", "younium_invoices=40,younium_accounts=5,lines_per_invoice=2", "--env-file", str(env_file)],
    )
    assert result.exit_code == 0, result.output
    written = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert set(written) == {
        "SOURCES__YM__BASE_URL",
        "SOURCES__YM__CLIENT_ID",
        "SOURCES__YM__API_KEY",
        "SOURCES__YM__API_PASSWORD",
        "SOURCES__YOUNIUM__BASE_URL",
        "SOURCES__YOUNIUM__CLIENT_ID",
        "SOURCES__YOUNIUM__SECRET",
        "SOURCES__YOUNIUM__LEGAL_ENTITY",
        "SOURCES__YM__MAX_REQUESTS_PER_SECOND",
        "SOURCES__YOUNIUM__MAX_REQUESTS_PER_SECOND",
    }
    for key, value in written.items():
        if key != "SOURCES__YOUNIUM__LEGAL_ENTITY":
            assert f"export {key}={shlex.quote(value)}" in result.output
    # The shell lines name the legal entity as people do; the file by its id, which no reader splits or
    # quotes differently (a shell splits at a space, docker --env-file keeps quotes).
    assert "export SOURCES__YOUNIUM__LEGAL_ENTITY='Sandbox AB'" in result.output
    assert re.fullmatch(r"[0-9a-f-]{36}", written["SOURCES__YOUNIUM__LEGAL_ENTITY"])
    assert "40 invoices" in result.output
    bad = CliRunner().invoke(sandbox_cli.sandbox_app, ["serve", "--scale", "lines_per_invoice=0"])
    assert bad.exit_code == 2
