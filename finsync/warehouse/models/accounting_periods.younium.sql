-- Younium's accounting periods as they are now: younium.accounting_periods is read whole every run, so a
-- period closed or reopened upstream (which changes none of its journals) shows its status after the next
-- run. Every view takes a period's status and close date from here, never from a journal's own copy.
-- requires: younium.accounting_periods
-- absent younium.tenant: base_currency
SELECT
    p.key AS period_key,
    p.fiscal_year AS fiscal_year,
    p.fiscal_period AS fiscal_period,
    p.fiscal_quarter AS fiscal_quarter,
    p.description AS period,
    p.start_date AS start_date,
    p.end_date AS end_date,
    LOWER(p.status) AS status,
    p.closed_date AS closed_date,
    tenant.base_currency AS base_currency
FROM younium.accounting_periods AS p
CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
