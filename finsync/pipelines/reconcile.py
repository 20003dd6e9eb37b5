"""`finsync check`: does what was loaded add up? Batch counts, orphans and money, on DuckDB or PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .views import SCHEMA
from .warehouse import Warehouse, existing_tables, query


@dataclass(frozen=True)
class Finding:
    kind: str
    source: str
    batch_id: str
    detail: str


@dataclass(frozen=True)
class BatchSummary:
    source: str
    batches: int
    complete: int
    pending: int  # open (YM) or not fully listed yet
    items: int
    total_amount: Decimal


@dataclass
class Reconciliation:
    summaries: list[BatchSummary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class Rule:
    kind: str
    requires: frozenset[str]
    sql: str  # returns (source, batch_id, detail)


RULES = (
    Rule(
        "incomplete batch",
        frozenset({f"{SCHEMA}.batches"}),
        f"""SELECT source_system, batch_id,
                   'expected ' || CAST(expected_items AS VARCHAR) || ' items, loaded ' || CAST(loaded_items AS VARCHAR)
            FROM {SCHEMA}.batches WHERE complete = FALSE""",
    ),
    Rule(
        "items without their batch",
        frozenset({"ym.finance_batch_items", "ym.finance_batches"}),
        """SELECT 'ym', i.batch_id, CAST(COUNT(*) AS VARCHAR) || ' items of a batch missing from ym.finance_batches'
           FROM ym.finance_batch_items AS i LEFT JOIN ym.finance_batches AS b ON b.batch_id = i.batch_id
           WHERE b.batch_id IS NULL GROUP BY i.batch_id""",
    ),
    Rule(
        "invoices without their batch",
        frozenset({"younium.invoices", "younium.invoice_batches"}),
        """SELECT 'younium', i.invoice_batch_id,
                  CAST(COUNT(*) AS VARCHAR) || ' invoices of a batch missing from younium.invoice_batches'
           FROM younium.invoices AS i LEFT JOIN younium.invoice_batches AS b ON b.id = i.invoice_batch_id
           WHERE i.invoice_batch_id IS NOT NULL AND b.id IS NULL GROUP BY i.invoice_batch_id""",
    ),
    Rule(
        "lines without their invoice",
        frozenset({"younium.invoice_lines", "younium.invoices"}),
        """SELECT 'younium', COALESCE(l.invoice_id, '(none)'),
                  CAST(COUNT(*) AS VARCHAR) || ' invoice lines whose invoice is missing from younium.invoices'
           FROM younium.invoice_lines AS l LEFT JOIN younium.invoices AS i ON i.id = l.invoice_id
           WHERE i.id IS NULL GROUP BY l.invoice_id""",
    ),
    Rule(
        "lines differ from their invoice",
        frozenset({"younium.invoice_lines", "younium.invoices"}),
        """SELECT 'younium', i.id,
                  'invoice ' || i.invoice_number || ' has subtotal ' || CAST(i.subtotal AS VARCHAR)
                  || ', its lines add up to ' || CAST(COALESCE(SUM(l.subtotal), 0) AS VARCHAR)
           FROM younium.invoices AS i LEFT JOIN younium.invoice_lines AS l ON l.invoice_id = i.id
           GROUP BY i.id, i.invoice_number, i.subtotal
           HAVING COALESCE(SUM(l.subtotal), 0) <> COALESCE(i.subtotal, 0)""",
    ),
    Rule(
        "batch money differs",
        frozenset({"ym.finance_batch_items", "ym.invoice_items"}),
        """SELECT 'ym', b.batch_id, 'batch export totals ' || CAST(SUM(b.line_total) AS VARCHAR)
                  || ', the same items in ym.invoice_items total ' || CAST(SUM(i.line_total) AS VARCHAR)
           FROM ym.finance_batch_items AS b JOIN ym.invoice_items AS i ON i.line_item_id = b.line_item_id
           GROUP BY b.batch_id HAVING SUM(b.line_total) <> SUM(i.line_total)""",
    ),
    Rule(
        "batch money differs",
        frozenset({"younium.invoice_batches__invoices", "younium.invoices"}),
        """SELECT 'younium', l.invoice_batch_id,
                  'batch lists invoices totalling ' || CAST(SUM(l.total_amount) AS VARCHAR)
                  || ', the loaded invoices total ' || CAST(SUM(i.total_amount) AS VARCHAR)
           FROM younium.invoice_batches__invoices AS l JOIN younium.invoices AS i ON i.id = l.id
           GROUP BY l.invoice_batch_id HAVING SUM(l.total_amount) <> SUM(i.total_amount)""",
    ),
)

SUMMARY = f"""
SELECT source_system, COUNT(*), SUM(CASE WHEN complete THEN 1 ELSE 0 END),
       SUM(CASE WHEN complete IS NULL OR status IN ('open', 'draft') THEN 1 ELSE 0 END),
       SUM(loaded_items), SUM(total_amount)
FROM {SCHEMA}.batches GROUP BY source_system ORDER BY source_system
"""


def reconcile(warehouse: Warehouse) -> Reconciliation:
    result = Reconciliation()
    with warehouse.connect(read_only=True) as connection:
        tables = existing_tables(connection)
        if f"{SCHEMA}.batches" in tables:
            result.summaries = [
                BatchSummary(source, int(n), int(done or 0), int(pending or 0), int(items or 0), Decimal(total or 0))
                for source, n, done, pending, items, total in query(connection, SUMMARY)
            ]
        for rule in RULES:
            if rule.requires <= tables:
                for source, batch_id, detail in query(connection, rule.sql):
                    result.findings.append(Finding(rule.kind, str(source), str(batch_id), str(detail)))
    result.findings.sort(key=lambda f: (f.source, f.batch_id, f.kind))
    return result
