"""The registry admits Agents SDK sessions: the kind CHECK widened in place, rows kept."""

from __future__ import annotations

import sqlite3

import pytest

from tui.model import Connection, Kind
from tui.store import Registry, schema

FILE = Connection("file:///tmp/agents.db")


@pytest.mark.parametrize("start", [10, 11])
async def test_upgrade_admits_sessions_and_keeps_every_item(tmp_path, start: int) -> None:
    path = tmp_path / "reg.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as raw:
        for number in range(start):
            schema._apply(raw, schema.UPGRADES[number])
            raw.execute(f"PRAGMA user_version = {number + 1}")
        raw.execute("INSERT INTO connections (base_url) VALUES ('http://x/v1')")
        raw.execute(
            "INSERT INTO items (id, kind, connection_id, title, last_activity, source, "
            "tracked_at) VALUES ('chatcmpl-kept', 'completion', 1, 'kept', 5, 'old', 5)"
        )
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(
                "INSERT INTO items (id, kind, connection_id, title, last_activity, source, "
                "tracked_at) VALUES ('s1', 'session', 1, 's', 5, 'old', 5)"
            )
    raw.close()
    async with await Registry.open(path) as registry:
        item, added = await registry.track("user_123", Kind.SESSION, FILE, source="test")
        assert added and item.kind is Kind.SESSION and item.connection == FILE
        assert [i.title for i in await registry.find("chatcmpl-kept")] == ["kept"]
        (check,) = await registry.fetchone("PRAGMA integrity_check")
        assert check == "ok"
    with sqlite3.connect(path) as raw:
        (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'items'").fetchone()
    raw.close()
    assert "'session'" in sql and "'response'" in sql


def test_the_step_is_idempotent_on_a_widened_table(tmp_path) -> None:
    with sqlite3.connect(tmp_path / "r.db", isolation_level=None) as raw:
        for step in schema.UPGRADES:
            schema._apply(raw, step)
        schema.agents_sessions_kind(raw)  # once more: nothing to do
        (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'items'").fetchone()
    raw.close()
    assert sql.count("'session'") == 1
