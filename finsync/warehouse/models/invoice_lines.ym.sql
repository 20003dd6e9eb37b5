-- YM line items: every invoice item once, with its invoice's status, type and customer (analytics.invoices)
-- and its finance batch once that batch is exported. YM reports a tax rate but no tax amount, and no
-- currency: amounts are in the client's currency (sources.ym.currency), which is also the base currency.
-- requires: ym.invoice_items ym.finance_batch_items analytics.invoices
SELECT
    'ym' AS source_system,
    b.batch_id AS batch_id,
    inv.invoice_id AS invoice_id,
    inv.invoice_number AS invoice_number,
    inv.invoice_date AS invoice_date,
    i.line_item_date AS revenue_date,
    inv.status AS status,
    inv.invoice_type AS invoice_type,
    CAST(i.line_item_id AS VARCHAR) AS line_id,
    i.line_item_description AS description,
    CASE WHEN code.at > 0 THEN SUBSTRING(i.gl_code_item_name, 1, code.at - 1) ELSE i.gl_code_item_name END
        AS gl_account,
    CASE WHEN code.at > 0 THEN TRIM(SUBSTRING(i.gl_code_item_name, code.at + 1)) END AS gl_account_name,
    CAST(i.line_item_quantity AS DECIMAL(18, 8)) AS quantity,
    i.line_item_amount AS unit_price,
    i.line_total AS line_total,
    CAST(NULL AS DECIMAL(19, 4)) AS tax,
    i.line_item_tax_vat_rate AS tax_rate,
    inv.currency AS currency,
    inv.base_currency AS base_currency,
    i.line_total AS line_total_base,
    inv.is_revenue AS is_revenue,
    CAST(i.line_total * inv.revenue_sign AS DECIMAL(19, 4)) AS revenue_base,
    inv.customer_id AS customer_id,
    inv.customer_name AS customer_name,
    i.line_item_date_entered AS entered_at,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS modified_at
FROM ym.invoice_items AS i
-- YM's GLCodeItemName is the account's code and name in one ("4100 Events"): the code is its first word
-- when that starts with a digit, the name the rest; a name without such a code is the account itself.
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN SUBSTRING(i.gl_code_item_name, 1, 1) BETWEEN '0' AND '9' THEN POSITION(' ' IN i.gl_code_item_name)
        ELSE 0
    END AS at
) AS code
LEFT JOIN analytics.invoices AS inv
    ON inv.source_system = 'ym' AND inv.tenant = '{tenant}' AND inv.invoice_id = CAST(i.invoice_no AS VARCHAR)
LEFT JOIN ym.finance_batch_items AS b ON b.line_item_id = i.line_item_id
