"""Marking and deleting in the app: confirmation, progress, summary, resuming."""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static

from tests.app.conftest import SIZE
from tests.conftest import settle, until
from tui.app.screens.confirm_delete import ConfirmDelete
from tui.app.screens.delete_progress import DeleteProgress
from tui.app.screens.interrupted import InterruptedDeletions
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.thread_list import ThreadList
from tui.emulator.chat import chat_store
from tui.emulator.demo import DEMO_KEY
from tui.model import Connection, ItemState, Kind


def on_server(demo, item_id: str) -> bool:
    ns = demo.server.emulator.namespace(DEMO_KEY)
    stored = chat_store(ns).completions
    kept = (ns.threads, ns.conversations, ns.responses, stored)
    return any(item_id in found for found in kept)


def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def filter_list(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("slash")
    pilot.app.query_one("#filter", Input).value = text
    await settle(pilot)
    await pilot.press("enter")  # to the list


async def finish_progress(pilot: Pilot[Any]) -> DeleteProgress:
    screen = await until(
        lambda: isinstance(pilot.app.screen, DeleteProgress) and pilot.app.screen, "progress"
    )
    await until(lambda: screen.finished, "the deletion to finish", timeout=60)
    return screen


async def test_mark_confirm_delete_and_read_the_archive(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await filter_list(pilot, "user_id=user_003")
        listing = app.query_one(ThreadList)
        matching = listing.count
        assert 2 < matching < 20
        await pilot.press("asterisk")
        await until(lambda: len(listing.marked) == matching, "every match marked")
        assert f"{matching} marked" in str(app.query_one("#count", Static).render())
        await pilot.press("u")
        assert not listing.marked
        first, second = listing.source.get(0), listing.source.get(1)
        listing.cursor = 0
        await pilot.press("space", "space")
        assert listing.marked == {first.pk, second.pk}

        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmDelete), "the confirmation")
        text = screen_text(app)
        assert "Delete 2 items on the server" in text
        assert first.id in text and second.id in text
        assert demo.server.base_url in text
        assert app.screen.query_one("#archive", Checkbox).value is True  # archive first
        await pilot.press("n")
        await until(lambda: not isinstance(app.screen, ConfirmDelete), "cancel")
        assert on_server(demo, first.id) and on_server(demo, second.id)

        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmDelete), "the confirmation")
        await pilot.press("y")
        progress = await finish_progress(pilot)
        assert "Deleted: 2" in screen_text(app)
        await pilot.press("enter")
        await until(lambda: app.screen is not progress, "the summary to close")
        await settle(pilot)

        assert not on_server(demo, first.id) and not on_server(demo, second.id)
        registry = app.services.registry
        for item in (first, second):
            fresh = await registry.get_pk(item.pk)
            assert fresh.state is ItemState.DELETED
            assert await registry.archive.all(fresh), "the history was archived first"
        assert listing.count == matching - 2 and not listing.marked

        await pilot.press("A")  # deleted items show, read-only, from the archive
        await settle(pilot)
        index = listing.source.index_of(first.pk)
        assert index is not None
        listing.cursor = index
        await pilot.press("enter")
        await settle(pilot)
        pane = app.query_one(MessagePane)
        assert pane.item.state is ItemState.DELETED and pane.turns
        notices = " ".join(str(w.render()) for w in pane.query(".notice"))
        assert "deleted on its server" in notices
        said: list[str] = []
        app.notify = lambda message, **_: said.append(str(message))  # type: ignore[method-assign]
        await pilot.press("c")  # no composer on a deleted item: it says why
        await settle(pilot)
        assert any("archive is read-only" in s for s in said), said
        assert not any(c.display for c in app.query("Composer"))


