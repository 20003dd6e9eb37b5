-- Younium invoice lines with their invoice's number, date, currency, account and batch.
-- line_total is the line subtotal (before tax), as YM's LineTotal is.
-- requires: younium.invoice_lines younium.invoices
SELECT
    'younium' AS source_system,
    inv.invoice_batch_id AS batch_id,
    inv.invoice_number AS invoice_number,
    inv.invoice_date AS invoice_date,
    l.id AS line_id,
    COALESCE(l.charge_description, l.product_name) AS description,
    l.recognized_revenue_code AS gl_account,
    l.quantity AS quantity,
    l.price AS unit_price,
    l.subtotal AS line_total,
    l.tax AS tax,
    l.tax_rate AS tax_rate,
    inv.currency AS currency,
    inv.account_id AS customer_id,
    inv.account_name AS customer_name,
    l.created AS entered_at,
    l.modified AS modified_at
FROM younium.invoice_lines AS l
LEFT JOIN younium.invoices AS inv ON inv.id = l.invoice_id
