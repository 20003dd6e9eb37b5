"""Loads a killed or failed run left pending: loaded first by the next run, once, before it reads anything."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import dlt

from finsync.errors import Busy, SyncError

from .database import Warehouse
from .diagnose import first_line, root_cause
from .locks import patiently
from .views import drop_views

logger = logging.getLogger(__name__)


def finish_pending(
    pipeline: dlt.Pipeline, label: str, warehouse: Warehouse, notes: list[str], failures: Path
) -> dlt.Pipeline:
    """Load what a previous run extracted but did not load, before reading anything new.

    A pending load that fails twice in a row with the same error (the first failure is recorded in
    `failures`) can never load as it is: it is set aside (kept, for inspection, and named in `notes`) and
    the pipeline adopts the warehouse's state, which never saw it, so the data is read again upstream.
    """
    logger.warning("%s: finishing the load a previous run left pending", label)
    finish_normalize_commit(pipeline)
    pending = [*pipeline.list_extracted_load_packages(), *pipeline.list_normalized_load_packages()]
    if warehouse.exists():
        drop_views(warehouse)  # the pending load may drop tables (a full refresh); the views are rebuilt after
    try:
        patiently(warehouse, f"loading what a previous run of {label} left pending", pipeline.run)
    except Busy:
        raise
    except Exception as error:
        cause = first_line(root_cause(error))
        # The same error, whichever of the package's files it named this time.
        kind = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", cause)
        previous = json.loads(failures.read_text()) if failures.exists() else {}
        if previous.get("loads") != pending or previous.get("error") != kind:
            failures.write_text(json.dumps({"loads": pending, "error": kind}))
            raise SyncError(
                f"Loading the data a previous run of {label} left pending failed: {cause}. The next run tries "
                "once more; if it fails the same way, that load is set aside and its data read again."
            ) from error
        aside = set_aside(pipeline, pending)
        notes.append(
            f"a load left pending by an earlier run failed twice with the same error ({cause}); it was set aside "
            f"in {aside}, and its data is read again from {label}"
        )
        logger.warning("%s: %s", label, notes[-1])
        pipeline = pipeline.drop()
    failures.unlink(missing_ok=True)
    return pipeline


def finish_normalize_commit(pipeline: dlt.Pipeline) -> None:
    """dlt's normalize commits a package by moving its normalized files in, then deleting the extracted ones: a
    kill between the two leaves both, and normalizing the extracted copy again fails on the one committed.
    The normalized package is whole; deleting the extracted one completes the commit."""
    extracted = Path(pipeline.working_dir, "normalize", "extracted")
    for load_id in set(pipeline.list_extracted_load_packages()) & set(pipeline.list_normalized_load_packages()):
        shutil.rmtree(extracted / load_id, ignore_errors=True)


def set_aside(pipeline: dlt.Pipeline, load_ids: list[str]) -> Path:
    """Move the packages of `load_ids` out of the pipeline's working directory; return where they went."""
    target = Path(pipeline.pipelines_dir) / "set-aside" / pipeline.pipeline_name
    target.mkdir(parents=True, exist_ok=True)
    for load_id in load_ids:
        for package in Path(pipeline.working_dir).rglob(load_id):
            if package.is_dir():
                shutil.move(str(package), str(target / f"{load_id}-{package.parent.name}"))
    pipeline.abort_packages()
    return target
