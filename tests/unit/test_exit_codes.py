"""The exit code of a run of several tenants: what a scheduler reads from it."""

from __future__ import annotations

import pytest

from finsync.cli.display import run_exit_code
from finsync.errors import AuthenticationError, Busy, FinsyncError, PartlyLoaded, SyncError

BUSY = Busy("another run holds it")


@pytest.mark.parametrize(
    ("errors", "loaded", "code"),
    [
        ([], 2, 0),
        ([BUSY], 1, 75),  # the free source loaded, the held one is for a run later
        ([BUSY, BUSY], 0, 75),
        ([BUSY], 0, 75),
        ([BUSY, SyncError("failed")], 1, 1),  # mixed failures beside a load: a sync failed
        ([PartlyLoaded({"ledger": "denied"})], 1, 1),
        ([AuthenticationError("YM", "refused")], 1, 1),
        ([AuthenticationError("YM", "refused")], 0, 2),  # a single tenant's run keeps its own code
        ([BUSY, AuthenticationError("YM", "refused")], 0, 2),  # a fix is needed: waiting will not do
    ],
)
def test_only_busy_failures_exit_75_and_mixed_ones_keep_theirs(
    errors: list[FinsyncError], loaded: int, code: int
) -> None:
    assert run_exit_code(errors, loaded) == code
