"""A redirect to another host is refused with its own message, and never carries the key.

The SDK's HTTP client follows redirects and drops the Authorization header on the way to
another host, which then answers 401: without care, a moved API looks like a bad key.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.conftest import TEST_KEY
from tests.kit.fixtures import Cli, Served
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import ApiError, AuthFailed
from tui.emulator import Emulator, EmulatorConfig, EmulatorServer
from tui.emulator.server import LoopbackServer
from tui.model import Connection, Kind

THREAD = "thread_" + "Rd1" * 8


class Mover:
    """Answers every request under ``/old`` with a 307 to ``target`` (+ the rest of the path).

    Anything else goes to ``app`` (the emulator), so a redirect on the same host works.
    """

    def __init__(self, target: str, app: ASGIApp | None = None) -> None:
        self.target = target
        self.app = app
        self.keys: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redirect, or serve."""
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        if path.startswith("/old/") or self.app is None:
            self.keys.append(request.headers.get("authorization", ""))
            rest = path.removeprefix("/old")
            query = f"?{request.url.query}" if request.url.query else ""
            await Response(status_code=307, headers={"location": self.target + rest + query})(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


def origin(base_url: str) -> str:
    """``http://127.0.0.1:PORT`` of a base URL."""
    return base_url.removesuffix("/v1")


async def test_a_redirect_to_another_host_is_named_not_blamed_on_the_key(
    server: EmulatorServer, serve_asgi: Callable[[ASGIApp], LoopbackServer]
) -> None:
    mover = Mover(origin(server.base_url) + "/v1")
    moved = serve_asgi(mover)
    connection = Connection(origin(moved.base_url) + "/old")
    api = adapter_for(Kind.THREAD, make_client(connection, TEST_KEY, max_retries=0), connection)
    for call in (api.retrieve(THREAD), api.create()):
        with pytest.raises(ApiError) as caught:
            await call
        message = str(caught.value)
        assert not isinstance(caught.value, AuthFailed), message
        assert "rejected the API key" not in message
        assert origin(moved.base_url) in message and origin(server.base_url) in message
        assert "another host" in message and "base_url" in message
        assert f"lives at {server.base_url}," in message  # the final address to use
    assert server.emulator.request_count == 0  # never followed: the key never went there
    assert all(key == f"Bearer {TEST_KEY}" for key in mover.keys) and len(mover.keys) == 2


async def test_a_redirect_on_the_same_host_is_followed_with_the_key(
    serve_asgi: Callable[[ASGIApp], LoopbackServer],
) -> None:
    emulator = Emulator(EmulatorConfig(token_delay_ms=1, api_keys=(TEST_KEY,)))
    mover = Mover("", emulator.asgi())
    moved = serve_asgi(mover)
    mover.target = origin(moved.base_url) + "/v1"
    connection = Connection(origin(moved.base_url) + "/old")
    api = adapter_for(Kind.THREAD, make_client(connection, TEST_KEY, max_retries=0), connection)
    created = await api.create()
    assert (await api.retrieve(created.id)).id == created.id
    assert len(mover.keys) == 2 and emulator.request_count == 2


def test_the_cli_says_where_the_api_moved(served: Served, kit_cli: Cli) -> None:
    served.switch("redirect_to")
    done = kit_cli("import", "-", input=f"{served.kit.thread.id}\n")
    assert done.returncode != 0, done.output
    assert "rejected the API key" not in done.output
    assert origin(served.base_url) in done.output and origin(served.other_url) in done.output
    assert "point base_url at that final address" in done.output
    assert TEST_KEY not in served.other().keys_seen
    assert served.other().total == 0
