"""Run the mock portal: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .config import PortalConfig

__all__ = ["PortalServer", "serve_forever"]


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request to stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _handler(log_requests: bool) -> type[WSGIRequestHandler]:
    return WSGIRequestHandler if log_requests else _QuietHandler


class PortalServer:
    """The mock portal served by a threaded werkzeug server in a daemon thread.

    Port 0 (the default) picks a free port; read the address from ``url`` after ``start``.
    """

    def __init__(
        self,
        config: PortalConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        app: Flask | None = None,
        log_requests: bool = False,
    ) -> None:
        self.app = app if app is not None else create_app(config)
        self._log_requests = log_requests
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return f"http://{self._host}:{self._server.port}"

    def start(self) -> PortalServer:
        """Bind the port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the server is already started")
        self._server = make_server(
            self._host,
            self._port,
            self.app,
            threaded=True,
            request_handler=_handler(self._log_requests),
        )
        server = self._server
        self._thread = threading.Thread(
            # A short poll interval makes stop() quick; tests start and stop servers often.
            target=lambda: server.serve_forever(poll_interval=0.05),
            name="mock-portal",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    config: PortalConfig | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_requests: bool = False,
) -> None:
    """Serve the mock portal in this thread until interrupted (KeyboardInterrupt propagates).

    Prints nothing itself; ``on_ready`` is called with the base URL once the port is bound,
    and ``log_requests`` turns on werkzeug's one-line-per-request log on stderr.
    """
    server = make_server(
        host, port, create_app(config), threaded=True, request_handler=_handler(log_requests)
    )
    try:
        if on_ready is not None:
            on_ready(f"http://{host}:{server.port}")
        server.serve_forever()
    finally:
        server.server_close()
