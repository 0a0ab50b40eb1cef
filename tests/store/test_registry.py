"""The registry file, items, titles, states and journal."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from datetime import UTC, datetime

import pytest

from tui.model import Connection, ItemState, Kind, RemoteItem, TitleSource
from tui.store import Query, Registry, RegistryCorrupt, RegistryTooNew, files, schema

CONN = Connection("http://127.0.0.1:1/v1", "org-a", "proj-a")
OTHER = Connection("http://127.0.0.1:1/v1", "org-a", "proj-b")
T1 = "thread_" + "a" * 24
C1 = "conv_" + "0" * 48


@pytest.fixture
async def reg(tmp_path):
    registry = await Registry.open(tmp_path / "reg.sqlite3")
    yield registry
    await registry.close()


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_file_is_private_wal_and_latest(tmp_path) -> None:
    path = tmp_path / "deep" / "reg.sqlite3"
    async with await Registry.open(path) as reg:
        await reg.track(T1, Kind.THREAD, CONN, source="test")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST


async def test_existing_loose_file_is_made_private(tmp_path) -> None:
    path = tmp_path / "reg.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    await (await Registry.open(path)).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_path_precedence(tmp_path) -> None:
    env = {files.DB_ENV: str(tmp_path / "env.db")}
    assert files.resolve_path(tmp_path / "flag.db", env) == tmp_path / "flag.db"
    assert files.resolve_path(None, env) == tmp_path / "env.db"
    assert files.resolve_path(None, {}).name == "registry.sqlite3"


async def test_newer_registry_is_refused_and_untouched(tmp_path) -> None:
    path = tmp_path / "reg.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    before = digest(path)
    with pytest.raises(RegistryTooNew, match="newer Thread Browser"):
        await Registry.open(path)
    assert digest(path) == before


async def test_corrupt_registry_is_refused_and_untouched(tmp_path) -> None:
    path = tmp_path / "reg.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    before = digest(path)
    with pytest.raises(RegistryCorrupt, match="damaged or not a registry"):
        await Registry.open(path)
    assert digest(path) == before


@pytest.mark.parametrize("start", range(schema.LATEST))
async def test_forward_migration_from_every_version(tmp_path, start: int) -> None:
    path = tmp_path / "reg.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as raw:
        for number in range(start):
            schema._apply(raw, schema.UPGRADES[number])
            raw.execute(f"PRAGMA user_version = {number + 1}")
        if start >= 1:
            raw.execute("INSERT INTO connections (base_url) VALUES ('http://x/v1')")
            raw.execute(
                "INSERT INTO items (id, kind, connection_id, title, last_activity, source, "
                f"tracked_at) VALUES ('{T1}', 'thread', 1, 'kept', 5, 'old', 5)"
            )
    async with await Registry.open(path) as reg:
        if start >= 1:
            [kept] = await reg.find(T1)
            assert kept.title == "kept"
        row = await reg.fetchone("PRAGMA user_version")
        assert row[0] == schema.LATEST


async def test_stored_credentials_leave_the_file_and_twins_merge(tmp_path) -> None:
    """A registry written before connections were cleaned loses their secrets, keeps items."""
    path = tmp_path / "reg.sqlite3"
    secret = "pw-" + "9f8e7d6c5b4a" * 2
    with sqlite3.connect(path, isolation_level=None) as raw:
        for number in range(8):
            schema._apply(raw, schema.UPGRADES[number])
        raw.execute("PRAGMA user_version = 8")
        rows = (
            f"https://me:{secret}@a.example/v1",  # alone: cleaned in place
            f"https://b.example/v1?api-key={secret}&api-version=1",  # twin of the next
            "https://b.example/v1?api-version=1",
        )
        for url in rows:
            raw.execute("INSERT INTO connections (base_url) VALUES (?)", (url,))
        insert = (
            "INSERT INTO items (id, kind, connection_id, title, last_activity, source, "
            "tracked_at) VALUES (?, 'thread', ?, 't', 5, 'old', 5)"
        )
        raw.execute(insert, (T1, 1))
        raw.execute(insert, (T1, 2))  # on both twins: stays apart
        raw.execute(insert, (T1, 3))
        raw.execute(insert, ("thread_moved0000000000001", 2))  # only on the secret twin
    async with await Registry.open(path) as reg:
        urls = {row[0] for row in await reg.fetchall("SELECT base_url FROM connections")}
        moved = await reg.find("thread_moved0000000000001")
    assert urls == {
        "https://a.example/v1",
        "https://b.example/v1?api-version=1",
        "https://b.example/v1?api-version=1#merged-2",
    }
    assert [m.connection.base_url for m in moved] == ["https://b.example/v1?api-version=1"]
    assert secret.encode() not in path.read_bytes()
    for extra in (path.with_name(path.name + "-wal"),):
        assert not extra.exists() or secret.encode() not in extra.read_bytes()


async def test_track_is_idempotent_and_journaled(reg) -> None:
    item, added = await reg.track(T1, Kind.THREAD, CONN, source="test", metadata={"a": "1"})
    assert added and item.state is ItemState.ACTIVE and item.metadata == {"a": "1"}
    again, added_again = await reg.track(T1, Kind.THREAD, CONN, source="test")
    assert not added_again and again.pk == item.pk
    other, added_other = await reg.track(T1, Kind.THREAD, OTHER, source="test")
    assert added_other and other.pk != item.pk
    assert [e.event for e in await reg.journal(item)] == ["tracked"]
    assert len(await reg.find(T1)) == 2


async def test_titles_follow_metadata_then_message_then_id(reg) -> None:
    by_meta, _ = await reg.track(T1, Kind.THREAD, CONN, source="t", metadata={"title": " Hi "})
    assert (by_meta.title, by_meta.title_source) == ("Hi", TitleSource.METADATA)
    by_msg, _ = await reg.track(
        C1, Kind.CONVERSATION, CONN, source="t", first_user_text="\n  How do I\tlist?\nmore"
    )
    assert (by_msg.title, by_msg.title_source) == ("How do I list?", TitleSource.MESSAGE)
    bare, _ = await reg.track("thread_" + "b" * 24, Kind.THREAD, CONN, source="t")
    assert (bare.title, bare.title_source) == (bare.id, TitleSource.ID)


async def test_user_title_survives_metadata_changes(reg) -> None:
    item, _ = await reg.track(T1, Kind.THREAD, CONN, source="t", metadata={"title": "auto"})
    item = await reg.rename(item, "Mine", source="t")
    item = await reg.set_metadata(item, {"title": "server"}, source="t")
    assert (item.title, item.title_source) == ("Mine", TitleSource.USER)
    item = await reg.rename(item, "", source="t")
    assert (item.title, item.title_source) == ("server", TitleSource.METADATA)
    events = [e.event for e in await reg.journal(item)]
    assert events == ["renamed", "metadata changed", "renamed", "tracked"]


async def test_track_remote_refreshes_metadata(reg) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    remote = RemoteItem(C1, Kind.CONVERSATION, now, {"title": "v1"})
    item, added = await reg.track_remote(remote, CONN, source="t")
    assert added and item.created_at == now and item.last_activity == now
    updated = RemoteItem(C1, Kind.CONVERSATION, now, {"title": "v2", "k": "v"})
    item, added = await reg.track_remote(updated, CONN, source="t")
    assert not added and item.title == "v2" and item.metadata == {"title": "v2", "k": "v"}


async def test_states_are_journaled_once(reg) -> None:
    item, _ = await reg.track(T1, Kind.THREAD, CONN, source="t")
    item = await reg.set_state(item, ItemState.MISSING, source="t", detail="404")
    item = await reg.set_state(item, ItemState.MISSING, source="t")
    item = await reg.set_state(item, ItemState.DELETING, source="t")
    item = await reg.set_state(item, ItemState.DELETED, source="t")
    assert item.state is ItemState.DELETED
    events = [(e.event, e.detail) for e in await reg.journal(item)]
    assert events == [("deleted", ""), ("deleting", ""), ("found missing", "404"), ("tracked", "")]


async def test_touch_moves_activity_forward_only(reg) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    await reg.track(T1, Kind.THREAD, CONN, source="t", created_at=start)
    await reg.touch(CONN, T1, datetime(2026, 2, 1, tzinfo=UTC))
    await reg.touch(CONN, T1, datetime(2025, 2, 1, tzinfo=UTC))
    item = await reg.get(CONN, T1)
    assert item is not None and item.last_activity == datetime(2026, 2, 1, tzinfo=UTC)


async def test_a_version_1_registry_is_migrated_and_its_items_stay_searchable(tmp_path) -> None:
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in schema._statements(schema.V1):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO connections (base_url) VALUES ('http://127.0.0.1:1/v1')")
    conn.execute(
        "INSERT INTO items (id, kind, connection_id, title, last_activity, metadata, source,"
        " tracked_at) VALUES ('thread_old', 'thread', 1, 'Quarterly refund', 5, "
        "'{\"team\": \"billing\"}', 'test', 5)"
    )
    conn.close()
    async with await Registry.open(path) as reg:
        [by_title] = (await reg.search.page(Query(text="quarter"))).items
        [by_value] = (await reg.search.page(Query(text="billing"))).items
        assert by_title.id == by_value.id == "thread_old"
        assert (await reg.search.page(Query(text="team"))).items == []
