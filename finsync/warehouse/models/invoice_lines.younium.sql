-- Younium invoice lines with their invoice's number, date, status, type, currency, customer and batch
-- (analytics.invoices). line_total is the line subtotal (before tax), as YM's LineTotal is; its base
-- amount is Younium's subtotalBaseAmount, or the subtotal at the line's exchange rate (rounded to the
-- cent, half to even) where Younium sent none.
-- Lines found deleted upstream (deleted_at: gone from their invoice, or with it) are left out.
-- The GL account's name comes from the chart of accounts.
-- requires: younium.invoice_lines analytics.invoices
-- absent younium.chart_of_accounts: code name deleted_at
-- optional younium.invoice_lines: l.deleted_at
SELECT
    'younium' AS source_system,
    inv.batch_id AS batch_id,
    l.invoice_id AS invoice_id,
    inv.invoice_number AS invoice_number,
    inv.invoice_date AS invoice_date,
    inv.invoice_date AS revenue_date,
    inv.status AS status,
    inv.invoice_type AS invoice_type,
    l.id AS line_id,
    COALESCE(l.charge_description, l.product_name) AS description,
    l.recognized_revenue_code AS gl_account,
    coa.name AS gl_account_name,
    l.quantity AS quantity,
    l.price AS unit_price,
    l.subtotal AS line_total,
    l.tax AS tax,
    l.tax_rate AS tax_rate,
    inv.currency AS currency,
    inv.base_currency AS base_currency,
    base.line_total_base AS line_total_base,
    inv.is_revenue AS is_revenue,
    CAST(base.line_total_base * inv.revenue_sign AS DECIMAL(19, 4)) AS revenue_base,
    inv.customer_id AS customer_id,
    inv.customer_name AS customer_name,
    l.created AS entered_at,
    l.modified AS modified_at
FROM younium.invoice_lines AS l
LEFT JOIN analytics.invoices AS inv
    ON inv.source_system = 'younium' AND inv.tenant = '{tenant}' AND inv.invoice_id = l.invoice_id
LEFT JOIN (
    SELECT code, MAX(name) AS name FROM younium.chart_of_accounts WHERE deleted_at IS NULL GROUP BY code
) AS coa ON coa.code = l.recognized_revenue_code
CROSS JOIN LATERAL (SELECT l.subtotal * COALESCE(l.exchange_rate, inv.exchange_rate) AS at_rate) AS fx
-- Younium's own base amount, else the subtotal at the rate rounded to the cent half to even, as Younium rounds.
CROSS JOIN LATERAL (
    SELECT CAST(COALESCE(l.subtotal_base_amount, CASE
        WHEN ABS(fx.at_rate * 100 - TRUNC(fx.at_rate * 100)) = 0.5 AND MOD(TRUNC(fx.at_rate * 100), 2) = 0
        THEN TRUNC(fx.at_rate * 100) * 0.01
        ELSE ROUND(fx.at_rate, 2)
    END) AS DECIMAL(19, 4)) AS line_total_base
) AS base
WHERE l.deleted_at IS NULL
