"""The warehouse: where dlt loads (DuckDB file or PostgreSQL), and a plain connection for finsync's own SQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dlt
from dlt.common.configuration.specs import ConnectionStringCredentials
from dlt.common.destination.reference import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from finsync.errors import ConfigurationError, SyncError
from finsync.sources._http import redact

DestinationKind = Literal["duckdb", "postgres"]
DEFAULT_DUCKDB_PATH = Path("finsync.duckdb")
# DuckDB's share of the machine during a load (settings warehouse.duckdb_memory_limit / duckdb_threads).
DEFAULT_DUCKDB_MEMORY_LIMIT = "256MB"
DEFAULT_DUCKDB_THREADS = 1
POSTGRES_KEY = "destination.postgres.credentials"


@dataclass(frozen=True)
class Warehouse:
    """The embedded DuckDB file (default) or the shared PostgreSQL named by its credentials."""

    kind: DestinationKind = "duckdb"
    duckdb_path: Path = DEFAULT_DUCKDB_PATH
    postgres_credentials: str | None = None  # None: read from DESTINATION__POSTGRES__CREDENTIALS or secrets.toml

    def destination(self) -> Destination:
        if self.kind == "duckdb":
            credentials = DuckDbCredentials(str(self.duckdb_path.resolve()))
            credentials.global_config = duckdb_settings()
            return dlt.destinations.duckdb(credentials)
        return dlt.destinations.postgres(credentials=self.postgres_dsn())

    @property
    def loader_file_format(self) -> str | None:
        """PostgreSQL loads through COPY from CSV (Arrow batches skip the row normalizer)."""
        return "csv" if self.kind == "postgres" else None

    def postgres_dsn(self) -> str:
        value: Any = self.postgres_credentials or dlt.secrets.get(POSTGRES_KEY)
        if not value:
            raise ConfigurationError(
                POSTGRES_KEY, "is not set", "Give a postgresql://user:password@host:port/database connection string."
            )
        credentials = ConnectionStringCredentials(value) if isinstance(value, str) else ConnectionStringCredentials()
        if isinstance(value, Mapping):
            credentials.drivername = "postgresql"
            for field in ("username", "password", "host", "port", "database"):
                setattr(credentials, field, value.get(field))
        if not credentials.host or not credentials.database:
            raise ConfigurationError(
                POSTGRES_KEY, "has no host or database", "Use postgresql://user:password@host:port/db."
            )
        return credentials.to_native_representation()

    def identity(self) -> str:
        """Names this warehouse without secrets, to keep each warehouse's working data apart."""
        if self.kind == "duckdb":
            return f"duckdb:{self.duckdb_path.resolve()}"
        parsed = ConnectionStringCredentials(self.postgres_dsn())
        return f"postgres:{parsed.host}:{parsed.port or 5432}/{parsed.database}"

    def describe(self) -> str:
        if self.kind == "duckdb":
            return str(self.duckdb_path)
        parsed = ConnectionStringCredentials(self.postgres_dsn())
        return f"PostgreSQL {parsed.host}/{parsed.database}"

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[Any]:
        """A DB-API connection (DuckDB or psycopg2), committed on success, rolled back on error."""
        try:
            if self.kind == "duckdb":
                import duckdb

                if read_only and not self.duckdb_path.exists():
                    raise SyncError(f"There is no warehouse at {self.duckdb_path}: run `finsync run` (or demo) first.")
                connection = duckdb.connect(str(self.duckdb_path), read_only=read_only)
            else:
                import psycopg2

                connection = psycopg2.connect(self.postgres_dsn())
        except (ConfigurationError, SyncError):
            raise
        except Exception as error:
            raise SyncError(f"Cannot open the warehouse {self.describe()}: {redact(str(error)).strip()}") from None
        try:
            yield connection
            connection.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                connection.rollback()
            raise
        finally:
            connection.close()


def duckdb_settings() -> dict[str, Any]:
    """What a load may take of the machine: DuckDB otherwise sizes itself to 80% of memory and every core,
    and a large merge uses what it is given. Rows need no insertion order (finsync queries by key)."""
    memory = dlt.config.get("warehouse.duckdb_memory_limit") or DEFAULT_DUCKDB_MEMORY_LIMIT
    threads = dlt.config.get("warehouse.duckdb_threads") or DEFAULT_DUCKDB_THREADS
    return {"memory_limit": str(memory), "threads": int(threads), "preserve_insertion_order": False}


def query(connection: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params) if params else cursor.execute(sql)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def existing_tables(connection: Any) -> set[str]:
    """`schema.table` of every table and view in the warehouse."""
    rows = query(connection, "SELECT table_schema, table_name FROM information_schema.tables")
    return {f"{schema}.{table}" for schema, table in rows}


def count_rows(connection: Any, schema: str) -> dict[str, int]:
    """Rows in each data table of `schema` (dlt's own `_dlt_*` tables left out)."""
    names = sorted(t.split(".", 1)[1] for t in existing_tables(connection) if t.startswith(f"{schema}."))
    return {
        name: int(query(connection, f"SELECT COUNT(*) FROM {schema}.{name}")[0][0])
        for name in names
        if not name.startswith("_dlt")
    }
