"""``delete`` goes deep and verifies; ``receipts`` shows what it did; a kill loses nothing.

The real CLI in child processes against the emulator; the conversations' responses are
recorded by the tracking hook in a user's program, as they would be.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY, strict_client
from tui import track
from tui.emulator import EmulatorServer


def made(server: EmulatorServer, db: Path, count: int, responses: int = 2) -> dict[str, list[str]]:
    """``count`` tracked conversations of two items, each written into by ``responses``."""
    sdk = track(strict_client(server.base_url), db=db)
    out: dict[str, list[str]] = {}
    for n in range(count):
        conv = sdk.conversations.create(
            items=[
                {"type": "message", "role": "user", "content": f"question {n}"},
                {"type": "message", "role": "assistant", "content": f"answer {n}"},
            ]
        )
        out[conv.id] = [
            sdk.responses.create(model="gpt-4.1", input=f"more {r}", conversation=conv.id).id
            for r in range(responses)
        ]
    return out


def responses_of(convs: dict[str, list[str]]) -> list[str]:
    return [r for responses in convs.values() for r in responses]


def still_there(server: EmulatorServer, made: dict[str, list[str]]) -> list[str]:
    sdk = strict_client(server.base_url)
    found = []
    for conv, responses in made.items():
        for fetch, object_id in [(sdk.conversations.retrieve, conv)] + [
            (sdk.responses.retrieve, r) for r in responses
        ]:
            try:
                fetch(object_id)
                found.append(object_id)
            except openai.NotFoundError:
                pass
    return found


def rows(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(query).fetchall()


def test_delete_reports_objects_and_receipts_list_them(server, cli, tmp_path) -> None:
    db = tmp_path / "registry.sqlite3"
    convs = made(server, db, 2)
    run = cli(server.base_url)
    done = run("delete", "--yes", *convs)
    assert done.returncode == 0, done.stderr
    assert "stored responses this registry knows wrote into them" in done.stderr
    assert "verified gone, 0 still there, 0 failed" in done.stdout
    assert still_there(server, convs) == []

    listed = run("receipts")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("deletion ")
    for conv, responses in convs.items():
        assert f"conversation {conv}: verified" in listed.stdout
        assert all(f"response {r}: verified" in listed.stdout for r in responses)
    receipts = json.loads(run("receipts", "--json", "--since", "1d").stdout)["receipts"]
    assert {r["object_id"] for r in receipts} >= {*convs, *responses_of(convs)}
    assert all(r["verified_at"] and r["outcome"] == "verified" for r in receipts)
    assert "question 0" not in json.dumps(receipts)
    none = run("receipts", "--since", "2099-01-01")
    assert none.returncode == 0 and none.stdout.startswith("No receipts since 2099-01-01")
    bad = run("receipts", "--since", "yesterday-ish")
    assert bad.returncode == 2 and "neither an age" in bad.stderr


def test_a_server_that_deletes_nothing_exits_1_and_says_so(make_server, cli, tmp_path) -> None:
    server = make_server(hollow_deletes=True)
    db = tmp_path / "registry.sqlite3"
    convs = made(server, db, 1)
    done = cli(server.base_url)("delete", "--yes", "--json", *convs)
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    [entry] = summary["still_on_the_server"]
    assert "still on the server" in entry["reason"]
    assert summary["objects"]["still_there"] >= 3 and summary["objects"]["verified"] == 0
    assert rows(db, "SELECT state FROM items WHERE kind = 'conversation'") == [("active",)]


def _start(server: EmulatorServer, db: Path, ids: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "delete", "--yes", "--json", "--no-archive", *ids],
        env=cli_env(server.base_url, db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_objects(db: Path, at_least: int, process: subprocess.Popen[str]) -> None:
    """Until ``at_least`` objects of the run are past their request (or the run ended)."""
    deadline = time.monotonic() + 60
    query = "SELECT count(*) FROM deletion_objects WHERE state != 'planned'"
    while process.poll() is None:
        try:
            if rows(db, query)[0][0] >= at_least:
                return
        except sqlite3.OperationalError:
            pass  # the file or its table is not there yet
        assert time.monotonic() < deadline, "no object was deleted in time"
        time.sleep(0.01)


@pytest.mark.long
@pytest.mark.parametrize("moment", [1, 6, 13, 22, 31])
def test_a_kill_at_any_moment_leaves_nothing_unknown(make_server, cli, tmp_path, moment) -> None:
    server = make_server(latency_ms=15)
    db = tmp_path / "registry.sqlite3"
    convs = made(server, db, 4)  # 4 x (2 items, 2 responses' items, 2 responses, itself)
    process = _start(server, db, list(convs))
    _wait_for_objects(db, moment, process)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    states = rows(db, "SELECT state FROM deletion_objects")
    assert all(s in ("planned", "requested", "deleted", "verified") for (s,) in states)
    resumed = cli(server.base_url)("delete", "--resume", "--yes", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert rows(db, "SELECT count(*) FROM deletion_objects") == [(0,)]
    assert rows(db, "SELECT count(*) FROM deletions") == [(0,)]
    assert set(rows(db, "SELECT state FROM items WHERE kind = 'conversation'")) == {("deleted",)}
    assert still_there(server, convs) == []
    verified = rows(db, "SELECT object_id FROM receipts WHERE outcome = 'verified'")
    assert {*convs, *responses_of(convs)} <= {v for (v,) in verified}
    assert TEST_KEY.encode() not in db.read_bytes()
