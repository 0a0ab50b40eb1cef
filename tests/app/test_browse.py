"""Browsing: list, filter, open, details, keys."""

from __future__ import annotations

from tests.app.conftest import SIZE
from tests.conftest import settle
from tui.app.widgets.details import Details
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.thread_list import ThreadList


async def test_opens_on_the_registry_and_the_first_item(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.query_one(ThreadList)
        assert listing.count == 61
        assert app.query_one("#count").render().plain.startswith("61 tracked")
        pane = app.query_one(MessagePane)
        assert pane.item is not None and pane.item.id == listing.current.id
        assert len(pane.query(MessageView)) > 0


async def test_slash_filters_live(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused.id == "filter"
        await pilot.press(*"borscht")
        await settle(pilot)
        assert app.query_one(ThreadList).count == 0
        await pilot.press(*["backspace"] * 7, *"Рецепт")
        await settle(pilot)
        listing = app.query_one(ThreadList)
        assert listing.count == 3  # two threads and a conversation share that title
        await pilot.press("enter")
        assert app.focused is listing


async def test_escape_leaves_the_filter_and_keys_act_on_the_list_again(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.query_one(ThreadList)
        await pilot.press("slash", *"Рецепт")
        await settle(pilot)
        assert listing.count == 3
        first = listing.current
        await pilot.press("escape", "j")  # j moves in the list; it is not typed
        await settle(pilot)
        assert app.focused is listing
        assert app.query_one("#filter").value == "Рецепт"  # the filter stays as typed
        assert listing.count == 3 and listing.current is not first


async def test_a_filter_that_matches_nothing_says_so_not_that_nothing_is_tracked(
    app_factory,
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"borscht")
        await settle(pilot)
        assert app.query_one(ThreadList).count == 0
        shown = str(app.query_one(Details).render())
        assert 'matches the filter "borscht"' in shown and "tracked here yet" not in shown
