-- YM invoices, built from their items: YM has no invoice record of its own. Every YM invoice item is a
-- recorded sale (there are no drafts), so an invoice is `settled` once its OutstandingBalance is zero and
-- `posted` otherwise; a credit note is an invoice whose items add up to less than zero. Amounts are in
-- the client's currency (setting sources.ym.currency), which is also its base currency. OutstandingBalance
-- is an invoice field repeated on each of its items, as of when the items were last read. The due date is
-- the invoice date plus N days for "Net N" payment terms, the invoice date otherwise.
-- requires: ym.invoice_items ym.tenant ym._dlt_loads
-- optional ym.invoice_items: i.invoice_name_first i.invoice_name_last
SELECT
    'ym' AS source_system,
    CAST(inv.invoice_no AS VARCHAR) AS invoice_id,
    CAST(inv.invoice_no AS VARCHAR) AS invoice_number,
    inv.invoice_date AS invoice_date,
    inv.invoice_date + inv.term_days AS due_date,
    CAST(inv.customer_id AS VARCHAR) AS customer_id,
    inv.customer_name AS customer_name,
    CASE WHEN inv.outstanding = 0 THEN 'settled' ELSE 'posted' END AS status,
    CASE WHEN inv.total < 0 THEN 'credit_note' ELSE 'invoice' END AS invoice_type,
    TRUE AS is_revenue,
    1 AS revenue_sign,
    tenant.currency AS currency,
    tenant.currency AS base_currency,
    CAST(1 AS DECIMAL(18, 8)) AS exchange_rate,
    inv.total AS subtotal,
    CAST(NULL AS DECIMAL(38, 4)) AS tax,
    inv.total AS total,
    inv.total AS subtotal_base,
    CAST(NULL AS DECIMAL(38, 4)) AS tax_base,
    inv.total AS total_base,
    CAST(inv.total - inv.outstanding AS DECIMAL(38, 4)) AS settled,
    CAST(inv.total - inv.outstanding AS DECIMAL(38, 4)) AS settled_base,
    inv.outstanding AS outstanding,
    inv.outstanding AS outstanding_base,
    loads.as_of_date AS as_of_date,
    CASE
        WHEN inv.outstanding = 0 THEN NULL
        ELSE GREATEST(loads.as_of_date - (inv.invoice_date + inv.term_days), 0)
    END AS days_past_due,
    inv.line_count AS line_count,
    CAST(NULL AS VARCHAR) AS batch_id,
    inv.entered_at AS modified_at
FROM (
    SELECT
        i.invoice_no,
        MIN(i.line_item_date) AS invoice_date,
        MAX(i.web_site_member_id) AS customer_id,
        MAX(COALESCE(NULLIF(i.organization, ''), NULLIF(CONCAT_WS(' ', i.invoice_name_first, i.invoice_name_last), ''),
            'Member ' || CAST(i.web_site_member_id AS VARCHAR))) AS customer_name,
        MAX(CASE
            WHEN i.payment_terms LIKE 'Net %' AND LENGTH(i.payment_terms) BETWEEN 5 AND 7
                AND TRANSLATE(SUBSTRING(i.payment_terms, 5), '0123456789', '') = ''
            THEN CAST(SUBSTRING(i.payment_terms, 5) AS INTEGER)
            ELSE 0
        END) AS term_days,
        CAST(SUM(i.line_total) AS DECIMAL(38, 4)) AS total,
        CAST(COALESCE(MAX(i.outstanding_balance), 0) AS DECIMAL(38, 4)) AS outstanding,
        COUNT(*) AS line_count,
        MAX(i.line_item_date_entered) AS entered_at
    FROM ym.invoice_items AS i
    GROUP BY i.invoice_no
) AS inv
CROSS JOIN (SELECT MAX(currency) AS currency FROM ym.tenant) AS tenant
CROSS JOIN (SELECT CAST(MAX(inserted_at) AT TIME ZONE 'UTC' AS DATE) AS as_of_date FROM ym._dlt_loads WHERE status = 0) AS loads
