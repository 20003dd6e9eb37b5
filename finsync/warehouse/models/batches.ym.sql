-- YM finance batches: the batch's ItemCount against the items loaded from its export.
-- An open batch is not exported yet, so its completeness is unknown (NULL).
-- requires: ym.finance_batches ym.finance_batch_items ym.tenant
SELECT
    'ym' AS source_system,
    fb.batch_id AS batch_id,
    fb.batch_id AS batch_number,
    fb.create_date_time AS created_at,
    fb.closed_date AS closed_at,
    CASE WHEN fb.closed_date IS NULL THEN 'open' ELSE 'closed' END AS status,
    CAST(fb.item_count AS BIGINT) AS expected_items,
    CAST(COALESCE(items.loaded_items, 0) AS BIGINT) AS loaded_items,
    (SELECT MAX(currency) FROM ym.tenant) AS base_currency,
    CAST(COALESCE(items.total_amount, 0) AS DECIMAL(38, 4)) AS total_amount,
    CASE WHEN fb.closed_date IS NULL THEN NULL ELSE COALESCE(items.loaded_items, 0) = fb.item_count END AS complete
FROM ym.finance_batches AS fb
LEFT JOIN (
    SELECT batch_id, COUNT(*) AS loaded_items, SUM(line_total) AS total_amount
    FROM ym.finance_batch_items
    GROUP BY batch_id
) AS items ON items.batch_id = fb.batch_id
