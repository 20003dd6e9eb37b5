"""The recurring-revenue sections of the finance overview, from Younium's subscriptions and bookings: ARR at
each month end with how it moved, and bookings by month. Each returns None while no tenant has subscriptions
loaded. As everywhere in the overview, amounts in different currencies never share an axis: each tenant's
figures are in its base currency, on axes of their own (`overview.mark_currency`)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from . import overview
from .overview import Connection, currency_axes, finished, mark_currency, month_end_label, month_label, source_label

# The movements stacked in each month's bar, gains above zero and losses below.
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")
COLOURS = {
    "new": "tab:green",
    "reactivation": "tab:olive",
    "expansion": "tab:blue",
    "contraction": "tab:orange",
    "churn": "tab:red",
}
# Younium's classification of each booking, in the movements' colours.
CLASSIFICATIONS = {
    "NewCustomer": "new",
    "Reactivate": "reactivation",
    "Expansion": "expansion",
    "Contraction": "contraction",
    "CustomerChurn": "churn",
}


def arr_movements(connection: Connection) -> tuple[pd.DataFrame, Figure] | None:
    """ARR (12 times contract MRR) at each month end per tenant, and the month's movements annualised: two axes
    per tenant and base currency, ARR above, its movements below as stacked bars."""
    sums = ", ".join(f"12 * SUM({m}_mrr_base) AS {m}" for m in MOVEMENTS)
    table = overview.sql(
        connection,
        f"""
        SELECT tenant, month, base_currency, {sums}, 12 * SUM(closing_mrr_base) AS arr
        FROM analytics.mrr_movements
        GROUP BY 1, 2, 3
        ORDER BY 1, 2
        """,
    )
    if table.empty:
        return None
    table["source"] = [source_label("younium", t) for t in table.tenant]
    groups = list(table.groupby(["source", "base_currency"]))
    figure, axes = currency_axes(2 * len(groups), height=3.4)
    for (level, moves), ((source, currency), rows) in zip(zip(axes[::2], axes[1::2], strict=True), groups, strict=True):
        labels = [month_end_label(d) for d in rows.month]
        arr = pd.Series(list(rows.arr), index=labels).astype(float)
        arr.plot(kind="bar", ax=level, color="tab:gray", width=0.8)
        level.set_title(f"ARR at each month end: {source} ({currency})")
        level.set_ylabel(f"ARR ({currency})")
        level.set_xlabel("")
        wide = rows.set_index(pd.Index(labels))[list(MOVEMENTS)].astype(float)
        wide.plot(kind="bar", stacked=True, ax=moves, width=0.8, color=[COLOURS[m] for m in MOVEMENTS])
        moves.axhline(0, color="black", linewidth=0.6)
        moves.set_title(f"How ARR moved each month: {source} ({currency})")
        moves.set_ylabel(f"ARR change ({currency})")
        moves.set_xlabel("month end")
        moves.legend(title="movement", ncols=len(MOVEMENTS), fontsize="small")
        for axis in (level, moves):
            axis.tick_params(axis="x", labelsize="small", labelrotation=90)
            mark_currency(axis, currency)
    shown = ["source", "month", "base_currency", "arr", *MOVEMENTS]
    return table[shown].reset_index(drop=True), finished(figure)


def bookings_by_month(connection: Connection) -> tuple[pd.DataFrame, Figure] | None:
    """Booked CMRR per month of the booking date, by Younium's classification: one axis per tenant and base
    currency, a stacked bar per month (contraction and churn below zero)."""
    table = overview.sql(
        connection,
        """
        SELECT tenant, month, base_currency, classification_type AS classification,
               SUM(cmrr_base) AS cmrr, SUM(booking_count) AS bookings
        FROM analytics.bookings_by_month
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 4
        """,
    )
    if table.empty:
        return None
    table["source"] = [source_label("younium", t) for t in table.tenant]
    groups = list(table.groupby(["source", "base_currency"]))
    figure, axes = currency_axes(len(groups))
    for axis, ((source, currency), rows) in zip(axes, groups, strict=True):
        wide = rows.pivot(index="month", columns="classification", values="cmrr").fillna(0).astype(float)
        wide.index = [month_label(m) for m in wide.index]
        colours = [COLOURS.get(CLASSIFICATIONS.get(c, ""), "tab:gray") for c in wide.columns]
        wide.plot(kind="bar", stacked=True, ax=axis, width=0.8, color=colours)
        axis.axhline(0, color="black", linewidth=0.6)
        axis.set_title(f"Booked CMRR by month: {source} ({currency})")
        axis.set_ylabel(f"booked CMRR ({currency})")
        axis.set_xlabel("month of the booking date")
        axis.legend(title="classification", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
        mark_currency(axis, currency)
    return table[["source", "month", "base_currency", "classification", "cmrr", "bookings"]], finished(figure)
