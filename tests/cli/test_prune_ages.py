"""``prune`` in a subprocess against a server that reports ``created_at: 0``.

A zero (or future) timestamp is not an age: the registry's own ``tracked_at`` stands in
for it, and the plan says which ages it could not trust and what it used instead.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import TEST_KEY
from tui.emulator import EmulatorServer
from tui.emulator.demo import seed_threads

FUTURE = 4_102_444_800  # 2100-01-01


def _zero_created_at(server: EmulatorServer, count: int) -> list[str]:
    """``count`` fresh threads the server says were created at Unix time 0."""
    ids = seed_threads(server.emulator, TEST_KEY, count)
    ns = server.emulator.namespace(TEST_KEY)
    for thread_id in ids:
        ns.threads[thread_id].obj["created_at"] = 0
    return ids


def _states(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, state FROM items").fetchall())


def test_a_zero_created_at_does_not_make_fresh_threads_old(server, cli, tmp_path) -> None:
    ids = _zero_created_at(server, 4)
    run = cli(server.base_url)
    assert run("import", "-", input=" ".join(ids)).returncode == 0
    db = tmp_path / "registry.sqlite3"

    dry = run("prune", "--older-than", "30d", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["would_delete"] == []
    assert sorted(a["id"] for a in plan["untrusted_ages"]) == sorted(ids)
    assert not any(a["would_delete"] for a in plan["untrusted_ages"])

    done = run("prune", "--older-than", "30d", "--yes")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "could not trust" in done.stderr.lower() and "kept" in done.stderr
    assert "Nothing to delete." in done.stderr
    assert all(i in server.emulator.namespace(TEST_KEY).threads for i in ids)
    assert set(_states(db).values()) == {"active"}


def test_the_plan_says_which_ages_it_could_not_trust(server, cli, tmp_path) -> None:
    ids = _zero_created_at(server, 3)
    server.emulator.namespace(TEST_KEY).threads[ids[2]].obj["created_at"] = FUTURE
    run = cli(server.base_url)
    assert run("import", "-", input=" ".join(ids)).returncode == 0
    db = tmp_path / "registry.sqlite3"
    seen = 1_767_225_600  # 2026-01-01: long enough ago for 30d, by what the registry saw
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "UPDATE items SET tracked_at = ? WHERE id = ?", [(seen, ids[0]), (seen, ids[2])]
        )

    dry = run("prune", "--older-than", "30d", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"  - {ids[0]}  " in dry.stdout and f"  - {ids[1]}  " not in dry.stdout
    assert "could not trust" in dry.stdout.lower()
    assert f"{ids[0]}: server said 1970-01-01 00:00 UTC, used 2026-01-01 00:00 UTC: deleted" in (
        dry.stdout
    )
    assert f"{ids[1]}: server said 1970-01-01 00:00 UTC" in dry.stdout
    assert f"{ids[2]}: server said 2100-01-01 00:00 UTC, used 2026-01-01" in dry.stdout

    as_json = json.loads(run("prune", "--older-than", "30d", "--dry-run", "--json").stdout)
    assert sorted(as_json["would_delete"]) == sorted([ids[0], ids[2]])
    notes = {a["id"]: a for a in as_json["untrusted_ages"]}
    assert notes[ids[0]]["server_said"].startswith("1970-01-01")
    assert notes[ids[0]]["used"].startswith("2026-01-01") and notes[ids[0]]["would_delete"]
    assert not notes[ids[1]]["would_delete"]

    refused = run("prune", "--older-than", "30d")
    assert refused.returncode == 2
    assert "could not trust" in refused.stderr.lower() and ids[0] in refused.stderr
    assert set(_states(db).values()) == {"active"}
