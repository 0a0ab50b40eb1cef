"""Two processes writing one registry at once: no lock errors, nothing lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
    assert not any("locked" in e for e in errors)
    import sqlite3

    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM items").fetchone()[0] == 900
        renamed = raw.execute("SELECT count(*) FROM items WHERE title_source = 'user'")
        assert renamed.fetchone()[0] == 600
        journal = raw.execute("SELECT count(*) FROM journal").fetchone()[0]
        assert journal == 300 * 2 * 2 + 300
