"""Injected faults: what goes wrong, on which route, for how many requests.

A fault applies to the next `times` requests of its route, after letting `after` of them through, and
then disappears; `times=0` (or `always`) keeps it for every request until the faults are cleared. Several
faults on one route each count the requests they skip; one fires per request, except the drift faults
(`DRIFT_KINDS`: a list's records served with a field renamed, removed, retyped, added or missing), which
all apply together, each counting its own requests, and alongside any other fault.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .route_names import (
    ROUTE_NAMES,
    YM_BATCH_DETAILS,
    YM_EXPORT_DOWNLOAD,
    YM_EXPORT_START,
    YM_FINANCE_BATCHES,
    YM_INVOICE_ITEMS,
    YOUNIUM_GENERATE,
    YOUNIUM_LISTS,
    YOUNIUM_POST,
    YOUNIUM_RELATED_INVOICES,
    YOUNIUM_SALES_ORDER_VERSIONS,
    YOUNIUM_SUBSCRIPTION_VERSIONS,
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
# Drift: the records of a list served otherwise than the API documents them (`kernel.drift`). `field` is a
# dotted path (`account.accountNumber`; through a nested list, `invoiceLines.total` is that field of
# every line); the export file (ym.export_download) takes a column name.
RENAME = "rename"  # `field` served under `name`, same value
REMOVE = "remove"  # `field` not served at all
RETYPE = "retype"  # `field`'s value served as another JSON type (`kernel.drift.retyped`)
ADD = "add"  # a field the API does not document, `field` (its path), added to every record
MISSING = "missing"  # `field` absent on the first `rows` records of each page (default: on every record)
DRIFT_KINDS: tuple[str, ...] = (RENAME, REMOVE, RETYPE, ADD, MISSING)

FAULT_KINDS: tuple[str, ...] = (
    STATUS, DROP, TRUNCATE, SLOW, EXPIRE_SESSIONS, EXPORT_FAILURE, JOB_FAILURE, SHORT_FILE, EMPTY_FILE, MALFORMED_ROW,
    UNKNOWN_ANCHOR, NOTHING_FOUND, MODIFY, *DRIFT_KINDS,
)  # fmt: skip
# The routes whose replies are lists of records, drift faults' routes; the export file takes the column ones.
LIST_ROUTES: tuple[str, ...] = (
    *YOUNIUM_LISTS, YOUNIUM_RELATED_INVOICES, YOUNIUM_SUBSCRIPTION_VERSIONS, YOUNIUM_SALES_ORDER_VERSIONS,
    YM_FINANCE_BATCHES, YM_BATCH_DETAILS,
    YM_INVOICE_ITEMS,
)  # fmt: skip
_COLUMN_KINDS = (RENAME, REMOVE, ADD)
# Faults that only make sense on some routes.
_ROUTES_OF = {
    SHORT_FILE: (YM_EXPORT_DOWNLOAD,),
    EMPTY_FILE: (YM_EXPORT_DOWNLOAD,),
    MALFORMED_ROW: (YM_EXPORT_DOWNLOAD,),
    UNKNOWN_ANCHOR: (YM_FINANCE_BATCHES,),
    NOTHING_FOUND: YOUNIUM_LISTS,
    MODIFY: YOUNIUM_LISTS,
    **{kind: LIST_ROUTES for kind in DRIFT_KINDS},
    **{kind: (*LIST_ROUTES, YM_EXPORT_DOWNLOAD) for kind in _COLUMN_KINDS},
}
# Faults consumed by the work they spoil rather than by the next request of their route.
_OUTCOME_KINDS = (EXPORT_FAILURE, JOB_FAILURE)
# Faults `FaultBook.take` leaves to the others.
_NOT_TAKEN = (*_OUTCOME_KINDS, *DRIFT_KINDS)
_JOB_ROUTES = (YOUNIUM_GENERATE, YOUNIUM_POST)

FAULT_GRAMMAR = """\
Faults are separated by ';'. Each is [ROUTE:]KIND[=VALUE] followed by any :OPTION=VALUE.
KIND is one of: status=CODE, drop, truncate, slow=SECONDS, expire_sessions, export_failure[=BATCH_ID],
job_failure[=BATCH], short_file[=ROWS], empty_file, malformed_row[=ROW], unknown_anchor, nothing_found,
modify[=INVOICES], and the drift of a list's records: rename=FIELD>NEWNAME, remove=FIELD, retype=FIELD,
add=FIELD, missing=FIELD (on the first `rows` records of each page; default every record).
FIELD is a dotted path: account.accountNumber, invoiceLines.total (that field of every element of the list
invoiceLines), vouchers.transactions.debitAmount. retype serves a number, object or list as the string "n/a",
a string as the number 12345, a boolean as the string "true"/"false" (null stays null); add adds the string
NAME-XXXXXXXX (NAME the last step of FIELD, XXXXXXXX from a hash of the record or export row it is added to)
where the record lacks it.
OPTION is one of: times=N (default 1; 0 or always: every request until the faults are cleared), after=N
(requests let through first), retry_after=SECONDS, delay=SECONDS, status=CODE, batch_id=ID, rows=N, page=N
(only requests for that PageNumber count), field=FIELD, name=NEWNAME.
ROUTE is one of: {routes}. It is required for status, drop, truncate, slow, short_file, empty_file
malformed_row (ym.export_download), unknown_anchor (ym.finance_batches), nothing_found and modify (a Younium list),
the drift kinds (a list: {lists}; rename, remove and add also ym.export_download, a column of the export file);
expire_sessions (YM sessions and Younium tokens) without a route acts at once; export_failure applies to
ym.export_start; job_failure fails the next Younium batch job, or only the next one of younium.generate
or younium.post.
Example: ym.invoice_items:status=503:times=2:retry_after=1;ym.export_status:slow=3;export_failure=1003;
younium.post:job_failure;younium.invoices:rename=account.accountNumber>accountNo:times=always;
ym.invoice_items:missing=LineTotal:rows=2:times=0
""".format(routes=", ".join(ROUTE_NAMES), lists=", ".join(LIST_ROUTES))


ALWAYS = "always"  # times=always: the same as times=0


def _times(value: Any) -> int:
    """`times` as given: a count, 0 or "always" for every request until cleared."""
    return 0 if isinstance(value, str) and value.strip().lower() == ALWAYS else int(value)


# How the control API's and the command line's values become Fault fields (the rest are text).
_FIELD_TYPES: dict[str, Callable[[Any], Any]] = {
    "times": _times, "after": int, "status": int, "retry_after": float, "delay": float, "rows": int, "page": int,
}  # fmt: skip


@dataclass
class Fault:
    kind: str
    route: str | None = None
    times: int = 1  # 0: every request until cleared
    after: int = 0
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    batch_id: str | None = None
    rows: int | None = None  # short_file: rows kept (default 0); modify: invoices changed (default 1)
    page: int | None = None  # only requests for this PageNumber count (and are hit)
    field: str | None = None  # drift: the field's dotted path (rename: also `FIELD>NEWNAME`)
    name: str | None = None  # rename: the name the field is served under

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
        if self.times < 0 or self.after < 0:
            raise ValueError("times must be >= 0 (0: always) and after >= 0")
        if self.kind in DRIFT_KINDS:
            self._check_drift()
        if self.batch_id is not None:
            self.batch_id = str(self.batch_id)

    def _check_drift(self) -> None:
        if self.kind == RENAME and self.name is None and self.field is not None and ">" in self.field:
            self.field, _, self.name = self.field.partition(">")
        path = (self.field or "").strip().split(".")
        if not all(path):
            raise ValueError(f"a {self.kind} fault needs a field (a dotted path), not {self.field!r}")
        self.field = ".".join(part.strip() for part in path)
        if self.route == YM_EXPORT_DOWNLOAD and len(path) > 1:
            raise ValueError(f"the export file has columns, not a nested field {self.field!r}")
        if self.kind == RENAME and (not self.name or not self.name.strip() or "." in self.name):
            raise ValueError("a rename fault needs the new name, FIELD>NEWNAME (a name, not a path)")
        if self.kind != RENAME and self.name is not None:
            raise ValueError(f"a {self.kind} fault takes no new name")
        if self.kind != MISSING and self.rows is not None:
            raise ValueError(f"a {self.kind} fault takes no rows (missing does)")

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
            values: dict[str, Any] = {
                k: None if v is None and k in nullable else _FIELD_TYPES.get(k, str)(v) for k, v in data.items()
            }
            return cls(**values)
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
        # Whether any drift fault is pending: read without the lock, so a request of a book without one
        # costs a flag test.
        self.drifting = False

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
            self.drifting = self.drifting or fault.kind in DRIFT_KINDS
        return fault

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self.drifting = False

    def pending(self) -> list[Fault]:
        with self._lock:
            return [dataclasses.replace(f) for f in self._pending]

    def take(self, route: str, page: int = 1) -> Fault | None:
        """The fault that hits this request of `route` (for `page`, when the fault names one), if any (export
        and job failures are taken separately)."""
        fault = self._take(lambda f: f.route == route and f.kind not in _NOT_TAKEN and f.page in (None, page))
        if fault is not None and fault.kind == EXPIRE_SESSIONS:
            self._expire_sessions()
        return fault

    def take_drifts(self, route: str, page: int = 1) -> tuple[Fault, ...]:
        """Every drift fault that hits this request of `route` (for `page`, when the fault names one), in the
        order they were armed; each counts its own `after` and `times`."""
        if not self.drifting:
            return ()
        with self._lock:
            fired: list[Fault] = []
            for fault in list(self._pending):
                if fault.kind not in DRIFT_KINDS or fault.route != route or fault.page not in (None, page):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fired.append(dataclasses.replace(fault))
                self._spend(fault)
            return tuple(fired)

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
            self._spend(fired)
            return taken

    def _spend(self, fault: Fault) -> None:
        """`fault` hit one more request (under the lock): gone when that was its last, unless it is for always."""
        if fault.times == 0:
            return
        fault.times -= 1
        if fault.times == 0:
            self._pending.remove(fault)
            self.drifting = any(f.kind in DRIFT_KINDS for f in self._pending)


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
                **{drift: "field" for drift in DRIFT_KINDS},
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
