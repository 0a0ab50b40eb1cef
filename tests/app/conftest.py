"""The real app over the emulator, through Textual's Pilot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tui.app.demo import DemoSession, demo_settings, start_demo
from tui.app.launch import make_app
from tui.config import Settings
from tui.emulator import EmulatorConfig

EPOCH = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SIZE = (110, 32)


@pytest.fixture
def demo(tmp_path) -> Iterator[DemoSession]:
    """The demo emulator with fixed times, and a fresh registry path."""
    session = start_demo(
        tmp_path / "registry.sqlite3",
        config=EmulatorConfig(token_delay_ms=1, epoch=EPOCH.timestamp()),
    )
    yield session
    session.stop()


@pytest.fixture
def app_factory(demo: DemoSession):
    """``app_factory()`` makes the real app on the demo data (fixed clock)."""

    def make(**kw):
        settings = demo_settings(demo, Settings())
        return make_app(
            str(demo.db_path),
            settings,
            settings.profile("demo"),
            demo=demo,
            clock=lambda: NOW,
            **kw,
        )

    return make
