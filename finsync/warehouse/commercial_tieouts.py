"""The order book's rules of `finsync check`: Younium's own commercial figures against what the warehouse
derives from the records behind them (commercial facts §11.2 (5)).

- `account_cmrr_tie_out`: each customer's MRR of the current month (`analytics.mrr`, base currency, its
  currencies added in base) against the CMRR Younium keeps on the account (`younium.accounts.cmrr_base`).
  Accounts without one (a tenant without orders) are not compared.
- `booking_cmrr_tie_out`: the order's own CMRR (its latest version's `cmrr`, in the order's currency) against
  its bookings: their CMRR added up where a Change or Churn booking carries the change (`booking_amounts =
  delta`, the default), its latest booking's where each carries the order's figures after it (`total`). The
  facts leave which one open (checklist 2): on the wrong setting every changed order is a finding, and the
  finding names the setting to try.
- `deferred_revenue_tie_out`: the deferred-revenue roll-forward of the revenue schedule against the ledger's
  deferred-revenue accounts, month by month (`analytics.deferred_revenue`). Both roll forward from 0 in the
  same first month, so the closing balances differ exactly from the first month a movement differs: that
  month is the finding (not every month after it).

Records deleted upstream (`deleted_at`) are in none of them.
"""

from __future__ import annotations

from .tieouts import Rule, _rule

# The day an account's CMRR is as of: Younium names none. The tenant's latest recorded change (of an account,
# an order or a booking), never later than today, stands for it: on a live tenant that is the day it was read;
# a tenant (or a sandbox) whose clock stopped earlier is compared in the month its figures are from.
_TODAY = """today AS (
               SELECT LEAST(CURRENT_DATE, CAST(MAX(changed) AS DATE)) AS day
               FROM (
                   SELECT MAX(modified) AS changed FROM younium.accounts
                   UNION ALL SELECT MAX(modified) FROM younium.bookings
                   UNION ALL SELECT MAX(COALESCE(last_updated, modified)) FROM younium.subscriptions
               ) AS stamps
           )"""

