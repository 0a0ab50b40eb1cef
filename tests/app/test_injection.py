"""Terminal injection through the app: a hostile server's IDs, titles and errors never show.

The app runs against the misbehaving-server kit over real HTTP. Every frame is turned into
the bytes a terminal would receive (``TerminalTap``): they may hold only the app's own
cursor moves and colours. An ID that is not one of its kind is never stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app.conftest import SIZE
from tests.app.test_hostile import TerminalTap
from tests.conftest import TEST_KEY, until
from tests.hostile import leaked
from tests.kit.misbehave import Kit
from tui.app.launch import make_app
from tui.app.widgets.message_pane import MessagePane
from tui.config import ENV_PROFILE, Profile, Settings
from tui.model import Connection, Kind
from tui.store import Registry


@pytest.fixture
def served() -> Iterator[tuple[Kit, str]]:
    kit = Kit(size=6)
    server = kit.serve()
    yield kit, server.base_url
    server.stop()


def said(app: Any) -> str:
    """Every notification's text so far, asserted free of terminal control."""
    text = "\n".join(str(n.message) for n in app._notifications)
    assert not leaked(text), f"{leaked(text)} in a notification: {text!r}"
    return text


async def _stored(db: Path) -> list[tuple[str, str]]:
    async with await Registry.open(db) as reg:
        rows = await reg.fetchall("SELECT id, metadata FROM items ORDER BY id")
        return [(row[0], row[1]) for row in rows]


async def run_app(kit: Kit, url: str, db: Path, monkeypatch: Any, keys: tuple[str, ...]) -> str:
    """Open the kit's conversation, press ``keys``; the notifications, every frame checked."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    connection = Connection(url)
    async with await Registry.open(db) as registry:
        conversation = kit.conversation.id
        item, _ = await registry.track(conversation, Kind.CONVERSATION, connection, source="t")
    profile = Profile(ENV_PROFILE, connection)
    app = make_app(str(db), Settings({ENV_PROFILE: profile}), profile)
    async with app.run_test(size=SIZE) as pilot:
        tap = TerminalTap(app)
        await until(lambda: app.services is not None, "the registry")
        app.main.open_item(item)
        pane = app.query_one(MessagePane)
        await until(lambda: pane.item is not None and not app.workers._workers, "the open")
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            await until(lambda: not app.workers._workers, f"after {key}")
        await pilot.pause()
        tap.check()
        return said(app)


async def test_hostile_message_ids_are_refused_and_never_shown(served, tmp_path, monkeypatch):
    kit, url = served
    kit.faults.hostile_ids = True
    kit.faults.hostile_text = True
    db = tmp_path / "registry.sqlite3"
    text = await run_app(kit, url, db, monkeypatch, ("r",))
    assert url in text and "unusable ID" in text and "/../../etc\\n" in text, text
    assert [i for i, _ in await _stored(db)] == [kit.conversation.id]
    async with await Registry.open(db) as reg:
        item = await reg.get(Connection(url), kit.conversation.id)
        assert item is not None and await reg.archive.all(item) == []


async def test_hostile_titles_roles_and_errors_are_clean(served, tmp_path, monkeypatch):
    kit, url = served
    kit.faults.hostile_text = True
    db = tmp_path / "registry.sqlite3"
    await run_app(kit, url, db, monkeypatch, ("r", "tab", "tab"))
    [(item_id, metadata)] = await _stored(db)
    assert item_id == kit.conversation.id
    assert not leaked(metadata) and "\\u001b" not in metadata, metadata
    assert "kit-title" not in json.loads(metadata)["title"]
    async with await Registry.open(db) as reg:
        item = await reg.get(Connection(url), item_id)
        assert item is not None
        turns = await reg.archive.all(item)
        assert turns[0].role.startswith("user") and turns[1].role.startswith("assistant")
        assert all(not leaked(f"{t.role}{t.status}") for t in turns)
