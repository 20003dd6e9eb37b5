-- YM line items: every invoice item once, with its finance batch once that batch is exported.
-- YM reports a tax rate but no tax amount, and no currency.
-- requires: ym.invoice_items ym.finance_batch_items
SELECT
    'ym' AS source_system,
    b.batch_id AS batch_id,
    CAST(i.invoice_no AS VARCHAR) AS invoice_number,
    i.line_item_date AS invoice_date,
    CAST(i.line_item_id AS VARCHAR) AS line_id,
    i.line_item_description AS description,
    i.gl_code_item_name AS gl_account,
    CAST(i.line_item_quantity AS DECIMAL(18, 8)) AS quantity,
    i.line_item_amount AS unit_price,
    i.line_total AS line_total,
    CAST(NULL AS DECIMAL(19, 4)) AS tax,
    i.line_item_tax_vat_rate AS tax_rate,
    CAST(NULL AS VARCHAR) AS currency,
    CAST(i.web_site_member_id AS VARCHAR) AS customer_id,
    i.organization AS customer_name,
    i.line_item_date_entered AS entered_at,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS modified_at
FROM ym.invoice_items AS i
LEFT JOIN ym.finance_batch_items AS b ON b.line_item_id = i.line_item_id
