"""Shared test setup: every test gets its own dlt working directory, so no run leaks state into another."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_dlt_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path_factory.mktemp("dlt-data")))
    monkeypatch.delenv("RUNTIME__LOG_LEVEL", raising=False)
