"""Jobs that write to an upstream, run only on explicit command."""

# How often and how long to poll a Younium job's status, and the description a job is given, unless told
# otherwise (kept here so the command line can show them without importing the clients).
DEFAULT_JOB_POLL_INTERVAL = 5.0
DEFAULT_JOB_TIMEOUT = 1800.0
DEFAULT_JOB_DESCRIPTION = "finsync"
