-- Younium receivables at the end of every accounting period, invoice by invoice: what the invoice's vouchers
-- left open on the receivables accounts (analytics.accounts role receivables) through that period, with the
-- invoice's customer, due date and days past due at the period's end, in base currency. Summed per period it
-- is the receivables accounts' closing balance in analytics.trial_balance; it needs no history, so it holds
-- for periods before finsync's first load too.
-- requires: analytics.gl_lines analytics.accounts analytics.accounting_periods analytics.invoices
WITH postings AS (
    SELECT g.tenant, g.invoice_id, g.fiscal_year * 100 + g.fiscal_period AS period_number,
           SUM(g.debit - g.credit) AS amount
    FROM analytics.gl_lines AS g
    JOIN analytics.accounts AS a ON a.tenant = g.tenant AND a.account_code = g.account_code
    WHERE a.role = 'receivables'
    GROUP BY g.tenant, g.invoice_id, g.fiscal_year * 100 + g.fiscal_period
)
SELECT
    p.tenant,
    p.fiscal_year,
    p.fiscal_period,
    p.period,
    p.end_date AS as_of_date,
    p.base_currency,
    x.invoice_id,
    i.invoice_number,
    i.customer_id,
    i.customer_name,
    i.due_date,
    GREATEST(p.end_date - i.due_date, 0) AS days_past_due,
    CAST(SUM(x.amount) AS DECIMAL(38, 4)) AS open_base
FROM analytics.accounting_periods AS p
JOIN postings AS x ON x.tenant = p.tenant AND x.period_number <= p.fiscal_year * 100 + p.fiscal_period
LEFT JOIN analytics.invoices AS i
    ON i.source_system = 'younium' AND i.tenant = x.tenant AND i.invoice_id = x.invoice_id
GROUP BY p.tenant, p.fiscal_year, p.fiscal_period, p.period, p.end_date, p.base_currency, x.invoice_id,
    i.invoice_number, i.customer_id, i.customer_name, i.due_date
HAVING SUM(x.amount) <> 0
