"""Browsing in the real app (Pilot) while the emulator faults 20% of requests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.app.conftest import EPOCH, NOW, SIZE
from tests.faults.conftest import FAULTS, assert_healthy, fault_summary
from tui.api.errors import ApiError
from tui.api.protocol import MESSAGE_PAGE
from tui.app.app import ThreadBrowserApp
from tui.app.demo import DemoSession, demo_settings, start_demo
from tui.app.launch import make_app
from tui.app.screens.main import MainScreen
from tui.app.widgets.banner import Banner
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.thread_list import ThreadList
from tui.config import Settings
from tui.emulator import EmulatorConfig
from tui.emulator.demo import DEMO_KEY

OPEN_BUDGET = 20.0  # seconds one open may take, retries included
EVERY = 3  # every third item of the list is opened: both kinds, short and long histories
PAGES = 8  # older pages of the long thread to load


@dataclass
class Seen:
    """What the app told the user: each pane load, and each notification."""

    loads: list[tuple[str, str, Exception | None]]
    notes: list[tuple[str, str]]


@pytest.fixture
def session(tmp_path) -> Iterator[DemoSession]:
    config = EmulatorConfig(token_delay_ms=1, epoch=EPOCH.timestamp(), **FAULTS)  # type: ignore[arg-type]
    demo = start_demo(tmp_path / "registry.sqlite3", config=config)
    yield demo
    demo.stop()


def watch(app: ThreadBrowserApp, monkeypatch: pytest.MonkeyPatch) -> Seen:
    seen = Seen([], [])
    loaded = MainScreen.on_message_pane_loaded

    def on_loaded(self: MainScreen, event: MessagePane.Loaded) -> None:
        seen.loads.append((event.item.id, event.source, event.error))
        loaded(self, event)

    notify = app.notify

    def noted(message: str, *, title: str = "", **kw: object) -> None:
        seen.notes.append((title, str(message)))
        notify(message, title=title, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(MainScreen, "on_message_pane_loaded", on_loaded)
    app.notify = noted  # type: ignore[method-assign]
    return seen


async def idle(pilot, budget: float = OPEN_BUDGET) -> None:
    """Until every worker is done (bounded: a hang fails the test)."""
    await pilot.pause()
    await asyncio.wait_for(pilot.app.workers.wait_for_complete(), budget)
    await pilot.pause()


def told(app: ThreadBrowserApp, seen: Seen, error: ApiError) -> bool:
    """True when the user saw this error: in the banner, or in a notification."""
    banner = str(app.query_one(Banner).render())
    return str(error) in banner or any(str(error) in text for _, text in seen.notes)


@pytest.mark.long
async def test_opening_every_item_ends_in_its_history_or_a_reason(
    session, tmp_path, monkeypatch
) -> None:
    settings = demo_settings(session, Settings())
    app = make_app(
        str(session.db_path), settings, settings.profile("demo"), demo=session, clock=lambda: NOW
    )
    seen = watch(app, monkeypatch)
    started = time.monotonic()
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        listing = app.query_one(ThreadList)
        assert listing.count == 61
        failed: dict[str, ApiError] = {}
        opened = range(0, listing.count, EVERY)
        for index in opened:
            listing.cursor = index
            item = listing.current
            del seen.loads[:]
            app.main.open_item(item)
            await idle(pilot)
            last = [load for load in seen.loads if load[0] == item.id][-1]
            if last[2] is None:
                assert last[1] == "api", f"{item.id} was never loaded from its server"
                continue
            error = last[2]
            assert isinstance(error, ApiError), repr(error)
            assert told(app, seen, error), f"{item.id}: {error} was never shown"
            failed[item.id] = error
        banner = app.query_one(Banner)
        if seen.loads[-1][2] is None:
            assert not banner.has_class("-shown")  # an answer clears an earlier outage
        assert not [n for n in seen.notes if n[0] == "That failed"], seen.notes
    took = time.monotonic() - started
    faults = fault_summary(session.server)
    assert sum(faults.values()) >= 10
    assert_healthy(session.db_path)
    print(f"browse: {len(opened)} items, {len(failed)} not loaded, faults {faults}, {took:.1f} s")


@pytest.mark.long
async def test_older_pages_load_in_the_end_despite_faults(session, tmp_path, monkeypatch) -> None:
    settings = demo_settings(session, Settings())
    app = make_app(
        str(session.db_path), settings, settings.profile("demo"), demo=session, clock=lambda: NOW
    )
    seen = watch(app, monkeypatch)
    thread_id = session.manifest.long_thread
    messages = session.server.emulator.namespace(DEMO_KEY).threads[thread_id].messages
    newest = [m["id"] for m in messages][-MESSAGE_PAGE * PAGES :]
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        listing = app.query_one(ThreadList)
        item = next(
            listing.source.get(i)
            for i in range(listing.count)
            if listing.source.get(i).id == thread_id
        )
        pane = app.query_one(MessagePane)
        for _attempt in range(10):
            app.main.open_item(item)
            await idle(pilot)
            if pane.turns:
                break
        for _attempt in range(4 * PAGES):
            if len(pane.turns) >= len(newest):
                break
            pane.load_older()
            await idle(pilot)
        assert [t.id for t in pane.turns] == newest  # every page, in order, nothing twice
        assert not [n for n in seen.notes if n[0] == "That failed"], seen.notes
    assert_healthy(session.db_path)
