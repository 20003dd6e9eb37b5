-- Younium's GL lines: every line of every voucher of every journal loaded, with its journal, accounting
-- period (its status now, from younium.accounting_periods: a journal's own copy is as it was when the journal
-- was last read), account code and name, debit, credit and the signed amount (debit positive) in base
-- currency, and the source document it books.
-- requires: younium.accounting_transaction_lines younium.accounting_transactions younium.journals younium.chart_of_accounts younium.accounting_periods
-- absent younium.tenant: base_currency
SELECT
    l.key AS line_key,
    l.journal_id AS journal_id,
    j.journal_number AS journal_number,
    j.journal_type AS journal_type,
    j.posted AS posted,
    j.fiscal_year AS fiscal_year,
    j.fiscal_period AS fiscal_period,
    COALESCE(p.description, j.period_description) AS period,
    LOWER(p.status) AS period_status,
    p.closed_date AS period_closed_date,
    t.transaction_number AS transaction_number,
    t.effective_date AS effective_date,
    t.source AS source,
    l.position AS position,
    l.account AS account_code,
    coa.name AS account_name,
    l.description AS description,
    CAST(l.debit_amount AS DECIMAL(19, 4)) AS debit,
    CAST(l.credit_amount AS DECIMAL(19, 4)) AS credit,
    CAST(l.debit_amount - l.credit_amount AS DECIMAL(19, 4)) AS amount,
    tenant.base_currency AS base_currency,
    l.sales_currency AS sales_currency,
    l.sales_currency_debit_amount AS sales_currency_debit,
    l.sales_currency_credit_amount AS sales_currency_credit,
    l.exchange_rate AS exchange_rate,
    t.invoice_id AS invoice_id,
    t.invoice_number AS invoice_number,
    t.invoice_line_id AS invoice_line_id,
    t.payment_id AS payment_id,
    t.payment_settlement_id AS payment_settlement_id,
    t.order_charge_id AS order_charge_id,
    t.revenue_schedule_item_id AS revenue_schedule_item_id
FROM younium.accounting_transaction_lines AS l
LEFT JOIN younium.accounting_transactions AS t ON t.key = l.transaction_key
LEFT JOIN younium.journals AS j ON j.id = l.journal_id
LEFT JOIN younium.accounting_periods AS p ON p.fiscal_year = j.fiscal_year AND p.fiscal_period = j.fiscal_period
LEFT JOIN (
    SELECT code, MAX(name) AS name FROM younium.chart_of_accounts WHERE deleted_at IS NULL GROUP BY code
) AS coa ON coa.code = l.account
CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
