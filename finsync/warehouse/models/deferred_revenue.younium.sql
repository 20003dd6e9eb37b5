-- Younium's deferred-revenue roll-forward per calendar month (accounting period), in base currency, from the
-- revenue schedule items: billed is what the month's invoices put on schedule (an item's whole amount, its
-- deferred plus its recognised revenue, in the month of its invoice date; a credit is a negative item),
-- recognised what the month's recognition took off (an item's whole amount, in the period of the
-- RevenueRecognition voucher that names it; an item no loaded voucher names yet but that says it is
-- recognised, in its own accounting period). opening is the previous month's closing, and opening + billed -
-- recognised = closing on every row. Beside it, the ledger's own movement of the deferred-revenue accounts the
-- items name (invoiceLine.deferredRevenueAccount) in the same period: credits less debits of the other
-- journals as billed, debits less credits of the RevenueRecognition journals as recognised, and the balance.
-- Each month from the first billed one (or the first the ledger moves those accounts in) to the current month
-- has a row.
-- requires: younium.revenue_schedule_items younium.accounting_transaction_lines younium.accounting_transactions younium.journals younium.accounting_periods
-- absent younium.tenant: base_currency
WITH items AS (
    SELECT
        id,
        CAST(DATE_TRUNC('month', invoice_date) AS DATE) AS billed_month,
        CASE WHEN COALESCE(recognized_revenue_base, 0) <> 0 THEN period_start_date END AS said_recognised,
        COALESCE(deferred_revenue_base, 0) + COALESCE(recognized_revenue_base, 0) AS amount_base
    FROM younium.revenue_schedule_items
),
vouchers AS (
    SELECT t.revenue_schedule_item_id AS item_id, MIN(p.start_date) AS period_start
    FROM younium.accounting_transactions AS t
    JOIN younium.journals AS j ON j.id = t.journal_id
    JOIN younium.accounting_periods AS p ON p.fiscal_year = j.fiscal_year AND p.fiscal_period = j.fiscal_period
    WHERE t.revenue_schedule_item_id IS NOT NULL AND j.journal_type = 'RevenueRecognition'
    GROUP BY t.revenue_schedule_item_id
),
billed AS (
    SELECT billed_month AS month, SUM(amount_base) AS amount FROM items GROUP BY billed_month
),
recognised AS (
    SELECT CAST(DATE_TRUNC('month', COALESCE(v.period_start, i.said_recognised)) AS DATE) AS month,
           SUM(i.amount_base) AS amount
    FROM items AS i
    LEFT JOIN vouchers AS v ON v.item_id = i.id
    WHERE COALESCE(v.period_start, i.said_recognised) IS NOT NULL
    GROUP BY 1
),
accounts AS (
    SELECT DISTINCT deferred_revenue_account AS code
    FROM younium.revenue_schedule_items
    WHERE deferred_revenue_account IS NOT NULL
),
ledger AS (
    SELECT
        CAST(DATE_TRUNC('month', p.start_date) AS DATE) AS month,
        SUM(CASE WHEN j.journal_type <> 'RevenueRecognition' THEN l.credit_amount - l.debit_amount ELSE 0 END)
            AS billed,
        SUM(CASE WHEN j.journal_type = 'RevenueRecognition' THEN l.debit_amount - l.credit_amount ELSE 0 END)
            AS recognised
    FROM younium.accounting_transaction_lines AS l
    JOIN accounts AS a ON a.code = l.account
    JOIN younium.journals AS j ON j.id = l.journal_id
    JOIN younium.accounting_periods AS p ON p.fiscal_year = j.fiscal_year AND p.fiscal_period = j.fiscal_period
    GROUP BY 1
),
months AS (
    SELECT CAST(g.month AS DATE) AS month
    FROM generate_series(
        CAST(
            (SELECT MIN(month) FROM (SELECT month FROM billed UNION ALL SELECT month FROM ledger) AS first_months)
            AS TIMESTAMP
        ),
        CAST(DATE_TRUNC('month', CURRENT_DATE) AS TIMESTAMP),
        INTERVAL '1 month'
    ) AS g(month)
),
moved AS (
    SELECT
        m.month,
        COALESCE(b.amount, 0) AS billed,
        COALESCE(r.amount, 0) AS recognised,
        COALESCE(g.billed, 0) AS ledger_billed,
        COALESCE(g.recognised, 0) AS ledger_recognised
    FROM months AS m
    LEFT JOIN billed AS b ON b.month = m.month
    LEFT JOIN recognised AS r ON r.month = m.month
    LEFT JOIN ledger AS g ON g.month = m.month
),
rolled AS (
    SELECT
        *,
        SUM(billed - recognised) OVER (ORDER BY month ROWS UNBOUNDED PRECEDING) AS closing,
        SUM(ledger_billed - ledger_recognised) OVER (ORDER BY month ROWS UNBOUNDED PRECEDING) AS ledger_closing
    FROM moved
)
SELECT
    r.month AS month,
    CAST(r.closing - r.billed + r.recognised AS DECIMAL(38, 4)) AS opening_base,
    CAST(r.billed AS DECIMAL(38, 4)) AS billed_base,
    CAST(r.recognised AS DECIMAL(38, 4)) AS recognised_base,
    CAST(r.closing AS DECIMAL(38, 4)) AS closing_base,
    CAST(r.ledger_billed AS DECIMAL(38, 4)) AS ledger_billed_base,
    CAST(r.ledger_recognised AS DECIMAL(38, 4)) AS ledger_recognised_base,
    CAST(r.ledger_closing AS DECIMAL(38, 4)) AS ledger_closing_base,
    tenant.base_currency AS base_currency
FROM rolled AS r
CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
WHERE r.month IS NOT NULL
