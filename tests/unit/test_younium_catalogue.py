"""The Younium catalogue's charge plans, catalogue charges and price details, loaded by finsync's runner from
mocked HTTP: each table's rows and exact values (a catalogue charge's `model` and `revenueRecognition`, a price
per currency, an omitted tier), replaced per product when it is read again, and marked deleted with it."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pyarrow as pa

from finsync.http.columnar import exact_table
from finsync.sources.younium.catalogue import catalogue_price_rows, catalogue_records

from .test_younium_source import PRODUCT, Upstream, pipeline, rows, run

__all__ = ["pipeline"]

UTC = timezone.utc


def charge(charge_id: str, model: str, details: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "id": charge_id,
        "chargeNumber": f"C-{charge_id}",
        "name": f"Charge {charge_id}",
        "model": model,
        "chargeType": "Recurring",
        "defaultQuantity": 1.0,
        "priceDetails": details,
        "created": "2022-09-21T13:22:26.375",
        "modified": "2022-09-21T13:22:26.375",
        **fields,
    }


# A Full product: an older plan whose sales ended, and a plan of two charges, priced in SEK and EUR.
FULL: dict[str, Any] = {
    **PRODUCT,
    "id": "pr-9",
    "productNumber": "P-000009",
    "productType": "Full",
    "chargePlans": [
        {
            "id": "cp-old",
            "chargePlanNumber": "CP-000008",
            "name": "Legacy",
            "effectiveStartDate": "2022-09-21T13:22:26.375",
            "endOfNewSalesDate": "2023-06-30T00:00:00",
            "effectiveEndDate": "2024-06-30T00:00:00",
            "charges": [
                # The facts' sample: a price per currency, the tier left out.
                charge("c-flat", "Flat", [{"currency": "SEK", "price": 1000.0}, {"currency": "EUR", "price": 100.0}])
            ],
            "created": "2022-09-21T13:22:26.375",
            "modified": "2022-09-21T13:22:26.375",
        },
        {
            "id": "cp-new",
            "chargePlanNumber": "CP-000009",
            "name": "Current",
            "effectiveStartDate": "2023-07-01T00:00:00",
            "charges": [
                charge(
                    "c-seats",
                    "Quantity",
                    [{"currency": "SEK", "price": 99.125}, {"currency": "EUR", "price": 8.5}],
                    chargeType="Recurring",
                    unitCode="SEAT",
                    defaultQuantity=2.5,
                    pricePeriod="Annual",
                    usageRating="Sum",
                    createInvoiceLinesPerTier=False,
                    billingDay="SpecificDay",
                    specificBillingDay=15,
                    billingPeriod="Quarterly",
                    periodAlignment="AlignToCalendarQuarter",
                    billingTiming="InAdvance",
                    taxTemplate="Standard VAT 25%",
                    taxIncluded=True,
                    revenueRecognition="Recognized monthly over time",
                    deferredRevenueAccount="2972",
                    recognizedRevenueAccount="3012",
                    externalERPId="ART-9-2",
                    externalCRMId="01u5g0000ABC",
                ),
                # Tiers sent for SEK, left out for EUR: each EUR price is placed by its order in its currency.
                charge(
                    "c-calls",
                    "Tiered",
                    [
                        {"currency": "SEK", "price": 1.5, "tier": 0, "fromQuantity": 0.0, "toQuantity": 1000.0,
                         "priceBase": "PerUnit", "description": "First thousand"},
                        {"currency": "EUR", "price": 0.13},
                        {"currency": "SEK", "price": 1.2, "tier": 1, "fromQuantity": 1000.0, "priceBase": "PerUnit"},
                        {"currency": "EUR", "price": 0.1},
                    ],
                    chargeType="Usage",
                ),
            ],
            "created": "2023-07-01T08:00:00",
            "modified": "2023-07-01T08:00:00",
        },
    ],
}  # fmt: skip


def test_a_products_plans_charges_and_prices_load_with_their_parents_ids_and_exact_values(pipeline: Any) -> None:
    upstream = Upstream()
    upstream.products = [FULL]

    run(pipeline, upstream)

    undeclared = "SELECT field FROM finsync_meta.upstream_fields WHERE endpoint = 'GET /Products' AND NOT declared"
    assert rows(pipeline, undeclared) == [], "nothing a product nests is undeclared"
    assert rows(
        pipeline,
        "SELECT id, product_id, charge_plan_number, name, effective_start_date, end_of_new_sales_date, "
        "effective_end_date, created FROM charge_plans ORDER BY id",
    ) == [
        ("cp-new", "pr-9", "CP-000009", "Current", datetime(2023, 7, 1, tzinfo=UTC), None, None,
         datetime(2023, 7, 1, 8, tzinfo=UTC)),
        # A plan's start is an instant: the time of day Younium sends is kept.
        ("cp-old", "pr-9", "CP-000008", "Legacy", datetime(2022, 9, 21, 13, 22, 26, 375000, tzinfo=UTC),
         datetime(2023, 6, 30, tzinfo=UTC), datetime(2024, 6, 30, tzinfo=UTC),
         datetime(2022, 9, 21, 13, 22, 26, 375000, tzinfo=UTC)),
    ]  # fmt: skip
    assert rows(
        pipeline,
        "SELECT id, product_id, charge_plan_id, charge_number, model, charge_type, default_quantity "
        "FROM catalogue_charges ORDER BY id",
    ) == [
        ("c-calls", "pr-9", "cp-new", "C-c-calls", "Tiered", "Usage", Decimal("1.00000000")),
        ("c-flat", "pr-9", "cp-old", "C-c-flat", "Flat", "Recurring", Decimal("1.00000000")),
        ("c-seats", "pr-9", "cp-new", "C-c-seats", "Quantity", "Recurring", Decimal("2.50000000")),
    ]
    assert rows(
        pipeline,
        "SELECT name, unit_code, price_period, usage_rating, create_invoice_lines_per_tier, billing_day, "
        "specific_billing_day, billing_period, period_alignment, billing_timing, tax_template, tax_included, "
        "revenue_recognition, deferred_revenue_account, recognized_revenue_account, external_erp_id, "
        "external_crm_id, modified FROM catalogue_charges WHERE id = 'c-seats'",
    ) == [
        ("Charge c-seats", "SEAT", "Annual", "Sum", False, "SpecificDay", 15, "Quarterly", "AlignToCalendarQuarter",
         "InAdvance", "Standard VAT 25%", True, "Recognized monthly over time", "2972", "3012", "ART-9-2",
         "01u5g0000ABC", datetime(2022, 9, 21, 13, 22, 26, 375000, tzinfo=UTC)),
    ]  # fmt: skip
    assert rows(
        pipeline,
        "SELECT key, product_id, charge_id, currency, tier, price, from_quantity, to_quantity, price_base, "
        "description FROM catalogue_price_details ORDER BY key",
    ) == [
        ("c-calls:EUR:0", "pr-9", "c-calls", "EUR", 0, Decimal("0.1300"), None, None, None, None),
        ("c-calls:EUR:1", "pr-9", "c-calls", "EUR", 1, Decimal("0.1000"), None, None, None, None),
        ("c-calls:SEK:0", "pr-9", "c-calls", "SEK", 0, Decimal("1.5000"), Decimal("0E-8"), Decimal("1000.00000000"),
         "PerUnit", "First thousand"),
        ("c-calls:SEK:1", "pr-9", "c-calls", "SEK", 1, Decimal("1.2000"), Decimal("1000.00000000"), None, "PerUnit",
         None),
        ("c-flat:EUR:0", "pr-9", "c-flat", "EUR", 0, Decimal("100.0000"), None, None, None, None),
        ("c-flat:SEK:0", "pr-9", "c-flat", "SEK", 0, Decimal("1000.0000"), None, None, None, None),
        ("c-seats:EUR:0", "pr-9", "c-seats", "EUR", 0, Decimal("8.5000"), None, None, None, None),
        ("c-seats:SEK:0", "pr-9", "c-seats", "SEK", 0, Decimal("99.1250"), None, None, None, None),
    ]  # fmt: skip


def test_a_product_read_again_replaces_its_prices_and_one_deleted_upstream_is_marked_with_them(pipeline: Any) -> None:
    simple = copy.deepcopy(PRODUCT)
    simple["chargePlans"][0]["charges"][0]["priceDetails"] = [{"currency": "SEK", "price": 10.0}]
    upstream = Upstream()
    upstream.products = [simple, FULL]
    run(pipeline, upstream)
    changed = copy.deepcopy(FULL)
    seats = changed["chargePlans"][1]["charges"][0]
    seats["priceDetails"] = [{"currency": "SEK", "price": 109.0}]  # repriced, its EUR price removed
    seats["modified"] = changed["modified"] = "2024-05-01T09:00:00"
    upstream.products = [simple, changed]

    routes = run(pipeline, upstream)

    read = {call.request.url.path for call in routes["product"].calls}
    assert "/Products/pr-9" in read, "a product a window lists is read again by id, whole"
    assert rows(pipeline, "SELECT key, price FROM catalogue_price_details WHERE charge_id = 'c-seats'") == [
        ("c-seats:SEK:0", Decimal("109.0000"))
    ]
    assert rows(pipeline, "SELECT count(*) FROM catalogue_price_details WHERE charge_id <> 'c-seats'") == [(7,)], (
        "others stay"
    )
    upstream.products = [changed]  # pr-1 was hard-deleted upstream
    run(pipeline, upstream, sweep=True)
    for table in ("charge_plans", "catalogue_charges", "catalogue_price_details"):
        marked = rows(pipeline, f"SELECT product_id, count(*), count(deleted_at) FROM {table} GROUP BY 1 ORDER BY 1")
        assert [(p, n > 0, d == n) for p, n, d in marked] == [("pr-1", True, True), ("pr-9", True, False)], table
        assert rows(pipeline, f"SELECT count(deleted_at) FROM {table} WHERE product_id = 'pr-9'") == [(0,)], table


def test_catalogue_price_rows_place_a_price_sent_without_a_tier_by_its_order_in_its_currency() -> None:
    page = exact_table([FULL], catalogue_records())

    found = catalogue_price_rows(page).to_pylist()

    assert [(r["key"], r["chargeId"], r["productId"], r["tier"]) for r in found] == [
        ("c-flat:SEK:0", "c-flat", "pr-9", 0),
        ("c-flat:EUR:0", "c-flat", "pr-9", 0),
        ("c-seats:SEK:0", "c-seats", "pr-9", 0),
        ("c-seats:EUR:0", "c-seats", "pr-9", 0),
        ("c-calls:SEK:0", "c-calls", "pr-9", 0),
        ("c-calls:EUR:0", "c-calls", "pr-9", 0),
        ("c-calls:SEK:1", "c-calls", "pr-9", 1),
        ("c-calls:EUR:1", "c-calls", "pr-9", 1),
    ]
    assert pa.types.is_int64(catalogue_price_rows(page).schema.field("tier").type)
