"""finsync: keeps a finance warehouse in sync with YourMembership and Younium."""

import os

# A finance pipeline talks to its upstreams and its warehouse, nothing else: dlt's anonymous usage
# telemetry is off unless the user opts in (RUNTIME__DLTHUB_TELEMETRY=true).
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
