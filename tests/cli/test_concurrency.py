"""Many writers on one registry at once: no lock errors, nothing lost.

The short test runs two registry writers and a tracking hook side by side. The long one
is the issue's scenario: for ``DURATION_S`` seconds, two real app instances (the real
``ThreadBrowserApp``, headless, driven by key presses) create, import and rename while a
user's program creates and deletes through the tracking hook, all against one emulator on
127.0.0.1 and one registry file. Every write each of them reports must be in the registry
and its journal, and no output or notification may mention a lock.
"""

from __future__ import annotations

import json
import re
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections import Counter
from contextlib import closing

import pytest

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY

DURATION_S = 60
APP_PACE_S = 3.0  # at most one action per app in this time (a user working quickly)
HOOK_PACE_S = 1.0  # at most one round of the user's program (two creations) in this time
LOCK_WORDS = re.compile(r"locked|busy", re.IGNORECASE)
IDS = re.compile(r"\b[a-z]+_[A-Za-z0-9]{16,}")  # random IDs could spell "busy"


def mentions_a_lock(text: str) -> bool:
    """True when ``text`` (IDs left out) speaks of a locked or busy registry."""
    return bool(LOCK_WORDS.search(IDS.sub("", text)))


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from tui.model import Connection, Kind
    from tui.store import Registry

    async def main(path, tag, count):
        conn = Connection("http://127.0.0.1:1/v1")
        async with await Registry.open(path) as reg:
            for n in range(count):
                item, _ = await reg.track(f"thread_{tag}{n:023d}", Kind.THREAD, conn,
                                          source="test")
                await reg.rename(item, f"{tag} {n}", source="test")

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)
HOOK = textwrap.dedent(
    """
    import sys
    from tui.model import Connection, Kind
    from tui.tracking import _Writer

    writer = _Writer(sys.argv[1])
    conn = Connection("http://127.0.0.1:1/v1")
    for n in range(int(sys.argv[3])):
        writer.created(conn, Kind.CONVERSATION,
                       {"id": f"conv_{sys.argv[2]}{n:047x}", "created_at": 1}, None)
    """
)


