"""What each GL account is: its class in the financial statements, and its role in the sub-ledger tie-outs.

Younium's chart of accounts gives no type (the finance facts): an account's class comes from the first
digits of its code, by the table `analytics.account_classes` (prefix -> class; the longest prefix a code
starts with wins). The default fits the BAS chart Nordic Younium tenants keep (1 assets, 20 equity, 2
liabilities, 3 revenue, 4-8 costs and financial items); `[analytics.account_classes]` in .dlt/config.toml
adds prefixes or changes what one means (a class of `unclassified` takes a default prefix away).

An account's role in the tie-outs comes from the documents that post to it, where they say so: the
receivables account each invoice names, the account each payment is booked to, the revenue account each
invoice line names. `[analytics.account_roles]` (role -> account codes) sets a role's accounts instead, for
tenants whose documents do not name them.

The settings reach the views as rows of SQL (`render`), so changing them rebuilds the views.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import dlt

from finsync.errors import ConfigurationError


@dataclass(frozen=True)
class AccountClass:
    name: str
    statement: str  # balance_sheet or income_statement
    order: int  # where its lines stand in the statement
    label: str


BALANCE_SHEET, INCOME_STATEMENT = "balance_sheet", "income_statement"
CLASSES = {
    c.name: c
    for c in (
        AccountClass("assets", BALANCE_SHEET, 10, "Assets"),
        AccountClass("equity", BALANCE_SHEET, 20, "Equity"),
        AccountClass("untaxed_reserves", BALANCE_SHEET, 30, "Untaxed reserves"),
        AccountClass("provisions", BALANCE_SHEET, 40, "Provisions"),
        AccountClass("liabilities", BALANCE_SHEET, 50, "Liabilities"),
        AccountClass("revenue", INCOME_STATEMENT, 110, "Net sales"),
        AccountClass("other_operating_income", INCOME_STATEMENT, 120, "Other operating income"),
        AccountClass("cost_of_sales", INCOME_STATEMENT, 130, "Goods, materials and services bought for resale"),
        AccountClass("external_expenses", INCOME_STATEMENT, 140, "Other external expenses"),
        AccountClass("personnel", INCOME_STATEMENT, 150, "Personnel costs"),
        AccountClass("depreciation", INCOME_STATEMENT, 160, "Depreciation and write-downs"),
        AccountClass("other_operating_expenses", INCOME_STATEMENT, 170, "Other operating expenses"),
        AccountClass("financial_items", INCOME_STATEMENT, 180, "Financial items"),
        AccountClass("appropriations", INCOME_STATEMENT, 190, "Appropriations"),
        AccountClass("tax", INCOME_STATEMENT, 200, "Tax"),
    )
}
UNCLASSIFIED = "unclassified"
# BAS 2024: account class (first digit) and group (first two digits).
BAS = {
    "1": "assets",
    "2": "liabilities",
    "20": "equity",
    "21": "untaxed_reserves",
    "22": "provisions",
    "3": "revenue",
    "38": "other_operating_income",
    "39": "other_operating_income",
    "4": "cost_of_sales",
    "5": "external_expenses",
    "6": "external_expenses",
    "7": "personnel",
    "77": "depreciation",
    "78": "depreciation",
    "79": "other_operating_expenses",
    "8": "financial_items",
    "88": "appropriations",
    "89": "tax",
}
ROLES = ("receivables", "payment", "revenue")
CLASSES_SETTING, ROLES_SETTING = "analytics.account_classes", "analytics.account_roles"


def account_classes() -> dict[str, str]:
    """Prefix -> class: BAS, with the settings over it."""
    given = _setting(CLASSES_SETTING)
    unknown = sorted({str(c) for c in given.values()} - {*CLASSES, UNCLASSIFIED})
    if unknown or not all(str(prefix).strip() for prefix in given):
        raise ConfigurationError(
            CLASSES_SETTING,
            f"names classes that do not exist ({', '.join(unknown)})" if unknown else "has an empty prefix",
            f"Map account code prefixes to one of: {', '.join([*CLASSES, UNCLASSIFIED])}.",
        )
    merged = {**BAS, **{str(prefix).strip(): str(name) for prefix, name in given.items()}}
    return {prefix: name for prefix, name in merged.items() if name != UNCLASSIFIED}


def account_roles() -> dict[str, list[str]]:
    """Role -> the account codes set for it (roles not set are found from the documents)."""
    given = _setting(ROLES_SETTING)
    unknown = sorted(set(given) - set(ROLES))
    if unknown:
        raise ConfigurationError(
            ROLES_SETTING,
            f"names roles that do not exist ({', '.join(unknown)})",
            f"Give account codes for any of: {', '.join(ROLES)}.",
        )
    return {role: [str(c) for c in (codes if isinstance(codes, list) else [codes])] for role, codes in given.items()}


def render(sql: str) -> str:
    """A view's SQL with the settings it names (`{account_classes}`, `{account_roles}`) as rows."""
    if "{account_classes}" in sql:
        rows = [
            f"('{_text(prefix)}', '{name}', '{CLASSES[name].statement}', {CLASSES[name].order}, "
            f"'{_text(CLASSES[name].label)}')"
            for prefix, name in sorted(account_classes().items())
        ]
        sql = sql.replace(
            "{account_classes}", f"(VALUES {', '.join(rows)}) AS c(prefix, class, statement, line_order, label)"
        )
    if "{account_roles}" in sql:
        rows = [f"('{role}', '{_text(code)}')" for role, codes in sorted(account_roles().items()) for code in codes]
        values = (
            f"(VALUES {', '.join(rows)}) AS r(role, account_code)"
            if rows
            else "(SELECT CAST(NULL AS VARCHAR) AS role, CAST(NULL AS VARCHAR) AS account_code WHERE 1 = 0) AS r"
        )
        sql = sql.replace("{account_roles}", values)
    return sql


def _setting(key: str) -> dict[str, Any]:
    value: Any = dlt.config.get(key)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigurationError(
            key, "is not a table of settings", f"Write it as [{key}] in .dlt/config.toml, or as a JSON object."
        )
    return dict(value)


def _text(value: str) -> str:
    return value.replace("'", "''")
