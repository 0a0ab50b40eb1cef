"""Three ``thread-browser import`` runs of the same IDs at once: each ID is added once.

"added" must mean that this process inserted the row: the three outputs together report
every ID as added exactly once, and the journal holds one row per ID.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing

import pytest

from tests.cli.conftest import cli_env
from tui.store import files

COUNT = 10_000
RUNS = 3


@pytest.mark.long
def test_concurrent_imports_of_the_same_ids_add_each_once(tmp_path) -> None:
    db = tmp_path / "registry.sqlite3"
    files.prepare(db)  # made beforehand, so the three runs race on the IDs alone
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(f"thread_{n:024x}" for n in range(COUNT)) + "\n")
    env = cli_env("http://127.0.0.1:9/v1", db)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tui", "import", "--no-verify", "--json", str(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(RUNS)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * RUNS, [err for _, err in outputs]

    results = [[json.loads(line) for line in out.splitlines()] for out, _ in outputs]
    assert all(len(lines) == COUNT for lines in results)
    added = Counter(r["id"] for lines in results for r in lines if r["result"] == "added")
    others = {r["result"] for lines in results for r in lines if r["result"] != "added"}
    assert sum(added.values()) == COUNT, f"{sum(added.values())} added across {RUNS} runs"
    assert set(added.values()) == {1} and len(added) == COUNT
    assert others <= {"already tracked"}

    with closing(sqlite3.connect(db)) as raw:
        assert raw.execute("SELECT count(*) FROM items").fetchone()[0] == COUNT
        rows, items = raw.execute(
            "SELECT count(*), count(DISTINCT item_pk) FROM journal "
            "WHERE event IN ('tracked', 'imported')"
        ).fetchone()
    assert (rows, items) == (COUNT, COUNT), f"{rows} journal rows for {items} items"