def test_two_processes_and_a_hook_write_at_once(tmp_path) -> None:
    db = str(tmp_path / "shared.sqlite3")
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, db, "A", "300"], stderr=subprocess.PIPE),
        subprocess.Popen([sys.executable, "-c", WRITER, db, "B", "300"], stderr=subprocess.PIPE),
        subprocess.Popen([sys.executable, "-c", HOOK, db, "c", "300"], stderr=subprocess.PIPE),
    ]
    errors = [p.communicate(timeout=300)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    assert not any(mentions_a_lock(e) or "tracking skipped" in e for e in errors), errors

    with closing(sqlite3.connect(db)) as raw:
        assert raw.execute("SELECT count(*) FROM items").fetchone()[0] == 900
        renamed = raw.execute("SELECT count(*) FROM items WHERE title_source = 'user'")
        assert renamed.fetchone()[0] == 600
        journal = raw.execute("SELECT count(*) FROM journal").fetchone()[0]
        assert journal == 300 * 2 * 2 + 300


# One app instance: the real app, headless, on the registry and the environment's profile
# (the emulator). It cycles through three writing actions by their keys until time is up:
# `n` creates a conversation or thread, `i` imports IDs the script made on the emulator
# with an untracked client, `t` renames the highlighted item. Each saved write is printed
# as a JSON line, and so is every notification.
APP = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from openai import OpenAI
    from tui.app.launch import make_app
    from tui.app.screens.import_dialog import ImportDialog
    from tui.app.screens.new_item import NewItemDialog
    from tui.app.screens.prompt import PromptDialog
    from tui.config import load

    def emit(**record):
        print(json.dumps(record), flush=True)

    async def until(pilot, ready, what, timeout=60.0):
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout} s for {what}")
            await pilot.pause(0.02)

    async def settle(pilot):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    async def main(db, tag, seconds):
        settings = load(None)
        app = make_app(db, settings, settings.profile(None))
        notes = []
        real_notify = app.notify

        def notify(message, **kw):
            notes.append(str(message))
            emit(op="note", text=str(message), severity=kw.get("severity", "information"))
            return real_notify(message, **kw)

        app.notify = notify
        made = OpenAI(max_retries=0)  # IDs to import: made on the server, not tracked
        async with app.run_test(size=(110, 32)) as pilot:
            await until(pilot, lambda: app.services is not None, "the registry")
            await settle(pilot)
            registry = app.services.registry
            real_rename = registry.rename

            async def rename(item, title, *, source):
                renamed = await real_rename(item, title, source=source)
                emit(op="renamed", id=item.id, title=title)
                return renamed

            registry.rename = rename
            real_import = app.main._import_text
            finished = []

            async def import_text(road, text, query):
                try:
                    done = await real_import(road, text, query)
                except Exception as exc:
                    emit(op="import failed", error=str(exc))
                    raise
                finally:
                    finished.append(text)
                for r in done.shown:
                    emit(op="imported", id=r.id, outcome=r.outcome.value, message=r.message)
                return done

            app.main._import_text = import_text
            started = time.monotonic()
            step = 0
            while time.monotonic() - started < seconds:
                step += 1
                if step % 3 == 1:
                    await pilot.press("n")
                    await until(pilot, lambda: isinstance(app.screen, NewItemDialog), "n")
                    if step % 2:
                        app.screen.query_one("#thread").value = True
                    app.screen.query_one("#title").value = f"{tag} created {step}"
                    app.screen.query_one("#metadata").text = f"writer = {tag}\\nstep = {step}"
                    seen = len(notes)
                    await pilot.press("ctrl+s")
                    await until(pilot, lambda: len(notes) > seen, "the creation")
                    for note in notes[seen:]:
                        if note.startswith("Created "):
                            emit(op="created", id=note.removeprefix("Created ").rstrip("."))
                elif step % 3 == 2:
                    ids = [made.conversations.create(metadata={"by": tag}).id for _ in range(6)]
                    ids += [made.beta.threads.create(metadata={"by": tag}).id for _ in range(3)]
                    await pilot.press("i")
                    await until(pilot, lambda: isinstance(app.screen, ImportDialog), "i")
                    dialog = app.screen
                    dialog.query_one("#paste").text = "pasted: " + " ; ".join(ids)
                    before = len(finished)
                    await pilot.press("ctrl+s")
                    await until(pilot, lambda: len(finished) > before, "the import")
                    await settle(pilot)
                    await pilot.press("escape")
                else:
                    await pilot.press("t")
                    await until(pilot, lambda: isinstance(app.screen, PromptDialog), "t")
                    app.screen.query_one("#value").value = f"{tag} renamed {step}"
                    await pilot.press("enter")
                await settle(pilot)
                # a steady rate (a user's pace, not a wait for anything): the three writers
                # overlap all minute without spending the machine's every cycle on it
                await asyncio.sleep(max(0.0, started + step * PACE_S - time.monotonic()))
            emit(op="done", steps=step, seconds=time.monotonic() - started)

    PACE_S = float(sys.argv[4])
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
    """
)

# A user's program with the tracking hook on a real SDK client: it creates conversations
# (and replies in them) and threads, deleting every fifth thread.
USER_PROGRAM = textwrap.dedent(
    """
    import json, sys, time
    from openai import OpenAI
    from tui import track

    def emit(**record):
        print(json.dumps(record), flush=True)

    client = track(OpenAI(max_retries=0), db=sys.argv[1])
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < float(sys.argv[2]):
        n += 1
        conv = client.conversations.create(metadata={"writer": "hook", "n": str(n)})
        emit(op="created", id=conv.id)
        client.responses.create(model="gpt-4.1", input=f"hello {n}", conversation=conv.id)
        thread = client.beta.threads.create(
            messages=[{"role": "user", "content": f"hook thread {n}"}]
        )
        emit(op="created", id=thread.id)
        if n % 5 == 0:
            client.beta.threads.delete(thread.id)
            emit(op="deleted", id=thread.id)
        time.sleep(max(0.0, started + n * float(sys.argv[3]) - time.monotonic()))  # its pace
    emit(op="done", steps=n, seconds=time.monotonic() - started)
    """
)


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


@pytest.mark.long
def test_two_app_instances_and_a_hook_for_a_minute(make_server, tmp_path) -> None:
    server = make_server()
    db = tmp_path / "shared.sqlite3"
    env = cli_env(server.base_url, db, TEST_KEY)
    started = time.monotonic()
    names = ("app A", "app B", "hook")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APP, str(db), tag, str(DURATION_S), str(APP_PACE_S)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("A", "B")
    ]
    procs.append(
        subprocess.Popen(
            [sys.executable, "-c", USER_PROGRAM, str(db), str(DURATION_S), str(HOOK_PACE_S)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    outputs = [p.communicate(timeout=DURATION_S * 5 + 120) for p in procs]
    elapsed = time.monotonic() - started
    for name, proc, (out, err) in zip(names, procs, outputs, strict=True):
        assert proc.returncode == 0, f"{name} failed:\n{err[-3000:]}"
        assert "Traceback" not in err, f"{name}:\n{err[-3000:]}"
        assert not mentions_a_lock(out + err), f"{name} mentioned a lock:\n{out}\n{err}"
        assert "tracking skipped" not in err, f"{name}:\n{err}"
    logs = {name: records(out) for name, (out, _) in zip(names, outputs, strict=True)}

    created: dict[str, list[str]] = {}
    imported: dict[str, list[str]] = {}
    renamed: dict[str, list[str]] = {}
    for name in names[:2]:
        log = logs[name]
        assert not [r for r in log if r["op"] == "import failed"], log
        errors = [r for r in log if r["op"] == "note" and r["severity"] == "error"]
        assert not errors, f"{name} showed errors: {errors}"
        created[name] = [r["id"] for r in log if r["op"] == "created"]
        outcomes = [r for r in log if r["op"] == "imported"]
        assert all(r["outcome"] == "added" for r in outcomes), outcomes
        imported[name] = [r["id"] for r in outcomes]
        renamed[name] = [r["title"] for r in log if r["op"] == "renamed"]
        assert log[-1]["op"] == "done" and log[-1]["seconds"] >= DURATION_S
    hook_made = [r["id"] for r in logs["hook"] if r["op"] == "created"]
    hook_deleted = [r["id"] for r in logs["hook"] if r["op"] == "deleted"]
    assert logs["hook"][-1]["op"] == "done" and logs["hook"][-1]["seconds"] >= DURATION_S

    figures = {
        name: {
            "created": len(created[name]),
            "imported": len(imported[name]),
            "renamed": len(renamed[name]),
        }
        for name in names[:2]
    }
    figures["hook"] = {"created": len(hook_made), "deleted": len(hook_deleted)}
    print(f"\nwrites in {DURATION_S} s (wall {elapsed:.0f} s): {json.dumps(figures)}")
    for name in names[:2]:
        assert min(figures[name].values()) >= 3, figures  # every action ran, repeatedly
    assert len(hook_made) >= 20 and hook_deleted, figures

    for path in (db, *db.parent.glob(db.name + "-*")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        items = dict(raw.execute("SELECT id, state FROM items").fetchall())
        journal = raw.execute("SELECT event, source, detail FROM journal").fetchall()
    app_made = created["app A"] + created["app B"]
    app_imported = imported["app A"] + imported["app B"]
    everything = app_made + app_imported + hook_made
    assert len(set(everything)) == len(everything), "an ID was reported twice"
    missing = [i for i in everything if i not in items]
    assert not missing, f"{len(missing)} reported IDs are not in the registry: {missing[:5]}"
    assert len(items) == len(everything)

    counts = Counter((event, source) for event, source, _ in journal)
    assert counts["tracked", "app"] == len(app_made)
    assert counts["imported", "import"] == len(app_imported)
    assert counts["tracked", "track"] == len(hook_made)
    assert counts["deleted", "track"] == len(hook_deleted)
    titles = Counter(detail for event, _, detail in journal if event == "renamed")
    assert titles == Counter(renamed["app A"] + renamed["app B"])
