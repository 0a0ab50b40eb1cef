"""Files that are not ours: refused at once, untouched, with a message that says why.

Another program's SQLite database, a file of another user, a file others may write and a
FIFO, each met through the real CLI (``list`` and ``import --no-verify -``) in a
subprocess: the file keeps its bytes (sha256) and its mode, no file appears beside it, and
the command ends at once with a message naming the file, what it is, and what to do.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env
from tui.store import files, schema
from tui.store.errors import RegistryForeign, RegistryOutdated

NEW_IDS = "\n".join(f"thread_{n:024x}" for n in range(50))
NOBODY = 65534
QUICK_S = 5.0


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_cli(
    db: Path, *args: str, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        input=input,
        capture_output=True,
        text=True,
        env=cli_env("http://127.0.0.1:9/v1", db, key=None),
        timeout=timeout,
    )


def squashed(text: str) -> str:
    return "".join(text.split())


def assert_says(text: str, *phrases: str) -> None:
    for phrase in phrases:
        assert squashed(phrase) in squashed(text), f"{phrase!r} missing from: {text}"
    assert "Traceback" not in text and "unexpected failure" not in text


def another_programs(path: Path, *, wal: bool = False, version: int = 0) -> None:
    """A browser-history-like database of someone else's (0644, as programs make them)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        if wal:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        conn.execute("CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, fk INTEGER)")
        conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org/')")
        conn.execute(f"PRAGMA user_version = {version}")
    os.chmod(path, 0o644)


def our_tables_by_chance(path: Path) -> None:
    """Tables named like ours, in a database that says it is version 5 of something."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE items (id TEXT)")
        conn.execute("CREATE TABLE journal (line TEXT)")
        conn.execute("PRAGMA user_version = 5")
    os.chmod(path, 0o600)


def marked_by_another_program(path: Path) -> None:
    """An empty database another program has already claimed (``application_id``)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA application_id = 1196444237")  # 'GPKG'
        conn.execute("VACUUM")
    os.chmod(path, 0o600)


FOREIGN: dict[str, Callable[[Path], None]] = {
    "rollback-journal": another_programs,
    "wal": lambda path: another_programs(path, wal=True),
    "user-version-5": lambda path: another_programs(path, version=5),
    "same-table-names": our_tables_by_chance,
    "application-id": marked_by_another_program,
}


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file of the folder: its sha256 and its mode."""
    return {p.name: (digest(p), mode(p)) for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def home(tmp_path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    return folder


@pytest.mark.parametrize("name", list(FOREIGN))
def test_another_programs_database_is_refused_untouched(name: str, home: Path) -> None:
    db = home / "places.sqlite"
    FOREIGN[name](db)
    before = snapshot(home)
    for args, given in ((("list",), None), (("import", "--no-verify", "-"), NEW_IDS)):
        done = run_cli(db, *args, input=given)
        assert done.returncode == 1 and not done.stdout, done.stderr
        assert_says(
            done.stderr,
            str(db),
            "is not a Thread Browser registry",
            "another program",
            "left it untouched",
            "mode unchanged",
            "Point --db (or THREAD_BROWSER_DB)",
        )
        assert snapshot(home) == before, "the file changed, or a file appeared beside it"


def test_tables_of_another_program_are_named_safely(home: Path) -> None:
    db = home / "other.sqlite"
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute('CREATE TABLE "evil\x1b]0;pwned\x07" (x)')
    os.chmod(db, 0o600)
    with pytest.raises(RegistryForeign) as raised:
        files.prepare(db)
    assert "\x1b" not in str(raised.value) and "\\x1b" in str(raised.value)


@pytest.mark.parametrize("how", ["missing", "empty-file", "empty-database"])
def test_a_registry_is_made_in_a_new_or_empty_file(how: str, home: Path) -> None:
    db = home / "registry.sqlite3"
    if how != "missing":
        db.touch(mode=0o600)
    if how == "empty-database":
        with closing(sqlite3.connect(db)) as conn:
            conn.execute("VACUUM")
    done = run_cli(db, "import", "--no-verify", "-", input=NEW_IDS)
    assert done.returncode == 0, done.stderr
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 50
    assert mode(db) == 0o600


def make_registry(path: Path) -> None:
    files.prepare(path)
    done = run_cli(path, "import", "--no-verify", "-", input=NEW_IDS)
    assert done.returncode == 0, done.stderr


def test_a_registry_others_may_write_is_refused_untouched(home: Path) -> None:
    db = home / "registry.sqlite3"
    make_registry(db)
    os.chmod(db, 0o666)
    before = snapshot(home)
    for args, given in ((("list",), None), (("import", "--no-verify", "-"), NEW_IDS)):
        done = run_cli(db, *args, input=given)
        assert done.returncode == 1 and not done.stdout, done.stderr
        assert_says(
            done.stderr,
            str(db),
            "not safe to use",
            "others may write to it (mode 0666)",
            "left it untouched",
            f"chmod 600 {db}",
            "Or point --db (or THREAD_BROWSER_DB)",
        )
        assert snapshot(home) == before
    os.chmod(db, 0o600)  # trusted again by its owner: it works as before
    listed = run_cli(db, "list", "--json")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 50, listed.stderr


def test_a_registry_of_another_user_is_refused_untouched(home: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user here")
    db = home / "registry.sqlite3"
    make_registry(db)
    os.chmod(db, 0o644)
    os.chown(db, NOBODY, NOBODY)
    os.chmod(home, 0o755)
    before = snapshot(home)
    for args, given in ((("list",), None), (("import", "--no-verify", "-"), NEW_IDS)):
        done = run_cli(db, *args, input=given)
        assert done.returncode == 1 and not done.stdout, done.stderr
        assert_says(
            done.stderr,
            str(db),
            "not safe to use",
            "belongs to another user",
            f"uid {NOBODY}",
            "left it untouched",
            "Or point --db (or THREAD_BROWSER_DB)",
        )
        assert snapshot(home) == before
        assert db.stat().st_uid == NOBODY


@pytest.mark.parametrize("args", [("list",), ("import", "--no-verify", "-")])
def test_a_fifo_is_refused_at_once(args: tuple[str, ...], home: Path) -> None:
    db = home / "registry.sqlite3"
    os.mkfifo(db, 0o600)
    started = time.monotonic()
    try:
        done = run_cli(db, *args, input=NEW_IDS if len(args) > 1 else None, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the command waited on the FIFO")
    assert time.monotonic() - started < QUICK_S
    assert done.returncode == 1 and not done.stdout, done.stderr
    assert_says(done.stderr, str(db), "a named pipe (FIFO), not a regular file", "--db")
    assert stat.S_ISFIFO(db.stat().st_mode) and mode(db) == 0o600
    assert sorted(p.name for p in home.iterdir()) == [db.name]


def older_registry(path: Path, version: int) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        for number in range(version):
            for statement in schema._statements(schema.UPGRADES[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
    os.chmod(path, 0o600)


def test_a_command_that_only_reads_never_upgrades(home: Path) -> None:
    db = home / "registry.sqlite3"
    older_registry(db, 2)
    before = snapshot(home)
    with pytest.raises(RegistryOutdated) as raised:
        files.prepare(db, upgrade=False)
    assert_says(
        str(raised.value),
        str(db),
        "schema version 2",
        "only reads",
        "Nothing was changed",
        "Run a writing command to upgrade it",
    )
    assert snapshot(home) == before
    files.prepare(db)  # a command that writes upgrades it
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    assert files.prepare(db, upgrade=False).writable  # now current: read as it is
