"""``thread-browser import --from-db postgresql://… --query SQL`` against a real server.

The server (``tests/kit/postgres.py``) is started once per session; these tests share it
in one xdist group, each on tables of its own.
"""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.cli.test_import import results
from tests.cli.test_import_from_db import OFFLINE, RUN, listed, thread_id
from tests.conftest import strict_client
from tests.kit.postgres import PASSWORD, Postgres

pytestmark = pytest.mark.xdist_group("postgres")


def setup(postgres: Postgres, *statements: str, rows: list[tuple] | None = None) -> None:
    with psycopg.connect(postgres.socket_url, autocommit=True) as conn:
        for statement in statements:
            if rows is not None and statement.startswith("COPY"):
                with conn.cursor().copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                conn.execute(statement)


def count(postgres: Postgres, table: str) -> int:
    with psycopg.connect(postgres.socket_url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_columns_become_metadata_and_wrong_kinds_are_reported(postgres, cli) -> None:
    setup(
        postgres,
        "CREATE TABLE chats (user_id int, created timestamptz, thread text, plan text, info jsonb)",
        "INSERT INTO chats VALUES "
        f"(7, '2026-01-02T03:04:05Z', '{thread_id(1)}', 'pro', '{{\"a\": 1}}'), "
        f"(8, NULL, '{thread_id(2)}', NULL, NULL), "
        f"(9, NULL, '{RUN}', 'free', NULL), "
        f"(10, NULL, 'nope', NULL, NULL), "
        f"(11, NULL, '{thread_id(1)}', 'dup', NULL)",
    )
    run = cli(OFFLINE)
    url = postgres.url()
    done = run(
        "import",
        "--from-db",
        url,
        "--query",
        "SELECT * FROM chats ORDER BY user_id",
        "--no-verify",
        "--json",
    )
    assert done.returncode == 1, done.stderr
    got = results(done.stdout)
    assert list(got) == [thread_id(1), thread_id(2), RUN, "nope"]
    assert [got[i]["result"] for i in got] == ["added", "added", "wrong kind", "malformed"]
    assert "IDs from column thread; metadata from: user_id, created, plan, info" in done.stderr
    items = listed(run)
    assert items[thread_id(1)]["metadata"] == {
        "user_id": "7",
        "created": "2026-01-02T03:04:05+00:00",
        "plan": "pro",
        "info": '{"a": 1}',
    }
    assert items[thread_id(2)]["metadata"] == {"user_id": "8"}
    assert PASSWORD not in done.stdout + done.stderr


def test_ten_thousand_rows(postgres, cli) -> None:
    rows = [(thread_id(100_000 + n), f"user{n % 97}") for n in range(10_000)]
    setup(postgres, "CREATE TABLE many (id text, user_id text)", "COPY many FROM STDIN", rows=rows)
    run = cli(OFFLINE)
    done = run(
        "import",
        "--from-db",
        postgres.url(),
        "--query",
        "SELECT id, user_id FROM many",
        "--no-verify",
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert "10000 IDs: 10000 added" in done.stderr
    again = run(
        "import", "--from-db", postgres.url(), "--query", "SELECT id FROM many", "--no-verify"
    )
    assert again.returncode == 0 and "10000 IDs: 10000 already tracked" in again.stderr
    found = run("list", "--json", "--meta", "user_id=user26", "--limit", "1000")
    rows = [json.loads(line) for line in found.stdout.splitlines()]
    assert len(rows) == 103 and thread_id(100_123) in {row["id"] for row in rows}
    assert {tuple(row["metadata"].items()) for row in rows} == {(("user_id", "user26"),)}


def test_verified_with_the_api(postgres, server, cli) -> None:
    client = strict_client(server.base_url)
    thread = client.beta.threads.create(metadata={"title": "From PG"})
    gone = "thread_" + "Z" * 24
    setup(
        postgres,
        "CREATE TABLE verified (id text, team text)",
        f"INSERT INTO verified VALUES ('{thread.id}', 'red'), ('{gone}', 'blue')",
    )
    run = cli(server.base_url)
    done = run("import", "--from-db", postgres.url(), "--query", "SELECT * FROM verified", "--json")
    assert done.returncode == 1, done.stderr
    got = results(done.stdout)
    assert got[thread.id]["result"] == "added" and got[thread.id]["title"] == "From PG"
    assert got[gone]["result"] == "not found"
    assert listed(run)[thread.id]["metadata"] == {"title": "From PG", "team": "red"}


def test_a_query_that_writes_is_refused_and_nothing_changes(postgres, cli) -> None:
    setup(
        postgres,
        "CREATE TABLE guarded (id text)",
        f"INSERT INTO guarded VALUES ('{thread_id(5)}')",
        "CREATE FUNCTION sneaky() RETURNS text LANGUAGE sql AS "
        f"$$ INSERT INTO guarded VALUES ('{thread_id(6)}') RETURNING id $$",
    )
    run = cli(OFFLINE)
    url = postgres.url()
    for query, said in [
        ("SELECT sneaky()", "read-only transaction"),
        ("DELETE FROM guarded RETURNING id", "syntax error"),
        ("WITH gone AS (DELETE FROM guarded RETURNING id) SELECT id FROM gone", "data-modifying"),
        ("SELECT id FROM guarded; DELETE FROM guarded", "multiple commands"),
    ]:
        done = run("import", "--from-db", url, "--query", query, "--no-verify")
        assert done.returncode == 1, (query, done.stderr)
        assert said in done.stderr, (query, done.stderr)
        assert "Traceback" not in done.stderr
    assert count(postgres, "guarded") == 1
    assert listed(run) == {}


def test_what_a_user_gets_wrong_is_said_and_the_password_never(postgres, cli) -> None:
    setup(postgres, "CREATE TABLE quiet (id text, n int)")
    run = cli(OFFLINE)

    def refused(url: str, query: str, *words: str) -> str:
        done = run("import", "--from-db", url, "--query", query, "--no-verify")
        assert done.returncode == 1, done.stderr
        said = done.stdout + done.stderr
        assert "Traceback" not in said
        for word in words:
            assert word in said, said
        return said

    wrong = "Wrong-Passw0rd-7xQ"
    said = refused(postgres.url(wrong), "SELECT 1", "password authentication failed")
    assert wrong not in said
    said = refused(postgres.url(), "SELECT * FROM nowhere", 'relation "nowhere" does not exist')
    assert PASSWORD not in said
    refused(postgres.url(), "SELECT * FROM quiet", "returned no rows")
    refused(postgres.url(), "SELECT n FROM quiet UNION SELECT 1", "No column", "(columns: n)")
    refused(postgres.url(database="absent"), "SELECT 1", 'database "absent" does not exist')
    down = f"postgresql://tb_owner:{PASSWORD}@127.0.0.1:9/app"
    said = refused(down, "SELECT 1", "Cannot connect to PostgreSQL", "127.0.0.1:9")
    assert PASSWORD not in said
    said = refused("postgresql://tb_owner:%zz@127.0.0.1:/", "SELECT 1")
    assert "%zz" not in said
