"""Agents SDK sessions: a real SQLiteSession file read (never written), imported and paged."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tests.kit.agents_sessions import HOSTILE, conversation, digest, make_session_file
from tui.api.errors import Invalid, NotFound, Unsupported
from tui.api.sessions import READ_ONLY, FileUnreadable
from tui.model import Kind, TurnKind
from tui.ops.exporting import load_history, markdown
from tui.ops.importing import Outcome
from tui.ops.sessions import file_connection, import_sessions, session_api
from tui.store import Registry


@pytest.fixture
def session_file(tmp_path):
    items = conversation(1) + [{"role": "user", "content": f"message {n}"} for n in range(120)]
    return make_session_file(
        tmp_path / "agents.db",
        {
            "user_123": items,
            "alice@example.com": [
                {"role": "user", "content": [{"type": "input_text", "text": HOSTILE}]}
            ],
            "has space": [{"role": "user", "content": "refused"}],
        },
    )


async def test_import_tracks_each_session_titled_by_its_first_user_message(
    session_file, tmp_path
) -> None:
    before = digest(session_file)
    async with await Registry.open(tmp_path / "r.db") as registry:
        found = await import_sessions(session_file, registry)
        by_id = {r.id: r for r in found.results}
        assert by_id["user_123"].outcome is Outcome.ADDED
        assert by_id["user_123"].title == "Question 1: what is the weather in Kyoto?"
        assert by_id["alice@example.com"].outcome is Outcome.ADDED
        assert "[bold red]pwned" in (by_id["alice@example.com"].title or "")  # shown cleaned
        refused = by_id["'has space'"]
        assert refused.outcome is Outcome.MALFORMED and "not a session ID" in refused.message
        again = await import_sessions(session_file, registry)
        assert {r.outcome for r in again.results if r.ok} == {Outcome.ALREADY}
        item = await registry.get(file_connection(session_file), "user_123")
        assert item is not None and item.kind is Kind.SESSION
        assert item.connection.base_url == session_file.resolve().as_uri()
    assert digest(session_file) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("agents")) == [
        "agents.db"
    ]  # no journal, log or shared-memory file left beside it


async def test_history_pages_oldest_first_and_export(session_file, tmp_path) -> None:
    before = digest(session_file)
    api = session_api(file_connection(session_file))
    newest = await api.history("user_123", limit=50)
    assert [t.text for t in newest.turns][-1] == "message 119" and len(newest.turns) == 50
    older = await api.history("user_123", before=newest.older_cursor, limit=50)
    oldest = await api.history("user_123", before=older.older_cursor, limit=50)
    assert oldest.older_cursor is None and len(oldest.turns) == 25
    first = oldest.turns
    assert first[0].role == "user" and first[0].text.startswith("Question 1")
    assert first[1].kind is TurnKind.OTHER and first[1].parts[0].type == "reasoning"
    assert first[2].kind is TurnKind.TOOL_CALL and first[2].tool_calls[0].name == "get_weather"
    assert first[3].kind is TurnKind.TOOL_OUTPUT and first[3].tool_calls[0].output == "Sunny, 21 C"
    assert first[4].role == "assistant" and first[4].text == "Answer 1: sunny."
    ids = [t.id for t in (*oldest.turns, *older.turns, *newest.turns)]
    assert len(set(ids)) == 125 and ids[0] == "row_1"
    async with await Registry.open(tmp_path / "r.db") as registry:
        await import_sessions(session_file, registry)
        item = await registry.get(file_connection(session_file), "user_123")
        assert item is not None
        history = await load_history(registry, item, api)
        assert history.source == "api" and len(history.turns) == 125
        assert history.item.history_complete and history.item.message_count == 125
        assert "get_weather" in markdown(history)
    assert digest(session_file) == before


async def test_hostile_content_is_data(session_file) -> None:
    api = session_api(file_connection(session_file))
    (turn,) = (await api.history("alice@example.com")).turns
    assert turn.text == HOSTILE  # kept exactly: the pane and exports clean what they show


async def test_writes_are_refused_and_nothing_is_sent(session_file) -> None:
    api = session_api(file_connection(session_file))
    with pytest.raises(Unsupported, match="read-only: Thread Browser never writes a session"):
        await api.update_metadata("user_123", {"a": "b"})
    with pytest.raises(Unsupported, match=READ_ONLY[:40]):
        await api.delete("user_123")
    with pytest.raises(Unsupported, match="never writes"):
        async for _ in api.send("user_123", "hello", choice="gpt-4o"):
            pass
    with pytest.raises(Invalid):
        await api.create()
    assert await api.list_choices() == []


async def test_unreadable_items_become_notes(tmp_path) -> None:
    path = make_session_file(tmp_path / "s.db", {"s": [{"role": "user", "content": "hi"}]})
    with sqlite3.connect(path) as conn:  # a program (not us) writes what it should not
        conn.executemany(
            "INSERT INTO agent_messages (session_id, message_data) VALUES ('s', ?)",
            [("{not json",), ('"a string"',), ('{"role": "user", "content": 5}',), (b"\xff",)],
        )
    conn.close()
    turns = (await session_api(file_connection(path)).history("s")).turns
    assert turns[0].text == "hi"
    notes = [t.parts[0].text for t in turns[1:]]
    assert len(notes) == 4 and all("could not be read" in n for n in notes)


async def test_gone_busy_and_damaged_files_are_clear_errors(tmp_path) -> None:
    path = make_session_file(tmp_path / "s.db", {"s": [{"role": "user", "content": "hi"}]})
    api = session_api(file_connection(path))
    with pytest.raises(NotFound, match="no longer in"):
        await api.history("other")
    path.rename(tmp_path / "moved.db")
    with pytest.raises(FileUnreadable, match="is not there"):
        await api.history("s")
    (tmp_path / "s.db").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(FileUnreadable, match="damaged or not a SQLite database"):
        await api.history("s")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    async with await Registry.open(tmp_path / "r.db") as registry:
        with pytest.raises(FileUnreadable, match="not an Agents SDK session file"):
            await import_sessions(other, registry)


async def test_a_session_its_program_has_open_is_read_live(tmp_path) -> None:
    from agents import SQLiteSession

    path = tmp_path / "live.db"
    session = SQLiteSession("live", path)
    try:
        await session.add_items([{"role": "user", "content": "first"}])
        api = session_api(file_connection(path))
        assert [t.text for t in (await api.history("live")).turns] == ["first"]
        await session.add_items([{"role": "user", "content": "second"}])
        assert [t.text for t in (await api.history("live")).turns] == ["first", "second"]
        assert await session.get_items() == [
            {"role": "user", "content": "first"},
            {"role": "user", "content": "second"},
        ]  # the program goes on undisturbed
    finally:
        session.close()


async def test_custom_table_names(tmp_path) -> None:
    path = make_session_file(
        tmp_path / "c.db",
        {"x": [{"role": "user", "content": "custom"}]},
        sessions_table="my_sessions",
        messages_table="my_messages",
    )
    async with await Registry.open(tmp_path / "r.db") as registry:
        (result,) = (await import_sessions(path, registry)).results
    assert result.outcome is Outcome.ADDED and result.title == "custom"


def test_connection_names_the_file_and_no_server(tmp_path) -> None:
    connection = file_connection(tmp_path / "a b.db")
    assert connection.base_url.startswith("file:///") and "%20" in connection.base_url
    assert asyncio.run(session_api(connection).active_run("x")) is None


async def test_deleting_a_session_archives_it_and_refuses_the_rest(session_file, tmp_path) -> None:
    from tui.commands.context import ConnectionApis
    from tui.config import Settings
    from tui.model import ItemState
    from tui.ops.deleting import BulkDelete, Result

    before = digest(session_file)
    async with await Registry.open(tmp_path / "r.db") as registry:
        await import_sessions(session_file, registry)
        item = await registry.get(file_connection(session_file), "user_123")
        assert item is not None
        apis = ConnectionApis(Settings(), max_retries=0)
        progress = await BulkDelete(registry, apis).run([item])
        (outcome,) = progress.outcomes
        assert outcome.result is Result.FAILED and "never writes a session file" in outcome.reason
        kept = await registry.get(file_connection(session_file), "user_123")
        assert kept is not None and kept.state is ItemState.ACTIVE
        assert len(await registry.archive.all(kept)) == 125  # archived first, as for any item
    assert digest(session_file) == before
