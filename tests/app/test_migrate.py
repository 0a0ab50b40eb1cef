"""``M`` in the app: a demo thread carried into a conversation, then opened."""

from __future__ import annotations

from tests.app.conftest import SIZE
from tests.conftest import settle, until
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.thread_list import ThreadList
from tui.emulator.demo import DEMO_KEY
from tui.model import Kind, TurnKind


async def test_migrate_the_tool_thread_and_open_its_conversation(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.query_one(ThreadList)
        [thread] = await app.services.registry.find(demo.manifest.tool_thread)
        listing.cursor = listing.source.index_of(thread.pk)
        await settle(pilot)
        await pilot.press("M")
        pane = app.query_one(MessagePane)
        await until(
            lambda: pane.item is not None and pane.item.kind is Kind.CONVERSATION,
            "the new conversation to open",
        )
        await settle(pilot)
        conversation = pane.item
        remote = demo.server.emulator.namespace(DEMO_KEY).conversations[conversation.id]
        assert remote.obj["metadata"]["migrated_from"] == thread.id
        kinds = [t.kind for t in pane.turns]
        assert TurnKind.TOOL_CALL in kinds and TurnKind.TOOL_OUTPUT in kinds
        fresh = await app.services.registry.get_pk(thread.pk)
        assert fresh.migrated_to == conversation.id

        listing.cursor = listing.source.index_of(thread.pk)
        await settle(pilot)
        row = listing.cursor * 2 + 1 - round(listing.scroll_offset.y)  # the details line
        shown = "".join(s.text for s in listing.render_line(row)._segments)
        assert "migrated" in shown  # the sidebar shows the link
        before = len(remote.items)
        await pilot.press("M")
        await settle(pilot)
        assert len(remote.items) == before  # not carried twice
        assert any("migrated already" in str(n.message) for n in app._notifications)
