"""The pane shows the item opened last: an answer for an item closed meanwhile is dropped."""

from __future__ import annotations

import asyncio

from tests.app.test_chat import SIZE, opened
from tests.app.test_chat import chat_setup as chat_setup  # a fixture
from tests.conftest import settle, until
from tui.api.conversations import ConversationsAdapter
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.model import Connection, Kind
from tui.store import Registry


async def test_an_older_page_of_a_closed_item_stays_out_of_the_next_ones_pane(
    chat_setup, monkeypatch
) -> None:
    """Scroll to the top of A (its older page on its way), open B: B's pane holds only B."""
    chat = await chat_setup(Kind.CONVERSATION)
    for batch in range(6):
        chat.sdk.conversations.items.create(
            chat.item_id,
            items=[{"role": "user", "content": f"A says {batch * 20 + n}"} for n in range(20)],
        )
    other = chat.sdk.conversations.create(items=[{"role": "user", "content": "B says hello"}]).id
    async with await Registry.open(chat.db) as registry:
        [a_item] = await registry.find(chat.item_id)
        b_item, _ = await registry.track(
            other, Kind.CONVERSATION, Connection(chat.server.base_url), source="t"
        )
    release = asyncio.Event()
    asked = asyncio.Event()
    original = ConversationsAdapter.history

    async def history(self, item_id, *, before=None, limit=50):
        if before and item_id == chat.item_id:  # A's older page waits for the test
            asked.set()
            await release.wait()
        return await original(self, item_id, before=before, limit=limit)

    monkeypatch.setattr(ConversationsAdapter, "history", history)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        pane = app.query_one(MessagePane)
        app.main.open_item(a_item)
        await until(
            lambda: app.main.opened.id == chat.item_id and len(pane.turns) == 50, "A's page"
        )
        await until(lambda: not any(w.is_running for w in app.workers), "A to be opened")
        await until(lambda: not pane._mounting, "A's page to be mounted")
        pane.load_older()
        await until(asked.is_set, "A's older page to be asked for")
        app.main.open_item(b_item)
        await until(lambda: [t.text for t in pane.turns] == ["B says hello"], "B's history")
        release.set()
        await settle(pilot)
        texts = [view.turn.text for view in pane.query(MessageView)]
        assert texts == ["B says hello"]
        assert pane.item is not None and pane.item.id == other
        assert app.main.opened is not None and app.main.opened.id == other
