"""`finsync probe`: what a tenant serves, endpoint by endpoint, against what finsync expects of it.

A probe only reads, and only a little: a few small pages of each endpoint a run uses. Per endpoint it says
whether it answered (reachable), refused this API user (denied: 401, 403) or is not served (missing: 404),
how many records it announces, and field by field what its records held against the wire contract
(`finsync.http.wire`): declared and seen, declared and not seen in the sample, required and missing or of
another type, sent and not declared. It also gathers evidence on time zones and paging. The report holds
names, types and counts only, never a value, so it can be attached to a bug report; it is `ok` when
everything a run needs is there (an endpoint of a feature the settings leave out may be denied).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from finsync.errors import FinsyncError, UpstreamError, WrongBaseUrl
from finsync.http.wire import Census, ContractBroken
from finsync.values import Wire

REACHABLE, DENIED, MISSING, FAILED = "reachable", "denied", "missing", "failed"
# Records asked for per page: enough to see most fields, few enough to stay light on the tenant.
PAGE_SIZE = 50


@dataclass
class EndpointProbe:
    """What one endpoint answered, and what its sampled records held."""

    endpoint: str
    status: str = REACHABLE
    http_status: int | None = None
    needed: bool = True  # a run reads it (False: its feature is left out by the settings)
    announced: int | None = None  # records the endpoint says it holds, where it says
    census: Census = field(default_factory=Census)
    evidence: list[str] = field(default_factory=list)  # time and paging observations
    problems: list[str] = field(default_factory=list)  # what a run would fail on

    def answered(self, http_status: int | None, needed: bool) -> None:
        self.http_status = http_status
        self.status = DENIED if http_status in (401, 403) else MISSING if http_status == 404 else FAILED
        if needed:
            self.problems.append(f"{self.endpoint} is {self.status} (HTTP {http_status or 'no answer'})")

    @property
    def fields(self) -> dict[str, list[str]]:
        """The sampled records' fields, by what they are against the contract."""
        census = self.census
        unseen = [p for p in census.contract if census.records and not census.present.get(p)]
        return {
            "declared and seen": sorted(p for p, n in census.present.items() if n),
            "declared, required, missing or of another type": sorted({b.path for b in census.breaches}),
            "declared, not seen in the sample": sorted(
                p for p in unseen if census.contract[p] in (Wire.REQUIRED.value, Wire.NULLABLE.value)
            ),
            "declared optional, not seen in the sample": sorted(
                p for p in unseen if census.contract[p] == Wire.OPTIONAL.value
            ),
            "sent, not declared": [f"{p} ({t})" for p, t in sorted(census.undeclared.items())],
            "of another type than declared": [f"{p} ({t})" for p, t in sorted(census.retyped.items())],
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "status": self.status,
            "http_status": self.http_status,
            "needed": self.needed,
            "records_announced": self.announced,
            "records_sampled": self.census.records,
            "fields": self.fields,
            "evidence": self.evidence,
            "problems": self.problems,
        }


@dataclass
class ProbeReport:
    """A probe of one tenant of one system."""

    system: str
    tenant: str
    endpoints: list[EndpointProbe] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(e.problems for e in self.endpoints)

    def probe(self, endpoint: str, read: Callable[[EndpointProbe], None], needed: bool = True) -> EndpointProbe:
        """Runs `read` against one endpoint: an error it raises is what the endpoint answered (a wrong base
        URL stops the probe, as it stops a run)."""
        found = EndpointProbe(endpoint, needed=needed)
        self.endpoints.append(found)
        try:
            read(found)
        except WrongBaseUrl:
            raise
        except ContractBroken as broken:
            found.census.breaches += broken.breaches
        except UpstreamError as error:  # a refusal too: the probe signed in before it asked any endpoint
            found.answered(error.status, needed)
        except FinsyncError as error:  # its message may quote the tenant's data: only what it was is said
            found.status = FAILED
            found.problems.append(f"{endpoint} could not be read whole ({type(error).__name__})")
        # Which record lacked a field is a value of the tenant's: the report says how many, never which.
        found.problems += [f"{endpoint}: {breach.text(example=False)}" for breach in found.census.breaches]
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "tenant": self.tenant,
            "ok": self.ok,
            "endpoints": [e.as_json() for e in self.endpoints],
        }

    def markdown(self) -> str:
        lines = [
            f"# finsync probe: {self.system} ({self.tenant})",
            "",
            "Everything a run needs is there." if self.ok else "A run would not load everything: see *Problems*.",
            "Names, types and counts only: this report holds no value from the tenant.",
            "",
            "| endpoint | status | records announced | records sampled | fields seen | undeclared | problems |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for e in self.endpoints:
            status = e.status + ("" if e.needed else " (not read with these settings)")
            announced = "" if e.announced is None else f"{e.announced:,}"
            seen = len(e.fields["declared and seen"])
            lines.append(
                f"| {e.endpoint} | {status} | {announced} | {e.census.records:,} | {seen} | "
                f"{len(e.census.undeclared)} | {len(e.problems)} |"
            )
        problems = [p for e in self.endpoints for p in e.problems]
        if problems:
            lines += ["", "## Problems", "", *(f"- {p}" for p in problems)]
        for e in self.endpoints:
            lines += ["", f"## {e.endpoint}", ""]
            lines += [f"- {line}" for line in e.evidence]
            for what, names in e.fields.items():
                if names:
                    lines.append(f"- {what} ({len(names)}): {', '.join(names)}")
        return "\n".join(lines) + "\n"
