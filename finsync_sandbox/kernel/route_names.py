"""Stable names of the emulated routes: request counters and faults are keyed by them."""

from __future__ import annotations

YM_AUTHENTICATE = "ym.authenticate"
YM_FINANCE_BATCHES = "ym.finance_batches"
YM_EXPORT_START = "ym.export_start"
YM_EXPORT_STATUS = "ym.export_status"
YM_EXPORT_DOWNLOAD = "ym.export_download"
YM_BATCH_DETAILS = "ym.batch_details"
YM_INVOICE_ITEMS = "ym.invoice_items"

YOUNIUM_TOKEN = "younium.token"
YOUNIUM_INVOICE_BATCHES = "younium.invoice_batches"
YOUNIUM_BATCH_LOG = "younium.batch_log"
YOUNIUM_INVOICES = "younium.invoices"
YOUNIUM_INVOICE = "younium.invoice"  # GET /Invoices/{id}: one invoice, all its lines
YOUNIUM_RELATED_INVOICES = "younium.related_invoices"
YOUNIUM_ACCOUNTS = "younium.accounts"
YOUNIUM_PAYMENTS = "younium.payments"
YOUNIUM_PRODUCTS = "younium.products"
YOUNIUM_PRODUCT = "younium.product"  # GET /Products/{id}: one product, its plans and charges
YOUNIUM_BASE_CURRENCY = "younium.base_currency"
YOUNIUM_CURRENCIES = "younium.currencies"
YOUNIUM_EXCHANGE_RATES = "younium.exchange_rates"
YOUNIUM_CHART_OF_ACCOUNTS = "younium.chart_of_accounts"
YOUNIUM_JOURNALS = "younium.journals"
YOUNIUM_JOURNAL_DETAILS = "younium.journal_details"
YOUNIUM_JOURNAL = "younium.journal"  # GET /Journals/{id}: one journal, all its vouchers
YOUNIUM_SUBSCRIPTIONS = "younium.subscriptions"
YOUNIUM_SUBSCRIPTION_VERSIONS = "younium.subscription_versions"  # a plain array of every version of one order
YOUNIUM_BOOKINGS = "younium.bookings"
YOUNIUM_BOOKING = "younium.booking"  # GET /Bookings/{id}: one booking, all its lines
YOUNIUM_SALES_ORDERS = "younium.sales_orders"
YOUNIUM_SALES_ORDER_VERSIONS = "younium.sales_order_versions"  # a plain array of every version of one sales order
YOUNIUM_ACCOUNT_SUMMARY = "younium.account_summary"  # GET /Accounts/{id}/Summary: one object
YOUNIUM_REVENUE_SCHEDULE = "younium.revenue_schedule"  # GET /RevenueSchedule/Charge/{chargeNumber}
YOUNIUM_USAGE = "younium.usage"
YOUNIUM_GENERATE = "younium.generate"
YOUNIUM_POST = "younium.post"
YOUNIUM_JOB_STATUS = "younium.job_status"

ROUTE_NAMES: tuple[str, ...] = (
    YM_AUTHENTICATE,
    YM_FINANCE_BATCHES,
    YM_EXPORT_START,
    YM_EXPORT_STATUS,
    YM_EXPORT_DOWNLOAD,
    YM_BATCH_DETAILS,
    YM_INVOICE_ITEMS,
    YOUNIUM_TOKEN,
    YOUNIUM_INVOICE_BATCHES,
    YOUNIUM_BATCH_LOG,
    YOUNIUM_INVOICES,
    YOUNIUM_INVOICE,
    YOUNIUM_RELATED_INVOICES,
    YOUNIUM_ACCOUNTS,
    YOUNIUM_PAYMENTS,
    YOUNIUM_PRODUCTS,
    YOUNIUM_PRODUCT,
    YOUNIUM_BASE_CURRENCY,
    YOUNIUM_CURRENCIES,
    YOUNIUM_EXCHANGE_RATES,
    YOUNIUM_CHART_OF_ACCOUNTS,
    YOUNIUM_JOURNALS,
    YOUNIUM_JOURNAL_DETAILS,
    YOUNIUM_JOURNAL,
    YOUNIUM_SUBSCRIPTIONS,
    YOUNIUM_SUBSCRIPTION_VERSIONS,
    YOUNIUM_BOOKINGS,
    YOUNIUM_BOOKING,
    YOUNIUM_SALES_ORDERS,
    YOUNIUM_SALES_ORDER_VERSIONS,
    YOUNIUM_ACCOUNT_SUMMARY,
    YOUNIUM_REVENUE_SCHEDULE,
    YOUNIUM_USAGE,
    YOUNIUM_GENERATE,
    YOUNIUM_POST,
    YOUNIUM_JOB_STATUS,
)

YOUNIUM_LISTS: tuple[str, ...] = (
    YOUNIUM_INVOICE_BATCHES,
    YOUNIUM_BATCH_LOG,
    YOUNIUM_INVOICES,
    YOUNIUM_ACCOUNTS,
    YOUNIUM_PAYMENTS,
    YOUNIUM_PRODUCTS,
    YOUNIUM_CURRENCIES,
    YOUNIUM_EXCHANGE_RATES,
    YOUNIUM_CHART_OF_ACCOUNTS,
    YOUNIUM_JOURNALS,
    YOUNIUM_JOURNAL_DETAILS,
    YOUNIUM_SUBSCRIPTIONS,
    YOUNIUM_BOOKINGS,
    YOUNIUM_SALES_ORDERS,
    YOUNIUM_REVENUE_SCHEDULE,
    YOUNIUM_USAGE,
)
