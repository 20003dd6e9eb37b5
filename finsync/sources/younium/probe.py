"""`finsync probe --source younium`: every endpoint a run reads, asked for a page or two of records (see
`finsync.sources.probe`), with what Younium's answers say of its paging and its timestamps."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc

from finsync.http.columnar import ListPage, census_of
from finsync.http.paging import Page
from finsync.sources.probe import PAGE_SIZE, EndpointProbe, ProbeReport
from finsync.sources.reads import WINDOW, ListRead

from . import younium_client
from .client import BASE_CURRENCY_PATH, ENVELOPE, INVOICES_PATH, SUBSCRIPTIONS_PATH, YouniumClient, iso_utc
from .features import FEATURES, SUBSCRIPTIONS_FEATURE
from .lists import LISTS
from .orders import version_records
from .settings import YouniumSettings

# A window read is tried over this many recent days, to see ModifiedAfter/ModifiedBefore accepted.
RECENT_DAYS = 30
_OFFSET = r"([zZ]|[+-]\d\d:?\d\d)$"


def probe(settings: YouniumSettings, tenant: str) -> ProbeReport:
    """Probe the tenant `settings` name (`tenant`: its label): signs in first, as a run does (a refused
    sign-in raises the run's own error)."""
    client = younium_client(settings)
    report = ProbeReport("Younium", tenant)
    try:
        client.sign_in()
        enabled = {feature.name for feature in FEATURES if getattr(settings, feature.name)}
        first_ids: dict[str, str] = {}
        for listed in LISTS:
            needed = listed.feature is None or listed.feature in enabled
            report.probe(f"GET {listed.endpoint}", functools.partial(_list, client, listed, first_ids), needed)
        report.probe(f"GET {INVOICES_PATH}/{{id}}", functools.partial(_invoice, client, first_ids.get("invoices")))
        report.probe(
            f"GET {SUBSCRIPTIONS_PATH}/{{orderNumber}}/versions",
            functools.partial(_versions, client, first_ids.get("subscriptions_order_number")),
            SUBSCRIPTIONS_FEATURE.name in enabled,
        )
        # Asked only while no setting gives the base currency (a run does the same).
        report.probe(f"GET {BASE_CURRENCY_PATH}", functools.partial(_base_currency, client), not settings.base_currency)
    finally:
        client.close()
    return report


def _list(client: YouniumClient, listed: ListRead, first_ids: dict[str, str], found: EndpointProbe) -> None:
    records = listed.records()
    decode = ListPage("data", records, ENVELOPE, found.endpoint)
    first = client.page(listed.endpoint, {}, 1, PAGE_SIZE, decode=decode)
    found.http_status, found.announced = 200, first.total_count
    pages = [first]
    if first.gone:
        found.evidence.append('page 1 answers HTTP 400 "… could not be found": the list is empty')
    elif first.total_pages and first.total_pages > 1:
        pages.append(client.page(listed.endpoint, {}, 2, PAGE_SIZE, decode=decode))
        found.evidence.append(_paging(first, pages[1]))
    for page in pages:
        if (census := census_of(page.rows)) is not None:
            found.census.add(census)
    if first.rows.num_rows and "id" in first.rows.column_names:
        first_ids[listed.name] = str(first.rows.column("id")[0].as_py())
    if first.rows.num_rows and "orderNumber" in first.rows.column_names:
        first_ids[f"{listed.name}_order_number"] = str(first.rows.column("orderNumber")[0].as_py())
    found.evidence += _offsets(pa.concat_tables([p.rows for p in pages]))
    if listed.how == WINDOW:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        window = {"ModifiedAfter": iso_utc(now - timedelta(days=RECENT_DAYS)), "ModifiedBefore": iso_utc(now)}
        recent = client.page(listed.endpoint, window, 1, 1, decode=decode)
        changed = 0 if recent.gone else recent.total_count
        found.evidence.append(
            f"ModifiedAfter/ModifiedBefore accepted: {changed if changed is not None else 'an unannounced number of'} "
            f"records changed in the last {RECENT_DAYS} days"
        )


def _paging(first: Page, second: Page) -> str:
    """What pages 1 and 2 say of the list's paging: distinct records, and totals that agree."""
    ids = [
        set(page.rows.column("id").to_pylist()) if "id" in page.rows.column_names else set() for page in (first, second)
    ]
    overlap = len(ids[0] & ids[1])
    pages = first.total_pages or 0
    expected_pages = -(-(first.total_count or 0) // PAGE_SIZE)
    totals = "agree" if pages == expected_pages else f"disagree ({expected_pages} pages expected)"
    repeats = f"{overlap} of page 1's records again" if overlap else "none of page 1's records"
    return (
        f"page 1 announces {first.total_count} records in {pages} pages of {PAGE_SIZE} (the totals {totals}); "
        f"page 2 holds {second.rows.num_rows} records, {repeats}"
    )


def _offsets(rows: pa.Table) -> list[str]:
    """How the records' timestamps are written: with an offset, or without one (read as UTC)."""
    found = []
    for name in ("modified", "created"):
        if name not in rows.column_names or not pa.types.is_string(rows.schema.field(name).type):
            continue
        values = rows.column(name).drop_null()
        with_offset = pc.sum(pc.match_substring_regex(values, _OFFSET)).as_py() or 0
        found.append(
            f"{name}: {with_offset} of {len(values)} sampled timestamps carry an offset, {len(values) - with_offset} "
            "carry none (finsync reads those as UTC)"
        )
    return found


def _invoice(client: YouniumClient, invoice_id: str | None, found: EndpointProbe) -> None:
    if invoice_id is None:
        found.evidence.append("not asked: GET /Invoices listed no invoice")
        return
    invoice = client.invoice(invoice_id)
    found.http_status = 200
    lines = len(invoice.get("invoiceLines") or []) if invoice else 0
    found.evidence.append(f"one invoice read by id: {'found' if invoice else 'gone'}, with {lines} line(s)")


def _versions(client: YouniumClient, order_number: str | None, found: EndpointProbe) -> None:
    if order_number is None:
        found.evidence.append(f"not asked: GET {SUBSCRIPTIONS_PATH} listed no order with a number")
        return
    versions = client.subscription_versions(order_number, version_records())
    found.http_status = 200
    found.evidence.append(f"one order's versions read: a plain JSON array of {versions.num_rows} version(s)")


def _base_currency(client: YouniumClient, found: EndpointProbe) -> None:
    client.base_currency()
    found.http_status = 200
    found.evidence.append("answers the tenant's base currency code")
