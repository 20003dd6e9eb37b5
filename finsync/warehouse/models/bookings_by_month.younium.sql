-- Younium bookings per calendar month of their booking date (effectiveDate), booking type, change type,
-- classification, account category and currency: the booked change of CMRR, ACV and TCV, and the one-time
-- fees, in the booking's currency and in base currency. A booking's currency is its own, else its lines' (a
-- booking's header names none in the payloads seen); the base currency its lines', else the tenant's. Where
-- the tenant's bookings carry the order's figures after the change (booking_amounts = total), a booking's
-- change is its figures less those of the order's booking before it. Bookings found deleted upstream are left
-- out. Currencies are never added together: each is a row.
-- requires: younium.bookings younium.booking_lines
-- absent younium.tenant: base_currency booking_amounts
-- optional younium.tenant: tenant.booking_amounts
WITH tenant AS (
    SELECT MAX(tenant.base_currency) AS base_currency, COALESCE(MAX(tenant.booking_amounts), 'delta') AS booking_amounts
    FROM younium.tenant AS tenant
),
booked AS (
    SELECT
        b.*,
        CASE WHEN t.booking_amounts = 'total' THEN 1 ELSE 0 END AS totals,
        LAG(b.cmrr, 1, 0) OVER orders AS cmrr_before,
        LAG(b.cmrr_base, 1, 0) OVER orders AS cmrr_base_before,
        LAG(b.acv, 1, 0) OVER orders AS acv_before,
        LAG(b.acv_base, 1, 0) OVER orders AS acv_base_before,
        LAG(b.tcv, 1, 0) OVER orders AS tcv_before,
        LAG(b.tcv_base, 1, 0) OVER orders AS tcv_base_before
    FROM younium.bookings AS b
    CROSS JOIN tenant AS t
    WHERE b.deleted_at IS NULL
    WINDOW orders AS (PARTITION BY b.order_number ORDER BY b.effective_date, b.created, b.id)
)
SELECT
    MAKE_DATE(
        CAST(EXTRACT(YEAR FROM b.effective_date) AS INTEGER), CAST(EXTRACT(MONTH FROM b.effective_date) AS INTEGER), 1
    ) AS month,
    b.booking_type AS booking_type,
    b.change_type AS change_type,
    b.classification_type AS classification_type,
    b.account_category AS account_category,
    COALESCE(b.currency, l.currency) AS currency,
    COALESCE(l.base_currency, t.base_currency) AS base_currency,
    COUNT(*) AS booking_count,
    CAST(SUM(b.cmrr - b.totals * b.cmrr_before) AS DECIMAL(38, 4)) AS cmrr,
    CAST(SUM(b.cmrr_base - b.totals * b.cmrr_base_before) AS DECIMAL(38, 4)) AS cmrr_base,
    CAST(SUM(b.acv - b.totals * b.acv_before) AS DECIMAL(38, 4)) AS acv,
    CAST(SUM(b.acv_base - b.totals * b.acv_base_before) AS DECIMAL(38, 4)) AS acv_base,
    CAST(SUM(b.tcv - b.totals * b.tcv_before) AS DECIMAL(38, 4)) AS tcv,
    CAST(SUM(b.tcv_base - b.totals * b.tcv_base_before) AS DECIMAL(38, 4)) AS tcv_base,
    CAST(SUM(b.one_time_fees) AS DECIMAL(38, 4)) AS one_time_fees,
    CAST(SUM(b.one_time_fees_base) AS DECIMAL(38, 4)) AS one_time_fees_base
FROM booked AS b
LEFT JOIN (
    SELECT booking_id, MAX(currency) AS currency, MAX(base_currency) AS base_currency
    FROM younium.booking_lines
    GROUP BY booking_id
) AS l ON l.booking_id = b.id
CROSS JOIN tenant AS t
GROUP BY 1, 2, 3, 4, 5, 6, 7
