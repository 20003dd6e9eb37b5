-- The income statement from the GL: per tenant, accounting period and income-statement class (analytics.
-- account_classes), the period's amount (credits less debits: income positive, costs negative) and the
-- fiscal year to date, in base currency; a `result` row per period adds them up.
-- requires: analytics.trial_balance analytics.account_classes
WITH classes AS (
    SELECT tenant, fiscal_year, fiscal_period, period, period_status, base_currency, account_class,
           SUM(credit_base - debit_base) AS amount
    FROM analytics.trial_balance
    WHERE statement = 'income_statement'
    GROUP BY tenant, fiscal_year, fiscal_period, period, period_status, base_currency, account_class
),
lines AS (
    SELECT tenant, fiscal_year, fiscal_period, period, period_status, base_currency, account_class, amount
    FROM classes
    UNION ALL
    SELECT tenant, fiscal_year, fiscal_period, period, period_status, base_currency, 'result', SUM(amount)
    FROM classes
    GROUP BY tenant, fiscal_year, fiscal_period, period, period_status, base_currency
)
SELECT
    l.tenant,
    l.fiscal_year,
    l.fiscal_period,
    l.period,
    l.period_status,
    l.account_class AS line,
    COALESCE(c.label, 'Result for the period') AS label,
    COALESCE(c.line_order, 999) AS line_order,
    l.base_currency,
    CAST(l.amount AS DECIMAL(38, 4)) AS amount_base,
    CAST(SUM(l.amount) OVER (
        PARTITION BY l.tenant, l.base_currency, l.account_class, l.fiscal_year ORDER BY l.fiscal_period
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS DECIMAL(38, 4)) AS year_to_date_base
FROM lines AS l
LEFT JOIN (SELECT DISTINCT class, label, line_order FROM analytics.account_classes) AS c ON c.class = l.account_class
