"""The summary's lines read as a person writes them."""

from __future__ import annotations

import pytest

from finsync.cli.display import politeness
from finsync.http.pacing import REQUESTS, THROTTLED, WAITED
from finsync.warehouse.runner import SyncReport


@pytest.mark.parametrize(("requests", "said"), [(1, "1 request, "), (2, "2 requests, "), (1200, "1,200 requests, ")])
def test_the_politeness_line_counts_requests_in_the_singular_or_the_plural(requests: int, said: str) -> None:
    report = SyncReport("ym", "finsync.duckdb")
    report.http = {REQUESTS: requests, THROTTLED: 1, WAITED: 2.0}
    assert politeness(report)[0].startswith(f"{said}1 answered 429 or 503")
