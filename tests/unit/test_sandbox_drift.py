"""The sandbox's drift faults: list records served with a field renamed, removed, retyped, added or missing,
on both APIs and on the YM export file's columns, for a few requests or for a whole run; and persistent
error statuses."""

from __future__ import annotations

import copy
import csv
import io
import json
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from finsync_sandbox import Sandbox, SandboxConfig, build_app
from finsync_sandbox.kernel.drift import NOT_A_NUMBER, NOT_A_STRING
from finsync_sandbox.kernel.faults import FAULT_GRAMMAR, Fault, parse_fault_spec

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CLIENT_ID = 24680
YM_LOGIN = {
    "ClientID": CLIENT_ID,
    "UserType": "Admin",
    "Username": "sandbox-api-key",
    "Password": "sandbox-api-password",
}
YOUNIUM_LOGIN = {"clientId": "sandbox-younium-client", "secret": "sandbox-younium-secret"}
# A top-level field, a field of a nested object, a field of every element of a nested list.
PATHS = ["invoiceNumber", "account.accountNumber", "invoiceLines.total"]


class Apis:
    """A caller of both emulated APIs and of the control API, signed in to both."""

    def __init__(self) -> None:
        self.sandbox = Sandbox(SandboxConfig(ym_items=1000, younium_invoices=60, export_latency_seconds=0))
        self.sandbox.config.export_not_ready_count = 0
        self.http = TestClient(build_app(self.sandbox))
        self.session = self.http.post("/ym/Ams/Authenticate", json=YM_LOGIN).json()["SessionId"]
        token = self.http.post("/younium/auth/v2/token", json=YOUNIUM_LOGIN).json()["access_token"]
        self.younium_headers = {"Authorization": f"Bearer {token}", "api-version": "2.1"}

    def arm(self, *faults: dict[str, Any]) -> list[dict[str, Any]]:
        reply = self.http.post("/_sandbox/faults", json=list(faults))
        assert reply.status_code == 200, reply.text
        return list(reply.json()["pending"])

    def arm_spec(self, spec: str) -> None:
        for fault in parse_fault_spec(spec):
            self.sandbox.faults.add(fault)

    def clear(self) -> None:
        assert self.http.delete("/_sandbox/faults").json() == {"pending": []}

    def younium(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/younium{path}", params={"PageSize": 5, **params}, headers=self.younium_headers)

    def younium_records(self, path: str = "/Invoices", **params: Any) -> list[dict[str, Any]]:
        reply = self.younium(path, **params)
        assert reply.status_code == 200, reply.text
        return list(json.loads(reply.content, parse_float=Decimal)["data"])

    def ym(self, route: str, method: str = "GET", **params: Any) -> httpx.Response:
        headers = {"X-SS-ID": self.session}
        if method == "POST":
            return self.http.post(f"/ym/Ams/{CLIENT_ID}/{route}", json=params, headers=headers)
        return self.http.get(f"/ym/Ams/{CLIENT_ID}/{route}", params=params, headers=headers)

    def ym_records(self, route: str, name: str, **params: Any) -> list[dict[str, Any]]:
        reply = self.ym(route, **params)
        assert reply.status_code == 200, reply.text
        body = json.loads(reply.content, parse_float=Decimal)
        assert body["ResponseStatus"] == {}
        return list(body[name])

    def export_file(self, batch_id: str = "1002") -> list[list[str]]:
        export_id = self.ym("FinanceBatches", "POST", BatchID=batch_id).json()["ExportID"]
        uri = self.ym(f"ExportStatus/{export_id}").json()["ExportURI"]
        reply = self.http.get(uri)
        assert reply.status_code == 200, reply.text
        return list(csv.reader(io.StringIO(reply.text)))


@pytest.fixture
def apis() -> Apis:
    return Apis()


def holders(record: dict[str, Any], path: str) -> Iterator[dict[str, Any]]:
    """The objects that hold `path`'s last member (through every element of nested lists)."""
    *parents, _ = path.split(".")
    found: list[Any] = [record]
    for name in parents:
        found = [x for item in found for x in (item[name] if isinstance(item[name], list) else [item[name]])]
    yield from found


def leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def without(records: list[dict[str, Any]], path: str, *names: str) -> list[dict[str, Any]]:
    """`records` (a copy) without the members `names` (default: `path`'s own) where `path` leads."""
    copied = copy.deepcopy(records)
    for record in copied:
        for holder in holders(record, path):
            for name in names or (leaf(path),):
                holder.pop(name, None)
    return copied


# -- the grammar ----------------------------------------------------------------------------------------------


def test_the_fault_grammar_of_the_drift_kinds() -> None:
    faults = parse_fault_spec(
        "younium.invoices:rename=account.accountNumber>accountNo:times=always;younium.accounts:remove=name:times=0;"
        "ym.invoice_items:retype=LineTotal;younium.journals:add=vouchers.origin;"
        "ym.batch_details:missing=LineItemID:rows=3:times=2;ym.export_download:rename=LineTotal>Total"
    )
    assert [(f.kind, f.route, f.field, f.name, f.rows, f.times) for f in faults] == [
        ("rename", "younium.invoices", "account.accountNumber", "accountNo", None, 0),
        ("remove", "younium.accounts", "name", None, None, 0),
        ("retype", "ym.invoice_items", "LineTotal", None, None, 1),
        ("add", "younium.journals", "vouchers.origin", None, None, 1),
        ("missing", "ym.batch_details", "LineItemID", None, 3, 2),
        ("rename", "ym.export_download", "LineTotal", "Total", None, 1),
    ]
    assert Fault.from_mapping({"kind": "rename", "route": "younium.invoices", "field": "id", "name": "Id"}).name == "Id"
    for kind in ("rename", "remove", "retype", "add", "missing"):
        assert f"{kind}=" in FAULT_GRAMMAR
    assert parse_fault_spec(FAULT_GRAMMAR.split("Example: ")[1].replace("\n", ""))
    for bad in (
        "younium.invoices:rename=invoiceNumber",  # no new name
        "younium.invoices:rename=invoiceNumber>a.b",  # a path as the new name
        "younium.invoices:remove",  # no field
        "younium.invoices:remove=account.",  # an empty step
        "younium.invoice:remove=id",  # not a list
        "remove=id",  # no route
        "ym.export_download:retype=LineTotal",  # the file's columns are renamed, removed or added only
        "ym.export_download:remove=a.b",  # the file has no nested fields
        "younium.invoices:remove=id:rows=2",  # rows are missing's
        "younium.invoices:remove=id:times=-1",
        "younium.invoices:remove=id:times=sometimes",
    ):
        with pytest.raises(ValueError):
            parse_fault_spec(bad)


# -- Younium lists ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_rename_serves_a_younium_field_under_another_name_in_its_place(apis: Apis, path: str) -> None:
    documented = apis.younium_records()
    apis.arm({"kind": "rename", "route": "younium.invoices", "field": f"{path}>renamed"})
    drifted = apis.younium_records()
    pairs = [
        pair
        for record, served in zip(documented, drifted, strict=True)
        for pair in zip(holders(record, path), holders(served, path), strict=True)
    ]
    assert pairs and len(pairs) == sum(1 for r in documented for _ in holders(r, path))
    for before, after in pairs:
        assert leaf(path) not in after
        assert after["renamed"] == before[leaf(path)]
        assert list(after) == ["renamed" if k == leaf(path) else k for k in before]  # same place
    assert without(drifted, path, "renamed") == without(documented, path)


@pytest.mark.parametrize("path", PATHS)
def test_remove_leaves_a_younium_field_out_of_every_record(apis: Apis, path: str) -> None:
    documented = apis.younium_records()
    apis.arm({"kind": "remove", "route": "younium.invoices", "field": path})
    drifted = apis.younium_records()
    assert all(leaf(path) not in h for r in drifted for h in holders(r, path))
    assert any(leaf(path) in h for r in documented for h in holders(r, path))
    assert drifted == without(documented, path)


@pytest.mark.parametrize("path", [*PATHS, "taxIncluded"])
def test_retype_serves_a_younium_value_as_another_json_type(apis: Apis, path: str) -> None:
    documented = apis.younium_records()
    apis.arm({"kind": "retype", "route": "younium.invoices", "field": path})
    drifted = apis.younium_records()
    for record, served in zip(documented, drifted, strict=True):
        for before, after in zip(holders(record, path), holders(served, path), strict=True):
            value = before[leaf(path)]
            if isinstance(value, bool):
                assert after[leaf(path)] == str(value).lower()
            elif isinstance(value, str):
                assert after[leaf(path)] == NOT_A_STRING
            else:
                assert isinstance(value, (int, Decimal))
                assert after[leaf(path)] == NOT_A_NUMBER
    assert without(drifted, path) == without(documented, path)


@pytest.mark.parametrize("path", ["origin", "account.origin", "invoiceLines.origin"])
def test_add_serves_an_undocumented_younium_field_derived_from_the_record(apis: Apis, path: str) -> None:
    documented = apis.younium_records()
    apis.arm({"kind": "add", "route": "younium.invoices", "field": path, "times": 2})
    drifted, again = apis.younium_records(), apis.younium_records()
    added = [h["origin"] for r in drifted for h in holders(r, path)]
    assert added and all(isinstance(v, str) and v.startswith("origin-") for v in added)
    assert len(set(added)) == len(added)  # each from its own record
    assert again == drifted  # derived, not random
    assert all(list(h)[-1] == "origin" for r in drifted for h in holders(r, path))
    assert without(drifted, path) == without(documented, path)


def test_drift_reaches_a_field_of_lists_nested_in_lists(apis: Apis) -> None:
    documented = apis.younium_records("/Journals")
    apis.arm({"kind": "remove", "route": "younium.journals", "field": "vouchers.transactions.debitAmount"})
    drifted = apis.younium_records("/Journals")
    transactions = [t for j in drifted for v in j["vouchers"] for t in v["transactions"]]
    assert transactions and all("debitAmount" not in t and "creditAmount" in t for t in transactions)
    assert drifted == without(documented, "vouchers.transactions.debitAmount")


def test_missing_leaves_a_field_out_of_the_first_rows_of_every_page_only(apis: Apis) -> None:
    documented = [apis.younium_records(PageNumber=n) for n in (1, 2)]
    apis.arm({"kind": "missing", "route": "younium.invoices", "field": "account.accountNumber", "rows": 2, "times": 0})
    for number, page in enumerate(documented, start=1):
        drifted = apis.younium_records(PageNumber=number)
        assert ["accountNumber" in r["account"] for r in drifted] == [False, False, True, True, True]
        assert drifted[:2] == without(page[:2], "account.accountNumber")
        assert drifted[2:] == page[2:]
    apis.clear()
    apis.arm({"kind": "missing", "route": "younium.invoices", "field": "currency"})
    assert all("currency" not in r for r in apis.younium_records())  # without rows: every record


def test_several_drifts_apply_together_and_alongside_another_fault(apis: Apis) -> None:
    apis.arm(
        {"kind": "rename", "route": "younium.accounts", "field": "name>accountName", "times": "always"},
        {"kind": "add", "route": "younium.accounts", "field": "region", "times": "always"},
        {"kind": "status", "route": "younium.accounts", "status": 503},
    )
    assert apis.younium("/Accounts").status_code == 503  # the status fault answers, the drifts wait
    for _ in range(2):
        records = apis.younium_records("/Accounts")
        assert all("accountName" in r and "name" not in r and "region" in r for r in records)


def test_a_drift_can_hit_one_page_of_a_list(apis: Apis) -> None:
    apis.arm_spec("younium.invoices:remove=invoiceNumber:page=2:times=always")
    assert all("invoiceNumber" in r for r in apis.younium_records(PageNumber=1))
    assert all("invoiceNumber" not in r for r in apis.younium_records(PageNumber=2))


def test_a_single_record_answer_of_a_list_route_drifts_too(apis: Apis) -> None:
    credit_note = next(r["id"] for r in apis.younium_records(PageSize=100) if r["invoiceType"] == "Credit")
    apis.arm({"kind": "rename", "route": "younium.related_invoices", "field": "creditInvoiceId>creditId"})
    data = apis.younium(f"/Invoices/{credit_note}/RelatedInvoices").json()["data"]
    assert "creditId" in data and "creditInvoiceId" not in data


# -- YM lists and the export file -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "name", "params"),
    [
        ("InvoiceItems", "InvoiceItemsList", {"DateFrom": "2000-01-01", "PageSize": 10}),
        ("FinanceBatchDetails", "FinanceBatchDetailsList", {"BatchId": "1001", "PageSize": 10}),
    ],
)
def test_ym_item_lists_drift(apis: Apis, route: str, name: str, params: dict[str, Any]) -> None:
    fault_route = "ym.invoice_items" if route == "InvoiceItems" else "ym.batch_details"
    documented = apis.ym_records(route, name, **params)
    apis.arm_spec(
        f"{fault_route}:rename=LineTotal>LineAmount:times=0;{fault_route}:remove=LineItemID:times=0;"
        f"{fault_route}:retype=InvoiceNo:times=0;{fault_route}:add=Channel:times=0;"
        f"{fault_route}:missing=LineItemDate:rows=3:times=0"
    )
    drifted = apis.ym_records(route, name, **params)
    for number, (before, after) in enumerate(zip(documented, drifted, strict=True)):
        assert after["LineAmount"] == before["LineTotal"] and "LineTotal" not in after
        assert "LineItemID" not in after
        assert before["InvoiceNo"] == int(before["InvoiceNo"]) and after["InvoiceNo"] == NOT_A_NUMBER
        assert after["Channel"].startswith("Channel-")
        assert ("LineItemDate" in after) is (number >= 3)
        unchanged = {"LineTotal", "LineItemID", "InvoiceNo", "LineItemDate"}
        rest = {k: v for k, v in after.items() if k not in {"LineAmount", "Channel", *unchanged}}
        assert rest == {k: v for k, v in before.items() if k not in unchanged}
    assert len(drifted[0]) == len(documented[0]) - 1  # renamed, removed, retyped, added, one missing


