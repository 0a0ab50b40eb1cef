"""``I`` in the app: discover what the server lists, with the keyboard alone."""

from __future__ import annotations

from tests.app.conftest import SIZE
from tests.conftest import settle, strict_client, until
from tui.app.screens.discover_dialog import DiscoverDialog
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.thread_list import ThreadList
from tui.emulator.demo import DEMO_KEY
from tui.model import Kind


async def test_discover_tracks_the_stored_completions_and_one_opens(app_factory, demo) -> None:
    client = strict_client(demo.server.base_url, key=DEMO_KEY)
    made = [
        client.chat.completions.create(
            model="gpt-4o-mini",
            store=True,
            messages=[{"role": "user", "content": f"Stored question {n} 京都"}],
            metadata={"title": f"Stored {n}"},
        ).id
        for n in range(3)
    ]
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.query_one(ThreadList)
        before = listing.count
        await pilot.press("I")
        dialog = await until(
            lambda: isinstance(app.screen, DiscoverDialog) and app.screen, "dialog"
        )
        status = dialog.query_one("#status")
        await until(lambda: str(status.render()).startswith("done"), "discovery to end")
        assert str(status.render()) == "done: 3 new items tracked"
        await pilot.press("escape")
        await until(lambda: listing.count == before + 3, "the list to show them")
        found = [listing.source.get(i) for i in range(listing.count)]
        completions = [item for item in found if item and item.kind is Kind.COMPLETION]
        assert {item.id for item in completions} == set(made)
        await pilot.press("slash", *"Stored 2", "enter")
        await until(lambda: listing.count == 1, "the filter")
        await pilot.press("enter")
        pane = app.query_one(MessagePane)
        await until(lambda: len(pane.query(MessageView)) == 2, "the completion's history")
        await pilot.press("c")
        await until(
            lambda: any("cannot take more messages" in str(n.message) for n in app._notifications),
            "the refusal",
        )
