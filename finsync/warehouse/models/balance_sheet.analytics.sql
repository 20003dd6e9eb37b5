-- The balance sheet from the GL, at the end of each accounting period: per tenant and balance-sheet class
-- (analytics.account_classes) the closing balance in base currency, assets debit-positive and the other side
-- credit-positive, with the income statement's results carried into equity (the fiscal year's result to
-- date, and the results of earlier years the GL holds but no closing entry booked), so both sides are equal
-- whenever every account is classified and the GL balances.
-- requires: analytics.trial_balance analytics.account_classes
WITH periods AS (
    SELECT DISTINCT tenant, fiscal_year, fiscal_period, period, period_end_date, period_status, base_currency
    FROM analytics.trial_balance
),
results AS (
    SELECT tenant, fiscal_year, fiscal_period, SUM(movement_base) AS movement, SUM(closing_balance_base) AS since_first
    FROM analytics.trial_balance
    WHERE statement = 'income_statement'
    GROUP BY tenant, fiscal_year, fiscal_period
),
results_to_date AS (
    SELECT tenant, fiscal_year, fiscal_period, since_first,
           SUM(movement) OVER (
               PARTITION BY tenant, fiscal_year ORDER BY fiscal_period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS year_to_date
    FROM results
),
lines AS (
    SELECT tenant, fiscal_year, fiscal_period, account_class AS line, SUM(closing_balance_base) AS debit_balance
    FROM analytics.trial_balance
    WHERE statement = 'balance_sheet'
    GROUP BY tenant, fiscal_year, fiscal_period, account_class
    UNION ALL
    SELECT tenant, fiscal_year, fiscal_period, 'result_for_the_year', year_to_date FROM results_to_date
    UNION ALL
    SELECT tenant, fiscal_year, fiscal_period, 'earlier_results', since_first - year_to_date FROM results_to_date
)
SELECT
    p.tenant,
    p.fiscal_year,
    p.fiscal_period,
    p.period,
    p.period_end_date AS as_of_date,
    p.period_status,
    CASE WHEN l.line = 'assets' THEN 'assets' ELSE 'equity_and_liabilities' END AS side,
    l.line,
    COALESCE(c.label, CASE l.line
        WHEN 'result_for_the_year' THEN 'Result of the fiscal year to date'
        ELSE 'Results of earlier fiscal years'
    END) AS label,
    COALESCE(c.line_order, CASE l.line WHEN 'result_for_the_year' THEN 26 ELSE 25 END) AS line_order,
    p.base_currency,
    CAST(CASE WHEN l.line = 'assets' THEN l.debit_balance ELSE -l.debit_balance END AS DECIMAL(38, 4)) AS balance_base
FROM lines AS l
JOIN periods AS p ON p.tenant = l.tenant AND p.fiscal_year = l.fiscal_year AND p.fiscal_period = l.fiscal_period
LEFT JOIN (SELECT DISTINCT class, label, line_order FROM analytics.account_classes) AS c ON c.class = l.line
