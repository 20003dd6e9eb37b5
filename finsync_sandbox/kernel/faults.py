"""Injected faults: what goes wrong, on which route, for how many requests.

A fault applies to the next `times` requests of its route, after letting `after` of them through, and
then disappears. Several faults on one route each count the requests they skip; one fires per request.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .route_names import (
    ROUTE_NAMES,
    YM_EXPORT_DOWNLOAD,
    YM_EXPORT_START,
    YM_FINANCE_BATCHES,
    YOUNIUM_GENERATE,
    YOUNIUM_LISTS,
    YOUNIUM_POST,
)

STATUS = "status"  # answer with an HTTP error status (optionally with Retry-After)
DROP = "drop"  # send the headers and half the body, then close the connection
TRUNCATE = "truncate"  # send half the body, with a Content-Length that matches it
SLOW = "slow"  # wait `delay` seconds, then answer normally
# invalidate every live YM session and Younium token (now, or when the route is hit)
EXPIRE_SESSIONS = "expire_sessions"
EXPORT_FAILURE = "export_failure"  # the next export (of `batch_id`, if given) reports FAILURE
# the next Younium batch job (generate or post; of `batch_id`, a batch id or number, if given) reports Failed
JOB_FAILURE = "job_failure"
SHORT_FILE = "short_file"  # an export file of the header and only `rows` rows (0: header only), cut at a row end
EMPTY_FILE = "empty_file"  # an export file with nothing in it
MALFORMED_ROW = "malformed_row"  # row `rows` (default 1) of an export file loses its second half of cells
UNKNOWN_ANCHOR = "unknown_anchor"  # FinanceBatches answers a StartBatchID listing with no batch, as for an unknown id
NOTHING_FOUND = "nothing_found"  # a Younium list page answers HTTP 400 "No … could be found"
# `rows` draft invoices outside batches change just before this Younium list request is answered
# (the earliest in the listing order first), so they move to the end of every list ordered by modified
MODIFY = "modify"

FAULT_KINDS: tuple[str, ...] = (
    STATUS, DROP, TRUNCATE, SLOW, EXPIRE_SESSIONS, EXPORT_FAILURE, JOB_FAILURE, SHORT_FILE, EMPTY_FILE, MALFORMED_ROW,
    UNKNOWN_ANCHOR, NOTHING_FOUND, MODIFY,
)  # fmt: skip
# Faults that only make sense on some routes.
_ROUTES_OF = {
    SHORT_FILE: (YM_EXPORT_DOWNLOAD,),
    EMPTY_FILE: (YM_EXPORT_DOWNLOAD,),
    MALFORMED_ROW: (YM_EXPORT_DOWNLOAD,),
    UNKNOWN_ANCHOR: (YM_FINANCE_BATCHES,),
    NOTHING_FOUND: YOUNIUM_LISTS,
    MODIFY: YOUNIUM_LISTS,
}
# Faults consumed by the work they spoil rather than by the next request of their route.
_OUTCOME_KINDS = (EXPORT_FAILURE, JOB_FAILURE)
_JOB_ROUTES = (YOUNIUM_GENERATE, YOUNIUM_POST)

FAULT_GRAMMAR = """\
Faults are separated by ';'. Each is [ROUTE:]KIND[=VALUE] followed by any :OPTION=VALUE.
KIND is one of: status=CODE, drop, truncate, slow=SECONDS, expire_sessions, export_failure[=BATCH_ID],
job_failure[=BATCH], short_file[=ROWS], empty_file, malformed_row[=ROW], unknown_anchor, nothing_found,
modify[=INVOICES].
OPTION is one of: times=N (default 1), after=N (requests let through first), retry_after=SECONDS,
delay=SECONDS, status=CODE, batch_id=ID, rows=N, page=N (only requests for that PageNumber count).
ROUTE is one of: {routes}. It is required for status, drop, truncate, slow, short_file, empty_file
malformed_row (ym.export_download), unknown_anchor (ym.finance_batches), nothing_found and modify (a Younium list);
expire_sessions (YM sessions and Younium tokens) without a route acts at once; export_failure applies to
ym.export_start; job_failure fails the next Younium batch job, or only the next one of younium.generate
or younium.post.
Example: ym.invoice_items:status=503:times=2:retry_after=1;ym.export_status:slow=3;export_failure=1003;
younium.post:job_failure
""".format(routes=", ".join(ROUTE_NAMES))


# How the control API's and the command line's values become Fault fields (the rest are text).
_FIELD_TYPES: dict[str, Callable[[Any], Any]] = {
    "times": int, "after": int, "status": int, "retry_after": float, "delay": float, "rows": int, "page": int,
}  # fmt: skip


@dataclass
class Fault:
    kind: str
    route: str | None = None
    times: int = 1
    after: int = 0
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    batch_id: str | None = None
    rows: int | None = None  # short_file: rows kept (default 0); modify: invoices changed (default 1)
    page: int | None = None  # only requests for this PageNumber count (and are hit)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.kind == EXPORT_FAILURE:
            self.route = self.route or YM_EXPORT_START
        if self.route is not None and self.route not in ROUTE_NAMES:
            raise ValueError(f"unknown route {self.route!r}; expected one of {ROUTE_NAMES}")
        if self.route is None and self.kind not in (EXPIRE_SESSIONS, *_OUTCOME_KINDS):
            raise ValueError(f"a {self.kind} fault needs a route")
        if self.kind == EXPORT_FAILURE and self.route != YM_EXPORT_START:
            raise ValueError(f"an export_failure fault applies to {YM_EXPORT_START}")
        if self.kind == JOB_FAILURE and self.route not in (None, *_JOB_ROUTES):
            raise ValueError(f"a job_failure fault applies to {' or '.join(_JOB_ROUTES)}")
        if self.kind == STATUS and not (self.status and 400 <= self.status <= 599):
            raise ValueError("a status fault needs an HTTP error status (400-599)")
        if self.kind == SLOW and self.delay <= 0:
            raise ValueError("a slow fault needs a positive delay")
        if self.kind in _ROUTES_OF and self.route not in _ROUTES_OF[self.kind]:
            raise ValueError(f"a {self.kind} fault applies to {', '.join(_ROUTES_OF[self.kind])}")
        if self.kind in (SHORT_FILE, MODIFY, MALFORMED_ROW) and self.rows is None:
            self.rows = 0 if self.kind == SHORT_FILE else 1
        if self.rows is not None and (self.rows < 0 or (self.kind == MODIFY and self.rows < 1)):
            raise ValueError("rows must be >= 0 (>= 1 for modify)")
        if self.times < 1 or self.after < 0:
            raise ValueError("times must be >= 1 and after >= 0")
        if self.batch_id is not None:
            self.batch_id = str(self.batch_id)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Fault:
        """From a JSON object of the control API (same field names)."""
        names = {f.name for f in dataclasses.fields(cls)}
        nullable = {f.name for f in dataclasses.fields(cls) if f.default is None}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}; expected some of {sorted(names)}")
        if "kind" not in data:
            raise ValueError("a fault needs a kind")
        try:
            return cls(
                **{k: None if v is None and k in nullable else _FIELD_TYPES.get(k, str)(v) for k, v in data.items()}
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"invalid fault {dict(data)}: {error}") from None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


class FaultBook:
    """The pending faults. Thread-safe: tests add faults while the server thread consumes them."""

    def __init__(self, on_expire_sessions: Callable[[], object]) -> None:
        self._expire_sessions = on_expire_sessions
        self._lock = threading.Lock()
        self._pending: list[Fault] = []

    def add(self, fault: Fault | None = None, /, **fields: Any) -> Fault:
        """Arm a fault, given as a Fault or as its fields: `add(kind="status", route=..., status=503)`.

        `expire_sessions` without a route takes effect at once and is not kept.
        """
        fault = fault if fault is not None else Fault.from_mapping(fields)
        if fault.kind == EXPIRE_SESSIONS and fault.route is None:
            self._expire_sessions()
            return fault
        with self._lock:
            self._pending.append(dataclasses.replace(fault))
        return fault

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [dataclasses.replace(f) for f in self._pending]

    def take(self, route: str, page: int = 1) -> Fault | None:
        """The fault that hits this request of `route` (for `page`, when the fault names one), if any (export
        and job failures are taken separately)."""
        fault = self._take(lambda f: f.route == route and f.kind not in _OUTCOME_KINDS and f.page in (None, page))
        if fault is not None and fault.kind == EXPIRE_SESSIONS:
            self._expire_sessions()
        return fault

    def take_export_failure(self, batch_id: str) -> bool:
        """Whether this export of `batch_id` is to fail."""
        return self._take(lambda f: f.kind == EXPORT_FAILURE and f.batch_id in (None, batch_id)) is not None

    def take_job_failure(self, route: str, batch_refs: tuple[str, ...]) -> bool:
        """Whether this Younium job (started on `route`, for the batch known by `batch_refs`) is to fail."""
        return (
            self._take(
                lambda f: f.kind == JOB_FAILURE and f.route in (None, route) and f.batch_id in (None, *batch_refs)
            )
            is not None
        )

    def _take(self, matches: Callable[[Fault], bool]) -> Fault | None:
        with self._lock:
            fired: Fault | None = None
            for fault in self._pending:
                if not matches(fault):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                elif fired is None:
                    fired = fault
            if fired is None:
                return None
            taken = dataclasses.replace(fired)
            fired.times -= 1
            if fired.times == 0:
                self._pending.remove(fired)
            return taken


def parse_fault_spec(spec: str) -> list[Fault]:
    """Faults from the command-line grammar (FAULT_GRAMMAR)."""
    faults: list[Fault] = []
    for text in filter(None, (part.strip() for part in spec.split(";"))):
        tokens = [t.strip() for t in text.split(":")]
        fields: dict[str, Any] = {}
        if tokens[0] in ROUTE_NAMES:
            fields["route"] = tokens.pop(0)
        if not tokens:
            raise ValueError(f"fault {text!r} names no kind")
        kind, _, value = tokens.pop(0).partition("=")
        fields["kind"] = kind
        if value:
            main = {
                STATUS: "status",
                SLOW: "delay",
                EXPORT_FAILURE: "batch_id",
                JOB_FAILURE: "batch_id",
                SHORT_FILE: "rows",
                MALFORMED_ROW: "rows",
                MODIFY: "rows",
            }.get(kind)
            if main is None:
                raise ValueError(f"fault kind {kind!r} takes no value (in {text!r})")
            fields[main] = value
        for token in tokens:
            key, sep, value = token.partition("=")
            if not sep or key in ("kind", "route"):
                raise ValueError(f"expected OPTION=VALUE, not {token!r} (in {text!r})")
            fields[key] = value
        faults.append(Fault.from_mapping(fields))
    return faults
