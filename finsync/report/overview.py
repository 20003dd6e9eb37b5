"""What the finance overview notebook shows: its header, tables and charts, read from the `analytics` views.

The notebook (`finance_overview.ipynb`) calls one function per section; each returns the section's table
and its figure. Amounts in different currencies never share an axis: a chart of amounts has one axis per
base currency (a tenant's figures are in its base currency), its unit in the axis label, and each such axis
records its currency as its `gid` (`currency:SEK`), for whoever checks the figure. Amounts are exact
decimals in the warehouse; they become floats only to be drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Protocol
from urllib.parse import urlsplit

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
TOP_CUSTOMERS = 10
TOP_ACCOUNTS = 15


class Connection(Protocol):
    """A DB-API connection (DuckDB's or psycopg2's)."""

    def cursor(self) -> Any: ...


def sql(connection: Connection, query: str) -> pd.DataFrame:
    """The rows of `query`, as a DataFrame with the query's column names."""
    cursor = connection.cursor()
    try:
        cursor.execute(query)
        return pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])
    finally:
        cursor.close()


def source_label(system: str, tenant: str) -> str:
    """A tenant as finsync names it in its summaries: `ym` for the default tenant, `ym:south` for another."""
    return system if tenant == "default" else f"{system}:{tenant}"


def warehouse_label(duckdb_path: str | None, postgres_dsn: str | None) -> str:
    """The warehouse read: the DuckDB file's absolute path, or the PostgreSQL server and database (never
    the user or password)."""
    if postgres_dsn:
        parts = urlsplit(postgres_dsn)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"PostgreSQL {host}{port}{parts.path or '/'}"
    return f"DuckDB {duckdb_path}"


@dataclass(frozen=True)
class Header:
    warehouse: str
    tenants: pd.DataFrame  # source, base currency, last load (UTC)
    as_of: datetime | None  # the newest load of any tenant

    def markdown(self) -> str:
        as_of = f"{self.as_of:%Y-%m-%d %H:%M} UTC" if self.as_of is not None else "never loaded"
        tenants = ", ".join(
            f"{row.source} ({row.base_currency})" for row in self.tenants.itertuples() if row.base_currency
        )
        return (
            f"**Warehouse:** {self.warehouse}  \n"
            f"**Tenants:** {tenants or 'none'}  \n"
            f"**As of:** {as_of} (the newest load)"
        )


def header(connection: Connection, warehouse: str) -> Header:
    """Which warehouse this is, its tenants with their base currencies and last loads, and as of when."""
    schemas = sql(
        connection,
        "SELECT DISTINCT table_schema FROM information_schema.tables "
        "WHERE table_name = '_dlt_loads' ORDER BY table_schema",
    ).table_schema.tolist()
    loads = {
        schema: sql(
            connection, f'SELECT MAX(inserted_at) AS newest FROM "{schema}"._dlt_loads WHERE status = 0'
        ).newest[0]
        for schema in schemas
        if not schema.endswith("_staging")
    }
    tenants = sql(
        connection,
        "SELECT DISTINCT source_system, tenant, base_currency FROM analytics.invoices ORDER BY source_system, tenant",
    )
    tenants["source"] = [source_label(s, t) for s, t in zip(tenants.source_system, tenants.tenant, strict=True)]
    tenants["dataset"] = [
        s if t == "default" else f"{s}_{t}" for s, t in zip(tenants.source_system, tenants.tenant, strict=True)
    ]
    tenants["last_load"] = [_utc(loads.get(d)) for d in tenants.dataset]
    newest = [at for at in (_utc(at) for at in loads.values()) if at is not None]
    return Header(warehouse, tenants[["source", "base_currency", "last_load"]], max(newest) if newest else None)


def _utc(moment: Any) -> datetime | None:
    if moment is None or (isinstance(moment, float) and math.isnan(moment)) or pd.isna(moment):
        return None
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    moment_utc: datetime = stamp.to_pydatetime().astimezone(timezone.utc)
    return moment_utc


def month_label(month: date) -> str:
    """A calendar month: `Mar 2026`."""
    return f"{month:%b %Y}"


def month_end_label(day: date) -> str:
    """A month's (a period's) last day: `31 Mar 2026`."""
    return f"{day.day} {day:%b %Y}"


def currency_axes(count: int, width: float = 11, height: float = 3.6) -> tuple[Figure, list[Axes]]:
    """A figure of `count` axes one above the other."""
    figure, axes = plt.subplots(count, 1, figsize=(width, height * count), squeeze=False)
    return figure, list(axes[:, 0])


def mark_currency(axis: Axes, currency: str, amounts: str = "y") -> None:
    """Record that `axis` draws amounts in `currency`, and write them whole, with thousands separators, on
    its `amounts` axis (no `1e6` offset)."""
    axis.set_gid(f"currency:{currency}")
    (axis.yaxis if amounts == "y" else axis.xaxis).set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def axis_currency(axis: Axes) -> str | None:
    """The currency of the amounts `axis` draws, or None for an axis of no amounts (items, invoices)."""
    gid = axis.get_gid()
    return gid.removeprefix("currency:") if gid and gid.startswith("currency:") else None


