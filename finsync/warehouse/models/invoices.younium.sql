-- Younium invoices as Younium keeps them. Status is Younium's, lower-cased; a credit note is an invoice of
-- type Credit or with a total below zero (Younium also generates credits typed Invoice). Revenue counts
-- Posted and Settled invoices and credit notes (a credit sent with positive amounts counts negative, and
-- so does its open balance);
-- drafts, cancelled and on-account invoices count nothing. Base amounts are Younium's own (…BaseAmount).
-- Invoices found deleted upstream (deleted_at) are left out.
-- requires: younium.invoices younium.invoice_lines younium._dlt_loads
-- absent younium.tenant: base_currency
-- optional younium.invoices: inv.deleted_at
-- optional younium.invoice_lines: il.deleted_at
SELECT
    'younium' AS source_system,
    inv.id AS invoice_id,
    inv.invoice_number AS invoice_number,
    inv.invoice_date AS invoice_date,
    inv.due_date AS due_date,
    inv.account_id AS customer_id,
    inv.account_name AS customer_name,
    LOWER(inv.status) AS status,
    CASE
        WHEN inv.invoice_type = 'Credit' OR inv.total_amount < 0 THEN 'credit_note'
        WHEN inv.invoice_type = 'OnAccount' THEN 'on_account'
        ELSE 'invoice'
    END AS invoice_type,
    inv.status IN ('Posted', 'Settled') AND COALESCE(inv.invoice_type, '') <> 'OnAccount' AS is_revenue,
    CASE
        WHEN inv.status NOT IN ('Posted', 'Settled') OR inv.invoice_type = 'OnAccount' THEN 0
        ELSE sign.credit
    END AS revenue_sign,
    inv.currency AS currency,
    tenant.base_currency AS base_currency,
    inv.exchange_rate AS exchange_rate,
    CAST(inv.subtotal AS DECIMAL(38, 4)) AS subtotal,
    CAST(inv.tax AS DECIMAL(38, 4)) AS tax,
    CAST(inv.total_amount AS DECIMAL(38, 4)) AS total,
    CAST(inv.subtotal_base_amount AS DECIMAL(38, 4)) AS subtotal_base,
    CAST(inv.tax_base_amount AS DECIMAL(38, 4)) AS tax_base,
    CAST(inv.total_base_amount AS DECIMAL(38, 4)) AS total_base,
    CAST(inv.settled_amount AS DECIMAL(38, 4)) AS settled,
    CAST(inv.settled_base_amount AS DECIMAL(38, 4)) AS settled_base,
    CAST(CASE WHEN inv.status IN ('Posted', 'Settled') THEN inv.balanced_amount * sign.credit ELSE 0 END
        AS DECIMAL(38, 4)) AS outstanding,
    CAST(CASE WHEN inv.status IN ('Posted', 'Settled') THEN inv.balanced_base_amount * sign.credit ELSE 0 END
        AS DECIMAL(38, 4)) AS outstanding_base,
    loads.as_of_date AS as_of_date,
    CASE
        WHEN inv.status NOT IN ('Posted', 'Settled') OR COALESCE(inv.balanced_amount, 0) = 0 THEN NULL
        ELSE GREATEST(loads.as_of_date - inv.due_date, 0)
    END AS days_past_due,
    COALESCE(lines.line_count, 0) AS line_count,
    inv.invoice_batch_id AS batch_id,
    inv.modified AS modified_at
FROM younium.invoices AS inv
-- A credit note sent with positive amounts (Younium does not document the sign) counts as their negation.
CROSS JOIN LATERAL (
    SELECT CASE WHEN inv.invoice_type = 'Credit' AND inv.total_amount > 0 THEN -1 ELSE 1 END AS credit
) AS sign
LEFT JOIN (
    SELECT il.invoice_id, COUNT(*) AS line_count
    FROM younium.invoice_lines AS il
    WHERE il.deleted_at IS NULL
    GROUP BY il.invoice_id
) AS lines ON lines.invoice_id = inv.id
CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
CROSS JOIN (
    SELECT CAST(MAX(inserted_at) AT TIME ZONE 'UTC' AS DATE) AS as_of_date FROM younium._dlt_loads WHERE status = 0
) AS loads
WHERE inv.deleted_at IS NULL
