"""The peer in bench_compare.py: dlt's `rest_api` source, configured as a user would from each API's
documentation (its sign-in, its paging, finsync's first-run query parameters, merge on the primary key) and
dlt's defaults otherwise, loaded into a fresh DuckDB file. `run_peer` is what a spawned child process runs
for the "peer" contender; it times the load and then reads the loaded table's facts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from facts import Result, dlt_query, dlt_rows, facts_of
from upstream_requests import ym_params, younium_headers, younium_params


def ym_peer_source(settings: dict[str, Any]) -> Any:
    """InvoiceItems as the YM docs describe it: sign in (POST /Ams/Authenticate, an admin API user) for a
    SessionId, send it as X-SS-ID; PageNumber/PageSize from 1, until a page comes back empty; the query
    parameters finsync sends on a first run; records under InvoiceItemsList, merged by LineItemID."""
    from dlt.sources.helpers import requests
    from dlt.sources.helpers.rest_client.auth import APIKeyAuth
    from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator
    from dlt.sources.rest_api import rest_api_source

    base = settings["base_url"].rstrip("/")
    credentials = {
        "ClientID": int(settings["client_id"]),
        "UserType": "Admin",
        "Username": settings["api_key"],
        "Password": settings["api_password"],
    }
    signed_in = requests.post(f"{base}/Ams/Authenticate", json=credentials)
    signed_in.raise_for_status()
    session = signed_in.json()["SessionId"]
    return rest_api_source(
        {
            "client": {
                "base_url": f"{base}/Ams/{settings['client_id']}/",
                "auth": APIKeyAuth(name="X-SS-ID", api_key=session, location="header"),
                "headers": {"Accept": "application/json"},
                "paginator": PageNumberPaginator(base_page=1, page_param="PageNumber", total_path=None),
            },
            "resource_defaults": {"primary_key": "LineItemID", "write_disposition": "merge"},
            "resources": [
                {
                    "name": "invoice_items",
                    "endpoint": {"path": "InvoiceItems", "params": ym_params(), "data_selector": "InvoiceItemsList"},
                }
            ],
        },
        name="ym_peer",
    )


def younium_peer_source(settings: dict[str, Any]) -> Any:
    """/Invoices as the Younium docs describe it: a bearer token from POST /auth/v2/token (JSON clientId and
    secret), `api-version: 2.1` and `legal-entity` on every call; PageNumber/PageSize (100, the most) until
    totalPages; records under `data`, merged by id; dlt puts the nested lines in a child table."""
    from dlt.sources.helpers import requests
    from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
    from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator
    from dlt.sources.rest_api import rest_api_source

    base = settings["base_url"].rstrip("/")
    issued = requests.post(
        f"{base}/auth/v2/token", json={"clientId": settings["client_id"], "secret": settings["secret"]}
    )
    issued.raise_for_status()
    return rest_api_source(
        {
            "client": {
                "base_url": f"{base}/",
                "auth": BearerTokenAuth(token=issued.json()["access_token"]),
                "headers": younium_headers(settings),
                "paginator": PageNumberPaginator(base_page=1, page_param="PageNumber", total_path="totalPages"),
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {
                    "name": "invoices",
                    "endpoint": {"path": "Invoices", "params": younium_params(), "data_selector": "data"},
                }
            ],
        },
        name="younium_peer",
    )


PEER_SOURCES = {"ym": ym_peer_source, "younium": younium_peer_source}
PEER_LINES_TABLE = "invoices__invoice_lines"


def run_peer(workload: str, settings: dict[str, Any], tmp: Path) -> Result:
    import dlt

    pipeline = dlt.pipeline(
        pipeline_name=f"{workload}_peer",
        # Not named like the dataset: DuckDB would then find `peer` both a catalog and a schema.
        destination=dlt.destinations.duckdb(str(tmp / "rest_api.duckdb")),
        dataset_name="peer",
        pipelines_dir=str(tmp / "pipelines"),
    )
    started = time.perf_counter()
    pipeline.run(PEER_SOURCES[workload](settings))
    seconds = time.perf_counter() - started
    with dlt_query(pipeline) as query:
        facts = facts_of(workload, query, "peer", PEER_LINES_TABLE)
    return {"seconds": seconds, "rows": dlt_rows(pipeline), "facts": facts}
