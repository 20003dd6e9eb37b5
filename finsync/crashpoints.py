"""Named points where a run can die, so the crash tests can stop a run at each of them (test-only).

Inert unless `FINSYNC_CRASH_AT` is set: `reached` then costs one comparison, and dlt is left as it is. Set,
`FINSYNC_CRASH_AT=<source>:<point>[=<table>]` kills the process the first time the run of `<source>` (a
tenant's label: `ym`, `younium:se`) reaches `<point>` (with `=<table>`, only at a job of that table), with
SIGKILL, or with the signal `FINSYNC_CRASH_SIGNAL` names (`TERM`, `INT`). Before it does, it writes
`crash point <source>:<point> reached` to stderr, so a test knows the run died where it meant.

A signal other than SIGKILL is delivered the way a scheduler's is: finsync's handler stops the run. Sent from
a load job's thread, that thread then hangs, as a slow statement would, so the stop's grace exit fires while
the job is in the state the point names.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

ARMED_VARIABLE = "FINSYNC_CRASH_AT"
SIGNAL_VARIABLE = "FINSYNC_CRASH_SIGNAL"

# Each point, in the order a run passes them (dlt's steps are hooked where dlt has no hook of its own).
POINTS = {
    "extract": "a page of data handed to dlt; the extract is not finished",
    "extracted": "the extract committed its package (and the source's state with it), before normalizing",
    "normalize": "normalized files written, before the normalized package is committed",
    "normalize.committed": "the normalized package committed, before the extracted one is deleted",
    "load.job_committed": "a load job's rows committed in the warehouse, before the package records the job",
    "load.between_jobs": "a load job recorded as done, before the next one starts",
    "load.jobs_done": "every job loaded, before the load is recorded complete (its _dlt_loads row)",
    "load.completed": "the load recorded complete in the warehouse, before the package is archived",
    "after_load.dedupe": "after-load step: a replayed load's repeated rows removed",
    "after_load.children": "after-load step: re-read parents' lists replaced, rows gone from them marked",
    "after_load.deleted": "after-load step: rows a whole read no longer lists marked deleted",
    "after_load.versions": "after-load step: new history versions added",
    "after_load.recorded": "after-load step: the load recorded as processed, with the tables' comments",
    "views": "the analytics views recreated, before they are committed",
    "upgrade": "a warehouse of an earlier layout upgraded, before the upgrade is committed",
}

_armed = os.environ.get(ARMED_VARIABLE) or None
_source = ""  # the tenant whose run is under way (`running`)
_fired = threading.Event()


def running(source: str) -> None:
    """Say which tenant's run is under way (a point armed for another one does not fire); hook dlt's steps
    when a point is armed."""
    global _source
    _source = source
    if _armed is not None:
        _hook_dlt()


def watch(data: Any) -> None:
    """When a point is armed, pass every item the resources of `data` (a dlt source) yield by `extract`."""
    if _armed is not None:
        for resource in data.selected_resources.values():
            resource.add_map(_in_extract)


def reached(point: str, table: str = "") -> None:
    """Die here if this point is the armed one (see the module)."""
    if _armed is None or _fired.is_set():
        return
    wanted = f"{_source}:{point}"
    if _armed != wanted and _armed != f"{wanted}={table}":
        return
    _fired.set()
    os.write(sys.stderr.fileno(), f"crash point {_armed} reached\n".encode())
    name = os.environ.get(SIGNAL_VARIABLE, "KILL").upper().removeprefix("SIG")
    os.kill(os.getpid(), getattr(signal, f"SIG{name}"))
    if threading.current_thread() is not threading.main_thread():
        time.sleep(3600)  # a job's thread: the handler stops the run while this job seems to hang


def _hook_dlt() -> None:
    """Hook dlt's steps at the points it has no hook for (once per process)."""
    if getattr(_hook_dlt, "done", False):
        return
    from dlt.common.storages.load_package import PackageStorage
    from dlt.common.storages.load_storage import LoadStorage
    from dlt.destinations.job_client_impl import SqlJobClientBase
    from dlt.normalize.normalize import Normalize

    _wrap(Normalize, "map_single", after="normalize")
    _wrap(LoadStorage, "commit_new_load_package", after="normalize.committed")
    # Written by the job's thread once its statement committed; the main thread then moves the job file.
    _wrap(PackageStorage, "save_pending_transition", before="load.job_committed", table_arg=1)
    _wrap(PackageStorage, "complete_job", after="load.between_jobs", table_arg=1)
    _wrap(SqlJobClientBase, "complete_load", before="load.jobs_done", after="load.completed")
    _hook_dlt.done = True  # type: ignore[attr-defined]


def _in_extract(item: Any) -> Any:
    reached("extract")
    return item


def _wrap(owner: type, name: str, *, before: str = "", after: str = "", table_arg: int | None = None) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def hooked(self: Any, *args: Any, **kwargs: Any) -> Any:
        table = str(args[table_arg]).split(".")[0] if table_arg is not None and len(args) > table_arg else ""
        if before:
            reached(before, table)
        result = original(self, *args, **kwargs)
        if after:
            reached(after, table)
        return result

    setattr(owner, name, hooked)
