-- Younium bookings per calendar month of their booking date (effectiveDate), booking type, change type,
-- classification, account category and currency: the booked CMRR, ACV, TCV and one-time fees, in the
-- booking's currency and in base currency. A booking's currency is its own, else its lines' (a booking's
-- header names none in the payloads seen); the base currency its lines', else the tenant's. Bookings found
-- deleted upstream are left out. Currencies are never added together: each is a row.
-- requires: younium.bookings younium.booking_lines
-- absent younium.tenant: base_currency
SELECT
    MAKE_DATE(
        CAST(EXTRACT(YEAR FROM b.effective_date) AS INTEGER), CAST(EXTRACT(MONTH FROM b.effective_date) AS INTEGER), 1
    ) AS month,
    b.booking_type AS booking_type,
    b.change_type AS change_type,
    b.classification_type AS classification_type,
    b.account_category AS account_category,
    COALESCE(b.currency, l.currency) AS currency,
    COALESCE(l.base_currency, tenant.base_currency) AS base_currency,
    COUNT(*) AS booking_count,
    CAST(SUM(b.cmrr) AS DECIMAL(38, 4)) AS cmrr,
    CAST(SUM(b.cmrr_base) AS DECIMAL(38, 4)) AS cmrr_base,
    CAST(SUM(b.acv) AS DECIMAL(38, 4)) AS acv,
    CAST(SUM(b.acv_base) AS DECIMAL(38, 4)) AS acv_base,
    CAST(SUM(b.tcv) AS DECIMAL(38, 4)) AS tcv,
    CAST(SUM(b.tcv_base) AS DECIMAL(38, 4)) AS tcv_base,
    CAST(SUM(b.one_time_fees) AS DECIMAL(38, 4)) AS one_time_fees,
    CAST(SUM(b.one_time_fees_base) AS DECIMAL(38, 4)) AS one_time_fees_base
FROM younium.bookings AS b
LEFT JOIN (
    SELECT booking_id, MAX(currency) AS currency, MAX(base_currency) AS base_currency
    FROM younium.booking_lines
    GROUP BY booking_id
) AS l ON l.booking_id = b.id
CROSS JOIN (SELECT MAX(base_currency) AS base_currency FROM younium.tenant) AS tenant
WHERE b.deleted_at IS NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7
