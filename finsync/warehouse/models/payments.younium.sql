-- Younium payments, each with what it settled: the sum of its settlements, how many invoices they settle
-- and, when they all belong to one customer, that customer (a payment names only its payer). Amounts in the
-- payment's currency and in base currency. Payments and settlements found deleted upstream are left out.
-- requires: younium.payments younium.payment_settlements younium.invoices
-- absent younium.tenant: base_currency
SELECT
    p.id AS payment_id,
    p.payment_date AS payment_date,
    p.posted_date AS posted_at,
    p.currency AS currency,
    CAST(p.amount AS DECIMAL(38, 4)) AS amount,
    COALESCE(p.base_currency, tenant.base_currency) AS base_currency,
    CAST(p.base_amount AS DECIMAL(38, 4)) AS amount_base,
    CAST(COALESCE(s.settled_base, 0) AS DECIMAL(38, 4)) AS settled_base,
    COALESCE(s.invoices, 0) AS settled_invoices,
    CASE WHEN s.customers = 1 THEN s.customer_id END AS customer_id,
    CASE WHEN s.customers = 1 THEN s.customer_name END AS customer_name,
    p.payment_account_code AS payment_account_code,
    p.payment_batch_number AS payment_batch_number,
    p.payment_method_name AS payment_method
FROM younium.payments AS p
LEFT JOIN (
    SELECT
        ps.payment_id,
        SUM(ps.base_amount) AS settled_base,
        COUNT(DISTINCT ps.invoice_id) AS invoices,
        COUNT(DISTINCT i.account_id) AS customers,
        MAX(i.account_id) AS customer_id,
        MAX(i.account_name) AS customer_name
    FROM younium.payment_settlements AS ps
    LEFT JOIN younium.invoices AS i ON i.id = ps.invoice_id
    WHERE ps.deleted_at IS NULL
    GROUP BY ps.payment_id
) AS s ON s.payment_id = p.id
CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
WHERE p.deleted_at IS NULL
