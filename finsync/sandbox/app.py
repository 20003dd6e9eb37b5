"""The sandbox's ASGI application: one mount per emulated API, plus the control API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount

from .control import control_routes
from .state import Sandbox
from .ym import YMApi

YM_MOUNT = "/ym"
CONTROL_MOUNT = "/_sandbox"


def build_app(sandbox: Sandbox) -> Starlette:
    """The app serving `sandbox`: YM under `/ym`, controls under `/_sandbox` (Younium will get its own
    mount next to YM's)."""
    app = Starlette(
        routes=[
            Mount(YM_MOUNT, routes=YMApi(sandbox).routes(), name="ym"),
            Mount(CONTROL_MOUNT, routes=control_routes(sandbox), name="sandbox"),
        ]
    )
    app.state.sandbox = sandbox
    return app
