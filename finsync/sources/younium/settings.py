"""Younium source defaults. Each one can be overridden under `[sources.younium]` (or `SOURCES__YOUNIUM__<NAME>`)."""

DEFAULT_BASE_URL = "https://api.younium.com"
DEFAULT_API_VERSION = "2.1"
# /auth/v2/token answers in snake_case (access_token, expires_in); the v1 /auth/token in camelCase.
DEFAULT_AUTH_PATH = "/auth/v2/token"
# Reads start here on a first run (UTC).
DEFAULT_START_DATE = "2000-01-01"

# ModifiedAfter's inclusivity and time zone are undocumented: every run re-reads this trailing window
# (wide enough for a server reading the bound in a European zone) and merges by id.
DEFAULT_OVERLAP_MINUTES = 180.0
# Never less: ModifiedAfter is floored to the second, a commit can become visible after its `modified`
# time, and the two hosts' clocks drift.
MIN_OVERLAP_MINUTES = 10.0

# API 2.1 serves at most 100 records per page.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 100
DEFAULT_CONCURRENCY = 4

# Tokens live 24 hours; renew this long before they expire.
DEFAULT_TOKEN_REFRESH_MARGIN_SECONDS = 300.0
# Assumed lifetime when the token answer does not say (the documented one).
DEFAULT_TOKEN_LIFETIME_SECONDS = 86_400.0

# Batch jobs (generate / post invoice batches): how often and how long to poll their status.
DEFAULT_JOB_POLL_INTERVAL = 5.0
DEFAULT_JOB_TIMEOUT = 1800.0
DEFAULT_JOB_DESCRIPTION = "finsync"

# Safety stop for paging loops whose end the API does not signal reliably.
MAX_PAGES = 100_000

INVOICE_BATCHES_PATH = "/InvoiceBatches"
INVOICES_PATH = "/Invoices"
ACCOUNTS_PATH = "/Accounts"
PAYMENTS_PATH = "/Payments"
