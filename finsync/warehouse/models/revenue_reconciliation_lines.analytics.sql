-- Revenue by invoice date against revenue by ledger period, document by document: per tenant, accounting
-- period and Younium invoice (or, for GL revenue lines that book no invoice, journal), what revenue by
-- invoice date counts in the period (the invoice's revenue, in the period of its invoice date) and what the
-- GL's revenue accounts hold for it (credits less debits of its vouchers in the period), and why they
-- differ. Reasons: `agrees`; `recognised over time` (an invoice the ledger recognises month by month from
-- its revenue schedule, RevenueRecognition journals: revenue by invoice date counts it whole in its month,
-- the GL as each month is recognised; `analytics.deferred_revenue` ties it out); `posted late` (posted in a
-- later period than its invoice date: counted in both, once each); `posted early`; `cancelled` (posted, then reversed in the period it was cancelled: revenue by
-- invoice date never counts it); `manual journal`; `unposted` (revenue by invoice date counts it, the GL has
-- nothing for it); and, for what should not happen, `booked but draft`, `booked but not revenue`, `booked
-- without its invoice` and `amounts differ`. An invoice date in a month no journal names is taken as that
-- calendar month. YM keeps no ledger and is not here.
-- requires: analytics.invoice_lines analytics.invoices analytics.gl_lines analytics.accounts analytics.accounting_periods
WITH dated AS (
    SELECT tenant, invoice_id, MAX(invoice_date) AS invoice_date, base_currency, SUM(revenue_base) AS amount
    FROM analytics.invoice_lines
    WHERE source_system = 'younium' AND is_revenue
    GROUP BY tenant, invoice_id, base_currency
),
dated_in AS (
    SELECT
        d.tenant, d.invoice_id, d.base_currency, d.amount,
        CAST(COALESCE(p.fiscal_year, EXTRACT(YEAR FROM d.invoice_date)) AS BIGINT) AS fiscal_year,
        CAST(COALESCE(p.fiscal_period, EXTRACT(MONTH FROM d.invoice_date)) AS BIGINT) AS fiscal_period
    FROM dated AS d
    LEFT JOIN analytics.accounting_periods AS p
        ON p.tenant = d.tenant AND d.invoice_date BETWEEN p.start_date AND p.end_date
),
booked AS (
    SELECT
        g.tenant, g.fiscal_year, g.fiscal_period, g.base_currency, g.invoice_id,
        CASE WHEN g.invoice_id IS NULL THEN g.journal_id END AS journal_id,
        MAX(g.journal_number) AS journal_number,
        SUM(g.credit) - SUM(g.debit) AS amount
    FROM analytics.gl_lines AS g
    JOIN analytics.accounts AS a ON a.tenant = g.tenant AND a.account_code = g.account_code
    WHERE a.class = 'revenue'
    GROUP BY g.tenant, g.fiscal_year, g.fiscal_period, g.base_currency, g.invoice_id,
        CASE WHEN g.invoice_id IS NULL THEN g.journal_id END
),
scheduled AS (
    SELECT DISTINCT tenant, invoice_id
    FROM analytics.gl_lines
    WHERE journal_type = 'RevenueRecognition' AND invoice_id IS NOT NULL
),
first_booked AS (
    SELECT tenant, invoice_id, MIN(fiscal_year * 100 + fiscal_period) AS period_number
    FROM booked WHERE invoice_id IS NOT NULL GROUP BY tenant, invoice_id
),
compared AS (
    SELECT
        COALESCE(b.tenant, d.tenant) AS tenant,
        COALESCE(b.fiscal_year, d.fiscal_year) AS fiscal_year,
        COALESCE(b.fiscal_period, d.fiscal_period) AS fiscal_period,
        COALESCE(b.base_currency, d.base_currency) AS base_currency,
        COALESCE(b.invoice_id, d.invoice_id) AS invoice_id,
        b.journal_id,
        b.journal_number,
        COALESCE(d.amount, 0) AS dated,
        COALESCE(b.amount, 0) AS booked
    FROM booked AS b
    FULL JOIN dated_in AS d
        ON d.tenant = b.tenant AND d.invoice_id = b.invoice_id
        AND d.fiscal_year = b.fiscal_year AND d.fiscal_period = b.fiscal_period
)
SELECT
    c.tenant,
    c.fiscal_year,
    c.fiscal_period,
    COALESCE(p.period, CAST(c.fiscal_year AS VARCHAR) || '-' || LPAD(CAST(c.fiscal_period AS VARCHAR), 2, '0'))
        AS period,
    c.base_currency,
    c.invoice_id,
    i.invoice_number,
    i.invoice_date,
    i.status AS status,
    c.journal_id,
    c.journal_number,
    CAST(c.dated AS DECIMAL(38, 4)) AS by_invoice_date_base,
    CAST(c.booked AS DECIMAL(38, 4)) AS by_ledger_period_base,
    CAST(c.booked - c.dated AS DECIMAL(38, 4)) AS difference_base,
    CASE
        WHEN c.booked = c.dated THEN 'agrees'
        WHEN c.invoice_id IS NULL THEN 'manual journal'
        WHEN i.invoice_id IS NULL THEN 'booked without its invoice'
        WHEN i.status = 'cancelled' THEN 'cancelled'
        WHEN i.status = 'draft' THEN 'booked but draft'
        WHEN NOT i.is_revenue THEN 'booked but not revenue'
        WHEN f.invoice_id IS NULL THEN 'unposted'
        WHEN r.invoice_id IS NOT NULL THEN 'recognised over time'
        WHEN c.booked = 0 OR c.dated = 0 THEN
            CASE WHEN f.period_number > dp.fiscal_year * 100 + dp.fiscal_period THEN 'posted late' ELSE 'posted early' END
        ELSE 'amounts differ'
    END AS reason
FROM compared AS c
LEFT JOIN analytics.invoices AS i
    ON i.source_system = 'younium' AND i.tenant = c.tenant AND i.invoice_id = c.invoice_id
LEFT JOIN first_booked AS f ON f.tenant = c.tenant AND f.invoice_id = c.invoice_id
LEFT JOIN scheduled AS r ON r.tenant = c.tenant AND r.invoice_id = c.invoice_id
LEFT JOIN dated_in AS dp ON dp.tenant = c.tenant AND dp.invoice_id = c.invoice_id
LEFT JOIN analytics.accounting_periods AS p
    ON p.tenant = c.tenant AND p.fiscal_year = c.fiscal_year AND p.fiscal_period = c.fiscal_period
