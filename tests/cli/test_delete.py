"""``thread-browser delete`` and ``prune`` in a subprocess against the emulator."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY, strict_client
from tui.emulator import EmulatorServer
from tui.emulator.demo import seed_threads


def states(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, state FROM items").fetchall())


def pending(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT items.id FROM deletions JOIN items ON items.pk = deletions.item_pk"
        ).fetchall()
    return [r[0] for r in rows]


def on_server(server: EmulatorServer, item_id: str) -> bool:
    ns = server.emulator.namespace(TEST_KEY)
    return item_id in ns.threads or item_id in ns.conversations


def test_without_a_terminal_and_without_yes_it_refuses_with_exit_2(server, cli, tmp_path):
    [thread] = seed_threads(server.emulator, TEST_KEY, 1)
    run = cli(server.base_url)
    assert run("import", "-", input=thread).returncode == 0
    done = run("delete", thread)
    assert done.returncode == 2
    assert "not a terminal" in done.stderr and "--yes" in done.stderr
    assert f"  - {thread}" in done.stderr  # the plan was shown before refusing
    assert on_server(server, thread)
    assert states(tmp_path / "registry.sqlite3") == {thread: "active"}


def test_a_run_id_is_refused_with_what_to_use_instead(server, cli):
    done = cli(server.base_url)("delete", "--yes", "run_zdE51vuY4FlBpEy2dYb3870E")
    assert done.returncode == 2
    assert "run" in done.stderr and "thread_id" in done.stderr
    assert "Traceback" not in done.stderr


def test_delete_archives_first_and_reports_json(server, cli, tmp_path):
    client = strict_client(server.base_url)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "the prompt"}])
    conv = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "a plan"}]
    )
    run = cli(server.base_url)
    assert run("import", "-", input=f"{thread.id} {conv.id}").returncode == 0
    missing = "thread_" + "Z" * 24
    done = run("delete", "--yes", "--json", thread.id, conv.id, missing)
    assert done.returncode == 1, done.stderr  # the unknown ID was not deleted
    summary = json.loads(done.stdout)
    assert sorted(summary["deleted"]) == sorted([thread.id, conv.id])
    assert summary["failed"] == [] and summary["skipped"] == []
    assert f"{missing}:" in done.stderr and "nothing deleted" in done.stderr.lower()
    assert not on_server(server, thread.id) and not on_server(server, conv.id)
    assert states(tmp_path / "registry.sqlite3") == {thread.id: "deleted", conv.id: "deleted"}
    exported = run("export", thread.id)
    assert exported.returncode == 0 and "the prompt" in exported.stdout
    again = run("delete", "--yes", thread.id)
    assert again.returncode == 0 and "already deleted" in again.stderr


def test_prune_dry_run_deletes_nothing_then_prune_deletes_only_the_old(server, cli, tmp_path):
    ids = seed_threads(server.emulator, TEST_KEY, 6)
    run = cli(server.base_url)
    assert run("import", "-", input=" ".join(ids)).returncode == 0
    db = tmp_path / "registry.sqlite3"
    old = int(time.time()) - 40 * 86400
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "UPDATE items SET last_activity = ? WHERE id = ?", [(old, i) for i in ids[:4]]
        )
    dry = run("prune", "--older-than", "30d", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert sorted(json.loads(dry.stdout)["would_delete"]) == sorted(ids[:4])
    assert all(on_server(server, i) for i in ids)
    assert set(states(db).values()) == {"active"}

    refused = run("prune", "--older-than", "30d")
    assert refused.returncode == 2 and all(on_server(server, i) for i in ids)

    done = run("prune", "--older-than", "30d", "--yes", "--no-archive")
    assert done.returncode == 0, done.stderr
    assert "4 deleted" in done.stdout
    assert [on_server(server, i) for i in ids] == [False] * 4 + [True] * 2
    assert states(db) == {i: ("deleted" if i in ids[:4] else "active") for i in ids}


def _start_delete(server: EmulatorServer, db: Path, ids: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "delete", "--yes", "--json", "--no-archive", *ids],
        env=cli_env(server.base_url, db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_deleted(db: Path, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while sum(1 for s in states(db).values() if s == "deleted") < at_least:
        assert time.monotonic() < deadline, "no deletion recorded in time"
        time.sleep(0.02)


@pytest.mark.long
def test_a_killed_run_leaves_nothing_in_doubt_and_resumes(make_server, cli, tmp_path):
    server = make_server(latency_ms=40)
    ids = seed_threads(server.emulator, TEST_KEY, 150)
    bystanders = seed_threads(server.emulator, TEST_KEY, 3)
    run = cli(server.base_url)
    assert run("import", "-", input=" ".join(ids + bystanders)).returncode == 0
    db = tmp_path / "registry.sqlite3"

    process = _start_delete(server, db, ids)
    _wait_for_deleted(db, 20)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    after = states(db)
    interrupted = pending(db)
    assert interrupted, "a killed run should leave its unfinished set"
    for item_id in ids:  # every confirmed item is deleted or recorded as pending
        assert after[item_id] == "deleted" or item_id in interrupted
        if after[item_id] == "deleted":
            assert not on_server(server, item_id)
    assert all(after[b] == "active" for b in bystanders)

    told = run("delete", "--yes", bystanders[0])  # any later run names the interrupted set
    assert "interrupted" in told.stderr and "--resume" in told.stderr
    resumed = run("delete", "--resume", "--yes", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert sorted(summary["deleted"] + summary["already_gone"]) == sorted(interrupted)
    assert pending(db) == []
    final = states(db)
    assert all(final[i] == "deleted" for i in ids)
    assert not any(on_server(server, i) for i in ids)
    assert final[bystanders[1]] == "active" and on_server(server, bystanders[1])


@pytest.mark.long
def test_ctrl_c_stops_sending_and_puts_the_rest_back(make_server, cli, tmp_path):
    server = make_server(latency_ms=40)
    ids = seed_threads(server.emulator, TEST_KEY, 300)
    run = cli(server.base_url)
    assert run("import", "-", input=" ".join(ids)).returncode == 0
    db = tmp_path / "registry.sqlite3"

    process = _start_delete(server, db, ids)
    _wait_for_deleted(db, 20)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1, err
    assert "Stopping" in err and "Traceback" not in err
    summary = json.loads(out)
    assert summary["not_sent"], "Ctrl+C should leave some items unsent"
    assert len(summary["deleted"]) + len(summary["not_sent"]) == 300
    final = states(db)
    assert all(final[i] == "active" and on_server(server, i) for i in summary["not_sent"])
    assert all(final[i] == "deleted" and not on_server(server, i) for i in summary["deleted"])
    assert pending(db) == []


def _on_a_terminal(server: EmulatorServer, db: Path, answer: str, *args: str):
    """Run ``delete`` with a pseudo-terminal as standard input, answering ``answer``."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "delete", "--no-archive", *args],
        env=cli_env(server.base_url, db),
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(follower)
    os.write(leader, (answer + "\n").encode())
    out, err = process.communicate(timeout=60)
    os.close(leader)
    return process.returncode, out, err


@pytest.mark.long
def test_on_a_terminal_it_asks_and_a_wrong_number_deletes_nothing(server, cli, tmp_path):
    ids = seed_threads(server.emulator, TEST_KEY, 25)
    run = cli(server.base_url)
    assert run("import", "-", input=" ".join(ids)).returncode == 0
    db = tmp_path / "registry.sqlite3"

    code, _, err = _on_a_terminal(server, db, "y", *ids)  # 25 items: y is not enough
    assert code == 2 and "Type 25 to delete them" in err and "Nothing deleted" in err
    assert all(on_server(server, i) for i in ids)

    code, out, err = _on_a_terminal(server, db, "25", *ids)
    assert code == 0, err
    assert "25 deleted" in out
    assert not any(on_server(server, i) for i in ids)

    [one] = seed_threads(server.emulator, TEST_KEY, 1)
    assert run("import", "-", input=one).returncode == 0
    code, _, err = _on_a_terminal(server, db, "n", one)
    assert code == 2 and on_server(server, one) and "Delete? [y/N]" in err
