"""The ledger's rules of `finsync check`: what a controller ties before signing a period.

The sub-ledgers tie to their GL accounts, document by document: every open invoice's balance to what its
vouchers left on the receivables accounts, every payment to its settlements and to what its voucher booked
to the payment account (the accounts' roles: `analytics.accounts`), every invoice's revenue to the revenue
accounts in the periods it was booked in (`analytics.revenue_reconciliation_lines`: what differs must have
a reason that is no fault). Every GL line has its journal and period, every journal balances, every posted
invoice has its voucher, a posted invoice never goes back to draft or vanishes, and the balance sheet
balances at the end of every period with every account posted to classified. YM's batch exports and its
item list hold the same items.

Each finding names the record that explains it (an invoice, a payment, a journal, a period). Records found
deleted upstream (`deleted_at`) are in none of these rules, so an incremental warehouse checks the same as a
fresh load of the same upstream state.

A journal that appears or changes in a period that was Closed when it was loaded is a notice, listed by every
check until someone acknowledges it (`finsync check --acknowledge`): reopening a period to post into it is
ordinary, and a controller must still hear of it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    kind: str
    source: str  # the system whose tables it reads; "" for the analytics views
    requires: frozenset[str]  # tables (`schema.table`), and columns a table may lack (`schema.table.column`)
    sql: str  # returns (system, record id, expected, actual, detail); over the views, the tenant second


def _rule(kind: str, source: str, requires: str, sql: str) -> Rule:
    return Rule(kind, source, frozenset(requires.split()), sql)


def _booked(role: str, document: str) -> str:
    """The CTE `booked`: what the GL lines on the accounts of `role` add up to, per tenant and `document`."""
    return f"""booked AS (
               SELECT g.tenant, g.{document}, SUM(g.debit - g.credit) AS amount
               FROM analytics.gl_lines AS g
               JOIN analytics.accounts AS a ON a.tenant = g.tenant AND a.account_code = g.account_code
               WHERE a.role = '{role}'
               GROUP BY g.tenant, g.{document}
           )"""


UNEXPECTED = ("booked but draft", "booked but not revenue", "booked without its invoice", "amounts differ")

TIE_OUTS = (
    _rule(
        "receivables_tie_out",
        "",
        "analytics.invoices analytics.gl_lines analytics.accounts",
        f"""WITH {_booked("receivables", "invoice_id")},
           open AS (
               SELECT tenant, invoice_id, invoice_number, outstanding_base AS amount
               FROM analytics.invoices WHERE source_system = 'younium'
           )
           SELECT 'younium', COALESCE(o.tenant, b.tenant), COALESCE(o.invoice_id, b.invoice_id, '(none)'),
                  CAST(COALESCE(b.amount, 0) AS VARCHAR), CAST(COALESCE(o.amount, 0) AS VARCHAR),
                  CASE WHEN o.invoice_id IS NULL AND b.invoice_id IS NULL
                       THEN 'GL lines on the receivables accounts that book no invoice add up to '
                            || CAST(b.amount AS VARCHAR)
                       WHEN o.invoice_id IS NULL
                       THEN 'the receivables accounts hold ' || CAST(b.amount AS VARCHAR) || ' for invoice '
                            || b.invoice_id || ', which analytics.invoices does not hold'
                       ELSE 'invoice ' || o.invoice_number || ' is open for ' || CAST(o.amount AS VARCHAR)
                            || ' in base currency; its lines on the receivables accounts add up to '
                            || CAST(COALESCE(b.amount, 0) AS VARCHAR)
                  END
           FROM open AS o
           FULL JOIN booked AS b ON b.tenant = o.tenant AND b.invoice_id = o.invoice_id
           WHERE COALESCE(b.amount, 0) <> COALESCE(o.amount, 0)""",
    ),
    _rule(
        "payments_tie_out",
        "",
        "analytics.payments analytics.gl_lines analytics.accounts",
        f"""WITH {_booked("payment", "payment_id")}
           SELECT 'younium', COALESCE(p.tenant, b.tenant), COALESCE(p.payment_id, b.payment_id, '(none)'),
                  CAST(COALESCE(b.amount, 0) AS VARCHAR), CAST(COALESCE(p.amount_base, 0) AS VARCHAR),
                  CASE WHEN p.payment_id IS NULL
                       THEN 'the payment accounts hold ' || CAST(b.amount AS VARCHAR) || ' for '
                            || COALESCE('payment ' || b.payment_id, 'no payment') || ', which analytics.payments '
                            || 'does not hold'
                       ELSE 'payment ' || p.payment_id || ' is ' || CAST(p.amount_base AS VARCHAR)
                            || ' in base currency, its settlements add up to ' || CAST(p.settled_base AS VARCHAR)
                            || ', its lines on the payment accounts to ' || CAST(COALESCE(b.amount, 0) AS VARCHAR)
                  END
           FROM analytics.payments AS p
           FULL JOIN booked AS b ON b.tenant = p.tenant AND b.payment_id = p.payment_id
           WHERE COALESCE(b.amount, 0) <> COALESCE(p.amount_base, 0) OR p.amount_base <> p.settled_base""",
    ),
    _rule(
        "revenue_tie_out",
        "",
        "analytics.revenue_reconciliation_lines",
        f"""SELECT 'younium', tenant, COALESCE(invoice_id, journal_id), CAST(by_invoice_date_base AS VARCHAR),
                  CAST(by_ledger_period_base AS VARCHAR),
                  'period ' || period || ': ' || reason || ': '
                  || COALESCE('invoice ' || invoice_number, 'journal ' || journal_number, invoice_id)
                  || ' counts ' || CAST(by_invoice_date_base AS VARCHAR) || ' by invoice date and '
                  || CAST(by_ledger_period_base AS VARCHAR) || ' on the revenue accounts'
           FROM analytics.revenue_reconciliation_lines
           WHERE reason IN ({", ".join(f"'{r}'" for r in UNEXPECTED)})""",
    ),
    _rule(
        "gl_line_without_period",
        "younium",
        "younium.accounting_transaction_lines younium.journals younium.accounting_periods",
        """SELECT 'younium', l.journal_id, 'a journal and its period', CAST(COUNT(*) AS VARCHAR) || ' lines',
                  CAST(COUNT(*) AS VARCHAR) || ' GL lines of journal ' || l.journal_id || ' (debits '
                  || CAST(SUM(l.debit_amount) AS VARCHAR) || ') ' || CASE WHEN j.id IS NULL
                      THEN 'have no journal in younium.journals'
                      ELSE 'are in period ' || CAST(j.fiscal_year AS VARCHAR) || '-'
                           || CAST(j.fiscal_period AS VARCHAR) || ', which younium.accounting_periods does not hold'
                  END || ': the trial balance cannot place them'
           FROM younium.accounting_transaction_lines AS l
           LEFT JOIN younium.journals AS j ON j.id = l.journal_id
           LEFT JOIN younium.accounting_periods AS p
               ON p.fiscal_year = j.fiscal_year AND p.fiscal_period = j.fiscal_period
           WHERE j.id IS NULL OR p.key IS NULL
           GROUP BY l.journal_id, j.id, j.fiscal_year, j.fiscal_period""",
    ),
    _rule(
        "journal does not balance",
        "younium",
        "younium.accounting_transaction_lines younium.journals",
        """SELECT 'younium', j.id, CAST(SUM(l.debit_amount) AS VARCHAR), CAST(SUM(l.credit_amount) AS VARCHAR),
                  'journal ' || COALESCE(j.journal_number, j.id) || ' debits ' || CAST(SUM(l.debit_amount) AS VARCHAR)
                  || ', credits ' || CAST(SUM(l.credit_amount) AS VARCHAR)
           FROM younium.accounting_transaction_lines AS l JOIN younium.journals AS j ON j.id = l.journal_id
           GROUP BY j.id, j.journal_number HAVING SUM(l.debit_amount) <> SUM(l.credit_amount)""",
    ),
    _rule(
        "invoice_not_journaled",
        "younium",
        "younium.invoices younium.accounting_transactions younium.accounting_transaction_lines",
        # Exact: the receivables line of an invoice's Invoicing vouchers is its total in base currency.
        """SELECT 'younium', i.id, CAST(i.total_base_amount AS VARCHAR),
                  CAST(COALESCE(SUM(l.debit_amount - l.credit_amount), 0) AS VARCHAR),
                  'invoice ' || i.invoice_number || ' totals ' || CAST(i.total_base_amount AS VARCHAR)
                  || ' in base currency; its Invoicing journal lines on ' || COALESCE(i.accounts_receivable_code, '?')
                  || ' add up to ' || CAST(COALESCE(SUM(l.debit_amount - l.credit_amount), 0) AS VARCHAR)
           FROM younium.invoices AS i
           LEFT JOIN younium.accounting_transactions AS t ON t.invoice_id = i.id AND t.source = 'Invoicing'
           LEFT JOIN younium.accounting_transaction_lines AS l
             ON l.transaction_key = t.key AND l.account = i.accounts_receivable_code
           WHERE i.status IN ('Posted', 'Settled') AND i.deleted_at IS NULL
           GROUP BY i.id, i.invoice_number, i.total_base_amount, i.accounts_receivable_code
           HAVING COALESCE(SUM(l.debit_amount - l.credit_amount), 0) <> i.total_base_amount""",
    ),
    _rule(
        "posted_invoice_went_back",
        "younium",
        "younium.invoices younium.invoices__versions",
        # A posted invoice is never a draft again, and never deleted (Younium cancels it instead).
        """SELECT 'younium', i.id, 'posted', CASE WHEN i.deleted_at IS NULL THEN i.status ELSE 'deleted' END,
                  'invoice ' || i.invoice_number || ' was ' || MAX(v.status) || ' and is '
                  || CASE WHEN i.deleted_at IS NULL THEN i.status ELSE 'gone from Younium''s list' END
                  || ' now: a posted invoice is cancelled, never undone'
           FROM younium.invoices AS i
           JOIN younium.invoices__versions AS v ON v.id = i.id AND v.status IN ('Posted', 'Settled', 'Cancelled')
           WHERE i.status = 'Draft' OR i.deleted_at IS NOT NULL
           GROUP BY i.id, i.invoice_number, i.status, i.deleted_at""",
    ),
    _rule(
        "balance_sheet_does_not_balance",
        "",
        "analytics.balance_sheet",
        """SELECT 'younium', tenant, period,
                  CAST(SUM(CASE WHEN side = 'assets' THEN balance_base ELSE 0 END) AS VARCHAR),
                  CAST(SUM(CASE WHEN side = 'assets' THEN 0 ELSE balance_base END) AS VARCHAR),
                  'at the end of period ' || period || ' assets are '
                  || CAST(SUM(CASE WHEN side = 'assets' THEN balance_base ELSE 0 END) AS VARCHAR)
                  || ', equity and liabilities '
                  || CAST(SUM(CASE WHEN side = 'assets' THEN 0 ELSE balance_base END) AS VARCHAR)
           FROM analytics.balance_sheet
           GROUP BY tenant, period
           HAVING SUM(CASE WHEN side = 'assets' THEN balance_base ELSE -balance_base END) <> 0""",
    ),
    _rule(
        "unclassified_account",
        "",
        "analytics.accounts analytics.gl_lines",
        """SELECT 'younium', a.tenant, a.account_code, 'a class', 'unclassified',
                  'account ' || a.account_code || COALESCE(' (' || a.account_name || ')', '') || ' has GL lines but '
                  || 'no class: map a prefix of its code in [analytics.account_classes]'
           FROM analytics.accounts AS a
           WHERE a.class = 'unclassified'
             AND EXISTS (SELECT 1 FROM analytics.gl_lines AS g
                         WHERE g.tenant = a.tenant AND g.account_code = a.account_code)""",
    ),
    _rule(
        "item missing from invoice_items",
        "ym",
        "ym.finance_batch_items ym.invoice_items ym.tenant.start_date",
        # Only items entered since reads begin (sources.ym.start_date): an earlier one in a later batch is no gap.
        """SELECT 'ym', CAST(b.batch_id AS VARCHAR), '0', CAST(COUNT(*) AS VARCHAR),
                  CAST(COUNT(*) AS VARCHAR) || ' items of batch ' || CAST(b.batch_id AS VARCHAR)
                  || ' are not in ym.invoice_items, such as line item ' || CAST(MIN(b.line_item_id) AS VARCHAR)
           FROM ym.finance_batch_items AS b
           LEFT JOIN ym.invoice_items AS i ON i.line_item_id = b.line_item_id
           WHERE i.line_item_id IS NULL
             AND b.line_item_date_entered >= (SELECT MAX(start_date) FROM ym.tenant)
           GROUP BY b.batch_id""",
    ),
)

# Journals first seen after the acknowledged load, in a period that was Closed as last loaded before them.
CLOSED_PERIOD_CHANGES = _rule(
    "closed_period_changed",
    "younium",
    "younium.journals__versions younium.accounting_periods__versions younium._dlt_loads",
    """SELECT 'younium', jv.id, 'Closed', 'changed',
              'journal ' || COALESCE(jv.journal_number, jv.id) || ' appeared or changed in period '
              || COALESCE(jv.period_description, CAST(jv.fiscal_year AS VARCHAR) || '-'
              || CAST(jv.fiscal_period AS VARCHAR)) || ', Closed when it was loaded ('
              || CAST((SELECT MIN(l.inserted_at) FROM younium._dlt_loads AS l WHERE l.load_id = jv.first_load_id)
                 AS VARCHAR) || '); its debits total '
              || CAST(COALESCE((SELECT SUM(gl.debit_amount) FROM younium.accounting_transaction_lines AS gl
                                WHERE gl.journal_id = jv.id), 0) AS VARCHAR)
       FROM younium.journals__versions AS jv
       WHERE jv.first_load_id > '{acknowledged}'
         AND (SELECT pv.status FROM younium.accounting_periods__versions AS pv
              WHERE pv.key = CAST(jv.fiscal_year AS VARCHAR) || '-' || LPAD(CAST(jv.fiscal_period AS VARCHAR), 2, '0')
                AND pv.first_load_id < jv.first_load_id
              ORDER BY pv.first_load_id DESC LIMIT 1) = 'Closed'""",
)
