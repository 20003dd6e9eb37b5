-- Open balances as of each source's last load, per customer and age bucket, in base currency: posted
-- invoices (and credit notes) with an amount still open, by days past their due date.
-- requires: analytics.invoices
SELECT
    tenant,
    as_of_date,
    source_system,
    customer_id,
    customer_name,
    base_currency,
    CASE
        WHEN days_past_due <= 0 THEN 'current'
        WHEN days_past_due <= 30 THEN '1-30'
        WHEN days_past_due <= 60 THEN '31-60'
        WHEN days_past_due <= 90 THEN '61-90'
        ELSE '90+'
    END AS bucket,
    CAST(SUM(outstanding_base) AS DECIMAL(38, 4)) AS open_balance_base,
    COUNT(*) AS invoice_count
FROM analytics.invoices
WHERE days_past_due IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7
