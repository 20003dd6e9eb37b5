"""The sandbox: a local, loopback-only HTTP server that speaks the upstream APIs finsync reads.

It emulates the YourMembership REST API (under `/ym`) as the reference notes describe it, traps
included (401 logins with `ErrorCode "None"`, FinanceBatches pages that repeat, errors inside HTTP 200
replies, export files that 404 at first, a required DateFrom, capped page sizes), over a deterministic
dataset generated from a seed that scales to millions of invoice items without storing them.

Control routes under `/_sandbox` (and the same operations on the in-process `Sandbox` object) advance
time, inject faults (error statuses with Retry-After, dropped connections, truncated bodies, slow
replies, session expiry, export failures), count requests per route, and state exactly what a correct
warehouse must contain. The demo, the end-to-end and reliability tests and the benchmarks run against it.

    with SandboxServer(config=SandboxConfig(ym_items=20_000)) as server:
        os.environ.update(server.ym_settings)
        ...  # run a sync, then compare with server.sandbox.dataset.expected_*()
"""

from __future__ import annotations

from .app import build_app
from .config import SandboxConfig
from .dataset import Batch, Money, YMDataset
from .faults import Fault
from .server import SandboxServer, serve
from .state import Sandbox

__all__ = ["Batch", "Fault", "Money", "Sandbox", "SandboxConfig", "SandboxServer", "YMDataset", "build_app", "serve"]
