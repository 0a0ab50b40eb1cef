"""The archive only ever adds: a message the server changes keeps its old version.

Over real HTTP against the emulator: a thread is archived, the server then answers its
messages as "[removed]" or empty, and archive-then-delete must not lose the text.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, strict_client
from tui.commands.context import ConnectionApis
from tui.config import Profile, Settings
from tui.emulator import EmulatorServer
from tui.model import Connection, ItemState, Kind, Part, Turn
from tui.ops.deleting import BulkDelete, Result
from tui.ops.exporting import as_json, fetch_all, load_history, markdown
from tui.store import Query, Registry

KEY_ENV = "TB_VERSIONS_TEST_KEY"
SECRET = "the zebra plan for Tuesday"
OTHER = "a quokka reply"
REMOVED_STATUS = "removed on the server"  # tui.store.archive.REMOVED_STATUS
REMOVED_NOTE = "The server now holds this message as removed"  # begins archive.REMOVED_NOTE


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, TEST_KEY)


def _settings(server: EmulatorServer) -> Settings:
    return Settings({"s": Profile("s", Connection(server.base_url), key_env=KEY_ENV)}, "s")


def _blank(server: EmulatorServer, thread_id: str, message_id: str, text: str | None) -> None:
    """Make the server answer a message as ``text`` (``None``: with no content at all)."""
    found = server.emulator.namespace(TEST_KEY).threads[thread_id].messages.get(message_id)
    assert found is not None
    parts = [] if text is None else [{"type": "text", "text": {"value": text, "annotations": []}}]
    found["content"] = parts


async def test_archive_then_delete_keeps_text_the_server_now_calls_removed(
    server: EmulatorServer, tmp_path: Path
) -> None:
    sdk = strict_client(server.base_url)
    thread = sdk.beta.threads.create()
    first = sdk.beta.threads.messages.create(thread.id, role="user", content=SECRET)
    second = sdk.beta.threads.messages.create(thread.id, role="user", content=OTHER)
    db = tmp_path / "r.sqlite3"
    apis = ConnectionApis(_settings(server), max_retries=0)
    try:
        async with await Registry.open(db) as reg:
            item, _ = await reg.track(
                thread.id, Kind.THREAD, Connection(server.base_url), source="t"
            )
            api, why = apis(item)
            assert api is not None, why
            item = await fetch_all(reg, item, api)  # the first read archives the text
            _blank(server, thread.id, first.id, "[removed]")
            _blank(server, thread.id, second.id, None)
            progress = await BulkDelete(reg, apis, source="t").run([item])
            assert [o.result for o in progress.outcomes] == [Result.DELETED]
            assert thread.id not in server.emulator.namespace(TEST_KEY).threads

            item = await reg.get(Connection(server.base_url), thread.id)
            assert item is not None and item.state is ItemState.DELETED
            turns = await reg.archive.all(item)
            assert [t.id for t in turns] == [first.id, second.id]
            assert SECRET in turns[0].text and OTHER in turns[1].text
            assert all(t.status == REMOVED_STATUS and REMOVED_NOTE in t.text for t in turns)
            page = await reg.archive.page(item)
            assert [t.text for t in page.turns] == [t.text for t in turns]
            kept = await reg.archive.versions(item, first.id)
            assert [t.text for t in kept] == [SECRET]

            history = await load_history(reg, item, None)
            assert SECRET in markdown(history) and OTHER in markdown(history)
            assert SECRET in as_json(history) and REMOVED_NOTE in markdown(history)

            found = await reg.search.page(Query(text="zebra", states=(ItemState.DELETED,)))
            assert [i.id for i in found.items] == [thread.id]
    finally:
        await apis.close()
    with sqlite3.connect(db) as conn:
        newest = conn.execute("SELECT data FROM messages WHERE id = ?", (first.id,)).fetchone()
    assert "[removed]" in newest[0]  # the newest version is what the server said last


def _turn(text: str) -> Turn:
    return Turn("msg_1", "user", parts=(Part("text", text),))


async def test_an_edit_is_shown_and_searched_and_the_old_text_is_kept(tmp_path: Path) -> None:
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        item, _ = await reg.track(
            "thread_" + "a" * 24, Kind.THREAD, Connection("http://127.0.0.1:9/v1"), source="t"
        )
        for text in ("first walrus draft", "second narwhal draft", "second narwhal draft"):
            item = await reg.archive.store(item, [_turn(text)])
        [turn] = await reg.archive.all(item)
        assert turn.text == "second narwhal draft" and turn.status is None
        assert [t.text for t in await reg.archive.versions(item, "msg_1")] == ["first walrus draft"]
        assert (await reg.search.page(Query(text="narwhal"))).items
        assert not (await reg.search.page(Query(text="walrus"))).items

        for text in ("[removed]", "", "[removed]"):
            item = await reg.archive.store(item, [_turn(text)])
        [turn] = await reg.archive.all(item)
        assert turn.text.startswith("second narwhal draft") and turn.status == REMOVED_STATUS
        assert (await reg.search.page(Query(text="narwhal"))).items
        kept = [t.text for t in await reg.archive.versions(item, "msg_1")]
        assert kept == ["first walrus draft", "second narwhal draft", "[removed]", ""]

        item = await reg.archive.store(item, [_turn("third orca draft")])
        [turn] = await reg.archive.all(item)
        assert turn.text == "third orca draft" and turn.status is None
        assert item.message_count == 1


async def test_kept_versions_can_be_neither_changed_nor_deleted(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    async with await Registry.open(db) as reg:
        item, _ = await reg.track(
            "thread_" + "b" * 24, Kind.THREAD, Connection("http://127.0.0.1:9/v1"), source="t"
        )
        await reg.archive.store(item, [_turn("one")])
        await reg.archive.store(item, [_turn("two")])
    with sqlite3.connect(db) as conn:
        for statement in (
            "UPDATE message_versions SET data = '{}'",
            "DELETE FROM message_versions",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="never"):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM message_versions").fetchone()[0] == 1
