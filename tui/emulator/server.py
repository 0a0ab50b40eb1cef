"""Serve the emulator with uvicorn on loopback, in the foreground or a thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from tui.emulator.app import Emulator

LOOPBACK = "127.0.0.1"


def bind(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A listening socket; port 0 picks a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY; asyncio only sets it on sockets it binds
    # itself, and without it every keep-alive request stalls ~40 ms on delayed ACKs.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


class LoopbackServer:
    """An ASGI app served over real HTTP on a loopback port, in a background thread.

    Use as a context manager; ``base_url`` is ``http://127.0.0.1:PORT/v1``.
    """

    def __init__(self, app: ASGIApp, *, port: int = 0, name: str = "server") -> None:
        self._sock = bind(LOOPBACK, port)
        self.port: int = self._sock.getsockname()[1]
        self._server = _server(app)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            daemon=True,
            name=f"{name}-{self.port}",
        )

    @property
    def base_url(self) -> str:
        """The base URL to give an OpenAI client."""
        return f"http://{LOOPBACK}:{self.port}/v1"

    def start(self, timeout: float = 10.0) -> Self:
        """Start serving; return once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self._thread.name} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EmulatorServer(LoopbackServer):
    """The emulator (or anything with its ``asgi()``) served on a loopback port."""

    def __init__(self, emulator: Emulator | None = None, *, port: int = 0) -> None:
        self.emulator = emulator or Emulator()
        super().__init__(self.emulator.asgi(), port=port, name="emulator")


def serve_forever(emulator: Emulator, sock: socket.socket) -> None:
    """Serve on a bound socket in the foreground until interrupted (the CLI's command)."""
    try:
        _server(emulator.asgi()).run(sockets=[sock])
    finally:
        sock.close()
