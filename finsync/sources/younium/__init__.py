"""Younium's data as a dlt source. Each list is declared once, in `lists.LISTS` (what it reads and the tables
it feeds); this module turns the declarations into the source's resources."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence
from datetime import timedelta, timezone
from importlib.metadata import version
from typing import Any, cast

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from finsync.http import Records
from finsync.sources.reads import WHOLE, Feed, ListRead, Windows, always_whole, complete_children, whole_reads
from finsync.sources.state import SourceState
from finsync.tables import Origin, PiiMode

from .client import OMITS_NULLS, SYSTEM, YouniumClient
from .features import FEATURES, Permissions
from .lists import LISTS, YouniumRun
from .reads import ByIdReads, ModifiedWindows, sweep_notes, whole_reads_this_run, whole_records
from .schema import TENANT
from .settings import YouniumSettings

__all__ = [
    "COMPLETE_CHILDREN",
    "TABLES",
    "WHOLE_READS",
    "YouniumClient",
    "YouniumSettings",
    "denied",
    "read_whole",
    "sweep_notes",
    "younium",
    "younium_client",
]

# Younium sends date-times without an offset in UTC.
UTC = timezone.utc
# Every table a list feeds, in the order the lists are declared, and the tenant's row.
# A table several lists feed (an order's products and charges) is declared, and listed, once.
TABLES = (*{feed.table.name: feed.table for listed in LISTS for feed in listed.feeds}.values(), TENANT)
# What the steps after a load need to know of the lists (see `finsync.sources.reads`).
WHOLE_READS = whole_reads(LISTS)
COMPLETE_CHILDREN = complete_children(LISTS)


def read_whole(state: dict[str, Any]) -> set[str]:
    """The lists the run that committed `state` read whole (those with no modified field always are)."""
    return whole_reads_this_run(state, always_whole(LISTS))


def younium(settings: YouniumSettings | None = None, sweep: bool = False, **explicit: Any) -> DltSource:
    """The Younium tables (`TABLES`: those the lists of `lists.LISTS` feed, and `tenant`), from `settings`
    (by default resolved from the configuration, with `explicit` values over it).

    `sweep` (what `finsync run --sweep` sets) reads every swept list whole now, to find what was
    deleted, whether or not the sweep is due. Nothing is read from Younium here; the
    resources read lazily when the pipeline runs.
    """
    return younium_source(settings or YouniumSettings.from_config(explicit), bool(sweep))


@dlt.source(name="younium", section="younium", max_table_nesting=0)
def younium_source(settings: YouniumSettings, sweep: bool = False) -> Sequence[DltResource]:
    pii = cast(PiiMode, settings.pii)
    client = younium_client(settings)
    enabled = {feature.name for feature in FEATURES if getattr(settings, feature.name)}  # their settings
    tables_of = {
        name: tuple(dict.fromkeys(f.table.name for r in LISTS if r.feature == name for f in r.feeds))
        for name in enabled
    }
    permissions = Permissions(client, tables_of, settings.base_currency)
    run = YouniumRun(client, settings.concurrency, permissions, settings.wire())
    windows = ModifiedWindows(
        Windows(
            settings.start(UTC),
            timedelta(minutes=settings.overlap_minutes),
            timedelta(hours=settings.sweep_interval_hours),
            force=sweep,
        )
    )
    # What a whole list's rows depend on besides its records: a list read as the last run read it writes
    # nothing, unless finsync, the tables' declarations or the pii mode changed since.
    shape = hashlib.sha256(repr((version("finsync"), pii, TABLES)).encode()).hexdigest()
    resources = []
    fed: set[str] = set()  # tables a list before fed: another list's resource for one is named by its list
    for listed in LISTS:
        if listed.feature is not None and listed.feature not in enabled:
            continue  # left out by its setting: its tables are as they are
        records = list_records(listed, run, windows, shape)
        read_through: dict[int, DltResource] = {}  # each fan-out read once, whatever feeds it fills
        for feed in listed.feeds:
            source = records
            if feed.through is not None:
                source = read_through.setdefault(id(feed.through), records | feed.through(run))
            name = feed.table.name if feed.table.name not in fed else f"{listed.name}_{feed.table.name}"
            fed.add(feed.table.name)
            resources.append(feed_of(feed, source, run, pii, name))
    return [*resources, TENANT.shape(tenant(run, settings.legal_entity, settings.booking_amounts), pii)]


def list_records(listed: ListRead, run: YouniumRun, windows: ModifiedWindows, shape: str) -> DltResource:
    """The records of a list, read when the pipeline runs (when the tenant lets this run read it), as the
    resource its tables are fed from (it is no table itself). Its pages are held to the wire contract
    (`ListCensus`) as they come."""

    def read() -> Iterator[Records]:
        for counted in (listed.name, *(feed.table.name for feed in listed.feeds if feed.fan_out is not None)):
            SourceState.current().list(counted).raw.pop("fan_out_requests", None)  # counted anew each run
        if listed.feature is not None and not run.permissions.allowed(listed.feature):
            return  # denied: nothing read, nothing remembered, its tables as they are
        tables = tuple(feed.table.name for feed in listed.feeds)
        census = run.wire.census(SYSTEM, listed.name, tables, omits_nulls=OMITS_NULLS)

        def fetch(window_or_again: Any) -> Iterator[Records]:
            return census.pages(listed.fetch(run, window_or_again, run.wire.records(listed.records())))

        if listed.how == WHOLE:
            yield from whole_records(listed.name, fetch, lambda: shape)
        else:
            by_id = None
            if listed.by_id is not None:
                by_id = ByIdReads(functools.partial(listed.by_id.fetch, run), listed.by_id.children, run.concurrency)
            yield from windows.read(listed, fetch, by_id)
        memory = SourceState.current().list(listed.name)
        census.remember(memory, whole=listed.how == WHOLE or memory.read_whole_this_run)

    return dlt.resource(read, name=f"{listed.name}_records", selected=False)


def feed_of(feed: Feed, records: DltResource, run: YouniumRun, pii: PiiMode, name: str) -> DltResource:
    """The resource (`name`) filling a feed's table from pages of `records`, with every hint from its
    declaration."""
    table = feed.table
    if feed.fan_out is not None:
        return table.shape(records | feed.fan_out(run), pii)

    def convert(page: Records) -> Iterator[pa.Table]:
        if (found := feed.columns(page)).num_rows:
            yield table.from_rows(found, UTC, pii, origin=Origin(f"Younium {table.name}"))

    return table.shape(records | dlt.transformer(convert, name=name), pii)


def younium_client(settings: YouniumSettings | None = None) -> YouniumClient:
    """A client from the `sources.younium.*` settings: the source's, and the batch-job commands' (which
    pass none, so every setting is read from the configuration)."""
    settings = settings or YouniumSettings.from_config()
    return YouniumClient(
        settings.base_url,
        settings.client_id,
        settings.secret,
        legal_entity=settings.legal_entity,
        api_version=settings.api_version.strip(),
        auth_path=settings.auth_path,
        page_size=settings.page_size,
        concurrency=settings.concurrency,
        sequential=settings.sequential,
        http_settings=settings.http(),
    )


@dlt.resource(name="tenant")
def tenant(run: YouniumRun, legal_entity: str | None, booking_amounts: str) -> Iterator[pa.Table]:
    """The legal entity this dataset holds, its base currency and how its bookings carry amounts (written when
    that changed; left as it is when Younium would not say the base currency). Every run reads this table, so
    it records what this run was denied."""
    base = run.permissions.base_currency
    state = SourceState.current()
    state.denied = run.permissions.denied
    row = {
        "key": legal_entity or "-",
        "legalEntity": legal_entity,
        "baseCurrency": base,
        "bookingAmounts": booking_amounts,
    }
    if base is not None and state.tenant_changed(row):
        yield TENANT.from_rows([row], UTC)


def denied(state: dict[str, Any]) -> dict[str, str]:
    """What the run that committed `state` was not allowed to read, each with the paragraph saying so."""
    return SourceState(state).denied
