"""One writer: the tracking hook and the registry mark an item deleted the same way.

A bulk deletion is interrupted (a run the server paused, or a run killed after it recorded
its set), then the user's own code, through ``track(client)``, deletes those items. They
end ``deleted`` and no longer pending: ``delete --resume`` has nothing to do, and doctor
finds the registry healthy.
"""

from __future__ import annotations

import ast
import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env
from tests.conftest import strict_client
from tui import track
from tui.emulator import EmulatorServer
from tui.model import Connection, ItemState, Kind
from tui.store import Registry

SLOW_DOWN = 100_000.0  # a retry-after far longer than a run waits: it ends, resumable


def run_cli(server: EmulatorServer, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real ``thread-browser`` command on ``db`` and the emulator."""
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        env=cli_env(server.base_url, db),
        timeout=120,
    )


async def _look(db: Path, ids: list[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """The items' states, the IDs of pending deletions, and the journal (oldest first)."""
    async with await Registry.open(db) as reg:
        states = {i: (await reg.find(i))[0].state.value for i in ids}
        pending = [p.item.id for p in await reg.deletions.pending()]
        journal = await reg.journal(limit=1000)
        return states, pending, [f"{e.item_id} {e.event}" for e in reversed(journal)]


def look(db: Path, ids: list[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """:func:`_look`, from synchronous test code."""
    return asyncio.run(_look(db, ids))


def paused_run(server: EmulatorServer, db: Path, ids: list[str]) -> None:
    """A bulk deletion the server pauses with a long retry-after (the run ends, resumable)."""
    server.emulator.config.throttle_after = SLOW_DOWN
    server.emulator.config.throttle_rate = 1.0
    try:
        done = run_cli(server, db, "delete", "--yes", "--no-archive", *ids)
    finally:
        server.emulator.config.throttle_rate = 0.0
    assert done.returncode == 1, done.stderr
    assert "--resume" in done.stderr and "Traceback" not in done.stderr


def killed_run(server: EmulatorServer, db: Path, ids: list[str]) -> None:
    """What a run killed after recording its set leaves: confirmed, ``deleting``."""

    async def confirm() -> None:
        async with await Registry.open(db) as reg:
            items = [(await reg.find(i))[0] for i in ids]
            await reg.deletions.confirm(items, archive=False, source="delete")

    asyncio.run(confirm())


@pytest.mark.parametrize("interrupt", [paused_run, killed_run], ids=["paused", "killed"])
def test_the_hook_deleting_an_interrupted_item_settles_it(
    server: EmulatorServer,
    tmp_path: Path,
    interrupt: Callable[[EmulatorServer, Path, list[str]], None],
) -> None:
    db = tmp_path / "registry.sqlite3"
    client = track(strict_client(server.base_url), db=db)
    thread = client.beta.threads.create()
    conv = client.conversations.create()
    ids = [thread.id, conv.id]
    interrupt(server, db, ids)
    states, pending, _ = look(db, ids)
    assert sorted(pending) == sorted(ids)
    assert states == {i: "deleting" for i in ids}

    assert client.beta.threads.delete(thread.id).deleted
    assert client.conversations.delete(conv.id).deleted

    states, pending, journal = look(db, ids)
    assert states == {i: "deleted" for i in ids}
    assert pending == []
    assert [e for e in journal if e.endswith(" deleted")] == [f"{i} deleted" for i in ids]
    resumed = run_cli(server, db, "delete", "--resume", "--yes", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert "Nothing to resume" in resumed.stderr
    assert "interrupted" not in run_cli(server, db, "delete", "--yes", thread.id).stderr
    doctor = run_cli(server, db, "doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["healthy"]


async def test_the_registry_marking_deleted_settles_a_pending_deletion(tmp_path: Path) -> None:
    conn = Connection("http://127.0.0.1:1/v1")
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        item, _ = await reg.track("thread_" + "A" * 24, Kind.THREAD, conn, source="test")
        await reg.deletions.confirm([item], archive=True, source="test")
        item = await reg.set_state(item, ItemState.DELETED, source="test")
        again = await reg.set_state(item, ItemState.DELETED, source="test")
        assert again.state is ItemState.DELETED
        assert await reg.deletions.pending() == []
        events = [e.event for e in await reg.journal(item)]
        assert events.count("deleted") == 1


def test_the_hook_holds_no_sql_of_its_own() -> None:
    source = Path(__file__).parents[2] / "tui" / "tracking.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.update(f"{node.module}.{a.name}" for a in node.names)
            imported.add(node.module)
    assert not {"sqlite3", "aiosqlite", "tui.store.sql"} & imported
    assert not any(name.startswith("tui.store.sql") for name in imported)


def test_the_hook_records_calls_from_every_thread(
    server: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "registry.sqlite3"
    client = track(strict_client(server.base_url), db=db)
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(lambda _: client.conversations.create().id, range(12)))
    states, _, _ = look(db, ids)
    assert states == {i: "active" for i in ids}
    assert "tracking skipped" not in caplog.text
