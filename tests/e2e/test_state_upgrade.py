"""A warehouse whose committed state an earlier finsync wrote (state layout 1: one key per kind of memory, each
by list) is upgraded in place by the next run, which reads nothing again that it had read."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from dlt.common.versioned_state import compress_state, decompress_state

from finsync.sources.state import VERSION
from finsync.warehouse.database import Warehouse, query
from finsync.warehouse.runner import sync
from finsync_sandbox import SandboxServer

from .conftest import ym_settings, younium_settings


def layout_1(source: dict[str, Any]) -> dict[str, Any]:
    """A source state as finsync kept it before layout 2."""
    old: dict[str, Any] = {}
    for name, memory in source.pop("lists", {}).items():
        for key, into in (("cursor", "cursors"), ("swept", "sweeps"), ("rows", "rows_last_read")):
            if key in memory:
                old.setdefault(into, {})[name] = memory[key]
        if "digest" in memory:
            old.setdefault("digest_last_read", {})[name] = memory["digest"]
        if "whole" in memory:
            old.setdefault("whole_reads", {})[name] = {"whole": memory["whole"], "sweep": memory.get("sweep_cost")}
        for kind in ("read_by_id", "written"):
            if kind in memory:
                old[f"{name}_{kind}"] = memory[kind]
    if "ym_batches" in source:
        old["batches"] = source.pop("ym_batches")
    if "tenant" in source:
        old["tenant_written"] = source.pop("tenant")
    source.pop("version", None)
    return {**source, **old}


def downgrade_committed_state(warehouse: Warehouse, dataset: str) -> None:
    with warehouse.connect() as connection:
        rows = query(
            connection,
            f"SELECT version, state FROM {dataset}._dlt_pipeline_state ORDER BY version DESC LIMIT 1",
        )
        version, state = rows[0]
        pipeline_state = decompress_state(state)
        name = next(iter(pipeline_state["sources"]))
        pipeline_state["sources"][name] = layout_1(pipeline_state["sources"][name])
        assert "lists" not in pipeline_state["sources"][name]
        query(
            connection,
            f"UPDATE {dataset}._dlt_pipeline_state SET state = '{compress_state(pipeline_state)}' "
            f"WHERE version = {version}",
        )


def test_a_state_an_earlier_finsync_committed_is_upgraded_and_nothing_read_is_read_again(
    sandbox: SandboxServer, warehouse: Warehouse, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    for _ in range(3):  # the second run reads the overlap's records by id once; the third finds nothing new
        sandbox.sandbox.requests.clear()
        sync("ym", warehouse, settings=ym_settings(sandbox))
        sync("younium", warehouse, settings=younium_settings(sandbox))
    a_rerun = dict(sandbox.sandbox.requests)  # what a run that finds nothing new asks

    for dataset in ("ym", "younium"):
        downgrade_committed_state(warehouse, dataset)
    shutil.rmtree(tmp_path / "dlt")  # the next run adopts the warehouse's state
    sandbox.sandbox.requests.clear()
    ym = sync("ym", warehouse, settings=ym_settings(sandbox))
    younium = sync("younium", warehouse, settings=younium_settings(sandbox))

    assert dict(sandbox.sandbox.requests) == a_rerun, "no export, page or record read again"
    assert not any(ym.new_rows(t) for t in ym.table_rows) and not any(younium.new_rows(t) for t in younium.table_rows)
    assert not any(ym.versions_added.values()) and not any(younium.versions_added.values())
    with warehouse.connect() as connection:
        state = decompress_state(
            query(connection, "SELECT state FROM younium._dlt_pipeline_state ORDER BY version DESC LIMIT 1")[0][0]
        )
    assert state["sources"]["younium"]["version"] == VERSION and "lists" in state["sources"]["younium"]
