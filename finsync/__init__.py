"""finsync: keeps a finance warehouse in sync with YourMembership and Younium."""

import os

# A finance pipeline talks to its upstreams and its warehouse, nothing else: dlt's anonymous usage
# telemetry is off unless the user opts in (RUNTIME__DLTHUB_TELEMETRY=true).
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
# Settings come from the environment and .dlt files. Where Airflow is installed, dlt would also read them
# from Airflow Variables: importing Airflow and querying its metadata database on every run (seconds, and a
# database a plain `finsync run` has no business touching). Opt in with PROVIDERS__ENABLE_AIRFLOW_SECRETS=true.
os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
