"""The analysis notebook runs as a user runs it (`jupyter execute` from the repository's root or from the
directory holding the demo warehouse), draws every chart, and `finsync report` writes it as one HTML file."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import nbformat
import pytest
from typer.testing import CliRunner

from finsync.cli import app

from .conftest import finsync_env, run_finsync

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
NOTEBOOK = ROOT / "notebooks" / "finance_overview.ipynb"
JUPYTER = str(Path(sys.executable).with_name("jupyter"))
CHARTS = 6  # revenue by month, by account, receivables aging, receivables at month ends, batches, top customers


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("demo") / "finsync-demo.duckdb"
    demo = CliRunner().invoke(app, ["demo", "--duckdb-path", str(warehouse)])
    assert demo.exit_code == 0, demo.output
    return warehouse


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(
        not cell.get("outputs") and not cell.get("execution_count")
        for cell in notebook.cells
        if cell.cell_type == "code"
    )


def jupyter_execute(notebook: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """What a user types in a shell (which sets PWD to where they are)."""
    command = f"{JUPYTER} execute --output=executed {notebook}"
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=300)


def charts_and_errors(path: Path) -> tuple[int, list[str]]:
    executed = nbformat.read(path, as_version=4)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    return sum("image/png" in o.get("data", {}) for o in outputs), [
        o.ename for o in outputs if o.output_type == "error"
    ]


def checkout_with(warehouse: Path, root: Path) -> Path:
    """A copy of the repository's notebook folder, as a checkout has it, with the demo warehouse at its root."""
    (root / "notebooks").mkdir(parents=True)
    shutil.copyfile(NOTEBOOK, root / "notebooks" / NOTEBOOK.name)
    shutil.copyfile(warehouse, root / warehouse.name)
    return root


def test_jupyter_execute_from_the_repository_root_finds_the_demo_warehouse_and_draws_every_chart(
    demo_warehouse: Path, tmp_path: Path
) -> None:
    checkout = checkout_with(demo_warehouse, tmp_path / "checkout")
    ran = jupyter_execute("notebooks/finance_overview.ipynb", checkout)
    assert ran.returncode == 0, ran.stderr
    assert charts_and_errors(checkout / "notebooks" / "executed.ipynb") == (CHARTS, [])
    with duckdb.connect(str(checkout / "finsync-demo.duckdb")) as writable:  # the notebook let go of it
        writable.execute("SELECT 1")


def test_jupyter_execute_from_elsewhere_still_finds_the_warehouse_beside_the_notebooks_folder(
    demo_warehouse: Path, tmp_path: Path
) -> None:
    checkout = checkout_with(demo_warehouse, tmp_path / "checkout")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ran = jupyter_execute(str(checkout / "notebooks" / "finance_overview.ipynb"), elsewhere)
    assert ran.returncode == 0, ran.stderr
    assert charts_and_errors(checkout / "notebooks" / "executed.ipynb") == (CHARTS, [])


def test_finsync_report_writes_one_html_file_with_every_chart_embedded(demo_warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "finance.html"
    made = CliRunner().invoke(app, ["report", "--duckdb-path", str(demo_warehouse), "--out", str(target)])
    assert made.exit_code == 0, made.output
    html = target.read_text()
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == CHARTS
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html, "no error or warning output in the report"


def test_finsync_report_on_a_warehouse_without_data_says_to_sync_first(tmp_path: Path) -> None:
    made = run_finsync(["report", "--duckdb-path", "none.duckdb"], finsync_env(tmp_path, {}), tmp_path)
    assert made.returncode == 1 and "run `finsync run`" in made.stderr
    assert not (tmp_path / "report.html").exists()
