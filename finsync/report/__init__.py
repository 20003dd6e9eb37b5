"""`finsync report`: the finance overview notebook run against a warehouse, written as one HTML file.

The notebook ships inside the package (`notebooks/finance_overview.ipynb` in the repository points at it),
so an installed finsync can report without a checkout; what it shows comes from `finsync.report.overview`. Its
charts are PNG outputs, which the HTML holds as embedded images: the file opens anywhere, with nothing beside
it. The HTML holds the outputs (header, tables, charts), not the code.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from finsync.errors import ReportFailed
from finsync.warehouse.database import Warehouse

NOTEBOOK = Path(__file__).with_name("finance_overview.ipynb")


def write_report(warehouse: Warehouse, target: Path, timeout: float = 600) -> Path:
    """Run the notebook on `warehouse` (read-only) and write it, with its outputs, to `target`."""
    try:
        import nbformat
        from jupyter_client.manager import KernelManager
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from nbconvert import HTMLExporter
    except ImportError as missing:
        raise ReportFailed(
            f"finsync report needs the notebook tools, which are not installed ({missing.name}): "
            "pip install 'finsync[report]'"
        ) from None

    warehouse.check_usable()
    if not warehouse.exists():
        raise ReportFailed(f"{warehouse.describe()} holds no data yet: run `finsync run` (or `finsync demo`) first.")
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    variables = (
        {"FINSYNC_POSTGRES_DSN": warehouse.postgres_dsn()}
        if warehouse.kind == "postgres"
        else {"FINSYNC_DUCKDB": str(warehouse.duckdb_path.resolve())}
    )
    # The kernel gets its own environment: this process's, pointed at this warehouse.
    env = {k: v for k, v in os.environ.items() if k not in ("FINSYNC_POSTGRES_DSN", "FINSYNC_DUCKDB")} | variables
    with tempfile.TemporaryDirectory(prefix="finsync-report-") as private:
        # The kernel's own lines (its warnings, "Parent appears to have exited" as it stops) are not the
        # report's: they go to a file here, quoted only when the kernel itself fails.
        kernel_log = Path(private) / "kernel.log"
        try:
            with kernel_log.open("wb") as log:
                # The kernel talks to this process over Unix sockets in a private directory, not loopback TCP.
                kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(private) / "kernel"))
                NotebookClient(notebook, km=kernel, timeout=timeout).execute(env=env, stdout=log, stderr=log)
        except CellExecutionError as error:
            summary = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            raise ReportFailed(f"the report notebook stopped on an error: {summary}. No report was written.") from None
        except Exception as error:  # the kernel died or never started
            said = kernel_log.read_text(errors="replace").strip().splitlines()[-5:]
            quoted = f" The kernel said: {' / '.join(said)}" if said else ""
            raise ReportFailed(f"the report's kernel failed ({error}).{quoted} No report was written.") from None
    # The report shows outputs only: the notebook's code stays in the notebook.
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    exporter.log.setLevel(logging.ERROR)  # it asks for alt text on every chart
    html, _resources = exporter.from_notebook_node(notebook)
    target.write_text(html, encoding="utf-8")
    return target
