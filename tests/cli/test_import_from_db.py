"""``thread-browser import --from-db FILE --query SQL`` on real SQLite files, in a subprocess."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys

from tests.cli.conftest import cli_env
from tests.cli.test_import import results
from tests.conftest import strict_client

OFFLINE = "http://127.0.0.1:9/v1"
RUN = "run_zdE51vuY4FlBpEy2dYb3870E"


def thread_id(n: int) -> str:
    return f"thread_{n:024d}"


def app_db(path, rows, columns="user_id INTEGER, thread TEXT, plan TEXT, note TEXT"):
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE chats ({columns})")
        marks = ",".join("?" * len(rows[0]))
        db.executemany(f"INSERT INTO chats VALUES ({marks})", rows)
    db.close()
    return path


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed(run) -> dict[str, dict]:
    done = run("list", "--json")
    assert done.returncode == 0, done.stderr
    return {row["id"]: row for row in map(json.loads, done.stdout.splitlines())}


def test_columns_become_metadata_and_wrong_cells_are_reported(cli, tmp_path) -> None:
    rows = [
        (7, thread_id(1), "pro", "x" * 600),
        (8, f"  {thread_id(2)} ", None, None),
        (9, RUN, "free", None),
        (10, "hello", None, None),
        (11, None, None, None),
        (12, thread_id(1), "ignored", "more"),  # a duplicate: merged into the first
    ]
    db = app_db(tmp_path / "app.db", rows)
    before = digest(db)
    run = cli(OFFLINE)
    done = run(
        "import", "--from-db", str(db), "--query", "SELECT * FROM chats", "--no-verify", "--json"
    )
    assert done.returncode == 1, done.stderr
    got = results(done.stdout)
    assert list(got) == [thread_id(1), thread_id(2), RUN, "hello", ""]
    assert got[thread_id(1)]["result"] == "added" and got[thread_id(2)]["result"] == "added"
    assert got[RUN]["result"] == "wrong kind" and "run.thread_id" in got[RUN]["message"]
    assert got["hello"]["result"] == "malformed" and "row 4" in got["hello"]["message"]
    assert got[""]["result"] == "malformed" and "NULL" in got[""]["message"]
    assert "IDs from column thread; metadata from: user_id, plan, note" in done.stderr
    assert "5 IDs: 2 added, 1 wrong kind, 2 malformed" in done.stderr
    assert "Traceback" not in done.stderr

    items = listed(run)
    assert set(items) == {thread_id(1), thread_id(2)}
    first = items[thread_id(1)]["metadata"]
    assert first == {"user_id": "7", "plan": "pro", "note": "x" * 512}
    assert items[thread_id(2)]["metadata"] == {"user_id": "8"}
    assert digest(db) == before  # read, never written

    again = run(
        "import",
        "--from-db",
        f"sqlite:///{db}",
        "--query",
        "SELECT thread FROM chats WHERE plan = 'pro'",
        "--no-verify",
    )
    assert again.returncode == 0, again.stderr
    assert "1 IDs: 1 already tracked" in again.stderr


def test_metadata_keeps_to_the_api_limits(cli, tmp_path) -> None:
    columns = ", ".join([f"c{n:02d}{'k' * 70} TEXT" for n in range(20)] + ["id TEXT"])
    row = (*(f"v{n}" for n in range(20)), thread_id(3))
    db = app_db(tmp_path / "wide.db", [row], columns)
    run = cli(OFFLINE)
    done = run("import", "--from-db", str(db), "--query", "SELECT * FROM chats", "--no-verify")
    assert done.returncode == 0, done.stderr
    meta = listed(run)[thread_id(3)]["metadata"]
    assert len(meta) == 16 and all(len(k) == 64 for k in meta)


def test_verified_against_the_api_with_the_servers_metadata_first(server, cli, tmp_path) -> None:
    client = strict_client(server.base_url)
    thread = client.beta.threads.create(metadata={"title": "Refund", "plan": "server"})
    conv = client.conversations.create()
    gone = "thread_" + "Q" * 24
    rows = [(1, thread.id, "db", None), (2, conv.id, "pro", None), (3, gone, None, None)]
    db = app_db(tmp_path / "app.db", rows)
    run = cli(server.base_url)
    done = run("import", "--from-db", str(db), "--query", "SELECT * FROM chats", "--json")
    assert done.returncode == 1, done.stderr
    got = results(done.stdout)
    assert got[thread.id]["result"] == "added" and got[thread.id]["title"] == "Refund"
    assert got[conv.id]["result"] == "added"
    assert got[gone]["result"] == "not found"
    items = listed(run)
    assert items[thread.id]["metadata"] == {"title": "Refund", "plan": "server", "user_id": "1"}
    assert items[conv.id]["metadata"] == {"user_id": "2", "plan": "pro"}


def test_what_a_user_gets_wrong_is_said_without_a_traceback(cli, tmp_path) -> None:
    db = app_db(tmp_path / "app.db", [(1, thread_id(1), None, None)])
    before = digest(db)
    run = cli(OFFLINE)

    def refused(url: str, query: str, *words: str) -> None:
        done = run("import", "--from-db", url, "--query", query, "--no-verify")
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        for word in words:
            assert word in done.stderr, done.stderr

    missing = tmp_path / "missing.db"
    refused(str(missing), "SELECT 1", "does not exist")
    assert not missing.exists()
    refused(str(db), "DELETE FROM chats RETURNING thread", "read-only")
    refused(str(db), "UPDATE chats SET plan = 'x'", "read-only")
    refused(str(db), f"ATTACH '{tmp_path / 'other.db'}' AS other", "not authorized")
    assert not (tmp_path / "other.db").exists()
    refused(str(db), "SELEC thread FROM chats", "syntax error")
    refused(str(db), "SELECT user_id FROM chats", "No column", "user_id")
    refused(str(db), "SELECT * FROM chats WHERE 0", "returned no rows")
    refused("mysql://root@localhost/app", "SELECT 1", "not a database URL")
    not_db = tmp_path / "text.db"
    not_db.write_text("just text " * 100)
    refused(str(not_db), "SELECT 1", "not a SQLite database")
    assert digest(db) == before
    assert listed(run) == {}

    usage = run("import", "--from-db", str(db), "--no-verify")
    assert usage.returncode == 2 and "--query" in usage.stderr


def test_without_the_postgresql_driver_it_says_how_to_get_it(tmp_path) -> None:
    hide = "import sys; sys.modules['psycopg'] = None; from tui.cli import main; main()"
    url = "postgresql://bob:hunter2hunter2@127.0.0.1:9/app"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            hide,
            "import",
            "--from-db",
            url,
            "--query",
            "SELECT 1",
            "--no-verify",
        ],
        env=cli_env(OFFLINE, tmp_path / "registry.sqlite3"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "thread-browser[postgres]" in done.stderr and "Traceback" not in done.stderr
    assert "hunter2" not in done.stdout + done.stderr
