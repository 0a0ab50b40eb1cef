"""Shared fixtures: emulators served over real HTTP on 127.0.0.1, strict SDK clients."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from openai import AsyncOpenAI, DefaultAsyncHttpxClient, DefaultHttpxClient, OpenAI
from starlette.types import ASGIApp

from tui.api.client import tls_context
from tui.emulator import Emulator, EmulatorConfig, EmulatorServer
from tui.emulator.server import LoopbackServer
from tui.model import Kind

# the misbehaving-server kit's fixtures; the contract recorder (every exchange with an
# emulator checked against OpenAI's spec at the end of the session)
pytest_plugins = ["tests.kit.fixtures", "tests.contract.recorder"]

TEST_KEY = "test-key-alpha"
OTHER_KEY = "test-key-beta"
CHATTING = (Kind.THREAD, Kind.CONVERSATION)  # the kinds new messages are added to

ServerFactory = Callable[..., EmulatorServer]
# How long a condition may take before a test fails. Only a hang reaches it: a test waits
# for what it needs and goes on the moment it holds, so a loaded machine is only slower.
PATIENCE = 60.0
STEP = 0.02


async def until(check: Callable[[], Any], what: str, timeout: float = PATIENCE) -> Any:
    """Wait for ``check()`` to be truthy and return it (a condition, never a fixed time)."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(STEP)
    return found


def frame(app: Any) -> str:
    """The bytes the screen's full frame would write to a terminal now.

    What ``export_screenshot`` shows, without making an SVG of it (a sixth of the cost).
    """
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return str(update.render_segments(app.console))


async def settle(pilot: Any, timeout: float = PATIENCE, frames: int = 3) -> None:
    """Wait until the app is quiet: no worker runs, nothing waits for the next refresh,
    no animation is scheduled, and ``frames`` frames in a row are the same."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    shots: list[str] = []
    while True:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        busy = any(w.is_running for w in app.workers) or bool(app.screen._callbacks)
        shots = [] if busy else [*shots[-(frames - 1) :], frame(app)]
        if len(shots) == frames and len(set(shots)) == 1:
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app to settle")


@pytest.fixture
def make_server() -> Iterator[ServerFactory]:
    """Start emulators with given knobs; all are stopped at the end of the test."""
    started: list[EmulatorServer] = []

    def make(**knobs: object) -> EmulatorServer:
        knobs.setdefault("token_delay_ms", 1)
        server = EmulatorServer(Emulator(EmulatorConfig(**knobs))).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def serve_asgi() -> Iterator[Callable[[ASGIApp], LoopbackServer]]:
    """Serve any ASGI apps on loopback ports; all stopped at the end of the test."""
    started: list[LoopbackServer] = []

    def start(app: ASGIApp) -> LoopbackServer:
        server = LoopbackServer(app).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: ServerFactory) -> EmulatorServer:
    """An emulator with fast token streaming and no faults."""
    return make_server()


def strict_client(base_url: str, key: str = TEST_KEY, **kw: object) -> OpenAI:
    """A synchronous SDK client that fails on any shape the real types reject."""
    kw.setdefault("max_retries", 0)
    kw.setdefault("http_client", DefaultHttpxClient(verify=tls_context()))
    return OpenAI(api_key=key, base_url=base_url, _strict_response_validation=True, **kw)  # type: ignore[arg-type]


def strict_async_client(base_url: str, key: str = TEST_KEY, **kw: object) -> AsyncOpenAI:
    """An asynchronous SDK client with strict response validation."""
    kw.setdefault("max_retries", 0)
    kw.setdefault("http_client", DefaultAsyncHttpxClient(verify=tls_context()))
    return AsyncOpenAI(api_key=key, base_url=base_url, _strict_response_validation=True, **kw)  # type: ignore[arg-type]


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[OpenAI]:
    """A strict synchronous client of the default emulator."""
    with strict_client(server.base_url) as c:
        yield c


@pytest.fixture
async def aclient(server: EmulatorServer) -> AsyncIterator[AsyncOpenAI]:
    """A strict asynchronous client of the default emulator."""
    async with strict_async_client(server.base_url) as c:
        yield c


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Three workers per core for ``-n auto``: much of the suite waits on child processes,
    servers and pseudo-terminals, not on a core (measured on 2 cores: 6 workers ran the
    suite in 239 s, 5 in 259 s; earlier, 5 in 251 s and 4 in 261 s)."""
    return 3 * (os.cpu_count() or 1)


# What collection imported lives all session: kept out of the collector's scans, and the
# youngest generation collected less often (the suite makes millions of short-lived objects).
GC_THRESHOLDS = (50_000, 20, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection made and raise the collector's thresholds (about a quarter
    of the app tests' CPU went to scanning objects that live all session)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``long`` first: started last, one of them would run alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
