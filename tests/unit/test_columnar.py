"""Pages decoded straight into Arrow (`http.columnar`) give exactly the tables the per-value path gives: on the
sandbox's own YM pages, and on values chosen to break a careless decoder."""

from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pyarrow as pa
import pytest

from finsync.errors import DataError
from finsync.http.columnar import ListPage
from finsync.sources.ym.client import ENVELOPE
from finsync.sources.ym.schema import INVOICE_ITEMS
from finsync_sandbox import SandboxConfig, SandboxServer

NEW_YORK = ZoneInfo("America/New_York")
DECODE = ListPage("InvoiceItemsList", INVOICE_ITEMS.wire_schema(), ENVELOPE)


def per_value(body: bytes, pii: str = "mask") -> pa.Table:
    """The exact path: JSON with decimals, then every value converted on its own."""
    records = json.loads(body, parse_float=Decimal)["InvoiceItemsList"]
    columns = {c.source: [r.get(c.source) for r in records] for c in INVOICE_ITEMS.kept(pii)}  # type: ignore[arg-type]
    return INVOICE_ITEMS.from_columns(columns, NEW_YORK, pii)  # type: ignore[arg-type]


def fast(body: bytes, pii: str = "mask") -> pa.Table:
    decoded = ListPage("InvoiceItemsList", INVOICE_ITEMS.wire_schema(pii), ENVELOPE)(body)  # type: ignore[arg-type]
    assert decoded is not None, "the page should decode straight into Arrow"
    return INVOICE_ITEMS.from_rows(decoded["InvoiceItemsList"], NEW_YORK, pii)  # type: ignore[arg-type]


@pytest.mark.parametrize("pii", ["mask", "drop"])
def test_the_sandbox_pages_decode_into_the_same_tables_as_the_per_value_path(pii: str) -> None:
    config = SandboxConfig(ym_items=2500, younium_invoices=0)
    with SandboxServer(config=config) as server, httpx.Client(base_url=server.ym_base_url) as http:
        session = http.post(
            "/Ams/Authenticate",
            json={
                "ClientID": config.client_id,
                "UserType": "Admin",
                "Username": config.api_key,
                "Password": config.api_password,
            },
        ).json()["SessionId"]
        bodies = [
            http.get(
                f"/Ams/{config.client_id}/InvoiceItems",
                params={"DateFrom": "2000-01-01", "PageSize": 1000, "PageNumber": number},
                headers={"X-SS-ID": session},
            ).content
            for number in (1, 2, 3)
        ]
    for body in bodies:
        assert fast(body, pii).equals(per_value(body, pii))
    assert sum(fast(body, pii).num_rows for body in bodies) == 2500


def page(*records: dict[str, object]) -> bytes:
    """A page as YM writes it, numbers written literally (json.dumps of Decimal would quote them)."""
    return json.dumps({"InvoiceItemsList": list(records), "ResponseStatus": {"ErrorCode": "None"}}).encode()


ITEM = {"LineItemID": 1, "InvoiceNo": 7, "LineItemDateEntered": "2024-03-01T10:00:00", "LineTotal": 1}


def test_adversarial_amounts_integers_and_local_times_read_the_same_on_both_paths() -> None:
    body = (
        b'{"InvoiceItemsList": ['
        # sub-cent amounts round half to even at 4 places, both ways; exponents and negative zero
        b'{"LineItemID": 1, "LineTotal": 0.00005, "LineItemAmount": 0.00015, "OutstandingBalance": -0.0},'
        b'{"LineItemID": 2, "LineTotal": 1.5e2, "LineItemAmount": 2E-4, "OutstandingBalance": 123456789012345.6789},'
        # the largest 19-digit integer a BIGINT holds
        b'{"LineItemID": 9223372036854775807, "InvoiceNo": 1000000000000000000, "LineTotal": 0.1},'
        # a local time that happens twice (the end of daylight saving time in New York): the earlier one
        b'{"LineItemID": 4, "LineItemDateEntered": "2024-11-03T01:30:00", "LineTotal": 10},'
        # .NET's MinValue means no date; an empty string is no value
        b'{"LineItemID": 5, "LineItemDateEntered": "0001-01-01T00:00:00", "LineItemDate": "", "LineTotal": 1}'
        b'], "ResponseStatus": {"ErrorCode": "None"}}'
    )
    assert fast(body).equals(per_value(body))
    table = fast(body)
    assert table.column("line_total").to_pylist()[:3] == [Decimal("0.0000"), Decimal("150.0000"), Decimal("0.1000")]
    assert table.column("line_item_amount").to_pylist()[:2] == [Decimal("0.0002"), Decimal("0.0002")]
    assert table.column("line_item_id").to_pylist()[2] == 9223372036854775807
    assert table.column("line_item_date_entered").to_pylist()[3].isoformat() == "2024-11-03T05:30:00+00:00"


@pytest.mark.parametrize(
    "value",
    [
        b'"LineTotal": 0.123456789012345',  # more places than the wire decimal holds
        b'"LineItemID": 12345678901234567890',  # 20 digits: no BIGINT holds it
        b'"LineTotal": "12.50"',  # a number sent as text
        b'"LineItemDateEntered": "2024-03-10T02:30:00"',  # a local time that never happened (rounded the same)
        b'"LineItemDateEntered": "2024-03-01T10:00:00+02:00"',  # an offset
    ],
)
def test_a_value_arrow_cannot_take_exactly_goes_the_per_value_way_with_the_same_result(value: bytes) -> None:
    body = b'{"InvoiceItemsList": [{"LineItemID": 1, "LineTotal": 1, ' + value + b"}]}"
    try:
        expected = per_value(body)
    except DataError as error:  # the per-value path names the bad value; so does the page read through Arrow
        with pytest.raises(DataError, match="invoice_items"):
            decoded = DECODE(body)
            INVOICE_ITEMS.from_rows(
                decoded["InvoiceItemsList"] if decoded else json.loads(body, parse_float=Decimal)["InvoiceItemsList"],
                NEW_YORK,
            )
        assert "row 1" in str(error)
        return
    decoded = DECODE(body)
    rows = decoded["InvoiceItemsList"] if decoded else json.loads(body, parse_float=Decimal)["InvoiceItemsList"]
    assert INVOICE_ITEMS.from_rows(rows, NEW_YORK).equals(expected)


def test_an_error_in_a_successful_reply_keeps_its_envelope() -> None:
    decoded = DECODE(
        b'{"ResponseStatus": {"ErrorCode": "ArgumentNull", "Message": "DateFrom is required",'
        b' "Errors": [{"FieldName": "DateFrom", "Message": "required"}]}}'
    )
    assert decoded is not None and decoded["InvoiceItemsList"].num_rows == 0
    from finsync.sources.ym.client import error_in_envelope

    assert error_in_envelope(decoded) == "ArgumentNull: DateFrom is required (fields: DateFrom)"
