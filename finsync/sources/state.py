"""What a source remembers between runs: one typed view over dlt's source state, and the only code that reads
or writes it. dlt commits the state in the same load as the rows it describes, so what a run remembers is
always what the warehouse holds.

Per list a source reads (`invoices`, `invoice_items`, ...), a `ListMemory`: where its incremental reads
continue from (`cursor`), when it was last swept, what its last whole read returned (rows and a digest, to
write nothing when nothing changed), the records the overlap may list again (those read again by id, and a
digest of each written), and whether the last run read it whole (with what a sweep cost). Beside the lists:
YM's batch bookkeeping (`BatchBook`) and the tenant row last written.

Layout version 2 keeps each list's memory under `lists`; a state written by layout 1 (keys per kind of
memory, each by list) is moved into it the first time it is read, so nothing read before is read again.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import dlt

VERSION = 2


@dataclass
class ListMemory:
    """What a source remembers of one list."""

    raw: dict[str, Any]

    @property
    def cursor(self) -> datetime | None:
        """Where the last complete read ended (None before the first)."""
        value = self.raw.get("cursor")
        return datetime.fromisoformat(value) if value else None

    @cursor.setter
    def cursor(self, moment: datetime) -> None:
        self.raw["cursor"] = moment.isoformat()

    def sweep_due(self, every: timedelta, now: datetime) -> bool:
        value = self.raw.get("swept")
        return value is None or now - datetime.fromisoformat(value) >= every

    def swept(self, moment: datetime) -> None:
        self.raw["swept"] = moment.isoformat()

    def fanned_out(self, requests: int) -> None:
        """`requests` more sent this run for the list's records, one per record (an order's versions)."""
        self.raw["fan_out_requests"] = int(self.raw.get("fan_out_requests", 0)) + requests

    @property
    def last_whole_read(self) -> tuple[int, str | None]:
        """How many records the last whole read returned (0 before the first), and their digest if taken."""
        return int(self.raw.get("rows", 0)), self.raw.get("digest")

    def whole_read(self, rows: int, digest: str | None) -> None:
        self.raw["rows"], self.raw["digest"] = rows, digest

    @property
    def read_by_id(self) -> dict[str, str]:
        """Record id -> its last change when a run last read it whole by id."""
        return cast(dict[str, str], self.raw.setdefault("read_by_id", {}))

    @property
    def written(self) -> dict[str, list[str]]:
        """Record id -> [its modified, a digest of it as written]."""
        return cast(dict[str, list[str]], self.raw.setdefault("written", {}))

    def forget_written(self) -> None:
        self.raw["written"] = {}

    @property
    def wire(self) -> dict[str, Any]:
        """What the last read found on the wire: its census (`finsync.http.wire.Census`), and when it ended."""
        return dict(self.raw.get("wire") or {})

    @wire.setter
    def wire(self, found: dict[str, Any]) -> None:
        self.raw["wire"] = found

    @property
    def read_whole_this_run(self) -> bool:
        return bool(self.raw.get("whole"))

    def read_this_run(self, *, whole: bool, sweep_cost: tuple[int, int, float] | None) -> None:
        """Whether this run read the list whole, and what its sweep cost (records, requests, seconds)."""
        self.raw["whole"] = whole
        self.raw["sweep_cost"] = list(sweep_cost) if sweep_cost else None


@dataclass
class BatchBook:
    """YM's batches: where the next listing starts (the oldest batch not fully loaded, and when it was
    created), the batches loaded since, each closed batch's ItemCount when loaded (a batch listed with
    another was revised), and the batches the last run could not read, with the reason."""

    raw: dict[str, Any]

    @property
    def anchor(self) -> str | None:
        return self.raw.get("anchor")

    @property
    def anchor_created(self) -> str | None:
        return self.raw.get("anchor_created")

    def start_at(self, anchor: str, created: str | None) -> None:
        self.raw["anchor"], self.raw["anchor_created"] = anchor, created

    @property
    def loaded(self) -> set[str]:
        return set(self.raw.get("loaded", []))

    @loaded.setter
    def loaded(self, batch_ids: list[str]) -> None:
        self.raw["loaded"] = batch_ids

    @property
    def counts(self) -> dict[str, int]:
        return cast(dict[str, int], self.raw.setdefault("counts", {}))

    @property
    def failed(self) -> dict[str, str]:
        return dict(self.raw.get("failed", {}))

    @failed.setter
    def failed(self, reasons: dict[str, str]) -> None:
        self.raw["failed"] = reasons


@dataclass
class SourceState:
    """A source's memory: the running source's (`current`), or one committed with a load (read-only use)."""

    raw: MutableMapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.raw.get("version", 1) < VERSION:
            _upgrade(self.raw)

    @classmethod
    def current(cls) -> SourceState:
        """The state of the source now running."""
        return cls(dlt.current.source_state())

    def list(self, name: str) -> ListMemory:
        return ListMemory(self.raw.setdefault("lists", {}).setdefault(name, {}))

    def lists(self) -> dict[str, ListMemory]:
        return {name: ListMemory(memory) for name, memory in sorted(self.raw.get("lists", {}).items())}

    def cursors(self) -> dict[str, str]:
        """Each list's cursor, as text (for `finsync status`)."""
        return {name: str(memory.raw["cursor"]) for name, memory in self.lists().items() if memory.raw.get("cursor")}

    def read_whole(self) -> set[str]:
        """The lists the run this state was committed by read whole."""
        return {name for name, memory in self.lists().items() if memory.read_whole_this_run}

    def sweep_costs(self) -> dict[str, tuple[int, int, float]]:
        return {
            name: (int(cost[0]), int(cost[1]), float(cost[2]))
            for name, memory in self.lists().items()
            if (cost := memory.raw.get("sweep_cost"))
        }

    def fan_out_costs(self) -> dict[str, int]:
        """The requests each list's records fanned out to this run (one per record), where any were sent."""
        return {
            name: int(memory.raw["fan_out_requests"])
            for name, memory in self.lists().items()
            if memory.raw.get("fan_out_requests")
        }

    def wire_reads(self) -> Sequence[dict[str, Any]]:
        """What each list's last read found on the wire (see `ListMemory.wire`)."""
        return [memory.wire for memory in self.lists().values() if memory.wire]

    @property
    def batches(self) -> BatchBook:
        return BatchBook(self.raw.setdefault("ym_batches", {}))

    @property
    def denied(self) -> dict[str, str]:
        """What the run that committed this state was not allowed to read, each with the paragraph saying so."""
        return dict(self.raw.get("denied", {}))

    @denied.setter
    def denied(self, paragraphs: dict[str, str]) -> None:
        self.raw["denied"] = dict(paragraphs)

    def tenant_changed(self, row: dict[str, Any]) -> bool:
        """Whether the tenant row differs from the one last written; remembers it as written."""
        if self.raw.get("tenant") == row:
            return False
        self.raw["tenant"] = row
        return True