def test_ym_finance_batches_drift(apis: Apis) -> None:
    documented = apis.ym_records("FinanceBatches", "FinanceBatchList")
    apis.arm({"kind": "retype", "route": "ym.finance_batches", "field": "ItemCount", "times": 0})
    apis.arm({"kind": "remove", "route": "ym.finance_batches", "field": "ClosedDate", "times": 0})
    drifted = apis.ym_records("FinanceBatches", "FinanceBatchList")
    assert [r["ItemCount"] for r in drifted] == [NOT_A_NUMBER] * len(documented)
    assert all("ClosedDate" not in r for r in drifted)
    assert [r["BatchID"] for r in drifted] == [r["BatchID"] for r in documented]


def test_the_export_file_columns_can_be_renamed_removed_or_added(apis: Apis) -> None:
    header, *rows = apis.export_file()
    apis.arm_spec(
        "ym.export_download:rename=LineTotal>Total:times=always;ym.export_download:remove=LineItemID:times=always;"
        "ym.export_download:add=Channel:times=always"
    )
    drifted_header, *drifted_rows = apis.export_file()
    expected = [("Total" if h == "LineTotal" else h) for h in header if h != "LineItemID"] + ["Channel"]
    assert drifted_header == expected
    assert len(drifted_rows) == len(rows)
    for before, after in zip(rows, drifted_rows, strict=True):
        served = dict(zip(drifted_header, after, strict=True))
        documented = dict(zip(header, before, strict=True))
        assert served["Total"] == documented["LineTotal"]
        assert served["Channel"].startswith("Channel-")
        assert {k: v for k, v in served.items() if k not in ("Total", "Channel")} == {
            k: v for k, v in documented.items() if k not in ("LineTotal", "LineItemID")
        }
    assert apis.export_file()[0] == expected  # for the whole run
    apis.clear()
    assert apis.export_file() == [header, *rows]


