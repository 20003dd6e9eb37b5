"""`finsync check`: does what was loaded add up, and is it recent? On DuckDB or PostgreSQL.

A finding names its tenant (`ym`, `ym:acme`), the batch (or invoice) it is about, its kind, and what was
expected against what the warehouse holds, so a schedule can gate on it and a person can act on it. A rule
is written for a system's default dataset and applied to each tenant's (`Target.over_dataset`); a rule
over the analytics views names the system and tenant of each row it finds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from finsync.sources.tenants import Target

from .cards import KIND, card_numbers
from .commercial_tieouts import COMMERCIAL_TIE_OUTS
from .database import (
    Warehouse,
    count_rows,
    existing_columns,
    existing_tables,
    meta_value,
    query,
    set_meta_value,
)
from .targets import run_flags
from .tieouts import CLOSED_PERIOD_CHANGES, TIE_OUTS, Rule
from .upstream import stopped_fields
from .views import SCHEMA


@dataclass(frozen=True)
class Finding:
    kind: str
    source: str  # the tenant's label
    batch_id: str
    expected: str
    actual: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


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
    # What a controller must hear about but is no fault of the load (a batch YM revised after it closed,
    # read again): reported, and the check still passes.
    notices: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "findings": [f.as_dict() for f in self.findings],
            "notices": [f.as_dict() for f in self.notices],
            "batches": [{**asdict(s), "total_amount": str(s.total_amount)} for s in self.summaries],
        }


def _orphans(kind: str, counted: str, child: str, link: str, parent: str, key: str, live: str = "TRUE") -> Rule:
    """Rows of `child` (those `live`) whose `link` finds no row of `parent` by its `key`, per missing parent:
    "<how many> <counted> missing from <parent>"."""
    system = child.partition(".")[0]
    return Rule(
        kind,
        system,
        frozenset({child, parent}),
        f"""SELECT '{system}', COALESCE(c.{link}, '(none)'), '0', CAST(COUNT(*) AS VARCHAR),
                  CAST(COUNT(*) AS VARCHAR) || ' {counted} missing from {parent}'
           FROM {child} AS c LEFT JOIN {parent} AS p ON p.{key} = c.{link}
           WHERE p.{key} IS NULL AND {live} GROUP BY c.{link}""",
    )


RULES = (
    Rule(
        "incomplete batch",
        "",
        frozenset({f"{SCHEMA}.batches"}),
        f"""SELECT source_system, tenant, batch_id, CAST(expected_items AS VARCHAR), CAST(loaded_items AS VARCHAR),
                   'expected ' || CAST(expected_items AS VARCHAR) || ' items, loaded ' || CAST(loaded_items AS VARCHAR)
            FROM {SCHEMA}.batches WHERE complete = FALSE AND NOT loaded_items > expected_items""",
    ),
    Rule(
        "batch holds more than expected",
        "",
        frozenset({f"{SCHEMA}.batches"}),
        f"""SELECT source_system, tenant, batch_id, CAST(expected_items AS VARCHAR), CAST(loaded_items AS VARCHAR),
                   'expected ' || CAST(expected_items AS VARCHAR) || ' items, loaded ' || CAST(loaded_items AS VARCHAR)
                   || ': ' || CAST(loaded_items - expected_items AS VARCHAR) || ' more than the batch holds'
            FROM {SCHEMA}.batches WHERE complete = FALSE AND loaded_items > expected_items""",
    ),
    _orphans(
        "items without their batch",
        "items of a batch",
        "ym.finance_batch_items",
        "batch_id",
        "ym.finance_batches",
        "batch_id",
    ),
    _orphans(
        "invoices without their batch",
        "invoices of a batch",
        "younium.invoices",
        "invoice_batch_id",
        "younium.invoice_batches",
        "id",
        live="c.invoice_batch_id IS NOT NULL AND c.deleted_at IS NULL",
    ),
    _orphans(
        "lines without their invoice",
        "invoice lines whose invoice is",
        "younium.invoice_lines",
        "invoice_id",
        "younium.invoices",
        "id",
        live="c.deleted_at IS NULL",
    ),
    Rule(
        "lines differ from their invoice",
        "younium",
        frozenset({"younium.invoice_lines", "younium.invoices"}),
        """SELECT 'younium', i.id, CAST(i.subtotal AS VARCHAR), CAST(COALESCE(SUM(l.subtotal), 0) AS VARCHAR),
                  'invoice ' || i.invoice_number || ' has subtotal ' || CAST(i.subtotal AS VARCHAR)
                  || ', its lines add up to ' || CAST(COALESCE(SUM(l.subtotal), 0) AS VARCHAR)
           FROM younium.invoices AS i
           LEFT JOIN younium.invoice_lines AS l ON l.invoice_id = i.id AND l.deleted_at IS NULL
           WHERE i.deleted_at IS NULL
           GROUP BY i.id, i.invoice_number, i.subtotal
           HAVING COALESCE(SUM(l.subtotal), 0) <> COALESCE(i.subtotal, 0)""",
    ),
    Rule(
        "batch money differs",
        "ym",
        frozenset({"ym.finance_batch_items", "ym.invoice_items"}),
        """SELECT 'ym', b.batch_id, CAST(SUM(i.line_total) AS VARCHAR), CAST(SUM(b.line_total) AS VARCHAR),
                  'batch export totals ' || CAST(SUM(b.line_total) AS VARCHAR)
                  || ', the same items in ym.invoice_items total ' || CAST(SUM(i.line_total) AS VARCHAR)
           FROM ym.finance_batch_items AS b JOIN ym.invoice_items AS i ON i.line_item_id = b.line_item_id
           GROUP BY b.batch_id HAVING SUM(b.line_total) <> SUM(i.line_total)""",
    ),
    Rule(
        "batch money differs",
        "younium",
        frozenset({"younium.invoice_batches__invoices", "younium.invoices"}),
        """SELECT 'younium', l.invoice_batch_id, CAST(SUM(l.total_amount) AS VARCHAR),
                  CAST(SUM(i.total_amount) AS VARCHAR),
                  'batch lists ' || l.currency || ' invoices totalling ' || CAST(SUM(l.total_amount) AS VARCHAR)
                  || ', the loaded invoices total ' || CAST(SUM(i.total_amount) AS VARCHAR)
           FROM younium.invoice_batches__invoices AS l
           JOIN younium.invoice_batches AS b ON b.id = l.invoice_batch_id AND b.deleted_at IS NULL
           JOIN younium.invoices AS i
             ON i.id = l.id AND i.deleted_at IS NULL AND i.invoice_batch_id = l.invoice_batch_id
           GROUP BY l.invoice_batch_id, l.currency HAVING SUM(l.total_amount) <> SUM(i.total_amount)""",
    ),
)

NOTICES = (
    Rule(
        "batch revised after it closed",
        "ym",
        frozenset({"ym.finance_batches__versions"}),
        """SELECT 'ym', batch_id, CAST(MIN(item_count) AS VARCHAR), CAST(MAX(item_count) AS VARCHAR),
                  'YM batch ' || batch_id || ' changed after it closed (ItemCount ' || CAST(MIN(item_count) AS VARCHAR)
                  || ' then ' || CAST(MAX(item_count) AS VARCHAR) || '); finsync read it again, and its items'' '
                  || 'earlier versions are in ym.finance_batch_items__versions'
           FROM ym.finance_batches__versions WHERE closed_date IS NOT NULL
           GROUP BY batch_id
           HAVING COUNT(DISTINCT item_count) > 1 AND MAX(first_load_id) > '{acknowledged}'""",
    ),
)

SUMMARY = f"""
SELECT source_system, tenant, COUNT(*),
       SUM(CASE WHEN complete AND status NOT IN ('open', 'draft') THEN 1 ELSE 0 END),
       SUM(CASE WHEN complete IS NULL OR status IN ('open', 'draft') THEN 1 ELSE 0 END),
       SUM(loaded_items), SUM(total_amount)
