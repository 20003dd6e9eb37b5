"""The warehouse: where dlt loads (DuckDB file or PostgreSQL), and a plain connection for finsync's own SQL.

Before a run touches it, a warehouse is checked as given (a DuckDB path that can hold a DuckDB file, a
PostgreSQL server that answers and accepts the credentials), so a mistake is named before any upstream
is read. A run holds a lock in the warehouse itself for its source: a PostgreSQL advisory lock keyed by
the dataset (it works across hosts), or a lock file beside the DuckDB file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dlt
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.destination.reference import Destination
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from finsync.errors import Busy, ConfigurationError, SyncError, WarehouseUnusable
from finsync.warehouse import DEFAULT_DUCKDB_PATH

from .locks import session_options

DestinationKind = Literal["duckdb", "postgres"]
POSTGRES_KEY = "destination.postgres.credentials"
# DuckDB's share of the machine during a load (settings warehouse.duckdb_memory_limit / duckdb_threads).
DEFAULT_DUCKDB_MEMORY_LIMIT = "192MB"
DEFAULT_DUCKDB_THREADS = 1
POSTGRES_FILE_BYTES = 4 * 1024 * 1024
# finsync's own facts about a warehouse (e.g. that it holds the sandbox's demo data).
META_SCHEMA = "finsync_meta"
DATASETS = ("ym", "younium", "analytics", META_SCHEMA)
# DuckDB names a database after its file: a file named like a schema (or like DuckDB's own catalogs)
# makes `ym.invoice_items` ambiguous between the two.
RESERVED_DUCKDB_STEMS = frozenset({*DATASETS, "memory", "system", "temp", "main"})
_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


@configspec(init=False)
class PostgresLogin(PostgresCredentials):
    """dlt's PostgreSQL credentials without a required password: trust and peer auth, `PGPASSWORD` and
    `~/.pgpass` log in without one in the DSN."""

    password: TSecretStrValue | None = None  # type: ignore[assignment]  # dlt's base requires one


@dataclass(frozen=True)
class Warehouse:
    """The embedded DuckDB file (default) or the shared PostgreSQL named by its credentials."""

    kind: DestinationKind = "duckdb"
    duckdb_path: Path = DEFAULT_DUCKDB_PATH
    postgres_credentials: str | None = None  # None: from destination.postgres.credentials (env or secrets.toml)

    # -- what dlt loads into ------------------------------------------------------------------------------

    def destination(self) -> Destination[Any, Any]:
        if self.kind == "duckdb":
            credentials = DuckDbCredentials()
            # Set, not parsed from a connection string: dlt parses those with SQLAlchemy (80 ms of imports).
            credentials.database = str(self.duckdb_path.resolve())
            credentials.global_config = duckdb_settings()
            return dlt.destinations.duckdb(credentials)
        # ADBC's COPY builds a file's whole binary copy in memory (0.9 GB for one file of 1M YM items): files
        # rotate at POSTGRES_FILE_BYTES of Parquet (~50k such rows) and copy two at a time, faster than one
        # file and flat in memory (dlt's default of 20 at once would hold 20 copies).
        return dlt.destinations.postgres(
            credentials=self.postgres_login(), recommended_file_size=POSTGRES_FILE_BYTES, max_parallel_load_jobs=2
        )

    @property
    def loader_file_format(self) -> Literal["parquet"] | None:
        """PostgreSQL loads Parquet files through ADBC's binary COPY: the Arrow batches a source yields are written
        once, as Parquet, and never converted to text (a CSV load spends as long converting as copying)."""
        return "parquet" if self.kind == "postgres" else None

    def postgres_login(self) -> PostgresLogin:
        """The PostgreSQL credentials as users give them: a DSN (with or without a password), or dlt's split
        `DESTINATION__POSTGRES__CREDENTIALS__HOST/PORT/DATABASE/USERNAME/PASSWORD` form."""
        login = PostgresLogin()
        try:
            if self.postgres_credentials:
                login.parse_native_representation(self.postgres_credentials)
            else:
                login = resolve_configuration(login, sections=("destination", "postgres", "credentials"))
        except ConfigFieldMissingException as missing:
            raise ConfigurationError(
                POSTGRES_KEY,
                f"is not set or lacks {', '.join(missing.fields) or 'fields'}",
                "Give a postgresql://user[:password]@host:port/database connection string, or set "
                "DESTINATION__POSTGRES__CREDENTIALS__HOST, __DATABASE and __USERNAME.",
            ) from None
        except Exception:
            raise ConfigurationError(
                POSTGRES_KEY, "is not a valid connection string", "Use postgresql://user[:password]@host:port/db."
            ) from None
        if not login.host or not login.database or not login.username:
            raise ConfigurationError(
                POSTGRES_KEY, "names no host, database or user", "Use postgresql://user[:password]@host:port/db."
            )
        # No password: libpq's own (PGPASSWORD, then ~/.pgpass for an empty one), or none for trust auth.
        login.password = login.password or os.environ.get("PGPASSWORD") or ""
        # Every session of a run (finsync's and dlt's) gives up a lock wait soon (see `locks`).
        login.query = {**(login.query or {}), "options": session_options()}
        return login

    def postgres_dsn(self) -> str:
        return self.postgres_login().to_native_representation()

    # -- naming -------------------------------------------------------------------------------------------

    def identity(self) -> str:
        """Names this warehouse without secrets, to keep each warehouse's working data apart."""
        if self.kind == "duckdb":
            return f"duckdb:{self.duckdb_path.resolve()}"
        login = self.postgres_login()
        return f"postgres:{login.host}:{login.port or 5432}/{login.database}"

    def describe(self) -> str:
        if self.kind == "duckdb":
            return str(self.duckdb_path)
        login = self.postgres_login()
        return f"PostgreSQL {login.host}/{login.database}"

    def masked_dsn(self) -> str:
        login = self.postgres_login()
        secret = ":***" if login.password else ""
        return f"postgresql://{login.username}{secret}@{login.host}:{login.port or 5432}/{login.database}"

    def exists(self) -> bool:
        """Whether there is a warehouse yet (PostgreSQL: always; DuckDB: once its file was written)."""
        return self.kind == "postgres" or self.duckdb_path.exists()

    # -- checks before a run -------------------------------------------------------------------------------

    def check_usable(self) -> None:
        """Raise `WarehouseUnusable` naming the flag or setting to change when this warehouse cannot work."""
        if self.kind == "duckdb":
            check_duckdb_path(self.duckdb_path)
        else:
            with self.connect():
                pass

    @contextlib.contextmanager
    def exclusive(self, dataset: str) -> Iterator[None]:
        """Hold the warehouse's lock for `dataset` (one run per source and warehouse, across hosts too)."""
        busy = Busy(
            f"Another finsync run of {dataset} into {self.describe()} is in progress; nothing was done. Let it "
            "finish (or stop it) and run again: a scheduler may simply retry later."
        )
        if self.kind == "duckdb":
            lock_path = self.duckdb_path.with_name(f"{self.duckdb_path.name}.{dataset}.lock")
            with open(lock_path, "w") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise busy from None
                yield
            return
        key = int.from_bytes(hashlib.sha256(f"finsync:{dataset}".encode()).digest()[:8], "big", signed=True)
        with self.connect() as connection:
            connection.autocommit = True
            cursor = connection.cursor()
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (key,))
            if not cursor.fetchone()[0]:
                raise busy
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    cursor.execute("SELECT pg_advisory_unlock(%s)", (key,))

    # -- finsync's own SQL -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[Any]:
        """A DB-API connection (DuckDB or psycopg2), committed on success, rolled back on error."""
        if self.kind == "duckdb":
            if read_only and not self.duckdb_path.exists():
                raise SyncError(f"There is no warehouse at {self.duckdb_path}: run `finsync run` (or demo) first.")
            check_duckdb_path(self.duckdb_path)
        try:
            if self.kind == "duckdb":
                connection = open_duckdb(self.duckdb_path, read_only)
            else:
                import psycopg2

                login = self.postgres_login()
                connection = psycopg2.connect(login.to_native_representation())
        except (ConfigurationError, SyncError):
            raise
        except Exception as error:
            from .diagnose import warehouse_error

            raise warehouse_error(error, self) from None
        try:
            yield connection
            connection.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                connection.rollback()
            raise
        finally:
            connection.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A connection whose statements all commit together, or none does (a kill midway included): DuckDB
        commits each statement by itself unless a transaction is begun."""
        with self.connect() as connection:
            if self.kind == "duckdb":
                connection.execute("BEGIN TRANSACTION")
            yield connection


def open_duckdb(path: Path, read_only: bool = False) -> Any:
    """A connection to the DuckDB file at `path`, whatever its log holds.

    DuckDB binds an `ALTER ... USING` expression again when it replays its log on opening the file, and one
    calling a function of its built-in ICU extension (`AT TIME ZONE`, as a layout upgrade does) makes it try
    to download ICU rather than load it: a process killed before such a change was checkpointed leaves a file
    that no program can open. Attached to an in-memory database, whose built-ins are loaded, the log replays,
    and detaching it checkpoints it into the file."""
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        if "replaying WAL" not in str(error):
            raise
    with duckdb.connect(":memory:") as memory:
        memory.execute(f"ATTACH '{path}' AS warehouse")
        memory.execute("DETACH warehouse")
    return duckdb.connect(str(path), read_only=read_only)


def check_duckdb_path(path: Path) -> None:
    """A DuckDB warehouse must be a DuckDB file (or none yet) in a writable directory, not named like a schema."""
    flag = f"--duckdb-path {path}"
    if path.stem.lower() in RESERVED_DUCKDB_STEMS:
        raise WarehouseUnusable(
            f"{flag}: DuckDB names a database after its file, and `{path.stem}` is also the name of a schema "
            f"finsync writes (or a DuckDB catalog), so `{path.stem}.<table>` would be ambiguous. Give the file "
            f"another name, e.g. --duckdb-path {path.with_name(path.stem + '_warehouse' + path.suffix)}."
        )
    if path.is_dir():
        raise WarehouseUnusable(
            f"{flag} is a directory; give the path of a DuckDB file, e.g. {path / 'finsync.duckdb'}."
        )
    directory = path.resolve().parent
    if not directory.is_dir():
        raise WarehouseUnusable(f"{flag}: the directory {directory} does not exist; create it or choose another path.")
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise WarehouseUnusable(
            f"{flag}: {'the file' if path.exists() else 'the directory ' + str(directory)} is not writable by this "
            "user; fix its permissions or choose another path."
        )
    if path.exists() and path.stat().st_size:
        with path.open("rb") as file:
            header = file.read(12)
        if header[8:12] != _DUCKDB_MAGIC:
            raise WarehouseUnusable(
                f"{flag}: {path} is not a DuckDB database file (it may be another kind of file, or one written by "
                "another program); choose another path, or move that file away."
            )


def duckdb_settings() -> dict[str, Any]:
    """What a load may take of the machine: DuckDB otherwise sizes itself to 80% of memory and every core,
    and a large merge uses what it is given. Rows need no insertion order (finsync queries by key)."""
    memory: Any = dlt.config.get("warehouse.duckdb_memory_limit") or DEFAULT_DUCKDB_MEMORY_LIMIT
    threads: Any = dlt.config.get("warehouse.duckdb_threads") or DEFAULT_DUCKDB_THREADS
    return {"memory_limit": str(memory), "threads": int(threads), "preserve_insertion_order": False}


# DuckDB spills beside its file, into `<file>.tmp/`, and removes it when it closes: a process stopped by a signal
# exits without closing (`os._exit`), so the run removes the one it made itself (never one it found).
_SPILL_DIRS: list[Path] = []


def note_spill_dir(warehouse: Warehouse) -> None:
    """Remember the spill directory of a DuckDB warehouse this run writes, unless it is there already."""
    if warehouse.kind == "duckdb":
        spill = warehouse.duckdb_path.with_name(warehouse.duckdb_path.name + ".tmp")
        if not spill.exists():
            _SPILL_DIRS.append(spill)


def remove_spill_dirs() -> None:
    """Remove the spill directories this run made (see `note_spill_dir`), before the process exits at once."""
    for spill in _SPILL_DIRS:
        shutil.rmtree(spill, ignore_errors=True)


def check_run_settings(warehouse: Warehouse) -> None:
    """The settings every tenant of a run shares, checked once before any starts: where dlt keeps its working
    data can be written to, and DuckDB takes its memory limit and threads. Each is a `ConfigurationError`
    naming the setting and the fix, rather than every tenant failing with the same low-level error."""
    data_dir = Path(dlt.current.run_context().data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as error:
        raise ConfigurationError(
            "DLT_DATA_DIR",
            f"is {data_dir}, where finsync cannot write its working data ({error.strerror or error})",
            "Point it at a directory this user can write (export DLT_DATA_DIR=$HOME/.dlt), or unset it for ~/.dlt.",
        ) from None
    if warehouse.kind != "duckdb":
        return
    import duckdb

    memory: Any = dlt.config.get("warehouse.duckdb_memory_limit") or DEFAULT_DUCKDB_MEMORY_LIMIT
    try:
        with contextlib.closing(duckdb.connect(":memory:")) as connection:
            connection.execute(f"SET memory_limit = '{str(memory).replace(chr(39), '')}'")
    except duckdb.Error:
        raise ConfigurationError(
            "warehouse.duckdb_memory_limit",
            f"is {str(memory)!r}, which is no memory size DuckDB takes",
            "Give a number and a unit, e.g. 192MB or 1GB.",
        ) from None
    threads: Any = dlt.config.get("warehouse.duckdb_threads") or DEFAULT_DUCKDB_THREADS
    if not str(threads).strip().isdigit() or int(threads) < 1:
        raise ConfigurationError(
            "warehouse.duckdb_threads", f"is {str(threads)!r}, not a whole number of threads", "Give 1 or more."
        )


def query(connection: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    # A DuckDB connection's cursor() is a second connection, outside the first one's transaction.
    cursor = connection if not is_postgres(connection) else connection.cursor()
    try:
        cursor.execute(sql, params) if params else cursor.execute(sql)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        if cursor is not connection:
            cursor.close()


def is_postgres(connection: Any) -> bool:
    """Whether a connection from `Warehouse.connect` is PostgreSQL's (else DuckDB's)."""
    return type(connection).__module__.startswith("psycopg2")


def existing_tables(connection: Any) -> set[str]:
    """`schema.table` of every table and view in the warehouse."""
    rows = query(connection, "SELECT table_schema, table_name FROM information_schema.tables")
    return {f"{schema}.{table}" for schema, table in rows}


def existing_columns(connection: Any, schema: str) -> dict[str, set[str]]:
    """The columns of every table of `schema`."""
    rows = query(
        connection, f"SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = '{schema}'"
    )
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


def count_rows(connection: Any, schema: str) -> dict[str, int]:
    """Rows in each data table of `schema` (dlt's own `_dlt_*` tables left out)."""
    names = sorted(t.split(".", 1)[1] for t in existing_tables(connection) if t.startswith(f"{schema}."))
    return {
        name: int(query(connection, f"SELECT COUNT(*) FROM {schema}.{name}")[0][0])
        for name in names
        if not name.startswith("_dlt")
    }


# -- finsync's own facts about the warehouse (the demo's mark, the layout version) ---------------------------


def meta_value(connection: Any, key: str) -> str | None:
    """finsync's own fact `key` about this warehouse (see META_SCHEMA), if it was ever recorded."""
    if f"{META_SCHEMA}.warehouse" not in existing_tables(connection):
        return None
    rows = query(connection, f"SELECT value FROM {META_SCHEMA}.warehouse WHERE key = '{key}'")
    return str(rows[0][0]) if rows else None


def meta_items(connection: Any, prefix: str) -> list[tuple[str, str]]:
    """finsync's facts whose key starts with `prefix`, as (key, value), by key."""
    if f"{META_SCHEMA}.warehouse" not in existing_tables(connection):
        return []
    rows = query(connection, f"SELECT key, value FROM {META_SCHEMA}.warehouse WHERE key LIKE '{prefix}%' ORDER BY key")
    return [(str(key), str(value)) for key, value in rows]


def set_meta_value(connection: Any, key: str, value: str) -> None:
    query(connection, f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    query(connection, f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.warehouse (key VARCHAR PRIMARY KEY, value VARCHAR)")
    query(connection, f"DELETE FROM {META_SCHEMA}.warehouse WHERE key = '{key}'")
    query(connection, f"INSERT INTO {META_SCHEMA}.warehouse VALUES ('{key}', '{value}')")


def purpose(connection: Any) -> str | None:
    """What the warehouse was marked as (`sandbox` for the demo's), if anything."""
    return meta_value(connection, "purpose")


def mark_purpose(connection: Any, value: str) -> None:
    set_meta_value(connection, "purpose", value)
