"""What the worker-failure tests share: one tracked item on an emulator, failures to inject."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from openai import OpenAI
from pydantic import BaseModel, ValidationError

from tests.app.test_chat import KEY_ENV
from tests.conftest import TEST_KEY
from tests.faults.test_chat_faults import Chat
from tui.app.widgets.run_status import RunStatusLine
from tui.emulator import Emulator, EmulatorConfig, EmulatorServer
from tui.model import Connection, Kind
from tui.store import Registry

SIZE = (110, 32)
Asgi = Callable[..., Any]


class _Reply(BaseModel):
    tool_choice: str


def validation_error() -> ValidationError:
    """The error strict parsing raises on ``tool_choice: null``."""
    try:
        _Reply.model_validate({"tool_choice": None})
    except ValidationError as exc:
        return exc
    raise AssertionError("null was accepted")


def notes(app: Any) -> list[tuple[str, str, str]]:
    """(title, message, severity) of every notification shown so far."""
    return [(n.title, str(n.message), n.severity) for n in app._notifications]


def note_titled(app: Any, title: str) -> str | None:
    """The message of the first notification with ``title``, if any."""
    return next((message for t, message, _ in notes(app) if t == title), None)


def finished(app: Any) -> bool:
    """No send is running and the spinner stopped."""
    return not app.main.chat._runs and not app.query_one(RunStatusLine).active


def break_after(monkeypatch: pytest.MonkeyPatch, cls: type, name: str, exc: Exception, n: int):
    """Make the stream method ``cls.name`` raise ``exc`` in place of its ``n``-th event."""
    original = getattr(cls, name)

    def method(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async def events() -> AsyncIterator[Any]:
            if n == 0:
                raise exc
            seen = 0
            async for event in original(self, *args, **kwargs):
                seen += 1
                if seen == n:
                    raise exc
                yield event

        return events()

    monkeypatch.setattr(cls, name, method)


def fail(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, exc: Exception) -> None:
    """Make the coroutine function ``target.name`` raise ``exc``."""

    async def failing(*args: Any, **kwargs: Any) -> Any:
        raise exc

    monkeypatch.setattr(target, name, failing)


class Wrapped:
    """The emulator behind an ASGI wrapper (what ``EmulatorServer`` serves)."""

    def __init__(self, emulator: Emulator, wrap: Callable[[Asgi], Asgi]) -> None:
        self.emulator = emulator
        self.wrap = wrap
        self.config = emulator.config

    def asgi(self) -> Asgi:
        """The emulator's ASGI app, wrapped."""
        return self.wrap(self.emulator.asgi())

    def namespace(self, key: str) -> Any:
        """The emulator's state for ``key``."""
        return self.emulator.namespace(key)


@pytest.fixture
def item_setup(tmp_path, monkeypatch) -> Any:
    """``await item_setup(kind, wrap=None, choose=True)``: one tracked item on an emulator."""
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    started: list[EmulatorServer] = []

    async def make(
        kind: Kind, *, wrap: Callable[[Asgi], Asgi] | None = None, choose: bool = True
    ) -> Chat:
        emulator = Emulator(EmulatorConfig(api_keys=(TEST_KEY,), token_delay_ms=5))
        served: Any = emulator if wrap is None else Wrapped(emulator, wrap)
        server = EmulatorServer(served).start()
        started.append(server)
        sdk = OpenAI(api_key=TEST_KEY, base_url=server.base_url, max_retries=0)
        if kind is Kind.THREAD:
            item_id = sdk.beta.threads.create(metadata={"title": "Chat here"}).id
            choice = sdk.beta.assistants.create(model="gpt-4.1", name="Helper").id
        else:
            item_id = sdk.conversations.create(metadata={"title": "Chat here"}).id
            choice = "gpt-4.1"
        db = str(tmp_path / "registry.sqlite3")
        async with await Registry.open(db) as reg:
            item, _ = await reg.track(item_id, kind, Connection(server.base_url), source="t")
            if choose:
                await reg.set_choice(item, choice, source="t")
        return Chat(server, sdk, item_id, kind, db, choice if kind is Kind.THREAD else None)

    yield make
    for server in started:
        server.stop()
