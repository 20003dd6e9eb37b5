"""Politeness end to end: against a sandbox that answers 429 above 5 requests per second per credential,
both sources sync at their default caps (YM 2/s, Younium 25/s: above the limit, so the back-off must find
it), with exact data and few 429s."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from finsync.http.pacing import REQUESTS, THROTTLED, WAITED
from finsync.warehouse.runner import Warehouse, sync
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import ym_settings, younium_settings
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox

pytestmark = pytest.mark.slow

LIMIT = 5.0


@pytest.fixture
def limited() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        ym_items=800,
        batch_size=400,
        export_latency_seconds=0.05,
        younium_invoices=2500,
        younium_accounts=20,
        rate_limit_per_second=LIMIT,
    )
    with SandboxServer(config=config) as server:
        yield server


def test_a_sync_against_a_rate_limited_upstream_is_exact_and_provokes_few_429s(
    limited: SandboxServer, warehouse: Warehouse
) -> None:
    reports = {
        "ym": sync("ym", warehouse, settings={**ym_settings(limited), "max_attempts": 8}),
        "younium": sync("younium", warehouse, settings=younium_settings(limited, max_attempts=8)),
    }

    assert_ym_matches_sandbox(warehouse, limited)
    assert_younium_matches_sandbox(warehouse, limited)
    sent = sum(limited.sandbox.requests.values())
    refused = sum(limited.sandbox.rate_limited.values())
    assert sent > 40
    assert refused < 0.05 * sent, (refused, sent)
    # The summary's figures are the run's own: Younium, capped at 25/s, was throttled and waited for it.
    younium = reports["younium"].http
    assert younium[THROTTLED] >= 1 and younium[WAITED] > 0
    assert reports["ym"].http[REQUESTS] + younium[REQUESTS] == sent
