"""``thread-browser import`` in a subprocess against the emulator."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY, strict_client
from tui.emulator.demo import seed_threads

RUN = "run_zdE51vuY4FlBpEy2dYb3870E"
MSG = "msg_Abc123def456ghi789jkl0"


def results(stdout: str) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, stdout.splitlines())}


def test_mixed_text_gives_per_id_results_and_exit_1(server, cli) -> None:
    client = strict_client(server.base_url)
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "Where is my refund?\nsecond line"}]
    )
    conv = client.conversations.create(metadata={"title": "Planning"})
    gone = "thread_" + "Q" * 24
    text = (
        f"2026-11-02 INFO thread={thread.id} user=7\n"
        f'{{"conversation": "{conv.id}", "run": "{RUN}"}}\n'
        f"{MSG},{gone},thread_abc12…\n"
        f"garbage thread_id ::: {thread.id} again\n"
    )
    run = cli(server.base_url)
    done = run("import", "--json", "-", input=text)
    assert done.returncode == 1, done.stderr
    got = results(done.stdout)
    assert list(got) == [thread.id, conv.id, RUN, MSG, gone, "thread_abc12"]
    assert got[thread.id]["result"] == "added"
    assert got[thread.id]["title"] == "Where is my refund?"
    assert got[conv.id]["result"] == "added" and got[conv.id]["title"] == "Planning"
    assert got[RUN]["result"] == "wrong kind" and "run.thread_id" in got[RUN]["message"]
    assert got[MSG]["result"] == "wrong kind" and "message ID" in got[MSG]["message"]
    assert got[gone]["result"] == "not found" and "another project" in got[gone]["message"]
    assert got["thread_abc12"]["result"] == "malformed"
    assert "Traceback" not in done.stderr

    again = run("import", "--json", "-", input=f"{thread.id}\n{conv.id}\n")
    assert again.returncode == 0
    assert {r["result"] for r in results(again.stdout).values()} == {"already tracked"}

    listed = run("list", "--json")
    assert {row["id"] for row in map(json.loads, listed.stdout.splitlines())} == {
        thread.id,
        conv.id,
    }


def test_no_verify_records_without_calling_the_api(cli) -> None:
    run = cli("http://127.0.0.1:9/v1")
    ids = ["thread_" + "A" * 24, "conv_" + "a" * 48]
    done = run("import", "--no-verify", "--json", "-", input="\n".join(ids))
    assert done.returncode == 0, done.stderr
    assert [r["result"] for r in results(done.stdout).values()] == ["added", "added"]


def test_offline_and_missing_key_are_clear(cli) -> None:
    offline = cli("http://127.0.0.1:9/v1")("import", "-", input="thread_" + "A" * 24)
    assert offline.returncode == 1 and "Cannot reach" in offline.stdout
    nokey = cli("http://127.0.0.1:9/v1", key=None)("import", "-", input="thread_" + "A" * 24)
    assert nokey.returncode == 1 and "OPENAI_API_KEY" in nokey.stderr
    assert "Traceback" not in offline.stderr + nokey.stderr


def test_usage_errors_exit_2(cli, tmp_path) -> None:
    run = cli("http://127.0.0.1:9/v1")
    missing = run("import", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    bad_flag = run("import", "--concurrency", "0", "-", input="")
    assert bad_flag.returncode == 2


def test_ten_megabyte_paste_with_invalid_utf8(cli) -> None:
    run = cli("http://127.0.0.1:9/v1")
    ids = [f"thread_{n:024d}" for n in range(2000)]
    filler = b"x" * 5000 + b"\xff\xfe bad utf8 "
    blob = b"".join(filler + i.encode() + b"\n" for i in ids)
    assert len(blob) > 10_000_000
    done = run("import", "--no-verify", "-", input=blob)
    assert done.returncode == 0, done.stderr[-500:]
    assert b"2000 IDs: 2000 added" in done.stderr


def test_damaged_or_newer_registry_stops_the_app_clearly(cli, tmp_path) -> None:
    import sqlite3

    run = cli("http://127.0.0.1:9/v1")
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"not a database" * 200)
    done = run("--db", str(damaged))
    assert done.returncode == 1 and "damaged or not a registry" in done.stderr
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as raw:
        raw.execute("PRAGMA user_version = 42")
    done = run("--db", str(newer), "list")
    assert done.returncode == 1 and "newer Thread Browser" in done.stderr
    assert "Traceback" not in done.stderr


def test_on_a_terminal_it_counts_the_ids_checked_then_clears_the_line(server, tmp_path) -> None:
    ids = seed_threads(server.emulator, TEST_KEY, 12)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids))
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "import", str(ids_file)],
        env=cli_env(server.base_url, tmp_path / "registry.sqlite3"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    err = b""
    while chunk := _read(leader):
        err += chunk
    out = process.communicate(timeout=60)[0].decode()
    os.close(leader)
    assert process.returncode == 0
    shown = err.decode()
    assert "checking IDs with the API: 12/12" in shown
    assert "\r\x1b[K" in shown and shown.rstrip().endswith("12 IDs: 12 added")
    assert out.count("added") == 12 and "checking" not in out


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the other end closed
        return b""
