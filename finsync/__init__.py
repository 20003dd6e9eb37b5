"""finsync: keeps a finance warehouse in sync with YourMembership and Younium."""

import os

# A finance pipeline talks to its upstreams and its warehouse, nothing else: dlt's anonymous usage
# telemetry is off unless the user opts in (RUNTIME__DLTHUB_TELEMETRY=true).
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
# Settings come from the environment and .dlt files. Where Airflow is installed, dlt would also read them
# from Airflow Variables: importing Airflow and querying its metadata database on every run (seconds, and a
# database a plain `finsync run` has no business touching). Opt in with PROVIDERS__ENABLE_AIRFLOW_SECRETS=true.
os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
# Arrow's default allocator (mimalloc) keeps what a run's pages freed; the system allocator gives it back when
# the extract ends (see warehouse.runner.extract_and_load), before DuckDB takes its share for the load. Set
# before pyarrow is imported; ARROW_DEFAULT_MEMORY_POOL=mimalloc (or jemalloc) chooses another.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
