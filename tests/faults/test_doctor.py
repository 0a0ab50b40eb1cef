"""``thread-browser doctor``: a sound registry passes; each kind of damage is named."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui.commands.doctor import REPAIRED
from tui.model import Connection, Kind, Part, Turn
from tui.store import Registry, schema
from tui.store.doctor import examine

CONNECTION = Connection("http://127.0.0.1:9/v1")
THREAD = "thread_" + "T" * 24
CONV = "conv_" + "c" * 48
STRANGER = 999_999


async def build(db: Path) -> None:
    """Two items with metadata and archives, the thread migrated to the conversation."""
    async with await Registry.open(db) as reg:
        stamp = datetime(2026, 11, 1, tzinfo=UTC)
        thread, _ = await reg.track(
            THREAD, Kind.THREAD, CONNECTION, source="t", metadata={"user": "u1"}, created_at=stamp
        )
        conv, _ = await reg.track(CONV, Kind.CONVERSATION, CONNECTION, source="t")
        for item, prefix in ((thread, "msg"), (conv, "item")):
            turns = [
                Turn(f"{prefix}_{n}", role, parts=(Part("text", f"tides {n}"),))
                for n, role in enumerate(("user", "assistant", "user"))
            ]
            await reg.archive.store(item, turns, complete=True)
        await reg.migrations.start(thread, conv, 3)
        await reg.migrations.progress(thread, 3, complete=True)


@pytest.fixture
def registry(tmp_path) -> Path:
    db = tmp_path / "registry.sqlite3"
    asyncio.run(build(db))
    return db


@pytest.fixture
def doctor(cli) -> Callable[..., tuple[int, dict, str]]:
    """``doctor(*args)``: exit status, the JSON checkup, stderr."""
    run = cli(None)

    def check(*args: str) -> tuple[int, dict, str]:
        done = run("doctor", "--json", *args)
        assert "Traceback" not in done.stdout + done.stderr
        return done.returncode, json.loads(done.stdout) if done.stdout else {}, done.stderr

    return check


def sql(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)  # foreign keys off: damage the app itself never makes
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def pk_of(db: Path, item_id: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT pk FROM items WHERE id = ?", (item_id,)).fetchone()[0])


def item_fts_delete(db: Path) -> str:
    """The statement that takes the thread out of the search index (as its trigger would)."""
    pk = pk_of(db, THREAD)
    return (
        "INSERT INTO items_fts (items_fts, rowid, id, title, meta) SELECT 'delete', "
        "last_activity * 536870912 + pk, id, title, 'u1' FROM items WHERE pk = " + str(pk)
    )


DAMAGE: dict[str, tuple[Callable[[Path], list[str]], str, str]] = {
    "orphan archive rows": (
        lambda db: [
            f"INSERT INTO messages (item_pk, id, seq, role, body, data) "
            f"VALUES ({STRANGER}, 'msg_lost', 1, 'user', 'lost', '{{}}')"
        ],
        "archive",
        "Archived messages of no tracked item: 1",
    ),
    "pending deletion": (
        lambda db: [
            f"INSERT INTO deletions VALUES ({pk_of(db, THREAD)}, 'job1', 'active', 1, 0)",
            f"UPDATE items SET state = 'deleting' WHERE pk = {pk_of(db, THREAD)}",
        ],
        "deletions",
        "Confirmed deletions that never finished: 1",
    ),
    "stuck deleting": (
        lambda db: [f"UPDATE items SET state = 'deleting' WHERE pk = {pk_of(db, CONV)}"],
        "deletions",
        "with no deletion in progress: 1",
    ),
    "item missing from search": (
        lambda db: [item_fts_delete(db)],
        "search index",
        "Items missing from the search index: 1",
    ),
    "stray search entry": (
        lambda db: ["INSERT INTO items_fts (rowid, id, title, meta) VALUES (42, 'x', 'y', '')"],
        "search index",
        "Search index entries of no item: 1",
    ),
    "archive missing from search": (
        lambda db: [
            "INSERT INTO messages_fts (messages_fts, rowid, body) "
            "SELECT 'delete', pk, body FROM messages WHERE id = 'msg_0'"
        ],
        "archive search index",
        "Archived messages missing from the search index: 1",
    ),
    "wrong message count": (
        lambda db: [f"UPDATE items SET message_count = 7 WHERE pk = {pk_of(db, THREAD)}"],
        "message counts",
        "message count differs from their archive: 1",
    ),
    "metadata index": (
        lambda db: ["DELETE FROM item_meta"],
        "metadata index",
        "key=value filter does not see: 1",
    ),
    "broken migration link": (
        lambda db: [f"UPDATE migrations SET conversation_pk = {STRANGER}"],
        "migrations",
        "missing or of the wrong kind: 1",
    ),
    "orphan journal rows": (
        lambda db: [
            f"INSERT INTO journal (at, item_pk, event, source) VALUES (0, {STRANGER}, 'x', 't')"
        ],
        "links",
        "Rows of journal pointing at rows that do not exist: 1",
    ),
}


def test_a_sound_registry_is_healthy(registry, doctor, cli) -> None:
    code, report, _ = doctor("--db", str(registry))
    assert code == 0 and report["healthy"] and report["findings"] == []
    assert report["schema"] == schema.LATEST and all(c["ok"] for c in report["checks"])
    text = cli(None)("doctor", "--db", str(registry))
    assert text.returncode == 0 and "Healthy: 12 checks passed." in text.stdout


@pytest.mark.parametrize("name", list(DAMAGE))
async def test_each_damage_is_named_with_what_it_means_and_what_to_do(registry, name) -> None:
    statements, check, words = DAMAGE[name]
    sql(registry, *statements(registry))
    checkup = await examine(registry)
    assert not checkup.healthy
    assert [c for c in checkup.checks if checkup.failed(c)] == [check]
    [finding] = checkup.findings
    assert finding.check == check and words in finding.problem
    assert finding.meaning and finding.action


def test_every_damage_at_once_is_each_reported(registry, doctor, cli) -> None:
    for statements, _, _ in DAMAGE.values():
        sql(registry, *statements(registry))
    os.chmod(registry, 0o644)
    code, report, _ = doctor("--db", str(registry))
    assert code == 1
    problems = " | ".join(f["problem"] for f in report["findings"])
    for _, _, words in DAMAGE.values():
        assert words in problems
    assert "mode 0644" in problems
    text = cli(None)("doctor", "--db", str(registry)).stdout
    assert "What it means:" in text and "What to do:" in text and "problems found" in text
    assert "thread-browser delete --resume" in text


def test_repair_rebuilds_what_is_derived(registry, doctor) -> None:
    derived = ("item missing from search", "stray search entry", "archive missing from search")
    for name in (*derived, "wrong message count", "metadata index"):
        sql(registry, *DAMAGE[name][0](registry))
    assert doctor("--db", str(registry))[0] == 1
    code, report, _ = doctor("--db", str(registry), "--repair")
    assert code == 0 and report["healthy"], report["findings"]
    assert report["notes"] == [REPAIRED]
    with sqlite3.connect(registry) as conn:
        hits = conn.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'u1'").fetchone()
        assert hits[0] == 1  # the thread is found by its metadata again


def test_repair_leaves_what_only_a_person_can_decide(registry, doctor) -> None:
    sql(registry, *DAMAGE["pending deletion"][0](registry))
    code, report, _ = doctor("--db", str(registry), "--repair")
    assert code == 1 and [f["check"] for f in report["findings"]] == ["deletions"]


def test_a_file_mode_open_to_others_is_named(registry, doctor) -> None:
    os.chmod(registry, 0o644)
    code, report, _ = doctor("--db", str(registry))
    assert code == 1 and [f["check"] for f in report["findings"]] == ["file mode"]
    assert "0600 again" in report["findings"][0]["meaning"]
    assert oct(registry.stat().st_mode & 0o777) == "0o600"
    assert doctor("--db", str(registry))[0] == 0


def test_a_missing_registry_is_named(tmp_path, doctor) -> None:
    code, report, _ = doctor("--db", str(tmp_path / "nowhere.sqlite3"))
    assert code == 1 and "There is no registry" in report["findings"][0]["problem"]
    assert not (tmp_path / "nowhere.sqlite3").exists()  # checking creates nothing


def test_a_file_that_is_not_a_registry_is_named(tmp_path, doctor) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database, just some text" * 100)
    os.chmod(junk, 0o600)
    code, report, _ = doctor("--db", str(junk))
    assert code == 1 and "cannot be read as a registry" in report["findings"][0]["problem"]
    assert "Move it aside" in report["findings"][0]["action"]


def test_a_registry_from_a_newer_version_is_left_untouched(registry, doctor) -> None:
    sql(registry, "PRAGMA user_version = 99")
    before = registry.read_bytes()
    code, report, _ = doctor("--db", str(registry))
    assert code == 1 and "schema 99" in report["findings"][0]["problem"]
    assert registry.read_bytes() == before


def test_a_usage_error_exits_2(cli) -> None:
    done = cli(None)("doctor", "--no-such-flag")
    assert done.returncode == 2 and "No such option" in done.stderr
    assert "Traceback" not in done.stderr