FROM {SCHEMA}.batches GROUP BY source_system, tenant ORDER BY source_system, tenant
"""


def reconcile(
    warehouse: Warehouse, sources: list[str], max_age: timedelta | None = None, now: datetime | None = None
) -> Reconciliation:
    """Check the selected tenants (by label: `ym`, `ym:acme`): each has loaded, holds rows, is no older than
    `max_age`, and adds up."""
    result = Reconciliation()
    now = now or datetime.now(timezone.utc)
    if not warehouse.exists():
        result.findings += [Finding("never loaded", s, "", "a successful load", "no warehouse", "") for s in sources]
        return result
    with warehouse.connect(read_only=True) as connection:
        tables = existing_tables(connection) | present_columns(connection, sources)
        for source in sources:
            result.findings += health(connection, tables, Target.parse(source), max_age, now)
            result.findings += repeated_keys(connection, tables, Target.parse(source))
            result.findings += stored_cards(connection, Target.parse(source))
            result.findings += stopped_fields_found(connection, Target.parse(source))
        if f"{SCHEMA}.batches" in tables:
            summaries = [
                (Target(system, tenant).label, int(n), int(done or 0), int(pending or 0), int(items or 0), total)
                for system, tenant, n, done, pending, items, total in query(connection, SUMMARY)
            ]
            result.summaries = [
                BatchSummary(label, n, done, pending, items, Decimal(total or 0))
                for label, n, done, pending, items, total in summaries
                if label in sources
            ]
        result.findings += apply(connection, RULES + TIE_OUTS + COMMERCIAL_TIE_OUTS, tables, sources)
        result.notices += apply(connection, (*NOTICES, CLOSED_PERIOD_CHANGES), tables, sources)
    result.findings.sort(key=lambda f: (f.source, f.kind, f.batch_id))
    return result


def apply(connection: Any, rules: tuple[Rule, ...], tables: set[str], sources: list[str]) -> list[Finding]:
    found = []
    for rule in rules:
        if not rule.source:
            rows = query(connection, rule.sql) if rule.requires <= tables else []
            found += [
                Finding(rule.kind, Target(system, tenant).label, *map(str, rest)) for system, tenant, *rest in rows
            ]
            continue
        for target in (Target.parse(source) for source in sources):
            if target.source == rule.source and {target.over_dataset(t) for t in rule.requires} <= tables:
                sql = target.over_dataset(rule.sql).replace("{acknowledged}", acknowledged(connection, target))
                sql = sql.replace("{tenant}", target.tenant)  # its rows of a view over every tenant
                rows = query(connection, sql)
                found += [Finding(rule.kind, target.label, *map(str, rest)) for _, *rest in rows]
    return sorted((f for f in found if f.source in sources), key=lambda f: (f.source, f.kind, f.batch_id))


def present_columns(connection: Any, sources: list[str]) -> set[str]:
    """`schema.table.column` of the selected tenants' tables, for rules that need a column a table may lack."""
    datasets = {Target.parse(source).dataset for source in sources}
    return {
        f"{dataset}.{table}.{column}"
        for dataset in datasets
        for table, columns in existing_columns(connection, dataset).items()
        for column in columns
    }


