"""``thread-browser import --from-agents-session``: every session of a real SQLiteSession file."""

from __future__ import annotations

import json

from tests.kit.agents_sessions import HOSTILE, conversation, digest, make_session_file


def rows(stdout: str) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, stdout.splitlines())}


def test_import_list_and_export_sessions(cli, tmp_path) -> None:
    path = make_session_file(
        tmp_path / "agents.sqlite3",
        {
            "user_123": conversation(1),
            "evil": [{"role": "user", "content": HOSTILE}],
        },
    )
    before = digest(path)
    run = cli("http://127.0.0.1:9/v1", key=None)  # no server, no key: none is needed
    done = run("import", "--from-agents-session", str(path), "--json")
    assert done.returncode == 0, done.stderr
    got = rows(done.stdout)
    assert got["user_123"] == {
        "id": "user_123",
        "result": "added",
        "ok": True,
        "kind": "session",
        "title": "Question 1: what is the weather in Kyoto?",
        "message": "",
    }
    assert "2 sessions: 2 added" in done.stderr
    plain = run("import", "--from-agents-session", str(path))
    assert plain.returncode == 0 and "already tracked" in plain.stdout
    assert "\x1b" not in plain.stdout and "[bold red]pwned[/bold red]" in plain.stdout
    listed = rows(run("list", "--json", "--kind", "session").stdout)
    assert set(listed) == {"user_123", "evil"}
    assert listed["user_123"]["connection"]["base_url"] == path.resolve().as_uri()
    exported = run("export", "user_123", "--format", "md")
    assert exported.returncode == 0, exported.stderr
    assert "get_weather" in exported.stdout and "Answer 1: sunny." in exported.stdout
    as_json = run("export", "evil", "--format", "json")
    assert as_json.returncode == 0 and "\x1b" not in as_json.stdout
    assert json.loads(as_json.stdout)["turns"][0]["parts"][0]["text"] == HOSTILE
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("agents")) == [
        "agents.sqlite3"
    ]


def test_unreadable_files_and_usage(cli, tmp_path) -> None:
    run = cli("http://127.0.0.1:9/v1", key=None)
    missing = run("import", "--from-agents-session", str(tmp_path / "nope.db"))
    assert missing.returncode == 1 and "is not there" in missing.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 512)
    damaged = run("import", "--from-agents-session", str(junk))
    assert damaged.returncode == 1 and "damaged or not a SQLite database" in damaged.stderr
    assert junk.read_bytes() == b"\x00garbage" * 512
    both = run("import", "x.txt", "--from-agents-session", str(junk))
    assert both.returncode == 2 and "not more" in both.stderr
    unknown = run("export", "no_such_session")
    assert unknown.returncode == 2 and "--from-agents-session" in unknown.stderr
    assert "Traceback" not in missing.stderr + damaged.stderr + unknown.stderr
