"""Two writers in one process, and another program opening the registry between writes.

Closing any descriptor of a file drops every POSIX lock the process holds on it: opening
the registry raw to read its header, beside a live connection, broke that connection's
locks, and the next write after another program's visit failed with "disk I/O error".
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from tui.model import Connection, Kind
from tui.store import Recorder
from tui.store.held import held

CONNECTION = Connection("http://127.0.0.1:9/v1")


def visit(db) -> None:
    """Another program reads the registry (and its -shm), then closes it."""
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "print(c.execute('SELECT count(*) FROM items').fetchone()[0]); c.close()"
    )
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_second_writer_and_a_visit_leave_the_first_writer_working(tmp_path) -> None:
    db = tmp_path / "registry.sqlite3"
    first, second = Recorder(db), Recorder(db)
    first.track("thread_" + "a" * 24, Kind.THREAD, CONNECTION, source="t", metadata={})
    assert held(db)
    second.track("thread_" + "b" * 24, Kind.THREAD, CONNECTION, source="t", metadata={})
    visit(db)
    assert first.mark_deleted(CONNECTION, "thread_" + "a" * 24, source="t")
    second.track("thread_" + "c" * 24, Kind.THREAD, CONNECTION, source="t", metadata={})
    visit(db)
    rows = sqlite3.connect(db).execute("SELECT id, state FROM items ORDER BY id").fetchall()
    assert rows == [
        ("thread_" + "a" * 24, "deleted"),
        ("thread_" + "b" * 24, "active"),
        ("thread_" + "c" * 24, "active"),
    ]
    first.close()
    second.close()
    assert not held(db)
