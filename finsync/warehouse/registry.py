"""The upstream systems finsync runs, each declared once: its source, settings, tables and the rules the
steps after a load apply to them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlt.extract.source import DltSource

from finsync.errors import BatchExportError, PartlyLoaded
from finsync.sources import ym as ym_source, younium as younium_source
from finsync.sources.settings import SourceSettings
from finsync.tables import Table


@dataclass(frozen=True)
class SourceSpec:
    """How finsync runs one upstream system."""

    name: str
    factory: Callable[..., DltSource]  # (settings, **options) -> the dlt source
    settings: type[SourceSettings]
    tables: tuple[Table, ...]
    # From the source's saved state: what the last run could not read (by item, with the reason), and
    # positions beside the cursors that status shows (by name, as text).
    failures: Callable[[dict[str, Any]], dict[str, str]] = lambda _state: {}
    # The error a run ends with when the state names failures (after loading everything else).
    partly_loaded: Callable[[dict[str, str], Any], PartlyLoaded] = PartlyLoaded
    positions: Callable[[dict[str, Any]], dict[str, str]] = lambda _state: {}
    # Run options the factory takes beside its settings (`finsync run --sweep`).
    options: tuple[str, ...] = ()
    # Lists a run may read whole (proven complete), by the table they fill first, with all the tables they
    # fill: rows a whole read did not write are marked deleted_at. From the source's state, which of them
    # the last run read whole (all, unless said otherwise).
    whole_reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    read_whole: Callable[[dict[str, Any]], set[str]] | None = None
    # Child tables whose rows come whole with each parent a run writes: (parent table, the child's key to
    # it). A child row of such a parent that the run did not write is gone upstream: marked deleted_at.
    complete_children: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # What the last run's state says the summary should note (a sweep's cost).
    notes: Callable[[dict[str, Any]], list[str]] = lambda _state: []


SOURCES: dict[str, SourceSpec] = {
    "ym": SourceSpec(
        "ym",
        ym_source.ym,
        ym_source.YMSettings,
        ym_source.TABLES,
        ym_source.failed_batches,
        BatchExportError,
        ym_source.batch_anchor,
        options=("sweep",),
    ),
    "younium": SourceSpec(
        "younium",
        younium_source.younium,
        younium_source.YouniumSettings,
        younium_source.TABLES,
        younium_source.denied,
        options=("sweep",),
        whole_reads=younium_source.WHOLE_READS,
        read_whole=younium_source.read_whole,
        complete_children=younium_source.COMPLETE_CHILDREN,
        notes=younium_source.sweep_notes,
    ),
}