def _money(values: pd.Series) -> pd.Series:
    return values.astype(float)


def finished(figure: Figure) -> Figure:
    figure.tight_layout()
    return figure


def revenue_by_month(connection: Connection) -> tuple[pd.DataFrame, Figure]:
    """Revenue per calendar month and tenant: one axis per base currency, a bar per tenant and month."""
    table = sql(
        connection,
        """
        SELECT month, source_system, tenant, base_currency, SUM(revenue_base) AS revenue
        FROM analytics.revenue_by_month
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3
        """,
    )
    assert not table.empty, "no revenue yet"
    table["source"] = [source_label(s, t) for s, t in zip(table.source_system, table.tenant, strict=True)]
    months = sorted(set(table.month))
    currencies = sorted(set(table.base_currency))
    figure, axes = currency_axes(len(currencies))
    for axis, currency in zip(axes, currencies, strict=True):
        rows = table[table.base_currency == currency]
        wide = rows.pivot(index="month", columns="source", values="revenue").reindex(months).fillna(0)
        wide.index = [month_label(m) for m in wide.index]
        wide.astype(float).plot(kind="bar", ax=axis, width=0.8)
        axis.set_title(f"Revenue by month, {currency}")
        axis.set_ylabel(f"revenue ({currency})")
        axis.set_xlabel("month of the invoice")
        axis.legend(title="source")
        mark_currency(axis, currency)
    table = table[["month", "source", "base_currency", "revenue"]]
    return table, finished(figure)


def revenue_by_account(connection: Connection) -> tuple[pd.DataFrame, Figure]:
    """Revenue per GL / revenue account, its name beside its code: one axis per base currency."""
    table = sql(
        connection,
        """
        SELECT source_system, tenant, base_currency, COALESCE(gl_account, '(none)') AS account,
               MAX(gl_account_name) AS account_name, SUM(revenue_base) AS revenue
        FROM analytics.invoice_lines
        WHERE is_revenue
        GROUP BY 1, 2, 3, 4
        ORDER BY 6 DESC
        """,
    )
    assert not table.empty, "no revenue yet"
    table["source"] = [source_label(s, t) for s, t in zip(table.source_system, table.tenant, strict=True)]
    table["label"] = [
        f"{source}: {account_title(code, name)}"
        for source, code, name in zip(table.source, table.account, table.account_name, strict=True)
    ]
    currencies = sorted(set(table.base_currency))
    heights = [min(TOP_ACCOUNTS, int((table.base_currency == c).sum())) for c in currencies]
    figure, grid = plt.subplots(
        len(currencies), 1, figsize=(10, 1.2 + 0.35 * sum(heights) + 0.9 * len(currencies)), squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )  # fmt: skip
    for axis, currency in zip(grid[:, 0], currencies, strict=True):
        rows = table[table.base_currency == currency].head(TOP_ACCOUNTS)
        _money(rows.set_index("label").revenue).sort_values().plot(kind="barh", ax=axis)
        axis.set_title(f"Revenue by GL / revenue account, {currency}")
        axis.set_xlabel(f"revenue ({currency})")
        axis.set_ylabel("")
        mark_currency(axis, currency, amounts="x")
    return table[["source", "base_currency", "account", "account_name", "revenue"]], finished(figure)


def account_title(code: str, name: str | None) -> str:
    """`3011 Subscription revenue`: the code and its name (once, when the name is the code or holds it)."""
    if not name or name == code or name.startswith(f"{code} "):
        return name or code
    return f"{code} {name}"


def receivables_aging(connection: Connection) -> tuple[pd.DataFrame, Figure]:
    """What customers still owe as of each tenant's last load, by days past due: one axis per base currency."""
    table = sql(
        connection,
        """
        SELECT source_system, tenant, base_currency, bucket, MAX(as_of_date) AS as_of,
               SUM(open_balance_base) AS open_balance, SUM(invoice_count) AS invoices
        FROM analytics.receivables_aging
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3
        """,
    )
    assert not table.empty, "no open receivables"
    table["source"] = [source_label(s, t) for s, t in zip(table.source_system, table.tenant, strict=True)]
    currencies = sorted(set(table.base_currency))
    figure, axes = currency_axes(len(currencies), width=9)
    for axis, currency in zip(axes, currencies, strict=True):
        rows = table[table.base_currency == currency]
        wide = rows.pivot(index="bucket", columns="source", values="open_balance").reindex(AGING_BUCKETS).fillna(0)
        wide.astype(float).plot(kind="bar", ax=axis, rot=0)
        as_of = ", ".join(sorted({f"{d:%Y-%m-%d}" for d in rows.as_of}))
        axis.set_title(f"Open receivables by days past due, {currency} (as of {as_of})")
        axis.set_ylabel(f"open balance ({currency})")
        axis.set_xlabel("days past due")
        axis.legend(title="source")
        mark_currency(axis, currency)
    table["bucket"] = pd.Categorical(table.bucket, AGING_BUCKETS, ordered=True)
    table = table.sort_values(["source", "bucket"])[
        ["source", "base_currency", "as_of", "bucket", "open_balance", "invoices"]
    ]
    return table, finished(figure)


