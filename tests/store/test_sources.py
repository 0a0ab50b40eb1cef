"""Reading another program's database: URLs, what messages show of them, the set of IDs met."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from tui.store.sources import Seen, SourceError, _hidden, label, read, sqlite_path


def test_sqlite_urls_name_files_as_sqlalchemy_does() -> None:
    assert sqlite_path("app.db") == Path("app.db")
    assert sqlite_path("sqlite:///app.db") == Path("app.db")
    assert sqlite_path("sqlite:////srv/app.db") == Path("/srv/app.db")
    assert sqlite_path("sqlite:///my%20app.db") == Path("my app.db")
    for wrong in ("sqlite://app.db", "sqlite:///", "mysql://root@host/app"):
        with pytest.raises(SourceError):
            sqlite_path(wrong)


def test_messages_never_show_a_password() -> None:
    assert label("postgresql://bob:hunter2hunter2@db:5432/app") == "postgresql://db:5432/app"
    assert label("postgresql://bob:pw@[::1/app") == "postgresql://[::1/app"
    assert label("postgres://db/app?password=hunter2hunter2") == "postgres://db/app"
    said = _hidden("postgresql://bob:p%25zz@h/", 'invalid percent-encoded token: "p%zz"')
    assert "p%zz" not in said and "[redacted]" in said


def test_seen_tells_new_ids_from_those_met_before() -> None:
    seen = Seen()
    try:
        assert seen.new(["a", "b", "a"]) == {"a", "b"}
        assert seen.new(["b", "c"]) == {"c"}
        many = [f"id{n}" for n in range(2000)]
        assert seen.new(many) == set(many)
    finally:
        seen.close()


def test_a_sqlite_file_is_read_in_batches_and_never_written(tmp_path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (n INTEGER)")
        db.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(25)])
    db.close()
    before = path.read_bytes()

    async def batches() -> list[tuple[int, int]]:
        return [(b.first, len(b.rows)) async for b in read(str(path), "SELECT n FROM t", batch=10)]

    assert asyncio.run(batches()) == [(1, 10), (11, 10), (21, 5)]
    assert path.read_bytes() == before
