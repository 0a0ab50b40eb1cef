"""Actions that write do not cancel each other: what a server made is always tracked."""

from __future__ import annotations

import asyncio

from textual import events

from tests.app.test_chat import SIZE, opened
from tests.app.test_chat import chat_setup as chat_setup  # a fixture
from tests.conftest import settle, until
from tui.api.conversations import ConversationsAdapter
from tui.app.app import ThreadBrowserApp
from tui.app.screens.new_item import NewItemDialog
from tui.app.services import Services
from tui.model import Connection, Kind
from tui.store import Registry


async def test_a_refresh_during_a_create_leaves_the_new_conversation_tracked(
    chat_setup, monkeypatch
) -> None:
    """Press n and create; press r while the server's answer is on its way: both finish."""
    chat = await chat_setup(Kind.CONVERSATION)
    made: list[str] = []
    release = asyncio.Event()
    original = ConversationsAdapter.create

    async def create(self, **kwargs):
        remote = await original(self, **kwargs)  # the server holds it now
        made.append(remote.id)
        await release.wait()  # its answer is still on the way
        return remote

    monkeypatch.setattr(ConversationsAdapter, "create", create)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await settle(pilot)
        await pilot.press("n")
        dialog = await until(lambda: isinstance(app.screen, NewItemDialog) and app.screen, "n")
        dialog.query_one("#title").value = "Made while refreshing"
        await pilot.press("ctrl+s")
        await until(lambda: made, "the server to create it")
        app.query_one("#list").focus()
        await pilot.press("r")
        release.set()
        await settle(pilot)
    async with await Registry.open(chat.db) as registry:
        tracked = await registry.get(Connection(chat.server.base_url), made[0])
    assert tracked is not None, "the server holds a conversation the registry lost"
    assert tracked.title == "Made while refreshing"


def gated(real: ThreadBrowserApp) -> tuple[ThreadBrowserApp, asyncio.Event]:
    """The app of ``real``'s registry, whose registry opens only once the event is set."""
    gate = asyncio.Event()

    async def slow_open() -> Services:
        await gate.wait()
        return await real._open_services()

    return ThreadBrowserApp(slow_open, real._first), gate


async def test_keys_wait_while_the_registry_opens_and_quitting_does_not(app_factory) -> None:
    """A key typed before the registry is open acts once it is; q is never held.

    The keys are sent as the terminal sends them: ``pilot.press`` would wait for the main
    screen, which is busy opening the registry.
    """
    real = app_factory()
    app, gate = gated(real)
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(events.Key("n", "n"))
        await until(lambda: app._held, "the key to be held")
        assert app.services is None and not isinstance(app.screen, NewItemDialog)
        gate.set()
        await until(lambda: isinstance(app.screen, NewItemDialog), "the held key to act")
        await pilot.press("escape")
        await settle(pilot)
    assert app.return_code in (0, None)  # ended by the test, without a failure

    app, gate = gated(real)
    async with app.run_test(size=SIZE):
        app.post_message(events.Key("q", "q"))
        await until(lambda: app.return_code is not None, "q, the registry still opening")
        gate.set()  # the registry finishes opening after the quit
        await until(lambda: not app.is_running, "the app to end")
    assert app.return_code == 0