def receivables_at_period_end(connection: Connection) -> tuple[pd.DataFrame, Figure] | None:
    """Younium receivables at each period's (month's) end, labelled with that end: one axis per tenant (its
    base currency). None when no tenant has its ledger loaded."""
    table = sql(
        connection,
        """
        SELECT tenant, period, as_of_date AS month_end, base_currency, SUM(open_base) AS open_balance
        FROM analytics.receivables_at_period_end
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 3
        """,
    )
    if table.empty:
        return None
    table["source"] = [source_label("younium", t) for t in table.tenant]
    groups = list(table.groupby(["source", "base_currency"]))
    figure, axes = currency_axes(len(groups))
    for axis, ((source, currency), rows) in zip(axes, groups, strict=True):
        series = _money(rows.set_index("month_end").open_balance)
        series.index = [month_end_label(d) for d in series.index]
        series.plot(kind="bar", ax=axis, rot=0, color="tab:purple")
        axis.set_title(f"Receivables at each month end: {source} ({currency})")
        axis.set_ylabel(f"open balance ({currency})")
        axis.set_xlabel("month end")
        mark_currency(axis, currency)
    return table[["source", "period", "month_end", "base_currency", "open_balance"]], finished(figure)


def batches(connection: Connection) -> tuple[pd.DataFrame, Figure]:
    """Each source's latest batches, items expected against loaded (a count, not an amount)."""
    table = sql(
        connection,
        """
        SELECT source_system, tenant, batch_number, status, expected_items, loaded_items, complete, created_at
        FROM analytics.batches
        ORDER BY source_system, tenant, created_at
        """,
    )
    assert not table.empty, "no batches"
    table["source"] = [source_label(s, t) for s, t in zip(table.source_system, table.tenant, strict=True)]
    summary = (
        table.groupby(["source", "status"])
        .agg(batches=("batch_number", "count"), complete=("complete", lambda c: int((c == True).sum())))  # noqa: E712
        .reset_index()
    )
    recent = table.groupby("source").tail(10)
    figure, axis = plt.subplots(figsize=(11, 4))
    positions = range(len(recent))
    axis.bar([p - 0.2 for p in positions], recent.expected_items.astype(float), width=0.4, label="expected")
    axis.bar([p + 0.2 for p in positions], recent.loaded_items.astype(float), width=0.4, label="loaded")
    axis.set_xticks(list(positions), list(recent.source + " " + recent.batch_number.astype(str)), rotation=60)
    axis.set_title("Latest batches: expected vs loaded items")
    axis.set_ylabel("items")
    axis.legend()
    return summary, finished(figure)


def top_customers(connection: Connection) -> tuple[pd.DataFrame, Figure]:
    """The customers with the most revenue, the top ten per base currency, each currency on its own axis."""
    table = sql(
        connection,
        """
        SELECT source_system, tenant, base_currency, customer_name AS customer, SUM(revenue_base) AS revenue
        FROM analytics.invoice_lines
        WHERE is_revenue
        GROUP BY 1, 2, 3, 4
        """,
    )
    assert not table.empty, "no revenue yet"
    table["source"] = [source_label(s, t) for s, t in zip(table.source_system, table.tenant, strict=True)]
    table = (
        table.sort_values("revenue", ascending=False)
        .groupby("base_currency", sort=True)
        .head(TOP_CUSTOMERS)
        .sort_values(["base_currency", "revenue"], ascending=[True, False])
    )
    currencies = sorted(set(table.base_currency))
    figure, grid = plt.subplots(len(currencies), 1, figsize=(10, 4.2 * len(currencies)), squeeze=False)
    for axis, currency in zip(grid[:, 0], currencies, strict=True):
        rows = table[table.base_currency == currency]
        labels = [f"{s}: {c}" for s, c in zip(rows.source, rows.customer, strict=True)]
        _money(pd.Series(list(rows.revenue), index=labels)).sort_values().plot(kind="barh", ax=axis)
        axis.set_title(f"Top {TOP_CUSTOMERS} customers by revenue, {currency}")
        axis.set_xlabel(f"revenue ({currency})")
        mark_currency(axis, currency, amounts="x")
    return table[["source", "base_currency", "customer", "revenue"]].reset_index(drop=True), finished(figure)


def currencies_named(axis: Axes, known: Sequence[str]) -> set[str]:
    """The currencies of `known` that an axis's title, axis labels, tick labels and legend name."""
    texts = [axis.get_title(), axis.get_xlabel(), axis.get_ylabel()]
    texts += [t.get_text() for t in (*axis.get_xticklabels(), *axis.get_yticklabels())]
    legend = axis.get_legend()
    if legend is not None:
        texts += [t.get_text() for t in legend.get_texts()]
    return {c for c in known if any(c in text for text in texts)}