def test_a_malformed_row_of_a_drifted_export_is_cut_after_the_drift(apis: Apis) -> None:
    apis.arm_spec("ym.export_download:add=Channel;ym.export_download:malformed_row=2")
    header, *rows = apis.export_file()
    assert header[-1] == "Channel"
    assert [len(r) for r in rows[:3]] == [len(header), len(header) // 2, len(header)]


# -- persistence ------------------------------------------------------------------------------------------------


def test_drift_lasts_its_times_or_until_cleared_and_clearing_restores_the_documented_pages(apis: Apis) -> None:
    pages: dict[str, Callable[[], bytes]] = {
        "younium": lambda: apis.younium("/Invoices").content,
        "ym": lambda: apis.ym("InvoiceItems", DateFrom="2000-01-01", PageSize=20).content,
    }
    documented = {name: page() for name, page in pages.items()}
    apis.arm_spec("younium.invoices:remove=invoiceLines:times=2")
    assert [b"invoiceLines" in pages["younium"]() for _ in range(3)] == [False, False, True]
    assert apis.sandbox.faults.pending() == []

    armed = apis.arm(
        {"kind": "remove", "route": "younium.invoices", "field": "invoiceLines", "times": "always"},
        {"kind": "rename", "route": "ym.invoice_items", "field": "LineTotal", "name": "Total", "times": 0},
    )
    assert [f["times"] for f in armed] == [0, 0]
    for _ in range(4):
        assert b"invoiceLines" not in pages["younium"]()
        assert b'"LineTotal"' not in pages["ym"]() and b'"Total"' in pages["ym"]()
    assert len(apis.http.get("/_sandbox/faults").json()["pending"]) == 2
    apis.clear()
    assert apis.sandbox.faults.drifting is False
    assert {name: page() for name, page in pages.items()} == documented


def test_a_drift_that_finds_nothing_serves_the_documented_bytes(apis: Apis) -> None:
    documented = apis.younium("/Invoices").content, apis.ym("InvoiceItems", DateFrom="2000-01-01").content
    apis.arm_spec("younium.invoices:remove=nowhere.nothing:times=0;ym.invoice_items:rename=Nothing>Else:times=0")
    assert (apis.younium("/Invoices").content, apis.ym("InvoiceItems", DateFrom="2000-01-01").content) == documented


def test_an_error_status_can_last_for_the_whole_run(apis: Apis) -> None:
    apis.arm_spec("ym.export_start:status=403:times=always;younium.payments:status=404:times=0")
    for _ in range(3):
        refused = apis.ym("FinanceBatches", "POST", BatchID="1002")
        assert refused.status_code == 403 and refused.json()["ErrorCode"] == "Forbidden"
        assert apis.younium("/Payments").status_code == 404
    assert apis.ym("FinanceBatches").status_code == 200  # only the route named
    assert [f.times for f in apis.sandbox.faults.pending()] == [0, 0]
    apis.clear()
    assert apis.ym("FinanceBatches", "POST", BatchID="1002").json()["ExportID"]
    assert apis.younium("/Payments").status_code == 200


def test_a_persistent_fault_may_wait_after_requests_first(apis: Apis) -> None:
    apis.arm({"kind": "status", "route": "younium.accounts", "status": 403, "times": 0, "after": 2})
    assert [apis.younium("/Accounts").status_code for _ in range(5)] == [200, 200, 403, 403, 403]
