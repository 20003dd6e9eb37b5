-- Every GL account of the tenant (its chart of accounts, and any code a GL line books to) with its class in
-- the statements (analytics.account_classes: the longest prefix its code starts with; `unclassified` where
-- none does) and its role in the sub-ledger tie-outs: found from the documents that name their accounts
-- (each invoice its receivables account, each payment the account it is booked to, each invoice line its
-- revenue account), unless the setting [analytics.account_roles] names a role's accounts (`{account_roles}`).
-- Deleted documents are left out.
-- requires: younium.invoices younium.invoice_lines analytics.account_classes
-- absent younium.chart_of_accounts: code name deleted_at
-- absent younium.accounting_transaction_lines: account
-- absent younium.payments: payment_account_code deleted_at
-- absent younium.tenant: base_currency
WITH codes AS (
    SELECT code AS account_code FROM younium.chart_of_accounts WHERE deleted_at IS NULL AND code IS NOT NULL
    UNION
    SELECT account FROM younium.accounting_transaction_lines WHERE account IS NOT NULL
),
classed AS (
    SELECT
        codes.account_code,
        c.class,
        c.statement,
        c.line_order,
        ROW_NUMBER() OVER (PARTITION BY codes.account_code ORDER BY LENGTH(c.prefix) DESC) AS fit
    FROM codes
    LEFT JOIN analytics.account_classes AS c ON codes.account_code LIKE c.prefix || '%'
),
set_roles AS (
    SELECT r.role, r.account_code FROM {account_roles}
),
roles AS (
    SELECT role, account_code FROM set_roles
    UNION
    SELECT role, account_code FROM (
        SELECT 'receivables' AS role, accounts_receivable_code AS account_code
        FROM younium.invoices WHERE deleted_at IS NULL
        UNION
        SELECT 'payment', payment_account_code FROM younium.payments WHERE deleted_at IS NULL
        UNION
        SELECT 'revenue', recognized_revenue_code FROM younium.invoice_lines WHERE deleted_at IS NULL
    ) AS documented
    WHERE account_code IS NOT NULL AND role NOT IN (SELECT role FROM set_roles)
)
SELECT
    classed.account_code AS account_code,
    named.name AS account_name,
    COALESCE(classed.class, 'unclassified') AS class,
    classed.statement AS statement,
    classed.line_order AS line_order,
    (SELECT MIN(roles.role) FROM roles WHERE roles.account_code = classed.account_code) AS role,
    tenant.base_currency AS base_currency
FROM classed
LEFT JOIN (
    SELECT code, MAX(name) AS name FROM younium.chart_of_accounts WHERE deleted_at IS NULL GROUP BY code
) AS named ON named.code = classed.account_code
CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
WHERE classed.fit = 1
