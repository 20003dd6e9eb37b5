"""Command-line options shared by the `finsync` commands."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .warehouse import Warehouse


class DestinationChoice(str, Enum):
    duckdb = "duckdb"
    postgres = "postgres"


DestinationOption = Annotated[
    DestinationChoice,
    typer.Option(
        "--destination", help="Warehouse: the DuckDB file, or PostgreSQL (DESTINATION__POSTGRES__CREDENTIALS)."
    ),
]
DuckdbPath = Annotated[Path, typer.Option("--duckdb-path", help="DuckDB file of the warehouse.")]


def warehouse(destination: DestinationChoice, duckdb_path: Path) -> Warehouse:
    return Warehouse(destination.value, duckdb_path)  # type: ignore[arg-type]
