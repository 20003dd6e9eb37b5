"""Serving a sandbox over HTTP on a loopback address, in a background thread or in the foreground."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from .app import YM_MOUNT, YOUNIUM_MOUNT, build_app
from .kernel.config import SandboxConfig
from .sandbox import Sandbox

_START_TIMEOUT_SECONDS = 10.0


def loopback_host(host: str) -> str:
    """The address to bind: only loopback addresses, since the sandbox serves fake card numbers and
    known credentials."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(f"the sandbox only binds loopback addresses (such as 127.0.0.1 or ::1), not {host!r}")


class SandboxServer:
    """A sandbox served by uvicorn in a background thread.

    with SandboxServer() as server:
        os.environ.update(server.settings)  # or ym_settings / younium_settings
        ...
        server.sandbox.faults.add(kind="status", route="ym.invoice_items", status=503)
    """

    def __init__(
        self,
        sandbox: Sandbox | None = None,
        *,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        if sandbox is not None and config is not None:
            raise ValueError("pass a sandbox or a config, not both")
        self.sandbox = sandbox or Sandbox(config)
        self.host = loopback_host(host)
        self._requested_port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    # -- addresses and settings ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def ym_base_url(self) -> str:
        return self.url + YM_MOUNT

    @property
    def ym_settings(self) -> dict[str, str]:
        """The environment settings that point finsync's YM source at this sandbox."""
        config = self.sandbox.config
        return {
            "SOURCES__YM__BASE_URL": self.ym_base_url,
            "SOURCES__YM__CLIENT_ID": str(config.client_id),
            "SOURCES__YM__API_KEY": config.api_key,
            "SOURCES__YM__API_PASSWORD": config.api_password,
            **self._unpaced("YM"),
        }

    @property
    def younium_base_url(self) -> str:
        return self.url + YOUNIUM_MOUNT

    @property
    def younium_settings(self) -> dict[str, str]:
        """The environment settings that point finsync's Younium source (and its batch commands) at this sandbox."""
        return self.younium_entity_settings(self.sandbox.config.younium_legal_entity)

    def younium_entity_settings(self, name: str) -> dict[str, str]:
        """`younium_settings` for Younium legal entity `name` (its name or id): the same API client, that
        entity named (by its name) as the legal entity."""
        config = self.sandbox.config
        return {
            "SOURCES__YOUNIUM__BASE_URL": self.younium_base_url,
            "SOURCES__YOUNIUM__CLIENT_ID": config.younium_client_id,
            "SOURCES__YOUNIUM__SECRET": config.younium_secret,
            "SOURCES__YOUNIUM__LEGAL_ENTITY": self.sandbox.younium_entity(name).name,
            **self._unpaced("YOUNIUM"),
        }

    def _unpaced(self, system: str) -> dict[str, str]:
        """On loopback and without a rate limit, a client need not space its requests: lift its cap. With a
        limit (`rate_limit_per_second`), the client's own defaults apply."""
        if self.sandbox.config.rate_limit_per_second > 0:
            return {}
        return {f"SOURCES__{system}__MAX_REQUESTS_PER_SECOND": "0"}

    @property
    def settings(self) -> dict[str, str]:
        """Both sources' settings."""
        return {**self.ym_settings, **self.younium_settings}

    # -- lifecycle -----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("the sandbox server is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # Bound here rather than by uvicorn so that port 0 yields a known free port before serving.
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            build_app(self.sandbox),
            log_level=self._log_level,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox server did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def serve(
    sandbox: Sandbox | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[SandboxServer], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve until Ctrl-C; `on_ready` is called once the server listens (to print its address)."""
    with SandboxServer(sandbox, host=host, port=port, log_level=log_level) as server:
        if on_ready is not None:
            on_ready(server)
        try:
            while server.running:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
