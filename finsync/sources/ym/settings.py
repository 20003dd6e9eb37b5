"""YM source defaults. Each one can be overridden under `[sources.ym]` (or `SOURCES__YM__<NAME>`)."""

DEFAULT_BASE_URL = "https://ws.yourmembership.com"
DEFAULT_SERVER_TIMEZONE = "America/New_York"
# Reads start here on a first run (server-local date); also sent as InvoiceItems' required DateFrom.
DEFAULT_START_DATE = "2000-01-01"

DEFAULT_INVOICE_ITEMS_PAGE_SIZE = 1000
DEFAULT_FINANCE_BATCHES_PAGE_SIZE = 100
DEFAULT_DETAILS_PAGE_SIZE = 1000
# InvoiceItems and FinanceBatchDetails pages read ahead at once (YM gives no total to plan with).
DEFAULT_PAGE_CONCURRENCY = 4
# InvoiceItems is served "with cache": re-read this trailing window of entry dates on every run.
DEFAULT_OVERLAP_HOURS = 48.0
# Never less: entries can appear after later ones (the cache), and the two hosts' clocks differ.
MIN_OVERLAP_HOURS = 1.0
# The sweep re-reads this many days of InvoiceItems, for entries back-dated past the overlap (imports),
# every `sweep_interval_hours` (and on `finsync run --sweep`).
DEFAULT_SWEEP_DAYS = 35.0
DEFAULT_SWEEP_INTERVAL_HOURS = 24.0

BATCH_ITEMS_MODES = ("export", "details")
DEFAULT_BATCH_ITEMS_MODE = "export"
DEFAULT_EXPORT_CONCURRENCY = 8
DEFAULT_EXPORT_POLL_INTERVAL = 3.0
DEFAULT_EXPORT_TIMEOUT = 900.0
# There is no documented REST route for the legacy Sa.Export.Status; tenants may expose another one.
DEFAULT_EXPORT_STATUS_ROUTE = "/Ams/{client_id}/ExportStatus/{export_id}"

# Sessions expire after 15 minutes idle; renew a little before that.
DEFAULT_SESSION_REFRESH_SECONDS = 840.0