def acknowledged(connection: Any, target: Target) -> str:
    """The newest load of `target` whose closed-period changes someone acknowledged ("0": none yet)."""
    return meta_value(connection, f"acknowledged.{target.dataset}") or "0"


def acknowledge(warehouse: Warehouse, sources: list[str]) -> dict[str, str]:
    """Acknowledge the closed-period changes of the selected tenants loaded so far: checks list only those
    loaded after now. Returns the load acknowledged up to, by tenant."""
    done = {}
    with warehouse.connect() as connection:
        tables = existing_tables(connection)
        for target in (Target.parse(source) for source in sources):
            if f"{target.dataset}._dlt_loads" in tables:
                newest = query(connection, f"SELECT MAX(load_id) FROM {target.dataset}._dlt_loads WHERE status = 0")
                if newest[0][0]:
                    set_meta_value(connection, f"acknowledged.{target.dataset}", str(newest[0][0]))
                    done[target.label] = str(newest[0][0])
    return done


def repeated_keys(connection: Any, tables: set[str], target: Target) -> list[Finding]:
    """Every table holds each key once, and every history table each version once (a key and the load that
    first saw it): a key held twice is a row counted twice in every sum over it."""
    from .history import versioned
    from .registry import SOURCES

    spec = SOURCES[target.source]
    keys: list[tuple[str, tuple[str, ...]]] = [(f"{target.dataset}.{t.name}", (t.primary_key,)) for t in spec.tables]
    keys += [(v.versions, (v.table.primary_key, "first_load_id")) for v in versioned(target.dataset, spec.tables)]
    found = []
    for table, key in keys:
        if table not in tables:
            continue
        listed = ", ".join(key)
        extra = query(
            connection,
            f"SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM {table} GROUP BY {listed} "
            "HAVING COUNT(*) > 1) AS repeated",
        )[0][0]
        if extra:
            rows, them = ("1 row", "it") if extra == 1 else (f"{extra:,} rows", "them")
            found.append(
                Finding(
                    "duplicated key",
                    target.label,
                    "",
                    "each key once",
                    f"{rows} too many",
                    f"{table} holds {rows} whose {' and '.join(key)} another row already has, so sums over it count "
                    f"{them} twice; rebuild it from the upstream with `finsync run {run_flags(target)} --full-refresh`",
                )
            )
    return found


