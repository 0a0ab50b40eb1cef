"""The hostile corpus, served by the emulator, opened, searched, exported and copied.

Every frame the app composites is turned into the bytes a real terminal would receive
(``CompositorUpdate.render_segments``, what Textual's driver writes), and those bytes may
hold only the app's own cursor moves and colours: no sequence, control character or bidi
override from the content.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest
from textual._compositor import CompositorUpdate

from tests.app.conftest import SIZE
from tests.conftest import settle, until
from tests.hostile import FORBIDDEN, INVISIBLE, Hostile, corpus, words
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.thread_list import ThreadList
from tui.emulator.demo import DEMO_KEY
from tui.model import Kind, Tracked, TurnKind
from tui.ops.exporting import as_json, load_history, markdown
from tui.text import clean

# What the app itself writes: SGR colours and cursor positioning. Nothing else may appear.
OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H")


class TerminalTap:
    """The bytes each composited frame would put on a terminal."""

    def __init__(self, app: Any) -> None:
        self.frames: list[str] = []
        display = app._display

        def tapped(screen: Any, renderable: Any) -> None:
            if isinstance(renderable, CompositorUpdate):
                self.frames.append(renderable.render_segments(app.console))
            display(screen, renderable)

        app._display = tapped

    def check(self) -> str:
        """Every frame so far, checked; the text they showed (sequences removed)."""
        sent = "".join(self.frames)
        self.frames.clear()
        text = OWN_SEQUENCES.sub("", sent)
        leaked = FORBIDDEN.findall(text)
        assert not leaked, f"control characters reached the terminal: {sorted(set(leaked))!r}"
        assert not INVISIBLE.search(text), "a zero-width character would shift the row"
        return text


def marked(entry: Hostile, n: int) -> str:
    """The entry's text with a word to search it by."""
    return f"{entry.text}\n\nhostilemarker{n}"


async def seed(
    app: Any, kinds: tuple[Kind, ...] = (Kind.CONVERSATION, Kind.THREAD)
) -> list[tuple[Hostile, Tracked]]:
    """Each entry as a conversation and as a thread on the demo server, tracked."""
    svc = app.services
    tracked: list[tuple[Hostile, Tracked]] = []
    for n, entry in enumerate(corpus()):
        for kind in kinds:
            api = svc.api_for_kind(kind)
            title = entry.text[:500] if not entry.large else entry.name
            remote = await api.create(metadata={"title": title}, first_message=marked(entry, n))
            item, _ = await svc.registry.track_remote(remote, svc.profile.connection, source="test")
            tracked.append((entry, item))
    return tracked


async def open_and_look(pilot: Any, tap: TerminalTap, item: Tracked) -> tuple[str, list[Any]]:
    """Open ``item`` as a user would; the text the terminal showed, and the turns."""
    app = pilot.app
    await app.main.reload_list(select_pk=item.pk)
    app.main.open_item(item)
    pane = app.query_one(MessagePane)
    await until(lambda: pane.item is not None and pane.item.pk == item.pk, item.id)
    await settle(pilot)
    await until(lambda: bool(pane.query(MessageView)), f"{item.id}'s messages")
    await pilot.pause()
    return tap.check(), list(pane.turns)


@pytest.mark.long
async def test_the_corpus_opens_literally_and_nothing_leaks(app_factory, tmp_path: Path) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tap = TerminalTap(app)
        seeded = await seed(app)
        for entry, item in seeded:
            shown, turns = await open_and_look(pilot, tap, item)
            [turn] = [t for t in turns if t.kind is TurnKind.MESSAGE]
            assert turn.text.startswith(entry.text[:1000])  # the data is kept as it came
            if not entry.large:
                flat = re.sub(r"\s+", "", shown)
                missing = [w for w in words(clean(entry.text)) if w not in flat]
                assert not missing, f"{entry.name}: {missing} not shown"
            assert "Traceback" not in shown

            svc = app.services
            api, why = svc.api_for(item)
            history = await load_history(svc.registry, item, api, why_no_api=why)
            exported = markdown(history)
            assert not FORBIDDEN.search(exported), entry.name
            doc = json.loads(as_json(history))
            texts = [p["text"] for p in doc["turns"][0]["parts"] if p["text"]]
            assert "\n\n".join(texts) == turn.text  # JSON keeps the data exactly

        rich = next(item for entry, item in seeded if entry.name == "rich markup")
        shown, _ = await open_and_look(pilot, tap, rich)
        assert "[bold red]not bold[/]" in shown and "[link=https://evil.example]" in shown


@pytest.mark.long
async def test_the_corpus_is_found_by_search_and_copied_clean(
    app_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[str] = []
    monkeypatch.setattr("pyperclip.copy", copied.append)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tap = TerminalTap(app)
        seeded = await seed(app, (Kind.CONVERSATION,))
        listing = app.query_one(ThreadList)
        for n, (entry, item) in enumerate(seeded):
            await open_and_look(pilot, tap, item)  # archived as it opens
            await pilot.press("Y")
            await until(lambda n=n: len(copied) == n + 1, "the copy")
            assert not FORBIDDEN.search(copied[-1]), entry.name
            assert f"hostilemarker{n}" in copied[-1]
            await pilot.press("slash")
            box = app.query_one("#filter")
            box.value = "hostilemarke"  # the last keys are typed
            box.cursor_position = len(box.value)
            await pilot.press("r", *str(n), "enter")
            await settle(pilot)
            found = {listing.source.get(i).id for i in range(listing.count)}
            assert item.id in found, f"{entry.name}: not found by its words"
            tap.check()
            app.query_one("#filter").value = ""
            await settle(pilot)


async def test_a_lone_surrogate_from_the_server_is_shown_and_archived(app_factory, demo) -> None:
    body = (
        '{"metadata": {"title": "broken \\ud800 title"}, "items": [{"type": "message", '
        '"role": "user", "content": "lone \\udc00 surrogate"}]}'
    )
    headers = {"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"}
    created = httpx2.post(f"{demo.server.base_url}/conversations", content=body, headers=headers)
    assert created.status_code == 200, created.text
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tap = TerminalTap(app)
        svc = app.services
        remote = await svc.api_for_kind(Kind.CONVERSATION).retrieve(created.json()["id"])
        item, _ = await svc.registry.track_remote(remote, svc.profile.connection, source="test")
        shown, _ = await open_and_look(pilot, tap, item)
        assert "lone \ufffd surrogate" in shown
        archived = await svc.registry.archive.page(item, limit=10)
        assert [t.text for t in archived.turns] == ["lone \ufffd surrogate"]
        assert not any("failed" in str(n.message).lower() for n in app._notifications)
