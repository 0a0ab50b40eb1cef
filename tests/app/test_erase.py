"""Erase by metadata from the command palette, with the keyboard alone."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.app.conftest import SIZE
from tests.app.test_delete import on_server, screen_text
from tests.conftest import settle, until
from tui.app.screens.confirm_erase import ConfirmErase
from tui.app.screens.delete_progress import DeleteProgress
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.thread_list import ThreadList
from tui.model import ItemState, TitleSource
from tui.ops.erasing import KEPT_NOTHING


async def type_filter(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("slash", *text)
    await settle(pilot)
    assert pilot.app.query_one("#filter", Input).value == text
    await pilot.press("enter")  # to the list


async def palette(pilot: Pilot[Any], command: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*command)
    await settle(pilot)
    await pilot.press("enter")


async def test_the_palette_erases_what_the_filter_names(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_filter(pilot, "user_id=user_003")
        listing = app.query_one(ThreadList)
        matching = [listing.source.get(i) for i in range(listing.count)]
        assert 2 < len(matching) <= 20
        await pilot.press("enter")  # open the first: its history is archived
        await settle(pilot)
        registry = app.services.registry
        opened = app.query_one(MessagePane).item
        assert opened is not None and await registry.archive.all(opened)

        await palette(pilot, "Erase by metadata")
        screen = await until(lambda: isinstance(app.screen, ConfirmErase) and app.screen, "ask")
        text = str(screen.query_one("#plan", Static).render())
        assert f"Erase by metadata user_id=user_003: {len(matching)} items match." in text
        assert f"Delete {len(matching)} items on the server" in text
        assert "archived message" in text and "Nothing is archived first" in text
        await pilot.press("n")
        await until(lambda: not isinstance(app.screen, ConfirmErase), "cancel")
        assert all(on_server(demo, i.id) for i in matching)
        assert await registry.archive.all(opened), "cancelling erases nothing"

        await palette(pilot, "Erase by metadata")
        await until(lambda: isinstance(app.screen, ConfirmErase), "the confirmation again")
        await pilot.press("y")
        progress = await until(
            lambda: isinstance(app.screen, DeleteProgress) and app.screen, "progress"
        )
        await until(lambda: progress.finished, "the erase to finish", timeout=60)
        text = screen_text(app)
        assert f"Deleted: {len(matching)}" in text and f"Erased here: {len(matching)} items" in text
        await pilot.press("enter")
        await settle(pilot)

        assert not any(on_server(demo, i.id) for i in matching)
        for item in matching:
            fresh = await registry.get_pk(item.pk)
            assert fresh is not None and fresh.state is ItemState.DELETED
            assert not await registry.archive.all(fresh)
            assert fresh.title_source in (TitleSource.ID, TitleSource.METADATA)
        pane = app.query_one(MessagePane)
        assert pane.item is not None and pane.item.pk == opened.pk and not pane.turns
        receipts = await registry.receipts.since()
        assert {r.item_id for r in receipts} == {i.id for i in matching}
        assert {r.kept_locally for r in receipts} == {KEPT_NOTHING}
        assert listing.count == 0  # deleted items are hidden; the filter still applies


async def test_without_metadata_in_the_filter_it_says_what_to_do(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_filter(pilot, "refund")
        await palette(pilot, "Erase by metadata")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmErase)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "press / and type key=value pairs" in said


async def test_more_than_twenty_need_their_number_typed(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        registry = app.services.registry
        listing = app.query_one(ThreadList)
        cohort = [listing.source.get(i) for i in range(21)]
        for item in cohort:  # the registry's metadata only: the erase matches what it holds
            await registry.set_metadata(item, {**item.metadata, "cohort": "c1"}, source="test")
        await type_filter(pilot, "cohort=c1")
        assert listing.count == 21

        await palette(pilot, "Erase by metadata")
        screen = await until(lambda: isinstance(app.screen, ConfirmErase) and app.screen, "ask")
        box = screen.query_one("#count", Input)
        await until(lambda: screen.focused is box, "the number box focused")
        await pilot.press("y", "enter")  # not enough for this many
        assert app.screen is screen
        assert "nothing was deleted" in str(screen.query_one("#refused", Static).render())
        assert all(on_server(demo, i.id) for i in cohort)
        await pilot.press(*"21", "enter")
        progress = await until(
            lambda: isinstance(app.screen, DeleteProgress) and app.screen, "progress"
        )
        await until(lambda: progress.finished, "the erase to finish", timeout=60)
        assert "Erased here: 21 items" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not any(on_server(demo, i.id) for i in cohort)
