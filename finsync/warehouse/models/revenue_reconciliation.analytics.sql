-- Per tenant and accounting period, revenue by invoice date and revenue by ledger period side by side, and
-- the difference split by reason (analytics.revenue_reconciliation_lines names the documents): the reasons'
-- columns add up to the difference exactly.
-- requires: analytics.revenue_reconciliation_lines
SELECT
    tenant,
    fiscal_year,
    fiscal_period,
    MAX(period) AS period,
    base_currency,
    CAST(SUM(by_invoice_date_base) AS DECIMAL(38, 4)) AS revenue_by_invoice_date_base,
    CAST(SUM(by_ledger_period_base) AS DECIMAL(38, 4)) AS revenue_by_ledger_period_base,
    CAST(SUM(difference_base) AS DECIMAL(38, 4)) AS difference_base,
    CAST(SUM(CASE WHEN reason = 'recognised over time' THEN difference_base ELSE 0 END) AS DECIMAL(38, 4))
        AS recognised_over_time_base,
    CAST(SUM(CASE WHEN reason = 'posted late' THEN difference_base ELSE 0 END) AS DECIMAL(38, 4)) AS posted_late_base,
    CAST(SUM(CASE WHEN reason = 'posted early' THEN difference_base ELSE 0 END) AS DECIMAL(38, 4)) AS posted_early_base,
    CAST(SUM(CASE WHEN reason = 'cancelled' THEN difference_base ELSE 0 END) AS DECIMAL(38, 4)) AS cancelled_base,
    CAST(SUM(CASE WHEN reason = 'manual journal' THEN difference_base ELSE 0 END) AS DECIMAL(38, 4))
        AS manual_journals_base,
    CAST(SUM(CASE WHEN reason = 'unposted' THEN difference_base ELSE 0 END) AS DECIMAL(38, 4)) AS unposted_base,
    CAST(SUM(CASE
        WHEN reason IN ('booked but draft', 'booked but not revenue', 'booked without its invoice', 'amounts differ')
        THEN difference_base ELSE 0
    END) AS DECIMAL(38, 4)) AS unexpected_base
FROM analytics.revenue_reconciliation_lines
GROUP BY tenant, fiscal_year, fiscal_period, base_currency
