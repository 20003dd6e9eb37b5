-- The trial balance: per tenant, accounting period and GL account, the debits, credits and balance (debits less
-- credits) of every GL line, in base currency.
-- requires: analytics.gl_lines
SELECT
    tenant,
    fiscal_year,
    fiscal_period,
    MAX(period) AS period,
    MAX(period_status) AS period_status,
    account_code,
    MAX(account_name) AS account_name,
    base_currency,
    CAST(SUM(debit) AS DECIMAL(38, 4)) AS debit,
    CAST(SUM(credit) AS DECIMAL(38, 4)) AS credit,
    CAST(SUM(debit) - SUM(credit) AS DECIMAL(38, 4)) AS balance,
    COUNT(*) AS line_count
FROM analytics.gl_lines
GROUP BY tenant, fiscal_year, fiscal_period, account_code, base_currency
