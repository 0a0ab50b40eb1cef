"""``thread-browser erase`` in a subprocess against the emulator, and the registry's bytes."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

from tests.conftest import TEST_KEY, strict_client
from tui.emulator import EmulatorServer
from tui.emulator.chat import chat_store

MODEL = "gpt-4o-mini"


def on_server(server: EmulatorServer, item_id: str) -> bool:
    ns = server.emulator.namespace(TEST_KEY)
    kept = (ns.threads, ns.conversations, ns.responses, chat_store(ns).completions)
    return any(item_id in found for found in kept)


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def items(db: Path) -> dict[str, tuple[str, str, int]]:
    """Each item's state, title and archived message count (by counting the archive)."""
    found = rows(
        db,
        "SELECT id, state, title, (SELECT count(*) FROM messages WHERE item_pk = items.pk) "
        "FROM items",
    )
    return {r[0]: (r[1], r[2], r[3]) for r in found}


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def make_all_kinds(client, meta: dict[str, str], words: str) -> dict[str, str]:
    """One item of each server kind with ``meta``, its first message saying ``words``."""
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": f"thread {words}"}], metadata=meta
    )
    conv = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": f"conversation {words}"}],
        metadata=meta,
    )
    response = client.responses.create(model=MODEL, input=f"response {words}", metadata=meta)
    completion = client.chat.completions.create(
        model=MODEL,
        store=True,
        messages=[{"role": "user", "content": f"completion {words}"}],
        metadata=meta,
    )
    return {
        "thread": thread.id,
        "conversation": conv.id,
        "response": response.id,
        "completion": completion.id,
    }


def track_and_archive(run, ids: list[str]) -> None:
    done = run("import", "-", input=" ".join(ids))
    assert done.returncode == 0, done.stderr
    for item_id in ids:  # an export reads the whole history, and archives it
        exported = run("export", item_id)
        assert exported.returncode == 0, exported.stderr


def test_one_pair_and_two_pairs_erase_every_kind_and_only_the_matching(server, cli, tmp_path):
    client = strict_client(server.base_url)
    mine = make_all_kinds(client, {"user_id": "u42", "team": "a"}, "secret-of-u42")
    other_team = make_all_kinds(client, {"user_id": "u42", "team": "b"}, "team-b-words")
    theirs = make_all_kinds(client, {"user_id": "u7", "team": "a"}, "words-of-u7")
    run = cli(server.base_url)
    everything = [*mine.values(), *other_team.values(), *theirs.values()]
    track_and_archive(run, everything)
    db = tmp_path / "registry.sqlite3"
    assert all(items(db)[i][2] >= 1 for i in everything), "every history archived"

    two = run("erase", "--meta", "user_id=u42", "--meta", "team=a", "--yes", "--json")
    assert two.returncode == 0, two.stderr
    summary = json.loads(two.stdout)
    assert sorted(e["id"] for e in summary["erased"]) == sorted(mine.values())
    assert summary["kept"] == [] and summary["wal_emptied"] is True
    assert all(e["messages"] >= 1 for e in summary["erased"])
    after = items(db)
    for item_id in mine.values():
        assert not on_server(server, item_id)
        state, title, count = after[item_id]
        assert (state, count) == ("deleted", 0)
        assert "secret" not in title, "a title taken from a message goes with it"
    for item_id in [*other_team.values(), *theirs.values()]:
        assert on_server(server, item_id)
        assert after[item_id][0] == "active" and after[item_id][2] >= 1
    assert not rows(db, "SELECT 1 FROM messages_fts WHERE messages_fts MATCH 'secret'")

    one = run("erase", "--meta", "user_id=u42", "--yes", "--json")
    assert one.returncode == 0, one.stderr
    summary = json.loads(one.stdout)
    erased = {e["id"]: e for e in summary["erased"]}
    assert set(erased) == {*mine.values(), *other_team.values()}
    assert sorted(summary["deleted"]) == sorted(other_team.values())
    for item_id in mine.values():  # deleted before: erased again, nothing left to take
        assert erased[item_id]["how"] == "deleted before" and erased[item_id]["messages"] == 0
    after = items(db)
    assert all(after[i][0] == "deleted" and after[i][2] == 0 for i in other_team.values())
    assert all(after[i][0] == "active" and on_server(server, i) for i in theirs.values())


