"""A pasted filter of 1,400 words: the app stays responsive, says what it left out."""

from __future__ import annotations

import resource

from textual import events

from tests.app.conftest import SIZE
from tests.conftest import settle
from tui.app.widgets.thread_list import ThreadList

WORDS = [
    "thread",
    "recipe",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "it",
    "for",
    "on",
    "with",
    "as",
    "at",
    "by",
]
PASTE = " ".join(WORDS * 90)  # 1,440 common words, 16 of them distinct


async def test_a_huge_pasted_filter_is_shortened_and_said(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused.id == "filter"
        app.focused.post_message(events.Paste(PASTE))
        await settle(pilot)
        assert app.main.sidebar.filter_text == PASTE
        titles = [n.title for n in app._notifications]
        assert "Filter shortened" in titles, titles
        await pilot.press("escape")
        await settle(pilot)
        marked_before = len(app.main.marked)
        await app.main.run_action("mark_all")
        await settle(pilot)
        assert len(app.main.marked) == marked_before  # a widened filter marks nothing
        assert any("Not marked" in str(n.message) for n in app._notifications)
        assert app.query_one(ThreadList).count >= 0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < 1500, f"{peak_mb:.0f} MB"
