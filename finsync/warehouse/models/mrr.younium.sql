-- Contract-based MRR per Younium customer, month and (sales) currency, as of each month's last day: the
-- Recurring charge versions in force that day (effective start <= month end <= effective end; no end: open),
-- each counted once across all the versions of its order (a charge version, chargeNumber and version, is
-- embedded in every later order version that keeps it: the copy of the order's latest version that has it
-- counts; a version above the order's latest, one since reverted, counts nothing), orders whose latest
-- version is a draft or deleted (status Draft, OrderDraft or Deleted) or that
-- are gone upstream (deleted_at) left out. MRR is the charges' recurringMonthlyAmount, in the order's
-- currency and in base currency (recurringMonthlyAmountBase, Younium's rate at its conversion date); ARR is
-- 12 x MRR, Younium's own definition. Each customer has a row for every month from its first charge's month
-- to the current month, 0 where nothing is in force. Currencies are never added together: each is a row.
-- requires: younium.subscriptions younium.subscription_versions younium.order_charges
-- absent younium.tenant: base_currency
WITH placed AS (
    SELECT
        c.account_id,
        c.order_currency AS currency,
        COALESCE(c.base_currency, tenant.base_currency) AS base_currency,
        c.effective_start_date,
        c.effective_end_date,
        c.recurring_monthly_amount,
        c.recurring_monthly_amount_base,
        ROW_NUMBER() OVER (
            PARTITION BY c.order_number, COALESCE(c.charge_number || ':' || CAST(c.version AS VARCHAR), c.id)
            ORDER BY v.version DESC, c.order_version_id DESC
        ) AS copy
    FROM younium.order_charges AS c
    JOIN younium.subscriptions AS s ON s.order_number = c.order_number
    LEFT JOIN younium.subscription_versions AS v ON v.id = c.order_version_id
    CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
    WHERE c.charge_type = 'Recurring'
        AND c.effective_start_date IS NOT NULL
        AND (v.version IS NULL OR s.version IS NULL OR v.version <= s.version)
        AND s.deleted_at IS NULL
        AND COALESCE(s.status, '') NOT IN ('Draft', 'OrderDraft', 'Deleted')
),
charges AS (
    SELECT * FROM placed WHERE copy = 1
),
customers AS (
    SELECT account_id, currency, base_currency, MIN(effective_start_date) AS first_day
    FROM charges
    GROUP BY account_id, currency, base_currency
),
names AS (
    SELECT account_id, MAX(account_name) AS customer_name
    FROM younium.subscriptions
    GROUP BY account_id
),
months AS (
    SELECT CAST(g.month_start + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS month
    FROM generate_series(
        CAST((SELECT DATE_TRUNC('month', MIN(first_day)) FROM customers) AS TIMESTAMP),
        CAST(DATE_TRUNC('month', CURRENT_DATE) AS TIMESTAMP),
        INTERVAL '1 month'
    ) AS g(month_start)
)
SELECT
    cu.account_id AS customer_id,
    n.customer_name AS customer_name,
    m.month AS month,
    cu.currency AS currency,
    CAST(COALESCE(SUM(ch.recurring_monthly_amount), 0) AS DECIMAL(38, 4)) AS mrr,
    CAST(COALESCE(SUM(ch.recurring_monthly_amount_base), 0) AS DECIMAL(38, 4)) AS mrr_base,
    CAST(12 * COALESCE(SUM(ch.recurring_monthly_amount), 0) AS DECIMAL(38, 4)) AS arr,
    CAST(12 * COALESCE(SUM(ch.recurring_monthly_amount_base), 0) AS DECIMAL(38, 4)) AS arr_base,
    cu.base_currency AS base_currency,
    COUNT(ch.effective_start_date) AS charge_count
FROM customers AS cu
JOIN months AS m ON m.month >= cu.first_day
LEFT JOIN names AS n ON n.account_id IS NOT DISTINCT FROM cu.account_id
LEFT JOIN charges AS ch
    ON ch.account_id IS NOT DISTINCT FROM cu.account_id
    AND ch.currency IS NOT DISTINCT FROM cu.currency
    AND ch.base_currency IS NOT DISTINCT FROM cu.base_currency
    AND ch.effective_start_date <= m.month
    AND (ch.effective_end_date IS NULL OR ch.effective_end_date >= m.month)
WHERE m.month IS NOT NULL
GROUP BY cu.account_id, n.customer_name, m.month, cu.currency, cu.base_currency
