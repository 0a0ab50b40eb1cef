"""What the app says when it cannot use the server, and that history stays readable."""

from __future__ import annotations

from tests.app.conftest import EPOCH, NOW, SIZE
from tests.conftest import settle
from tests.kit.ports import spare_port
from tui.app.demo import demo_settings, start_demo
from tui.app.launch import make_app
from tui.app.widgets.banner import Banner
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.config import Profile, Settings
from tui.emulator import EmulatorConfig


def banner_text(app) -> str:
    banner = app.query_one(Banner)
    return str(banner.render()) if banner.has_class("-shown") else ""


async def open_with(tmp_path, *, config=None, stop_server=False, key_env=None, port=0):
    session = start_demo(
        tmp_path / "r.db",
        config=config or EmulatorConfig(token_delay_ms=1, epoch=EPOCH.timestamp()),
        port=port,
    )
    settings = demo_settings(session, Settings())
    profile = settings.profile("demo")
    if key_env is not None:
        profile = Profile("demo", profile.connection, key_env=key_env)
        settings = Settings({**settings.profiles, "demo": profile}, "demo")
    if stop_server:
        session.stop()
    app = make_app(str(session.db_path), settings, profile, demo=session, clock=lambda: NOW)
    return session, app


async def archive_first_item(tmp_path, port: int) -> None:
    """Open the app once with the server up, so the first item's history is archived."""
    session, app = await open_with(tmp_path, port=port)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    session.stop()


async def test_no_key_banner_and_archive_readable(tmp_path) -> None:
    port = spare_port()
    await archive_first_item(tmp_path, port)
    session, app = await open_with(tmp_path, key_env="THREAD_BROWSER_TEST_UNSET_KEY", port=port)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No API key: set THREAD_BROWSER_TEST_UNSET_KEY" in banner_text(app)
        assert len(app.query_one(MessagePane).query(MessageView)) > 0
    session.stop()


async def test_offline_banner(tmp_path) -> None:
    port = spare_port()
    await archive_first_item(tmp_path, port)
    _session, app = await open_with(tmp_path, stop_server=True, port=port)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert banner_text(app).startswith("Offline: Cannot reach")
        assert len(app.query_one(MessagePane).query(MessageView)) > 0


async def test_rejected_key_banner(tmp_path) -> None:
    config = EmulatorConfig(
        token_delay_ms=1, epoch=EPOCH.timestamp(), api_keys=frozenset({"only-this-key"})
    )
    session, app = await open_with(tmp_path, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "rejected the API key (401)" in banner_text(app)
        assert "demo-key" not in banner_text(app)
    session.stop()


async def test_sunset_banner(tmp_path) -> None:
    config = EmulatorConfig(token_delay_ms=1, epoch=EPOCH.timestamp(), sunset=True)
    session, app = await open_with(tmp_path, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.query_one("#list")
        thread = next(
            listing.source.get(i)
            for i in range(listing.count)
            if listing.source.get(i).kind.value == "thread"
        )
        app.main.open_item(thread)
        await settle(pilot)
        assert "no longer serves the Assistants API" in banner_text(app)
        assert "2026-08-26" in banner_text(app)
    session.stop()
