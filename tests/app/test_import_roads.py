"""The import dialog's roads, chosen and filled with the keyboard alone: traces, a session
file, a database; and what it says when a road cannot be read."""

from __future__ import annotations

import json
import sqlite3

from tests.app.conftest import SIZE
from tests.conftest import settle, until
from tests.kit.agents_sessions import conversation, make_session_file
from tui.app.screens.import_dialog import ImportDialog
from tui.model import Kind


async def dialog(pilot) -> ImportDialog:
    await settle(pilot)
    await pilot.press("i")
    app = pilot.app
    screen = await until(lambda: isinstance(app.screen, ImportDialog) and app.screen, "dialog")
    await settle(pilot)
    return screen


async def choose(pilot, steps: int) -> None:
    """From the paste area: back to the roads, ``steps`` to the right, pick it (the path
    field takes the keys next)."""
    await pilot.press("shift+tab", *["right"] * steps, "enter")


def shown(screen: ImportDialog) -> str:
    return "\n".join(str(line.text) for line in screen.query_one("#results").lines)


async def finished(pilot, screen: ImportDialog) -> str:
    await until(lambda: " added." in shown(screen), "the import's summary")
    return shown(screen)


async def test_a_traces_file_imports_with_its_span_attributes(app_factory, tmp_path) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fresh = await app.services.api_for_kind(Kind.CONVERSATION).create()
        span = {
            "attributes": [
                {"key": "gen_ai.conversation.id", "value": {"stringValue": fresh.id}},
                {"key": "user.id", "value": {"stringValue": "u-7"}},
            ]
        }
        trace = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
        path = tmp_path / "otel.jsonl"
        path.write_text(json.dumps(trace) + "\n", encoding="utf-8")
        screen = await dialog(pilot)
        await choose(pilot, 1)
        await pilot.press(*str(path), "ctrl+s")
        text = await finished(pilot, screen)
        assert f"added           {fresh.id}" in text and "1 IDs, 1 added." in text
        item = await app.services.registry.get(app.services.profile.connection, fresh.id)
        assert item is not None and item.metadata.get("user.id") == "u-7"


async def test_a_session_file_and_a_database_import_by_keyboard(app_factory, tmp_path) -> None:
    sessions = make_session_file(tmp_path / "agents.db", {"user_9": conversation(2)})
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        screen = await dialog(pilot)
        await choose(pilot, 2)
        await pilot.press(*str(sessions), "ctrl+s")
        text = await finished(pilot, screen)
        assert "user_9" in text and "1 IDs, 1 added." in text

        fresh = await app.services.api_for_kind(Kind.THREAD).create()
        db = tmp_path / "app.db"
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE chats (user_id TEXT, thread_id TEXT)")
            conn.execute("INSERT INTO chats VALUES ('u42', ?)", (fresh.id,))
        await pilot.press("shift+tab", "right", "enter")  # from the path: Database
        await pilot.press("end", "ctrl+u", *str(db), "tab", *"SELECT user_id, thread_id FROM chats")
        await pilot.press("ctrl+s")
        await until(lambda: "IDs from column thread_id" in shown(screen), "the database road")
        await until(lambda: shown(screen).count(" added.") == 2, "its summary")
        item = await app.services.registry.get(app.services.profile.connection, fresh.id)
        assert item is not None and item.metadata.get("user_id") == "u42"


async def test_a_road_that_cannot_be_read_says_why(app_factory, tmp_path) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        screen = await dialog(pilot)
        await choose(pilot, 1)
        await pilot.press("ctrl+s")
        await until(lambda: "Give the path to read first." in shown(screen), "the hint")
        await pilot.press(*str(tmp_path / "nowhere.jsonl"), "ctrl+s")
        await until(lambda: "Cannot read" in shown(screen), "the reason")
        assert "No such file" in shown(screen) and "Unexpected" not in shown(screen)
        await pilot.press("shift+tab", "right", "right", "enter")  # Database
        await pilot.press("end", "ctrl+u", *"sqlite:///nowhere.db", "ctrl+s")
        await until(lambda: "Give the query" in shown(screen), "the query's hint")
        await pilot.press("tab", *"SELECT 1", "ctrl+s")
        await until(lambda: "nowhere.db" in shown(screen).split("query")[-1], "why not")
        assert "Unexpected" not in shown(screen)
