"""A read-only copy of a DuckDB warehouse for BI tools and notebooks, published after every successful run.

DuckDB lets one process write a file or any number of processes read it, never both: a dashboard holding
the warehouse open would make every run fail. Readers open the copy instead. It is replaced by a rename,
so a reader that has it open keeps reading the version it opened, and a new connection sees the new one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dlt
import duckdb

from finsync.errors import ConfigurationError

from .database import Warehouse

SETTING = "warehouse.duckdb_reader_copy"


def reader_copy_path(flag: Path | None) -> Path | None:
    """Where to publish: the flag, else the setting, else nowhere."""
    configured = flag or dlt.config.get(SETTING)
    return Path(configured) if configured else None


def publish_reader_copy(warehouse: Warehouse, target: Path) -> Path:
    """Copy the warehouse, consistent as of now, to `target` (replaced atomically)."""
    source = warehouse.duckdb_path.resolve()
    target = target.resolve()
    if target == source:
        raise ConfigurationError(SETTING, "names the warehouse itself", "Give the reader copy a path of its own.")
    if not target.parent.is_dir():
        raise ConfigurationError(SETTING, f"names a file in {target.parent}, which does not exist")
    with duckdb.connect(str(source)) as writer:
        writer.execute("CHECKPOINT")  # everything in the file itself, nothing left in the write-ahead log
    partial = target.with_name(f".{target.name}.partial")
    # Holding a read-only connection keeps any writer out while the file is copied.
    with duckdb.connect(str(source), read_only=True):
        shutil.copyfile(source, partial)
    os.replace(partial, target)
    return target
