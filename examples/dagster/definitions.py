"""finsync's Dagster code location: `dagster dev -f examples/dagster/definitions.py`, on a host that has
`finsync[dagster]` and the tenants' settings (environment variables or `.dlt/` files, as for `finsync run`).

An asset per tenant, the analytics views after them, `finsync check` as a blocking check, and an hourly
schedule running at most four tenants at once.
"""

from __future__ import annotations

from finsync.orchestration.dagster import finsync_definitions

defs = finsync_definitions(destination="postgres", cron="0 * * * *", max_parallel=4)
