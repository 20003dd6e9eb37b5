-- MRR movements per customer and month, in base currency, from analytics.mrr (the customer's currencies
-- added in base currency only). Opening is the customer's MRR at the end of the month before, closing at the
-- end of the month. Each month is one movement, decided in the order new -> reactivation -> churn ->
-- expansion -> contraction: opening 0 and closing > 0 is new when the customer never had MRR before, else
-- reactivation; opening > 0 and closing 0 is churn (minus the opening); otherwise the difference is
-- expansion (> 0) or contraction (< 0). opening + new + expansion + contraction + churn + reactivation =
-- closing on every row.
-- requires: analytics.mrr
WITH closing AS (
    SELECT
        tenant,
        customer_id,
        MAX(customer_name) AS customer_name,
        month,
        base_currency,
        SUM(mrr_base) AS closing_mrr_base
    FROM analytics.mrr
    GROUP BY tenant, customer_id, month, base_currency
),
framed AS (
    SELECT
        closing.*,
        COALESCE(
            LAG(closing_mrr_base) OVER (PARTITION BY tenant, customer_id, base_currency ORDER BY month), 0
        ) AS opening_mrr_base,
        COALESCE(
            MAX(CASE WHEN closing_mrr_base > 0 THEN 1 ELSE 0 END) OVER (
                PARTITION BY tenant, customer_id, base_currency
                ORDER BY month
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ),
            0
        ) AS paid_before
    FROM closing
),
labelled AS (
    SELECT
        framed.*,
        CASE
            WHEN opening_mrr_base = 0 AND closing_mrr_base > 0 AND paid_before = 0 THEN 'new'
            WHEN opening_mrr_base = 0 AND closing_mrr_base > 0 THEN 'reactivation'
            WHEN opening_mrr_base > 0 AND closing_mrr_base = 0 THEN 'churn'
            WHEN closing_mrr_base > opening_mrr_base THEN 'expansion'
            WHEN closing_mrr_base < opening_mrr_base THEN 'contraction'
            ELSE 'unchanged'
        END AS movement
    FROM framed
)
SELECT
    tenant,
    customer_id,
    customer_name,
    month,
    base_currency,
    movement,
    CAST(opening_mrr_base AS DECIMAL(38, 4)) AS opening_mrr_base,
    CAST(CASE WHEN movement = 'new' THEN closing_mrr_base ELSE 0 END AS DECIMAL(38, 4)) AS new_mrr_base,
    CAST(
        CASE WHEN movement = 'expansion' THEN closing_mrr_base - opening_mrr_base ELSE 0 END AS DECIMAL(38, 4)
    ) AS expansion_mrr_base,
    CAST(
        CASE WHEN movement = 'contraction' THEN closing_mrr_base - opening_mrr_base ELSE 0 END AS DECIMAL(38, 4)
    ) AS contraction_mrr_base,
    CAST(CASE WHEN movement = 'churn' THEN -opening_mrr_base ELSE 0 END AS DECIMAL(38, 4)) AS churn_mrr_base,
    CAST(
        CASE WHEN movement = 'reactivation' THEN closing_mrr_base ELSE 0 END AS DECIMAL(38, 4)
    ) AS reactivation_mrr_base,
    CAST(closing_mrr_base AS DECIMAL(38, 4)) AS closing_mrr_base
FROM labelled