def stored_cards(connection: Any, target: Target) -> list[Finding]:
    """A card number in full in any text column fails the check (see `cards`), naming where, never what."""
    return [
        Finding(
            KIND,
            target.label,
            "",
            "no card number in full",
            f"{rows:,} rows",
            f"{table}.{column} holds {rows:,} value(s) shaped like a card number (13 to 19 digits passing the "
            "Luhn check). finsync masks the card columns it knows; this one came from upstream as text (a card "
            f"pasted into a note field, say): remove it there, then `finsync run {run_flags(target)} --full-refresh` "
            "so that no earlier version keeps it",
        )
        for table, column, rows in card_numbers(connection, target)
    ]


def stopped_fields_found(connection: Any, target: Target) -> list[Finding]:
    """A declared field that stopped arriving (see `upstream`) fails the check until it is seen again or
    waived: its column is left empty meanwhile."""
    return [
        Finding(
            "field stopped arriving",
            target.label,
            "",
            "sent by upstream",
            f"absent since {field.missing_since:%Y-%m-%d %H:%M} UTC",
            f"{field.endpoint} has not sent {field.field} since then ({field.records_with:,} of {field.records_read:,} "
            "records read held it): renamed or removed upstream? Its column is left empty meanwhile. Run "
            f"`finsync probe --source {target.source}` to see what upstream sends now; if this tenant no longer "
            f"sends it, add it to sources.{'.'.join(target.section)}.optional_fields",
        )
        for field in stopped_fields(connection, target)
    ]


def health(
    connection: Any, tables: set[str], target: Target, max_age: timedelta | None, now: datetime
) -> list[Finding]:
    """A tenant that never loaded, holds no rows, or last loaded longer ago than `max_age` fails the check."""
    source, dataset = target.label, target.dataset
    if f"{dataset}._dlt_loads" not in tables:
        return [Finding("never loaded", source, "", "a successful load", "none", f"{source} was never loaded here")]
    loads, last = query(
        connection, f"SELECT COUNT(DISTINCT load_id), MAX(inserted_at) FROM {dataset}._dlt_loads WHERE status = 0"
    )[0]
    if not loads:
        return [Finding("never loaded", source, "", "a successful load", "none", f"no load of {source} completed")]
    found = []
    if not any(count_rows(connection, dataset).values()):
        found.append(Finding("no rows", source, "", "rows", "0", f"{source}'s tables are all empty"))
    last_at = last if last.tzinfo else last.replace(tzinfo=timezone.utc)
    if max_age is not None and now - last_at > max_age:
        found.append(
            Finding(
                "stale",
                source,
                "",
                f"a load within {max_age}",
                f"last load {last_at:%Y-%m-%d %H:%M:%S} UTC",
                f"the last successful load of {source} is {timedelta(seconds=int((now - last_at).total_seconds()))} "
                f"old (at most {max_age} allowed)",
            )
        )
    return found