# -- layout 1: one key per kind of memory, each by list --------------------------------------------------------


def _upgrade(raw: MutableMapping[str, Any]) -> None:
    lists: dict[str, dict[str, Any]] = raw.setdefault("lists", {})

    def move(key: str, into: str, convert: Callable[[Any], Any] = lambda v: v) -> None:
        for name, value in (raw.pop(key, None) or {}).items():
            lists.setdefault(name, {})[into] = convert(value)

    move("cursors", "cursor")
    move("sweeps", "swept")
    move("rows_last_read", "rows")
    move("digest_last_read", "digest")
    for name, read in (raw.pop("whole_reads", None) or {}).items():
        lists.setdefault(name, {}).update(whole=bool(read.get("whole")), sweep_cost=read.get("sweep"))
    for key in [k for k in raw if k.endswith(("_read_by_id", "_written"))]:
        name, kind = key.rsplit("_read_by_id", 1)[0], "read_by_id"
        if key.endswith("_written"):
            name, kind = key.rsplit("_written", 1)[0], "written"
        lists.setdefault(name, {})[kind] = raw.pop(key)
    if "batches" in raw:
        raw["ym_batches"] = raw.pop("batches")
    if "tenant_written" in raw:
        raw["tenant"] = raw.pop("tenant_written")
    raw["version"] = VERSION
