"""The analysis notebook runs as a user runs it (`jupyter execute` from the repository's root or from the
directory holding the demo warehouse), draws every chart, and `finsync report` writes it as one HTML file: a
header naming the warehouse it read, its tenants and the newest load, no code, and never two currencies on one
axis."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import matplotlib
import nbformat
import pytest
from typer.testing import CliRunner

from finsync.cli import app
from finsync.report import overview, recurring
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import ENTITIES, finsync_env, run_finsync, tenant_env

matplotlib.use("Agg")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
NOTEBOOK = ROOT / "notebooks" / "finance_overview.ipynb"
JUPYTER = str(Path(sys.executable).with_name("jupyter"))
# Revenue by month, by account, receivables aging, receivables at month ends, ARR and its movements, bookings,
# batches, top customers.
CHARTS = 8


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
    assert "from finsync.report import overview" not in html, "the report shows outputs, not the notebook's code"
    assert "overview.revenue_by_month(connection)" not in html
    assert f"<strong>Warehouse:</strong> DuckDB {demo_warehouse.resolve()}" in html
    assert made.output.count("\n") == 1, f"only the line saying where the report went: {made.output!r}"


def test_the_demo_is_dated_relative_to_today_so_its_receivables_spread_over_the_age_buckets(
    demo_warehouse: Path,
) -> None:
    with duckdb.connect(str(demo_warehouse), read_only=True) as connection:
        aging = connection.execute(
            "SELECT source_system, MAX(as_of_date), COUNT(DISTINCT bucket) FROM analytics.receivables_aging "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        newest = connection.execute("SELECT MAX(invoice_date) FROM analytics.invoices").fetchone()
    today = datetime.now(timezone.utc).date()
    assert newest is not None and 0 < (today - newest[0]).days <= 8, "the demo's newest invoice is from last week"
    buckets = {system: count for system, _, count in aging}
    assert buckets["ym"] >= 3 and buckets["younium"] >= 3, f"the demo's receivables are spread over {aging}"


CURRENCIES = ("USD", "EUR", "SEK")  # YM north's, YM south's and the Younium legal entities' base currencies


@pytest.fixture(scope="module")
def three_currencies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse of two YM clients (north in USD, south in EUR) and one Younium tenant's two legal entities
    (se and no, in SEK)."""
    root = tmp_path_factory.mktemp("currencies")
    north = SandboxConfig(ym_items=1200, batch_size=200, export_latency_seconds=0.05, younium_invoices=0)
    south = SandboxConfig(
        seed=11, client_id=13579, api_key="south-api-key", api_password="south-api-password", ym_items=900,
        batch_size=150, export_latency_seconds=0.05, younium_invoices=0,
    )  # fmt: skip
    nordic = SandboxConfig(
        ym_items=0, younium_invoices=150, younium_accounts=20, younium_legal_entity=ENTITIES[0],
        younium_legal_entities=ENTITIES[1:], younium_subscriptions=12,
    )  # fmt: skip
    with SandboxServer(config=north) as n, SandboxServer(config=south) as s, SandboxServer(config=nordic) as y:
        settings = {**tenant_env(n, s, y), "SOURCES__YM__TENANTS__SOUTH__CURRENCY": "EUR"}
        ran = run_finsync(["run", "--duckdb-path", "three.duckdb"], finsync_env(root, settings), root, timeout=300)
    assert ran.returncode == 0, ran.stderr
    yield root / "three.duckdb"


def test_no_chart_draws_two_currencies_on_one_axis_and_accounts_have_their_names(three_currencies: Path) -> None:
    with duckdb.connect(str(three_currencies), read_only=True) as connection:
        sections = {
            name: getattr(overview, name)(connection)
            for name in ("revenue_by_month", "revenue_by_account", "receivables_aging", "receivables_at_period_end",
                         "batches", "top_customers")
        }  # fmt: skip
        sections |= {name: getattr(recurring, name)(connection) for name in ("arr_movements", "bookings_by_month")}
        header = overview.header(connection, overview.warehouse_label(str(three_currencies), None))
    drawn: dict[str, set[str]] = {}
    for name, (_table, figure) in sections.items():
        for axis in figure.axes:
            named = overview.currencies_named(axis, CURRENCIES)
            currency = overview.axis_currency(axis)
            # Each axis of amounts draws one currency and says which; an axis of counts names none.
            assert named == ({currency} if currency else set()), (name, axis.get_title(), named)
            if currency:
                drawn.setdefault(name, set()).add(currency)
    for name in ("revenue_by_month", "revenue_by_account", "receivables_aging", "top_customers"):
        assert drawn[name] == set(CURRENCIES), (name, drawn.get(name))
    # Recurring revenue: a pair of axes (ARR, its movements) per Younium legal entity, bookings one each.
    assert drawn["arr_movements"] == drawn["bookings_by_month"] == {"SEK"}
    assert len(sections["arr_movements"][1].axes) == 4 and len(sections["bookings_by_month"][1].axes) == 2
    # The period ends: one axis per Younium legal entity, each labelled with its months' last days.
    period_end = sections["receivables_at_period_end"][1]
    assert sorted(a.get_title() for a in period_end.axes) == [
        "Receivables at each month end: younium:no (SEK)",
        "Receivables at each month end: younium:se (SEK)",
    ]
    ends = [t.get_text() for t in period_end.axes[0].get_xticklabels()]
    assert ends and all(t.split()[0] in ("28", "29", "30", "31") for t in ends), ends
    (sek,) = (a for a in sections["revenue_by_account"][1].axes if overview.axis_currency(a) == "SEK")
    accounts = [t.get_text() for t in sek.get_yticklabels()]
    assert {"younium:se: 3011 Subscription revenue", "younium:no: 3011 Subscription revenue"} <= set(accounts)
    assert {(t.source, t.base_currency) for t in header.tenants.itertuples()} == {
        ("ym", "USD"), ("ym:south", "EUR"), ("younium:no", "SEK"), ("younium:se", "SEK"),
    }  # fmt: skip
    assert header.as_of is not None and str(three_currencies) in header.warehouse


def test_finsync_report_names_the_warehouse_it_read_its_tenants_and_the_newest_load(
    three_currencies: Path, tmp_path: Path
) -> None:
    target = tmp_path / "finance.html"
    made = CliRunner().invoke(app, ["report", "--duckdb-path", str(three_currencies), "--out", str(target)])
    assert made.exit_code == 0, made.output
    html = target.read_text()
    assert f"<strong>Warehouse:</strong> DuckDB {three_currencies.resolve()}" in html
    assert "ym (USD), ym:south (EUR), younium:no (SEK), younium:se (SEK)" in html
    assert "finsync-demo.duckdb" not in html, "it names the file it read, not the demo's"
    assert "<strong>As of:</strong> 20" in html


def test_finsync_report_on_a_warehouse_without_data_says_to_sync_first(tmp_path: Path) -> None:
    made = run_finsync(["report", "--duckdb-path", "none.duckdb"], finsync_env(tmp_path, {}), tmp_path)
    assert made.returncode == 1 and "run `finsync run`" in made.stderr
    assert not (tmp_path / "report.html").exists()
