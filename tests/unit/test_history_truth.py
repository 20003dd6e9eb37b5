"""History tells the truth about what was known when: a version per change of content (a return to an earlier
state included), never dated before the load that found a change its `modified` does not show, no version for
what changes with the calendar alone, and first versions dated from when upstream says a record began."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from finsync.warehouse.runner import Warehouse

from .test_younium_source import INVOICE, JOURNAL, PAYMENT, Upstream, pipeline, rows, run

__all__ = ["pipeline"]  # the fixture, for the tests here

UTC = timezone.utc


def period(status: str, closed: str | None = None) -> dict[str, Any]:
    return {**JOURNAL["accountingPeriod"], "status": status, "closedDate": closed}


def test_a_period_open_then_closed_then_open_again_keeps_three_versions_and_is_open_now(pipeline: Warehouse) -> None:
    upstream = Upstream()
    for status, closed in (("Open", None), ("Closed", "2024-04-05T15:00:00Z"), ("Open", None)):
        upstream.journals = [{**JOURNAL, "accountingPeriod": period(status, closed)}]
        run(pipeline, upstream)

    versions = rows(pipeline, "SELECT status, valid_from FROM accounting_periods__versions ORDER BY first_load_id")
    assert [status for status, _ in versions] == ["Open", "Closed", "Open"]
    assert versions[0][1] == datetime(2024, 3, 1, tzinfo=UTC), "first seen Open: dated from the period's start"
    assert versions[0][1] < versions[1][1] < versions[2][1]
    assert rows(pipeline, "SELECT status FROM analytics.accounting_periods_history WHERE is_current") == [("open",)]
    assert rows(pipeline, "SELECT status FROM accounting_periods") == [("Open",)]


def test_a_change_that_does_not_move_modified_is_dated_by_the_load_that_found_it(pipeline: Warehouse) -> None:
    upstream = Upstream()
    run(pipeline, upstream)
    before_the_second_load = datetime.now(UTC)
    upstream.invoices = [{**INVOICE, "yourReference": "Bertil Berg"}]  # modified stays 2024-03-01T10:00:00Z
    run(pipeline, upstream)

    versions = rows(pipeline, "SELECT your_reference, valid_from FROM invoices__versions ORDER BY first_load_id")
    assert [reference for reference, _ in versions] == ["Anna Andersson", "Bertil Berg"]
    assert versions[0][1] == datetime(2024, 3, 1, 10, tzinfo=UTC), "the first version: its own modified"
    assert versions[1][1] >= before_the_second_load, "never dated before the load that found the change"


def test_a_sweep_adds_no_version_for_an_overdue_invoice_that_only_aged(pipeline: Warehouse) -> None:
    upstream = Upstream()
    upstream.invoices = [{**INVOICE, "status": "Posted", "daysPastDue": 10}]
    run(pipeline, upstream)
    upstream.invoices = [{**INVOICE, "status": "Posted", "daysPastDue": 11}]
    run(pipeline, upstream, sweep=True)

    assert rows(pipeline, "SELECT days_past_due FROM invoices") == [(11,)], "the table has today's figure"
    assert rows(pipeline, "SELECT COUNT(*) FROM invoices__versions") == [(1,)]
    assert "days_past_due" not in {row[0] for row in rows(pipeline, "DESCRIBE invoices__versions")}


def test_first_versions_are_dated_from_when_upstream_says_the_record_began_and_history_starts_says_so(
    pipeline: Warehouse,
) -> None:
    upstream = Upstream()
    upstream.payments = [{**PAYMENT, "postedDate": "2024-04-10T09:30:00Z"}]
    upstream.journals = [{**JOURNAL, "accountingPeriod": period("Closed", "2024-04-05T15:00:00Z")}]
    run(pipeline, upstream)

    assert rows(pipeline, "SELECT valid_from FROM payments__versions") == [(datetime(2024, 4, 10, 9, 30, tzinfo=UTC),)]
    closed = rows(pipeline, "SELECT valid_from FROM accounting_periods__versions")
    assert closed == [(datetime(2024, 4, 5, 15, tzinfo=UTC),)], "first seen Closed: since it closed, not before"
    # As of an instant before the first load: the payment existed then, and the history says so.
    as_of = "TIMESTAMPTZ '2024-05-01 00:00:00+00'"
    assert rows(
        pipeline,
        f"SELECT id FROM analytics.payments_history WHERE valid_from <= {as_of} "
        f"AND (valid_to IS NULL OR valid_to > {as_of})",
    ) == [("p-1",)]
    # An invoice last modified after that instant: its history starts later, which its rows say.
    assert rows(pipeline, "SELECT history_starts FROM analytics.invoices_history") == [
        (datetime(2024, 3, 1, 10, tzinfo=UTC),)
    ]
