"""``thread-browser import`` in a subprocess while the emulator faults 20% of requests."""

from __future__ import annotations

import json
import sqlite3
import time

from tests.conftest import TEST_KEY
from tests.faults.conftest import CLIENT_TIMEOUT, FAULTS, assert_healthy, fault_summary
from tui.emulator.demo import seed_demo

GONE = "thread_" + "Q" * 24


def rows(stdout: str) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, stdout.splitlines())}


def tracked(db) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM items")}


def test_every_id_gets_a_clear_result_and_the_registry_stays_sound(
    make_server, cli, tmp_path
) -> None:
    server = make_server(**FAULTS)
    manifest = seed_demo(server.emulator, TEST_KEY)
    real = [*manifest.threads, *manifest.conversations]
    run = cli(server.base_url, THREAD_BROWSER_TIMEOUT=str(CLIENT_TIMEOUT))
    started = time.monotonic()
    done = run("import", "--json", "-", input="\n".join([*real, GONE]))
    took = time.monotonic() - started
    assert "Traceback" not in done.stderr + done.stdout
    got = rows(done.stdout)
    assert list(got) == [*real, GONE]  # one result per ID, in order
    failed = {i: r for i, r in got.items() if r["result"] == "error"}
    assert {r["result"] for r in got.values()} <= {"added", "error", "not found"}
    assert got[GONE]["result"] in ("not found", "error")
    for row in failed.values():
        message = row["message"]
        assert "429" in message or "did not answer in time" in message or "(500)" in message
        assert "retry" in message.lower() or "try again" in message.lower()
    assert failed, "a 20% fault rate over 110 requests leaves some IDs unchecked"
    assert done.returncode == 1
    db = tmp_path / "registry.sqlite3"
    added = {i for i, r in got.items() if r["result"] == "added"}
    assert tracked(db) == added
    faults = fault_summary(server)
    assert sum(faults.values()) >= 10 and {"500", "429", "timeout"} <= set(faults)
    assert_healthy(db)

    server.emulator.config.fault_rate = 0.0
    again = rows(run("import", "--json", "-", input="\n".join(real)).stdout)
    assert {again[i]["result"] for i in failed if i != GONE} == {"added"}
    assert {again[i]["result"] for i in added} == {"already tracked"}
    assert tracked(db) == set(real)
    assert_healthy(db)
    print(f"import: {len(real) + 1} IDs, {len(failed)} failed, faults {faults}, {took:.1f} s")
