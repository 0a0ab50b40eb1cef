"""A damaged, read-only, full or newer registry: clear messages, nothing overwritten.

Each fault is met where a user meets it: the CLI (``list`` and ``import -`` in a
subprocess), the app (its start, and a running app through Pilot) and the tracking hook
in a user's program. When the suite runs as root, subprocesses run without the
capabilities that let root ignore file permissions, so read-only files stay read-only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY, settle
from tui.app.launch import make_app
from tui.app.screens.import_dialog import ImportDialog
from tui.config import Profile, Settings
from tui.model import Connection, Kind
from tui.store import Registry, RegistryCorrupt, RegistryFull, RegistryTooNew, files, schema

CONN = Connection("http://127.0.0.1:9/v1")
ROWS = 20
DAMAGED_ROWS = 3000
NEWER = schema.LATEST + 3
NEW_IDS = "\n".join(f"thread_{n:024x}" for n in range(10**6, 10**6 + 300))
FAULTS = ("not-a-registry", "damaged-pages", "read-only-file", "read-only-folder", "full", "newer")
NO_KEY_ENV = "THREAD_BROWSER_TEST_NO_KEY"
DROP = "--bounding-set=-dac_override,-dac_read_search,-fowner"


@dataclass
class Fault:
    """A registry file with one fault, and what its checks expect."""

    name: str
    db: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        """True when listing should still work."""
        return self.name in ("read-only-file", "read-only-folder", "full")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def unprivileged() -> list[str]:
    """A command prefix under which file permissions hold (empty when not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root without setpriv: read-only files cannot be made read-only for us")
    return [setpriv, DROP, "--"]


def raw(path: Path, uri: str = "") -> closing[sqlite3.Connection]:
    """A plain connection, closed after the block (so no journal is left pending)."""
    return closing(sqlite3.connect(uri or path, uri=bool(uri), isolation_level=None))


def build(path: Path, count: int) -> None:
    """A registry of ``count`` threads, some renamed, checkpointed and without free pages."""

    async def fill() -> None:
        async with await Registry.open(path) as reg:
            await reg.track_many(
                [(f"thread_{n:024d}", Kind.THREAD) for n in range(count)], CONN, source="test"
            )
            for n in range(0, count, 7):
                [item] = await reg.find(f"thread_{n:024d}")
                await reg.rename(item, f"title {n}", source="test")

    with ThreadPoolExecutor(1) as pool:  # callers may be inside an event loop already
        pool.submit(asyncio.run, fill()).result()
    with raw(path) as conn:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def page_count(path: Path) -> int:
    with raw(path, f"file:{path}?mode=ro&immutable=1") as conn:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])


