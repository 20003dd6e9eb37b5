"""A run stopped by a signal exits at once, without DuckDB closing: the spill directory DuckDB made beside the
warehouse (`<file>.tmp/`) is removed by the run, and one it found there is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from finsync.warehouse import database
from finsync.warehouse.database import Warehouse, note_spill_dir, remove_spill_dirs


def test_the_spill_directory_a_run_made_goes_and_one_it_found_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "_SPILL_DIRS", [])
    made, found = tmp_path / "made.duckdb.tmp", tmp_path / "found.duckdb.tmp"
    found.mkdir()
    note_spill_dir(Warehouse("duckdb", tmp_path / "made.duckdb"))
    note_spill_dir(Warehouse("duckdb", tmp_path / "found.duckdb"))
    made.mkdir()
    (made / "duckdb_temp_storage-0.tmp").write_bytes(b"spilled")

    remove_spill_dirs()

    assert not made.exists() and found.exists()
