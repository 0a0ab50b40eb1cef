"""``I`` in the app: discover what the server lists, with the keyboard alone."""

from __future__ import annotations

from tests.app.conftest import SIZE
from tests.conftest import settle, strict_client, until
from tui.app.screens.choice import ChoiceDialog
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
        assert set(made) <= {item.id for item in completions}
        await pilot.press("slash", *"Stored 2", "enter")
        await until(lambda: listing.count == 1, "the filter")
        await pilot.press("enter")
        pane = app.query_one(MessagePane)
        await until(lambda: len(pane.query(MessageView)) == 2, "the completion's history")
        await pilot.press("a")  # the model the continuation is made with
        await until(lambda: isinstance(app.screen, ChoiceDialog), "the model picker")
        await pilot.press(*"gpt-4o-mini", "enter")
        await until(lambda: not isinstance(app.screen, ChoiceDialog), "the picker to close")
        await pilot.press("c", *"And in winter?", "ctrl+s")
        await until(lambda: listing.count == 2, "the continuation in the list")
        chat = app.main.chat
        await until(lambda: chat.opened is not None and chat.opened.id not in made, "it opens")
        new = chat.opened
        await until(lambda: len(pane.query(MessageView)) == 4, "the whole history")
        texts = [v.turn.text for v in pane.query(MessageView)]
        assert texts[0] == "Stored question 2 京都" and texts[2] == "And in winter?"
        assert new.kind is Kind.COMPLETION and new.metadata["continues"] == made[2]
        assert new.title == "Stored 2" and new.choice == "gpt-4o-mini"
        stored = client.chat.completions.retrieve(new.id)
        assert stored.metadata["continues"] == made[2] and stored.choices[0].message.content
        listing_raw = client.chat.completions.messages.with_raw_response.list(new.id)
        said = listing_raw.http_response.json()["data"]  # (the SDK's type says assistant only)
        assert [m["content"] for m in said][-1] == "And in winter?" and len(said) == 3