def overwrite_middle(path: Path) -> None:
    """Overwrite the middle half of the file's pages with noise (the header stays valid)."""
    size = path.stat().st_size
    page = 4096
    pages = size // page
    noise = random.Random(7).randbytes((pages // 2) * page)
    with path.open("r+b") as handle:
        handle.seek((pages // 4) * page)
        handle.write(noise)


def read_back(path: Path) -> tuple[str, int]:
    """``integrity_check`` and the item count, read without creating any file."""
    with raw(path, f"file:{path}?mode=ro&immutable=1") as conn:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        return check, int(conn.execute("SELECT count(*) FROM items").fetchone()[0])


def make_fault(name: str, tmp_path: Path) -> Fault:
    db = tmp_path / "home" / "registry.sqlite3"
    db.parent.mkdir()
    if name == "not-a-registry":
        db.write_bytes(random.Random(3).randbytes(64 * 1024))
        os.chmod(db, 0o600)
        return Fault(name, db)
    if name == "damaged-pages":
        build(db, DAMAGED_ROWS)
        overwrite_middle(db)
        return Fault(name, db)
    build(db, ROWS)
    if name == "read-only-file":
        os.chmod(db, 0o400)
    elif name == "read-only-folder":
        os.chmod(db.parent, 0o500)
    elif name == "full":
        return Fault(name, db, {files.MAX_PAGES_ENV: str(page_count(db))})
    elif name == "newer":
        with raw(db) as conn:
            conn.execute(f"PRAGMA user_version = {NEWER}")
    return Fault(name, db)


WRITE_PROBE = "import sys; open(sys.argv[1], 'ab')"


@pytest.fixture(params=FAULTS)
def fault(request, tmp_path) -> Iterator[Fault]:
    made = make_fault(request.param, tmp_path)
    if made.name.startswith("read-only"):
        target = made.db if made.name == "read-only-file" else made.db.parent / "probe"
        probe = subprocess.run(
            [*unprivileged(), sys.executable, "-c", WRITE_PROBE, target], capture_output=True
        )
        if probe.returncode == 0:
            pytest.skip("file permissions are not enforced here")
    yield made
    os.chmod(made.db.parent, 0o700)


def run_cli(fault: Fault, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    env = cli_env("http://127.0.0.1:9/v1", fault.db, key=None, **fault.env)
    return subprocess.run(
        [*unprivileged(), sys.executable, "-m", "tui", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def assert_unchanged(fault: Fault, before: str, before_mode: int) -> None:
    assert digest(fault.db) == before, "the registry's bytes changed"
    assert mode(fault.db) == before_mode
    for sidecar in fault.db.parent.glob(fault.db.name + "-*"):
        assert mode(sidecar) & 0o077 == 0, f"{sidecar} is readable by others"


# the expected CLI message: phrases that must all appear
MESSAGES = {
    "not-a-registry": ("damaged or not a registry", ".recover", "Keep a copy", "move it aside"),
    "damaged-pages": ("damaged or not a registry", "malformed", ".recover", "did not write"),
    "read-only-file": ("cannot be written", "read-only for you (mode 0400)", "Nothing was changed"),
    "read-only-folder": ("cannot be written", "folder", "read-only for you", "Nothing was changed"),
    "full": ("is full", "not saved", "nothing was lost", "Free some space"),
    "newer": (
        "newer Thread Browser",
        f"version {NEWER}",
        f"up to {schema.LATEST}",
        "Upgrade thread-browser",
        "left untouched",
    ),
}


def assert_says(text: str, fault: Fault) -> None:
    """Every phrase of the fault's message and the path are in ``text`` (wrapping aside)."""
    squashed = "".join(text.split())
    for phrase in (*MESSAGES[fault.name], str(fault.db)):
        assert "".join(phrase.split()) in squashed, f"{phrase!r} missing from: {text}"
    assert "Traceback" not in text and "unexpected failure" not in text


def test_cli_list_and_import(fault: Fault) -> None:
    before, before_mode = digest(fault.db), mode(fault.db)

    listed = run_cli(fault, "list", "--json", "--limit", "100000")
    if fault.readable:
        assert listed.returncode == 0, listed.stderr
        assert len(listed.stdout.splitlines()) == ROWS
        assert "Traceback" not in listed.stderr
    else:
        assert listed.returncode == 1 and not listed.stdout
        assert_says(listed.stderr, fault)

    imported = run_cli(fault, "import", "--no-verify", "-", input=NEW_IDS)
    assert imported.returncode == 1
    assert_says(imported.stderr, fault)
    assert_unchanged(fault, before, before_mode)

    if fault.readable:
        assert read_back(fault.db) == ("ok", ROWS)
        # once the fault is gone, writing works: nothing left behind blocks it
        os.chmod(fault.db, 0o600)
        os.chmod(fault.db.parent, 0o700)
        fault.env.clear()
        again = run_cli(fault, "import", "--no-verify", "-", input=NEW_IDS)
        assert again.returncode == 0, again.stderr
        assert read_back(fault.db) == ("ok", ROWS + 300)
        assert mode(fault.db) == 0o600


@pytest.mark.parametrize("name", ["not-a-registry", "damaged-pages", "newer"])
def test_app_start_stops_before_any_ui(name: str, tmp_path) -> None:
    made = make_fault(name, tmp_path)
    before = digest(made.db)
    profile = Profile("t", CONN, key_env=NO_KEY_ENV)
    expected = RegistryTooNew if name == "newer" else RegistryCorrupt
    with pytest.raises(expected) as raised:
        make_app(str(made.db), Settings({"t": profile}, "t"), profile)
    assert_says(str(raised.value), made)
    assert digest(made.db) == before

    shown = run_cli(made)  # `thread-browser` itself: one message, exit 1, no traceback
    assert shown.returncode == 1
    assert_says(shown.stderr, made)
    assert digest(made.db) == before


async def test_damage_found_by_a_write_stops_every_later_write(tmp_path) -> None:
    made = make_fault("damaged-pages", tmp_path)
    before = digest(made.db)
    reg = await Registry.open(made.db)
    try:
        with pytest.raises(RegistryCorrupt, match="did not write"):
            await reg.track_many([(i, Kind.THREAD) for i in NEW_IDS.split()], CONN, source="t")
        assert reg.damaged
        sent: list[str] = []
        real_execute = reg.db.execute

        def spy(sql: str, *args: object):
            sent.append(sql)
            return real_execute(sql, *args)

        reg.db.execute = spy  # type: ignore[method-assign]
        with pytest.raises(RegistryCorrupt, match="did not write"):
            await reg.touch(CONN, "thread_" + "0" * 24, datetime.now(UTC))
        assert sent == [], "a write went to SQLite after the damage was found"
    finally:
        await reg.close()
    assert digest(made.db) == before


async def test_a_commit_that_fails_on_a_full_disk_leaves_the_registry_usable(tmp_path) -> None:
    db = tmp_path / "registry.sqlite3"
    build(db, ROWS)
    reg = await Registry.open(db)
    try:
        real = reg.db._connection  # writes run on it, on the database's thread
        commits: list[str] = []

        class FullAtCommit:
            """The connection, whose first COMMIT fails as on a full disk."""

            def __getattr__(self, name: str) -> object:
                return getattr(real, name)

            def execute(self, sql: str, *args: object):
                if sql == "COMMIT" and not commits:
                    commits.append(sql)
                    error = sqlite3.OperationalError("database or disk is full")
                    error.sqlite_errorcode = 13  # SQLITE_FULL
                    raise error
                return real.execute(sql, *args)

        reg.db._connection = FullAtCommit()  # type: ignore[assignment]
        with pytest.raises(RegistryFull):
            await reg.track("thread_" + "e" * 24, Kind.THREAD, CONN, source="t")
        assert not reg.db.in_transaction
        _, added = await reg.track("thread_" + "d" * 24, Kind.THREAD, CONN, source="t")
        assert added and await reg.find("thread_" + "e" * 24) == []
        reg.db._connection = real
    finally:
        await reg.close()
    assert read_back(db) == ("ok", ROWS + 1)


async def test_a_registry_migrated_by_a_newer_version_meanwhile_is_not_written(tmp_path) -> None:
    db = tmp_path / "registry.sqlite3"
    build(db, ROWS)
    reg = await Registry.open(db)
    try:
        with raw(db) as conn:
            conn.execute(f"PRAGMA user_version = {NEWER}")
        with pytest.raises(RegistryTooNew, match=f"version {NEWER}"):
            await reg.track("thread_" + "f" * 24, Kind.THREAD, CONN, source="t")
    finally:
        await reg.close()
    with raw(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == NEWER
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == ROWS


def test_a_read_only_registry_that_needs_upgrading_is_refused_clearly(tmp_path) -> None:
    db = tmp_path / "home" / "registry.sqlite3"
    db.parent.mkdir()
    with raw(db) as conn:
        for number in range(2):
            for statement in schema._statements(schema.UPGRADES[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
    os.chmod(db, 0o400)
    made = Fault("read-only-file", db)
    before = digest(db)
    listed = run_cli(made, "list")
    if listed.returncode == 0:
        pytest.skip("file permissions are not enforced here")
    assert listed.returncode == 1
    assert_says(listed.stderr, made)
    assert f"upgraded from schema version 2 to {schema.LATEST}" in listed.stderr
    assert "Reading it still works" not in listed.stderr
    assert digest(db) == before and mode(db) == 0o400


APP = textwrap.dedent(
    """
    import asyncio, json, sys
    from tui.app.launch import make_app
    from tui.app.widgets.thread_list import ThreadList
    from tui.config import Profile, Settings
    from tui.model import Connection

    async def settle(pilot):
        for _ in range(8):
            await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    async def main(db):
        profile = Profile("t", Connection("http://127.0.0.1:9/v1"), key_env="NO_SUCH_KEY_ENV")
        app = make_app(db, Settings({"t": profile}, "t"), profile)
        async with app.run_test(size=(110, 32)) as pilot:
            await settle(pilot)
            rows = app.query_one(ThreadList).count
            await pilot.press("t")
            app.screen.query_one("#value").value = "A title that cannot be saved"
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("j", "enter")
            await settle(pilot)
            notes = [[n.title, n.message] for n in app._notifications]
            print(json.dumps({"rows": rows, "running": app.is_running, "notes": notes}))

    asyncio.run(main(sys.argv[1]))
    """
)


@pytest.mark.parametrize("name", ["read-only-file", "read-only-folder"])
def test_app_on_a_read_only_registry_reads_and_says_why_it_cannot_write(
    name: str, tmp_path
) -> None:
    made = make_fault(name, tmp_path)
    before, before_mode = digest(made.db), mode(made.db)
    env = cli_env(None, made.db, key=None)
    try:
        done = subprocess.run(
            [*unprivileged(), sys.executable, "-c", APP, str(made.db)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        os.chmod(made.db.parent, 0o700)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["rows"] == ROWS and seen["running"]
    titles = [title for title, _ in seen["notes"]]
    assert titles.count("Read-only registry") == 1
    failures = [m for title, m in seen["notes"] if title.endswith(" failed")]
    assert failures and all("cannot be written" in m for m in failures)
    assert str(made.db) in failures[0]
    assert digest(made.db) == before and mode(made.db) == before_mode
    assert not list(made.db.parent.glob("*-shm")), "a reader left journal files behind"


async def test_app_on_a_full_disk_keeps_running_and_loses_nothing(tmp_path, monkeypatch) -> None:
    made = make_fault("full", tmp_path)
    for key, value in made.env.items():
        monkeypatch.setenv(key, value)
    profile = Profile("t", CONN, key_env=NO_KEY_ENV)
    app = make_app(str(made.db), Settings({"t": profile}, "t"), profile)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        dialog.query_one("#paste").text = NEW_IDS
        await pilot.press("ctrl+s")
        await settle(pilot)
        log = "\n".join(line.text for line in dialog.query_one("#results").lines)
        assert_says(log, made)
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running
    assert read_back(made.db) == ("ok", ROWS)


HOOK = textwrap.dedent(
    """
    import json, sys
    from openai import OpenAI
    from tui import track

    client = track(OpenAI(base_url=sys.argv[1], max_retries=0), db=sys.argv[2])
    big = {f"key_{n}": chr(97 + n) * 512 for n in range(16)}  # a record that needs new pages
    made = [client.beta.threads.create(metadata=big).id for _ in range(4)]
    made.append(client.conversations.create(metadata=big).id)
    client.beta.threads.delete(made[0])
    print(json.dumps(made))
    """
)


def test_tracking_hook_warns_once_and_the_program_goes_on(fault: Fault, server) -> None:
    before, before_mode = digest(fault.db), mode(fault.db)
    env = cli_env(server.base_url, fault.db, TEST_KEY, **fault.env)
    done = subprocess.run(
        [*unprivileged(), sys.executable, "-c", HOOK, server.base_url, str(fault.db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(json.loads(done.stdout)) == 5
    warnings = [line for line in done.stderr.splitlines() if "tracking skipped" in line]
    assert len(warnings) == 1, done.stderr
    assert "program goes on" in warnings[0]
    assert_says(warnings[0], fault)
    assert "Traceback" not in done.stderr and TEST_KEY not in done.stderr
    if fault.name == "full":  # a record that fits in the pages there still goes in
        assert read_back(fault.db) == ("ok", ROWS)
        assert mode(fault.db) == before_mode
    else:
        assert_unchanged(fault, before, before_mode)
