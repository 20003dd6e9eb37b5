-- Revenue per calendar month of the lines' revenue date (a YM item's own date, a Younium invoice's date),
-- tenant, source system, GL/revenue account and base currency: the lines that count as revenue
-- (analytics.invoice_lines.is_revenue), credit notes negative, in base currency. Base currencies are never
-- added together: each is its own row.
-- requires: analytics.invoice_lines
SELECT
    tenant,
    MAKE_DATE(CAST(EXTRACT(YEAR FROM revenue_date) AS INTEGER), CAST(EXTRACT(MONTH FROM revenue_date) AS INTEGER), 1)
        AS month,
    source_system,
    gl_account,
    base_currency,
    CAST(SUM(revenue_base) AS DECIMAL(38, 4)) AS revenue_base,
    COUNT(*) AS line_count
FROM analytics.invoice_lines
WHERE is_revenue
GROUP BY 1, 2, 3, 4, 5
