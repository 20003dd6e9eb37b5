-- Younium invoice batches: the invoices the batch lists against those of them loaded (an invoice a batch
-- still lists but that left it, a deleted batch's drafts, counts as loaded: it is no loss).
-- A batch counts as posted once every invoice it lists is Posted, Settled or Cancelled (cancelled after
-- posting); the API gives no posting time.
-- Money is in the base currency: invoices of a batch may be in several currencies. Batches and invoices
-- found deleted upstream (an unposted batch deleted, its invoices drafts again) are left out.
-- requires: younium.invoice_batches younium.invoice_batches__invoices younium.invoices
-- absent younium.tenant: base_currency
-- optional younium.invoice_batches: b.deleted_at
-- optional younium.invoices: i.deleted_at
SELECT
    'younium' AS source_system,
    b.id AS batch_id,
    b.batch_number AS batch_number,
    b.created AS created_at,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS closed_at,
    CASE WHEN listed.unposted = 0 AND listed.listed_invoices > 0 THEN 'posted' ELSE 'draft' END AS status,
    CAST(COALESCE(listed.listed_invoices, 0) AS BIGINT) AS expected_items,
    CAST(COALESCE(listed.loaded_invoices, 0) AS BIGINT) AS loaded_items,
    (SELECT MAX(base_currency) FROM younium.tenant) AS base_currency,
    CAST(COALESCE(listed.total_amount, 0) AS DECIMAL(38, 4)) AS total_amount,
    COALESCE(listed.loaded_invoices, 0) = COALESCE(listed.listed_invoices, 0) AS complete
FROM younium.invoice_batches AS b
LEFT JOIN (
    SELECT
        l.invoice_batch_id,
        COUNT(*) AS listed_invoices,
        SUM(CASE WHEN l.status IN ('Posted', 'Settled', 'Cancelled') THEN 0 ELSE 1 END) AS unposted,
        COUNT(i.id) AS loaded_invoices,
        SUM(i.total_base_amount) AS total_amount
    FROM younium.invoice_batches__invoices AS l
    LEFT JOIN younium.invoices AS i ON i.id = l.id AND i.deleted_at IS NULL
    GROUP BY l.invoice_batch_id
) AS listed ON listed.invoice_batch_id = b.id
WHERE b.deleted_at IS NULL
