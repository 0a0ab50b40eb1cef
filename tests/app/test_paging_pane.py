"""The message pane on servers that lie about paging: nothing lost, nothing twice, bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.app.conftest import SIZE
from tests.conftest import TEST_KEY, until
from tests.kit.misbehave import Kit
from tests.kit.switches import Faults
from tui.app.launch import make_app
from tui.app.widgets.message_pane import MessagePane
from tui.config import ENV_PROFILE, Profile, Settings
from tui.model import Connection, Kind
from tui.store import Registry

PRESSES = 10  # scrolls to the top: more than the 140 messages need at 50 a page


@pytest.fixture
def served() -> Iterator[tuple[Kit, str]]:
    kit = Kit()
    server = kit.serve()
    yield kit, server.base_url
    server.stop()


async def open_and_scroll(kit: Kit, url: str, tmp_path, monkeypatch, item_id: str, kind: Kind):
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    db = tmp_path / "registry.sqlite3"
    connection = Connection(url)
    async with await Registry.open(db) as registry:
        item, _ = await registry.track(item_id, kind, connection, source="test")
    profile = Profile(ENV_PROFILE, connection)
    app = make_app(str(db), Settings({ENV_PROFILE: profile}), profile)
    async with app.run_test(size=SIZE):
        pane = app.query_one(MessagePane)
        await until(lambda: app.services is not None, "the registry")
        app.main.open_item(item)
        await until(lambda: len(pane.turns) >= 1 and not app.workers._workers, "the open")
        for _ in range(PRESSES):
            pane.load_older()
            await until(lambda: not pane._busy and not app.workers._workers, "a page")
        shown = [t.id for t in pane.turns]
    async with await Registry.open(db) as registry:
        fresh = await registry.get(connection, item_id)
        archived = [t.id for t in await registry.archive.all(fresh)]
    return shown, fresh, archived


@pytest.mark.parametrize("kind", [Kind.CONVERSATION, Kind.THREAD])
async def test_an_ignored_cursor_loses_nothing_in_the_pane(served, tmp_path, monkeypatch, kind):
    """llama-stack: `after` ignored, pages capped. Read from both ends, all 140 are there."""
    kit, url = served
    kit.faults = Faults(cursor_ignored=True)
    item_id = kit.conversation.id if kind is Kind.CONVERSATION else kit.thread.id
    shown, item, archived = await open_and_scroll(kit, url, tmp_path, monkeypatch, item_id, kind)
    assert shown == kit.held(item_id) == archived
    assert item.history_complete and item.history_doubt is None
    lists = kit.requests("GET /v1/threads/{thread}/messages") + kit.requests("/items")
    assert lists <= 5, kit.counts  # newest 50, the probe, newest 100, oldest 100, the open
    assert kit.total - lists <= 2 * 140, kit.counts  # run details: bounded by the runs


async def test_a_cursor_that_never_moves_is_said_and_bounded(served, tmp_path, monkeypatch):
    kit, url = served
    kit.faults = Faults(same_last_id=True)
    item_id = kit.conversation.id
    shown, item, archived = await open_and_scroll(
        kit, url, tmp_path, monkeypatch, item_id, Kind.CONVERSATION
    )
    assert len(shown) == len(set(shown)) and set(shown) <= set(kit.held(item_id))
    assert archived == [i for i in kit.held(item_id) if i in set(archived)]
    if not item.history_complete:
        assert item.history_doubt
    assert kit.total < 20
