"""Snapshots of the real app on fixed demo data (fixed times, seed and port)."""

from __future__ import annotations

import pytest

from tests.app.conftest import EPOCH, NOW
from tests.conftest import settle, until
from tui.app.demo import demo_settings, start_demo
from tui.app.launch import make_app
from tui.config import Profile, Settings
from tui.emulator import EmulatorConfig
from tui.model import Connection

pytestmark = pytest.mark.xdist_group("snapshots")  # one fixed port (it shows in the pictures)

PORT = 48765
SIZE = (110, 32)


@pytest.fixture
def demo_app(tmp_path):
    sessions = []

    def make(**config):
        cfg = EmulatorConfig(token_delay_ms=1, epoch=EPOCH.timestamp(), **config)
        session = start_demo(tmp_path / "r.db", config=cfg, port=PORT)
        sessions.append(session)
        settings = demo_settings(session, Settings())
        return make_app(
            str(session.db_path),
            settings,
            settings.profile("demo"),
            demo=session,
            clock=lambda: NOW,
        )

    yield make
    for session in sessions:
        session.stop()


def test_main_screen(snap_compare, demo_app) -> None:
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=settle)


def test_main_screen_80x24(snap_compare, demo_app) -> None:
    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=settle)


def test_light_theme(snap_compare, demo_app) -> None:
    async def light(pilot) -> None:
        pilot.app.theme = "textual-light"
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=light)


def test_long_thread(snap_compare, demo_app) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        app = pilot.app
        [item] = await app.services.registry.find(_long_id(app))
        app.main.open_item(item)
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def _long_id(app) -> str:
    listing = app.query_one("#list")
    for index in range(listing.count):
        item = listing.source.get(index)
        if item is not None and item.title == "A very long support thread":
            return item.id
    raise AssertionError("the long demo thread is not in the list")


def test_import_dialog(snap_compare, demo_app) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("i")
        pilot.app.screen.query_one(
            "#paste"
        ).text = "2026-11-02 ERROR run_zdE51vuY4FlBpEy2dYb3870E failed\nthread_abc123"
        await pilot.press("ctrl+s")
        pilot.app.screen.set_focus(None)  # a blinking cursor would make the picture flake
        log = pilot.app.screen.query_one("#results")
        await until(lambda: any("IDs," in str(line.text) for line in log.lines), "the verdict")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, demo_app) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_empty_registry_without_key(snap_compare, tmp_path) -> None:
    profile = Profile(
        "default", Connection("http://127.0.0.1:9/v1"), key_env="THREAD_BROWSER_TEST_UNSET_KEY"
    )
    app = make_app(
        str(tmp_path / "empty.db"), Settings({"default": profile}), profile, clock=lambda: NOW
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_sunset_banner(snap_compare, demo_app) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(demo_app(sunset=True), terminal_size=SIZE, run_before=run_before)


def test_rejected_key_banner(snap_compare, demo_app) -> None:
    app = demo_app(api_keys=frozenset({"only-this-key"}))
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_offline_banner(snap_compare, tmp_path) -> None:
    cfg = EmulatorConfig(token_delay_ms=1, epoch=EPOCH.timestamp())
    session = start_demo(tmp_path / "r.db", config=cfg, port=PORT)
    session.stop()
    settings = demo_settings(session, Settings())
    app = make_app(
        str(session.db_path), settings, settings.profile("demo"), demo=session, clock=lambda: NOW
    )

    async def run_before(pilot) -> None:
        await until(lambda: pilot.app.query_one("#banner").has_class("-shown"), "the banner")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
