"""What both the peer (bench/peer.py) and the ceiling (bench/ceiling.py) send upstream in bench_compare.py:
finsync's own first-run request, its query parameters for YM InvoiceItems and Younium /Invoices and
Younium's headers, read from finsync's settings so the three contenders ask the sandbox for the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def ym_params() -> dict[str, Any]:
    from finsync.sources.ym import YMSettings

    # finsync sends its start date (server-local, no offset) as both the required DateFrom and the entry
    # date cursor on a first run.
    since = f"{YMSettings.start_date}T00:00:00"
    return {"DateFrom": since, "LineItemDateEnteredFrom": since, "PageSize": YMSettings.invoice_items_page_size}


def younium_params() -> dict[str, Any]:
    from finsync.sources.younium import YouniumSettings

    # finsync's first read is a window from its start date; the same lower bound, the API's largest page.
    return {"ModifiedAfter": f"{YouniumSettings.start_date}T00:00:00Z", "PageSize": YouniumSettings.page_size}


def younium_headers(settings: Mapping[str, Any]) -> dict[str, str]:
    from finsync.sources.younium import YouniumSettings

    return {
        "Accept": "application/json",
        "api-version": YouniumSettings.api_version,
        "legal-entity": settings["legal_entity"],
    }
