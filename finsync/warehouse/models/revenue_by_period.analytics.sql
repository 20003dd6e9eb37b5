-- Revenue per accounting period from the GL: per tenant, period and revenue account (class revenue in
-- analytics.accounts), the period's credits less debits, in base currency. What a controller reports: it is
-- the books, period by period, and a closed period's figure never changes (a late posting lands in the open
-- period it was posted in). analytics.revenue_reconciliation explains how it differs from revenue by
-- invoice date (analytics.revenue_by_month).
-- requires: analytics.gl_lines analytics.accounts
SELECT
    g.tenant,
    g.fiscal_year,
    g.fiscal_period,
    MAX(g.period) AS period,
    MAX(g.period_status) AS period_status,
    g.account_code,
    MAX(a.account_name) AS account_name,
    g.base_currency,
    CAST(SUM(g.credit) - SUM(g.debit) AS DECIMAL(38, 4)) AS revenue_base,
    COUNT(*) AS line_count
FROM analytics.gl_lines AS g
JOIN analytics.accounts AS a ON a.tenant = g.tenant AND a.account_code = g.account_code
WHERE a.class = 'revenue'
GROUP BY g.tenant, g.fiscal_year, g.fiscal_period, g.account_code, g.base_currency
