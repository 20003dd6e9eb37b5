"""A list's read against the wire contract: the censuses of its pages added up as they are handed on, a page
with a required field missing stopping the read before any of it is, and the sum remembered with the list
(the warehouse records it after the load: `finsync.warehouse.upstream`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import pyarrow as pa

from finsync.http.columnar import census_of
from finsync.http.wire import WAIVED, Census, ContractBroken, keeping_extras

from .state import ListMemory


@dataclass(frozen=True)
class WireSettings:
    """What the settings say of the wire contract: declared fields this tenant may not send (`waived`), and
    whether records keep the fields they hold that are not declared (`extra_fields`)."""

    waived: frozenset[str] = frozenset()
    keep_extras: bool = False

    def records(self, schema: pa.Schema) -> pa.Schema:
        """A list's records schema, asking for the undeclared fields when they are kept."""
        return keeping_extras(schema) if self.keep_extras else schema

    def census(self, system: str, name: str, tables: tuple[str, ...], omits_nulls: bool = False) -> ListCensus:
        return ListCensus(system, name, tables, self.waived, omits_nulls)


class ListCensus:
    """What one read of a list (`name`, filling `tables`) found on the wire."""

    def __init__(
        self,
        system: str,
        name: str,
        tables: tuple[str, ...],
        waived: frozenset[str] = frozenset(),
        omits_nulls: bool = False,  # the system leaves null fields out of its records
    ) -> None:
        self.system, self.name, self.tables, self.waived = system, name, tables, waived
        self.endpoint = ""
        self.census = Census(omits_nulls=omits_nulls)

    def pages(self, pages: Iterator[pa.Table]) -> Iterator[pa.Table]:
        return map(self.take, pages)

    def take(self, page: pa.Table) -> pa.Table:
        """The page, once its census is added (see `add`)."""
        found = census_of(page)
        if found is not None:
            self.add(found)
        return page

    def add(self, found: Census, where: str = "") -> None:
        """Adds a page's census; a required field missing from it fails the read (`ContractBroken`, naming
        `where` it was read, by default the endpoint)."""
        self.endpoint = found.endpoint or self.endpoint
        if found.breaches:
            raise ContractBroken(self.system, where or self.endpoint or self.name, found.breaches, self.tables)
        self.census.add(found)

    def remember(self, memory: ListMemory, whole: bool = False) -> None:
        """The read's census, with when it ended and whether it listed every record upstream has (`whole`),
        for the steps after the load."""
        if self.census.contract:
            self.census.endpoint, self.census.whole = self.endpoint, whole
            for path in self.waived & set(self.census.contract):
                self.census.contract[path] = WAIVED
            memory.wire = {"at": datetime.now(timezone.utc).isoformat(), **self.census.as_json()}
