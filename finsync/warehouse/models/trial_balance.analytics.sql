-- The trial balance: per tenant, accounting period (every period analytics.accounting_periods lists, with
-- its status now) and GL account (every account a GL line books to, in every period, posted to or not), the
-- opening balance, the period's debits and credits, its movement and the closing balance, in base currency.
-- Balances are debit-positive and run from the first period loaded, for income-statement accounts too (the
-- income statement gives them per fiscal year); opening + movement = closing on every row. A GL line whose
-- journal or period is missing has no period to stand in: `finsync check` reports it.
-- requires: analytics.gl_lines analytics.accounting_periods analytics.accounts
WITH movements AS (
    SELECT tenant, fiscal_year, fiscal_period, account_code,
           SUM(debit) AS debit, SUM(credit) AS credit, COUNT(*) AS line_count
    FROM analytics.gl_lines
    GROUP BY tenant, fiscal_year, fiscal_period, account_code
),
filled AS (
    SELECT p.tenant, p.fiscal_year, p.fiscal_period, p.period, p.start_date, p.end_date, p.status,
           p.closed_date, p.base_currency, booked.account_code,
           COALESCE(m.debit, 0) AS debit, COALESCE(m.credit, 0) AS credit, COALESCE(m.line_count, 0) AS line_count
    FROM analytics.accounting_periods AS p
    JOIN (SELECT DISTINCT tenant, account_code FROM movements) AS booked ON booked.tenant = p.tenant
    LEFT JOIN movements AS m
        ON m.tenant = p.tenant AND m.fiscal_year = p.fiscal_year AND m.fiscal_period = p.fiscal_period
        AND m.account_code = booked.account_code
)
SELECT
    f.tenant,
    f.fiscal_year,
    f.fiscal_period,
    f.period,
    f.start_date AS period_start_date,
    f.end_date AS period_end_date,
    f.status AS period_status,
    f.closed_date AS period_closed_date,
    f.account_code,
    a.account_name,
    COALESCE(a.class, 'unclassified') AS account_class,
    a.statement,
    f.base_currency,
    CAST(SUM(f.debit - f.credit) OVER running - (f.debit - f.credit) AS DECIMAL(38, 4)) AS opening_balance_base,
    CAST(f.debit AS DECIMAL(38, 4)) AS debit_base,
    CAST(f.credit AS DECIMAL(38, 4)) AS credit_base,
    CAST(f.debit - f.credit AS DECIMAL(38, 4)) AS movement_base,
    CAST(SUM(f.debit - f.credit) OVER running AS DECIMAL(38, 4)) AS closing_balance_base,
    f.line_count
FROM filled AS f
LEFT JOIN analytics.accounts AS a ON a.tenant = f.tenant AND a.account_code = f.account_code
WINDOW running AS (
    PARTITION BY f.tenant, f.account_code ORDER BY f.fiscal_year, f.fiscal_period
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
)
