-- Younium payments, each with the customer it belongs to and what it settled. A payment names only its
-- payer; its settlements name the invoices it settles and their account (the invoice's own account where a
-- settlement does not carry it), so the customer is that account when they all belong to one. Settled and
-- unsettled amounts in the payment's currency and in base currency. Payments and settlements found deleted
-- upstream are left out.
-- requires: younium.payments younium.payment_settlements younium.invoices
-- absent younium.tenant: base_currency
-- optional younium.payment_settlements: ps.account_id ps.account_name
SELECT
    'younium' AS source_system,
    p.id AS payment_id,
    p.payment_date AS payment_date,
    p.posted_date AS posted_at,
    CASE WHEN s.customers = 1 THEN s.customer_id END AS customer_id,
    CASE WHEN s.customers = 1 THEN s.customer_name END AS customer_name,
    p.currency AS currency,
    CAST(p.amount AS DECIMAL(38, 4)) AS amount,
    CAST(COALESCE(s.settled, 0) AS DECIMAL(38, 4)) AS settled,
    CAST(p.amount - COALESCE(s.settled, 0) AS DECIMAL(38, 4)) AS unsettled,
    COALESCE(p.base_currency, tenant.base_currency) AS base_currency,
    CAST(p.base_amount AS DECIMAL(38, 4)) AS amount_base,
    CAST(COALESCE(s.settled_base, 0) AS DECIMAL(38, 4)) AS settled_base,
    CAST(p.base_amount - COALESCE(s.settled_base, 0) AS DECIMAL(38, 4)) AS unsettled_base,
    COALESCE(s.invoices, 0) AS settled_invoices,
    p.payment_account_code AS payment_account_code,
    p.payment_batch_number AS payment_batch_number,
    p.payment_method_name AS payment_method
FROM younium.payments AS p
LEFT JOIN (
    SELECT
        ps.payment_id,
        SUM(ps.amount) AS settled,
        SUM(ps.base_amount) AS settled_base,
        COUNT(DISTINCT ps.invoice_id) AS invoices,
        COUNT(DISTINCT COALESCE(ps.account_id, i.account_id)) AS customers,
        MAX(COALESCE(ps.account_id, i.account_id)) AS customer_id,
        MAX(COALESCE(ps.account_name, i.account_name)) AS customer_name
    FROM younium.payment_settlements AS ps
    LEFT JOIN younium.invoices AS i ON i.id = ps.invoice_id
    WHERE ps.deleted_at IS NULL
    GROUP BY ps.payment_id
) AS s ON s.payment_id = p.id
CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
WHERE p.deleted_at IS NULL
