-- Younium invoice batches: the invoices the batch lists against the invoices loaded that belong to it.
-- A batch counts as posted once every invoice it lists is Posted, Settled or Cancelled (cancelled after
-- posting); the API gives no posting time.
-- Money is in the base currency: invoices of a batch may be in several currencies.
-- requires: younium.invoice_batches younium.invoice_batches__invoices younium.invoices younium.tenant
SELECT
    'younium' AS source_system,
    b.id AS batch_id,
    b.batch_number AS batch_number,
    b.created AS created_at,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS closed_at,
    CASE WHEN listed.unposted = 0 AND listed.listed_invoices > 0 THEN 'posted' ELSE 'draft' END AS status,
    CAST(COALESCE(listed.listed_invoices, 0) AS BIGINT) AS expected_items,
    CAST(COALESCE(loaded.loaded_invoices, 0) AS BIGINT) AS loaded_items,
    (SELECT MAX(base_currency) FROM younium.tenant) AS base_currency,
    CAST(COALESCE(loaded.total_amount, 0) AS DECIMAL(38, 4)) AS total_amount,
    COALESCE(loaded.loaded_invoices, 0) = COALESCE(listed.listed_invoices, 0) AS complete
FROM younium.invoice_batches AS b
LEFT JOIN (
    SELECT
        invoice_batch_id,
        COUNT(*) AS listed_invoices,
        SUM(CASE WHEN status IN ('Posted', 'Settled', 'Cancelled') THEN 0 ELSE 1 END) AS unposted
    FROM younium.invoice_batches__invoices
    GROUP BY invoice_batch_id
) AS listed ON listed.invoice_batch_id = b.id
LEFT JOIN (
    SELECT invoice_batch_id, COUNT(*) AS loaded_invoices, SUM(total_base_amount) AS total_amount
    FROM younium.invoices
    WHERE invoice_batch_id IS NOT NULL
    GROUP BY invoice_batch_id
) AS loaded ON loaded.invoice_batch_id = b.id
