"""The sandbox's Younium usage: GET /Usage paged and filtered like every list, its records as UsageResponse
says (processed ones rated, the others not, null members left out), re-rated and hard-deleted between runs,
and stated row by row in the expectations (from the store, not from what was served)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finsync_sandbox import SandboxConfig
from finsync_sandbox.kernel.config import SCALE_KEYS
from finsync_sandbox.kernel.formats import parse_moment

from .test_sandbox_products import DAY, NAIVE_STAMP, nulls
from .test_sandbox_younium import NOTHING, make

USAGE = 30


def test_no_usage_by_default_is_the_empty_list_400_and_no_expectation() -> None:
    younium = make()
    empty = younium.get("/Usage", PageSize=10, PageNumber=1)
    assert empty.status_code == 400 and empty.json()["errors"] == {"message": ["No usage could be found"]}
    assert empty.json()["title"] == NOTHING
    assert "usage" not in younium.sandbox.younium.expected() and "usage" not in younium.sandbox.younium.expected_ids()


def test_usage_is_paged_in_modified_order_and_each_record_is_a_usage_response() -> None:
    younium = make(younium_subscriptions=20, younium_usage=USAGE)
    body = younium.page("/Usage", PageSize=7, PageNumber=5)
    assert (body["totalCount"], body["totalPages"]) == (USAGE, 5) and "nextPage" not in body and body["lastPage"]
    records = younium.all("/Usage")
    assert len({r["id"] for r in records}) == USAGE and not nulls(records)
    keys = [(r["modified"], r["id"]) for r in records]
    assert keys == sorted(keys)
    for r in records:
        assert DAY.match(r["fromDate"]) and NAIVE_STAMP.match(r["modified"]) and NAIVE_STAMP.match(r["importDate"])
        assert r["account"]["accountNumber"].startswith("A-") and r["unit"]
        assert ("ratedPrice" in r) == ("ratedPriceCurrencyCode" in r) == r["processed"]
        if "order" in r:
            assert r["charge"]["chargeNumber"].startswith("OPC-9") and r["product"]["productNumber"].startswith("OP-")
    processed = [r["processed"] for r in records]
    assert any(processed) and not all(processed), "some usage is rated and invoiced, some not yet"
    assert any("toDate" not in r for r in records) and any(r.get("toDate", "").endswith("23:59:59") for r in records)
    assert any("order" in r for r in records)


def test_a_rerating_moves_modified_and_a_deleted_record_leaves_the_list_and_the_expectations() -> None:
    younium = make(younium_subscriptions=20, younium_usage=USAGE)
    tenant = younium.sandbox.younium
    records = younium.all("/Usage")
    before = records[-1]["modified"]
    rated = next(r for r in records if r["processed"])
    unrated = next(r for r in records if not r["processed"])
    done = tenant.rerate_usage(rated["id"])
    assert Decimal(done["rated_price"]) > Decimal(str(rated["ratedPrice"]))
    tenant.rerate_usage(unrated["id"])
    doomed = next(r["id"] for r in records if r["id"] not in (rated["id"], unrated["id"]))
    assert tenant.delete_usage(doomed)["usage"] == doomed
    since = younium.all("/Usage", ModifiedAfter=before.replace("T", " "))
    assert [r["id"] for r in since] == [rated["id"], unrated["id"]]
    assert all(r["processed"] and "ratedPrice" in r for r in since)
    assert parse_moment(since[0]["modified"]) > parse_moment(before)
    assert doomed not in {r["id"] for r in younium.all("/Usage")}
    assert tenant.expected()["usage"]["deleted"] == [doomed]
    assert doomed not in tenant.expected_ids()["usage"]


def test_expected_usage_rows_are_what_is_served_column_by_column() -> None:
    from finsync_sandbox.younium.expected import expected_usage

    younium = make(younium_subscriptions=20, younium_usage=USAGE)
    served = {r["id"]: r for r in younium.all("/Usage")}
    rows = expected_usage(younium.sandbox.younium.dataset)
    assert sorted(served) == [row["id"] for row in rows]
    for row in rows:
        r = served[row["id"]]
        assert row["quantity"] == Decimal(str(r["quantity"])) and row["unit"] == r["unit"]
        assert row["rated_price"] == (Decimal(str(r["ratedPrice"])) if "ratedPrice" in r else None)
        assert row["account_id"] == r["account"]["id"] and row["order_number"] == r.get("order", {}).get("orderNumber")
        assert row["modified"].isoformat()[:19] == r["modified"][:19]
    summary = younium.sandbox.younium.expected()["usage"]
    assert summary["rows"] == USAGE and summary["processed"] == sum(r["processed"] for r in served.values())


def test_the_usage_knob_is_a_scale_and_never_negative() -> None:
    assert "younium_usage" in SCALE_KEYS and SandboxConfig().scaled("younium_usage=9").younium_usage == 9
    with pytest.raises(ValueError, match="_usage"):
        SandboxConfig(younium_usage=-1)