async def test_a_large_deletion_needs_its_number_typed(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.query_one(ThreadList)
        await pilot.press("asterisk")
        await until(lambda: len(listing.marked) == listing.count, "all marked")
        total = len(listing.marked)
        assert total > 20
        await pilot.press("d")
        screen = await until(
            lambda: isinstance(app.screen, ConfirmDelete) and app.screen, "confirmation"
        )
        await pilot.press("y")  # not enough for this many
        assert app.screen is screen
        await pilot.press(*"12", "enter")
        assert app.screen is screen
        assert "nothing was deleted" in str(screen.query_one("#refused", Static).render())
        assert all(on_server(demo, i) for i in demo.manifest.threads[:3])
        await pilot.click("#archive")  # not archiving makes this quick
        assert screen.query_one("#archive", Checkbox).value is False
        screen.query_one("#count", Input).focus()
        await pilot.press(*str(total), "enter")
        await finish_progress(pilot)
        assert f"Deleted: {total}" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not any(on_server(demo, i) for i in demo.manifest.threads)
        assert listing.count == 0


async def test_items_without_credentials_are_named_and_skipped(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        registry = app.services.registry
        elsewhere = Connection("http://127.0.0.1:9/v1", project="proj_other")
        stray, _ = await registry.track("thread_" + "S" * 24, Kind.THREAD, elsewhere, source="test")
        listing = app.query_one(ThreadList)
        own = listing.current
        listing.marked.update({stray.pk, own.pk})
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmDelete), "confirmation")
        text = screen_text(app)
        assert "Delete 1 item on the server" in text
        assert "1 skipped: no credentials here" in text and "proj_other" in text
        await pilot.press("y")
        await finish_progress(pilot)
        text = screen_text(app)
        assert "Deleted: 1" in text and "Skipped (no credentials here): 1" in text
        await pilot.press("enter")
        await settle(pilot)
        kept = await registry.get_pk(stray.pk)
        assert kept.state is ItemState.ACTIVE


async def test_escape_stops_sending_and_the_rest_stays(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        emulator = demo.server.emulator
        emulator.config = dataclasses.replace(emulator.config, latency_ms=150)
        listing = app.query_one(ThreadList)
        await pilot.press("asterisk")
        await until(lambda: len(listing.marked) == listing.count, "all marked")
        total = len(listing.marked)
        await pilot.press("d")
        screen = await until(
            lambda: isinstance(app.screen, ConfirmDelete) and app.screen, "confirmation"
        )
        await pilot.click(Checkbox)
        box = screen.query_one("#count", Input)
        box.focus()
        box.value = str(total)
        await pilot.press("enter")
        progress = await until(
            lambda: isinstance(app.screen, DeleteProgress) and app.screen, "progress"
        )
        await until(lambda: progress.progress.done >= 1, "a first deletion")
        await pilot.press("escape")
        await until(lambda: progress.finished, "the stop", timeout=60)
        text = screen_text(app)
        assert "Not sent (stopped)" in text
        outcomes = progress.progress.outcomes
        sent = [o for o in outcomes if o.result.value == "deleted"]
        unsent = [o for o in outcomes if o.result.value == "not sent"]
        assert sent and unsent and len(sent) + len(unsent) == total
        assert all(on_server(demo, o.item.id) for o in unsent)
        assert all(not on_server(demo, o.item.id) for o in sent)
        await pilot.press("escape")
        await settle(pilot)
        assert await app.services.registry.deletions.pending() == []


async def test_an_interrupted_deletion_is_offered_on_the_next_start(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        items = [app.query_one(ThreadList).source.get(n) for n in range(3)]
        await app.services.registry.deletions.confirm(items, archive=False, source="test")
        ns = demo.server.emulator.namespace(DEMO_KEY)
        store = ns.threads if items[0].kind is Kind.THREAD else ns.conversations
        del store[items[0].id]  # its request went out; the crash came before the record
    again = app_factory()
    async with again.run_test(size=SIZE) as pilot:
        offer = await until(
            lambda: isinstance(again.screen, InterruptedDeletions) and again.screen,
            "the offer to resume",
        )
        await until(
            lambda: "3 confirmed deletions did not finish" in screen_text(again), "its text"
        )
        await pilot.press("r")
        await finish_progress(pilot)
        text = screen_text(again)
        assert "Deleted: 2" in text and "Already gone (404, counted as deleted): 1" in text
        await pilot.press("enter")
        await until(lambda: again.screen is not offer, "closed")
        assert await again.services.registry.deletions.pending() == []
        assert not any(on_server(demo, i.id) for i in items)
