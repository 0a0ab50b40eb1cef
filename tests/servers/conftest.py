"""Real servers nobody here wrote, started on 127.0.0.1 for the tests of this folder.

Each runs from a virtualenv that ``.ci/servers/install`` makes. Without it a test skips,
saying so, unless ``CI`` is set: then a missing server is a failure. Every request the
product sends goes through a counting proxy, so each operation's request count is known.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.conftest import cli, cli_env
from tests.conftest import TEST_KEY
from tests.servers.counting import Counter, CountingProxy
from tests.servers.fake_model import fake_model_app
from tests.servers.serving import offline_env, start_server
from tests.servers.tally import TALLY
from tui.api import ConversationApi, adapter_for
from tui.api.client import make_client
from tui.emulator.server import LoopbackServer
from tui.model import Connection, Kind
from tui.store import Registry

HERE = Path(__file__).parent
START_TIMEOUT = 180.0  # seconds a server may take to answer its health check


def servers_home() -> Path:
    """Where ``.ci/servers/install`` puts the servers' virtualenvs."""
    explicit = os.environ.get("THREAD_BROWSER_SERVERS")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "thread-browser-ci"


def venv_bin(name: str, program: str) -> Path:
    """A program of a server's virtualenv; skip (or fail under CI) when it is missing."""
    path = servers_home() / name / "bin" / program
    if not path.exists():
        reason = f"{name} is not installed ({path} is missing): run .ci/servers/install"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@dataclass
class Target:
    """A server under test: its own URL, the counting proxy the product talks to."""

    name: str
    kind: Kind
    direct_url: str
    proxy_url: str
    counter: Counter
    choice: str = ""

    @property
    def connection(self) -> Connection:
        """The connection the product records for items here."""
        return Connection(self.proxy_url)


def _proxied(upstream: str, name: str) -> tuple[LoopbackServer, Counter]:
    proxy = CountingProxy(upstream)
    return LoopbackServer(proxy, name=f"proxy-{name}").start(), proxy.counter


@pytest.fixture(scope="session")
def fake_model() -> Iterator[LoopbackServer]:
    """The tests' chat-completions model on a loopback port."""
    app = LoopbackServer(fake_model_app(), name="fake-model").start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def llama_stack(
    fake_model: LoopbackServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """llama-stack serving Responses and Conversations on SQLite, inference from the fake."""
    llama = venv_bin("llama-stack", "llama")
    data = tmp_path_factory.mktemp("llama-stack")
    env = offline_env(
        FAKE_MODEL_URL=fake_model.base_url,
        LLAMA_STACK_DATA=str(data),
        TIKTOKEN_CACHE_DIR=str(servers_home() / "tiktoken"),
        LLAMA_STACK_LOGGING="all=warning",
    )
    config = str(HERE / "llama_stack.yaml")

    def argv(port: int) -> list[str]:
        return [str(llama), "stack", "run", config, "--port", str(port)]

    log = data / "server.log"
    server, base = start_server("llama-stack", argv, env, log, "/health", START_TIMEOUT)
    print(f"\nllama-stack answered after {server.started_in:.1f} s")
    proxy, counter = _proxied(base.removesuffix("/v1"), "llama-stack")
    yield Target("llama-stack", Kind.CONVERSATION, base, proxy.base_url, counter, "fake/fake-model")
    proxy.stop()
    server.stop()


@pytest.fixture(scope="session")
def openai_responses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The ``openai-responses`` package's Assistants state behind the tests' relay."""
    python = venv_bin("openai-responses", "python")
    data = tmp_path_factory.mktemp("openai-responses")
    relay = str(HERE / "relay.py")

    def argv(port: int) -> list[str]:
        return [str(python), relay, "--port", str(port)]

    env, log = offline_env(), data / "server.log"
    server, base = start_server("openai-responses", argv, env, log, "/models", START_TIMEOUT)
    print(f"\nopenai-responses relay answered after {server.started_in:.1f} s")
    proxy, counter = _proxied(base.removesuffix("/v1"), "openai-responses")
    yield Target("openai-responses", Kind.THREAD, base, proxy.base_url, counter)
    proxy.stop()
    server.stop()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """This test's registry file (the one the ``cli`` fixture uses too)."""
    return tmp_path / "registry.sqlite3"


@pytest.fixture
async def registry(db: Path) -> AsyncIterator[Registry]:
    """This test's registry, open."""
    reg = await Registry.open(db)
    yield reg
    await reg.close()


@asynccontextmanager
async def api_on(target: Target) -> AsyncIterator[ConversationApi]:
    """The product's adapter on the target, through the counting proxy; closed after."""
    connection = target.connection
    async with make_client(connection, TEST_KEY) as client:
        yield adapter_for(target.kind, client, connection)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the table of operations x servers when any ran."""
    if TALLY.rows:
        terminalreporter.write_sep("=", "operations on real servers: outcome, requests")
        terminalreporter.write_line(TALLY.table())


__all__ = ["Target", "api_on", "cli", "cli_env", "servers_home"]
