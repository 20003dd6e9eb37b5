"""The sandbox's ASGI application: one mount per emulated API, plus the control API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount

from .control import control_routes
from .sandbox import Sandbox
from .ym.api import YMApi
from .younium.api import YouniumApi

YM_MOUNT = "/ym"
YOUNIUM_MOUNT = "/younium"
CONTROL_MOUNT = "/_sandbox"


def build_app(sandbox: Sandbox) -> Starlette:
    """The app serving `sandbox`: YM under `/ym`, Younium under `/younium`, controls under `/_sandbox`."""
    app = Starlette(
        routes=[
            Mount(YM_MOUNT, routes=YMApi(sandbox).routes(), name="ym"),
            Mount(YOUNIUM_MOUNT, routes=YouniumApi(sandbox).routes(), name="younium"),
            Mount(CONTROL_MOUNT, routes=control_routes(sandbox), name="sandbox"),
        ]
    )
    app.state.sandbox = sandbox
    return app