COMMERCIAL_TIE_OUTS: tuple[Rule, ...] = (
    _rule(
        "account_cmrr_tie_out",
        "younium",
        "analytics.mrr younium.accounts younium.accounts.cmrr_base younium.bookings younium.subscriptions",
        f"""WITH {_TODAY},
           current_mrr AS (
               SELECT m.customer_id, SUM(m.mrr_base) AS mrr_base, SUM(m.charge_count) AS charges, MAX(m.month) AS month
               FROM analytics.mrr AS m CROSS JOIN today AS t
               WHERE m.tenant = '{{tenant}}'
                 AND EXTRACT(YEAR FROM m.month) = EXTRACT(YEAR FROM t.day)
                 AND EXTRACT(MONTH FROM m.month) = EXTRACT(MONTH FROM t.day)
               GROUP BY m.customer_id
           ),
           said AS (
               SELECT id, account_number, name, cmrr_base
               FROM younium.accounts WHERE deleted_at IS NULL AND cmrr_base IS NOT NULL
           )
           SELECT 'younium', COALESCE(s.id, m.customer_id), CAST(COALESCE(s.cmrr_base, 0) AS VARCHAR),
                  CAST(COALESCE(m.mrr_base, 0) AS VARCHAR),
                  'account ' || COALESCE(s.account_number, m.customer_id) || COALESCE(' (' || s.name || ')', '')
                  || ' has CMRR ' || CAST(COALESCE(s.cmrr_base, 0) AS VARCHAR) || ' in base currency; '
                  || 'analytics.mrr has ' || CAST(COALESCE(m.mrr_base, 0) AS VARCHAR) || ' for it on '
                  || COALESCE(CAST(m.month AS VARCHAR), 'no month') || ' from '
                  || CAST(COALESCE(m.charges, 0) AS VARCHAR) || ' charge versions in force'
           FROM said AS s
           FULL JOIN current_mrr AS m ON m.customer_id = s.id
           WHERE (s.id IS NOT NULL OR m.mrr_base <> 0)
             AND COALESCE(m.mrr_base, 0) <> COALESCE(s.cmrr_base, 0)""",
    ),
    _rule(
        "booking_cmrr_tie_out",
        "younium",
        "younium.bookings younium.subscriptions younium.subscriptions.cmrr younium.tenant.booking_amounts",
        """WITH rules AS (
               SELECT COALESCE(MAX(booking_amounts), 'delta') AS booking_amounts FROM younium.tenant
           ),
           ordered AS (
               SELECT order_number, cmrr,
                      ROW_NUMBER() OVER (PARTITION BY order_number ORDER BY effective_date DESC, created DESC, id DESC)
                      AS from_latest
               FROM younium.bookings WHERE deleted_at IS NULL AND order_number IS NOT NULL
           ),
           booked AS (
               SELECT o.order_number, COUNT(*) AS bookings,
                      SUM(CASE WHEN r.booking_amounts = 'delta' OR o.from_latest = 1 THEN o.cmrr ELSE 0 END) AS cmrr
               FROM ordered AS o CROSS JOIN rules AS r
               GROUP BY o.order_number
           )
           SELECT 'younium', s.order_number, CAST(COALESCE(s.cmrr, 0) AS VARCHAR),
                  CAST(COALESCE(b.cmrr, 0) AS VARCHAR),
                  'order ' || s.order_number || ' (version ' || CAST(s.version AS VARCHAR) || ', '
                  || COALESCE(s.status, 'no status') || ') has CMRR ' || CAST(COALESCE(s.cmrr, 0) AS VARCHAR)
                  || ' ' || COALESCE(s.currency, '') || '; '
                  || CASE WHEN r.booking_amounts = 'delta'
                          THEN 'its ' || CAST(COALESCE(b.bookings, 0) AS VARCHAR) || ' bookings add up to '
                               || CAST(COALESCE(b.cmrr, 0) AS VARCHAR) || ' (booking_amounts = delta: a Change or '
                               || 'Churn booking carries the change; set total if they carry the new figures)'
                          ELSE 'its latest booking has ' || CAST(COALESCE(b.cmrr, 0) AS VARCHAR)
                               || ' (booking_amounts = total: a booking carries the order''s figures after it; set '
                               || 'delta if they carry the change)'
                     END
           FROM younium.subscriptions AS s
           CROSS JOIN rules AS r
           LEFT JOIN booked AS b ON b.order_number = s.order_number
           WHERE s.deleted_at IS NULL AND COALESCE(s.status, '') NOT IN ('Draft', 'OrderDraft', 'Deleted')
             AND COALESCE(b.cmrr, 0) <> COALESCE(s.cmrr, 0)""",
    ),
    _rule(
        "deferred_revenue_tie_out",
        "",
        "analytics.deferred_revenue",
        """SELECT 'younium', tenant, CAST(month AS VARCHAR), CAST(ledger_closing_base AS VARCHAR),
                  CAST(closing_base AS VARCHAR),
                  'deferred revenue at the end of ' || CAST(month AS VARCHAR) || ': the revenue schedule has '
                  || CAST(closing_base AS VARCHAR) || ' (billed ' || CAST(billed_base AS VARCHAR) || ', recognised '
                  || CAST(recognised_base AS VARCHAR) || '), the ledger''s deferred-revenue accounts '
                  || CAST(ledger_closing_base AS VARCHAR) || ' (credited ' || CAST(ledger_billed_base AS VARCHAR)
                  || ', released ' || CAST(ledger_recognised_base AS VARCHAR) || ')'
           FROM analytics.deferred_revenue
           WHERE billed_base <> ledger_billed_base OR recognised_base <> ledger_recognised_base""",
    ),
)
