"""finsync's DAG: copy this file into Airflow's DAGs folder, on workers that have `finsync[airflow]` and the
tenants' settings (environment variables or `.dlt/` files, as for `finsync run`).

Every tenant the settings name gets a task group; at most four sync at once; the views are rebuilt once
after all of them and `finsync check` gates the run.
"""

from __future__ import annotations

import os

from finsync.orchestration.airflow import finsync_dag

dag = finsync_dag(
    os.environ.get("FINSYNC_DAG_ID", "finsync"),
    schedule=os.environ.get("FINSYNC_SCHEDULE", "@hourly"),
    destination="postgres",
    max_parallel=int(os.environ.get("FINSYNC_MAX_PARALLEL", "4")),
)