def test_a_dry_run_touches_nothing_and_lists_what_would_go(server, cli, tmp_path):
    client = strict_client(server.base_url)
    mine = make_all_kinds(client, {"user_id": "u42"}, "dry words")
    run = cli(server.base_url)
    track_and_archive(run, list(mine.values()))
    db = tmp_path / "registry.sqlite3"
    before = dump(db)

    dry = run("erase", "--meta", "user_id=u42", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["dry_run"] is True and planned["meta"] == {"user_id": "u42"}
    assert sorted(planned["would_delete"]) == sorted(mine.values())
    assert planned["would_erase"]["messages"] >= 4
    text = run("erase", "--meta", "user_id=u42", "--dry-run")
    assert text.returncode == 0 and "Dry run: nothing was deleted or erased." in text.stdout
    assert "Erase by metadata user_id=u42: 4 items match." in text.stdout
    assert all(on_server(server, i) for i in mine.values())
    assert dump(db) == before


def test_without_a_terminal_and_without_yes_it_refuses_and_touches_nothing(server, cli, tmp_path):
    client = strict_client(server.base_url)
    mine = make_all_kinds(client, {"user_id": "u42"}, "kept words")
    run = cli(server.base_url)
    track_and_archive(run, list(mine.values()))
    db = tmp_path / "registry.sqlite3"
    before = dump(db)

    done = run("erase", "--meta", "user_id=u42")
    assert done.returncode == 2
    assert "not a terminal" in done.stderr and "--yes" in done.stderr
    assert f"  - {mine['thread']}" in done.stderr  # the plan was shown before refusing
    assert "archived message" in done.stderr
    assert all(on_server(server, i) for i in mine.values())
    assert dump(db) == before

    bad = run("erase", "--meta", "user_id", "--yes")
    assert bad.returncode == 2 and "KEY=VALUE" in bad.stderr
    assert run("erase", "--yes").returncode == 2  # --meta is required


def test_items_whose_deletion_fails_keep_their_content_and_receipts_say_so(server, cli, tmp_path):
    client = strict_client(server.base_url)
    mine = make_all_kinds(client, {"user_id": "u42"}, "words to keep or erase")
    run = cli(server.base_url)
    track_and_archive(run, list(mine.values()))
    db = tmp_path / "registry.sqlite3"
    server.emulator.config.sunset = True  # threads answer like the sunset API: not deleted

    done = run("erase", "--meta", "user_id=u42", "--yes")
    assert done.returncode == 1, done.stderr
    assert f"{mine['thread']}: failed:" in done.stderr
    assert "Kept, content and all: 1 item" in done.stderr
    assert "3 deleted on their servers, 3 erased here, 1 kept." in done.stdout
    after = items(db)
    state, _, count = after[mine["thread"]]
    assert state == "active" and count >= 1, "a thread not deleted keeps its archive"
    assert on_server(server, mine["thread"])
    for kind in ("conversation", "response", "completion"):
        assert after[mine[kind]][0] == "deleted" and after[mine[kind]][2] == 0

    receipts = rows(
        db,
        "SELECT job, item_id, object_kind, object_id, outcome, detail, kept_locally "
        "FROM receipts ORDER BY pk",
    )
    assert len({r[0] for r in receipts}) == 1
    by_item = {r[1]: r for r in receipts}
    assert set(by_item) == set(mine.values())
    kept = by_item[mine["thread"]]
    assert kept[2:5] == ("thread", mine["thread"], "failed")
    assert kept[6].startswith("everything")
    for kind, object_kind in (
        ("conversation", "conversation"),
        ("response", "response"),
        ("completion", "chat completion"),
    ):
        line = by_item[mine[kind]]
        assert line[2:5] == (object_kind, mine[kind], "deleted")
        assert "local content erased" in line[5] and line[6] == "nothing: local content erased"
    journal = rows(db, "SELECT detail FROM journal WHERE event = 'erased'")
    assert len(journal) == 3 and all("words" not in d for (d,) in journal)


def test_nothing_of_the_content_stays_in_the_file_or_its_log(server, cli, tmp_path):
    """The marker word is written in messages and a title of the user's, then erased; the
    registry's bytes are scanned, and its write-ahead log's when one is left (the last
    connection to close removes it: ``tests/store/test_erasure.py`` scans it open)."""
    marker = "zqx" + uuid.uuid4().hex  # one word to the index: found whole, or not at all
    tail = marker[-20:].encode()  # the index keeps words prefix-compressed: scan the end
    client = strict_client(server.base_url)
    mine = make_all_kinds(client, {"user_id": "u42"}, f"{marker} first")
    for n in range(6):  # more pages, versions of the index, and a message that changes
        client.beta.threads.messages.create(mine["thread"], role="user", content=f"{marker} {n}")
    others = make_all_kinds(client, {"user_id": "u7"}, "ordinary words")
    run = cli(server.base_url)
    track_and_archive(run, [*mine.values(), *others.values()])
    db = tmp_path / "registry.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE items SET title = ?, title_source = 'user' WHERE id = ?",
            (f"my note on {marker}", mine["conversation"]),
        )
    holder = sqlite3.connect(db)  # another program with the registry open
    try:
        holder.execute("SELECT count(*) FROM items").fetchone()
        wal = Path(f"{db}-wal")
        assert tail in db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

        done = run("erase", "--meta", "user_id=u42", "--yes", "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["wal_emptied"] is True
        log = wal.read_bytes() if wal.exists() else b""
        assert tail not in db.read_bytes(), "a copy stayed in the registry file"
        assert tail not in log, "a copy stayed in the write-ahead log"
        assert b"ordinary" in db.read_bytes() + log  # the scan sees content
    finally:
        holder.close()
