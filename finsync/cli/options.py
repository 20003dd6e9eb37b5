"""Command-line options shared by the `finsync` commands."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from finsync.warehouse.database import Warehouse


class DestinationChoice(str, Enum):
    duckdb = "duckdb"
    postgres = "postgres"


DestinationOption = Annotated[
    DestinationChoice,
    typer.Option(
        "--destination", help="Warehouse: the DuckDB file, or PostgreSQL (DESTINATION__POSTGRES__CREDENTIALS)."
    ),
]
DuckdbPath = Annotated[Path, typer.Option("--duckdb-path", metavar="FILE", help="DuckDB file of the warehouse.")]


def warehouse(destination: DestinationChoice, duckdb_path: Path) -> Warehouse:
    from finsync.warehouse.database import Warehouse

    return Warehouse(destination.value, duckdb_path)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str, option: str) -> timedelta:
    """`90m`, `26h`, `2d`, `1h30m` or a number of seconds."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhd]?)", cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise typer.BadParameter(f"expected a duration such as 26h, 90m or 2d, not {text!r}", param_hint=option)
    return timedelta(seconds=sum(float(n) * _UNITS[u or "s"] for n, u in parts))
