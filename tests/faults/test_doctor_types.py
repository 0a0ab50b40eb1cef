"""``doctor`` finds stored values of the wrong type or shape; ``--repair`` fixes them.

Each kind of damage is named alone and together, as an older tracking hook or another
program could have written it; after the repair ``list`` works and the registry is healthy.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.faults.test_doctor import CONV, THREAD, doctor, pk_of, registry, sql  # noqa: F401
from tui.store.doctor import examine

ISO = "2026-11-01T12:00:00+00:00"
SECONDS = int(datetime.fromisoformat(ISO).timestamp())
STRAY = "not-an-id"

DAMAGE: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "ISO text times": (
        lambda db: [
            f"UPDATE items SET created_at = '{ISO}', last_activity = '{ISO}' "
            f"WHERE pk = {pk_of(db, THREAD)}"
        ],
        "1 in items.created_at",
    ),
    "fractional seconds": (
        lambda db: [f"UPDATE items SET tracked_at = {SECONDS}.5 WHERE pk = {pk_of(db, CONV)}"],
        "1 in items.tracked_at",
    ),
    "millisecond times": (
        lambda db: [
            f"UPDATE items SET created_at = {SECONDS * 1000 + 7} WHERE pk = {pk_of(db, CONV)}",
            f"UPDATE messages SET created_at = {SECONDS * 1000} WHERE id = 'msg_1'",
        ],
        "1 in messages.created_at",
    ),
    "unreadable time": (
        lambda db: ["UPDATE messages SET created_at = 'soon' WHERE id = 'item_2'"],
        "1 in messages.created_at",
    ),
    "ID wrapped in quotes and spaces": (
        lambda db: [f"UPDATE items SET id = ' \"{THREAD}\"' WHERE pk = {pk_of(db, THREAD)}"],
        "Items whose ID is not a usable ID of their kind: 1",
    ),
    "ID that is no ID": (
        lambda db: [
            "INSERT INTO items (id, kind, connection_id, title, last_activity, source, "
            f"tracked_at) VALUES ('{STRAY}', 'thread', 1, 'x', {SECONDS}, 'track', {SECONDS})"
        ],
        "Items whose ID is not a usable ID of their kind: 1",
    ),
}


@pytest.mark.parametrize("name", list(DAMAGE))
async def test_each_wrong_value_is_named(registry, name) -> None:  # noqa: F811
    statements, words = DAMAGE[name]
    sql(registry, *statements(registry))
    checkup = await examine(registry)
    failed = [c for c in checkup.checks if checkup.failed(c)]
    assert "stored values" in failed
    [finding] = [f for f in checkup.findings if f.check == "stored values"]
    assert words in finding.problem
    assert "doctor --repair" in finding.action and finding.meaning


@pytest.mark.parametrize("name", list(DAMAGE))
def test_each_wrong_value_is_repaired(registry, doctor, cli, name) -> None:  # noqa: F811
    sql(registry, *DAMAGE[name][0](registry))
    code, report, _ = doctor("--db", str(registry), "--repair")
    assert code == 0 and report["healthy"], report["findings"]
    assert any(n.startswith("Fixed ") for n in report["notes"])
    listed = cli(None)("list", "--json", "--state", "all", "--db", str(registry))
    assert listed.returncode == 0, listed.stderr


def test_every_wrong_value_at_once_is_named_and_repaired(registry, doctor, cli) -> None:  # noqa: F811
    for statements, _ in DAMAGE.values():
        sql(registry, *statements(registry))
    broken = cli(None)("list", "--json", "--db", str(registry))
    assert broken.returncode != 0  # what the damage does: `list` cannot read the items
    code, report, _ = doctor("--db", str(registry))
    assert code == 1
    problems = " | ".join(f["problem"] for f in report["findings"])
    for name in ("items.created_at", "items.tracked_at", "messages.created_at"):
        assert name in problems
    assert "Items whose ID is not a usable ID of their kind: 2" in problems

    code, report, _ = doctor("--db", str(registry), "--repair")
    assert code == 0 and report["healthy"], report["findings"]
    assert "Fixed 6 stored times and 2 item IDs" in " ".join(report["notes"])
    rows = {
        r["id"]: r
        for r in map(
            json.loads, cli(None)("list", "--json", "--db", str(registry)).stdout.split("\n")[:-1]
        )
    }
    assert sorted(rows) == sorted([THREAD, CONV])  # the stray row is gone, the thread is back
    assert rows[THREAD]["created_at"] == ISO and rows[THREAD]["last_activity"] == ISO
    assert rows[CONV]["created_at"] == datetime.fromtimestamp(SECONDS, UTC).isoformat()
    with sqlite3.connect(registry) as conn:
        times = dict(conn.execute("SELECT id, created_at FROM messages").fetchall())
        assert times["msg_1"] == SECONDS and times["item_2"] is None
        journal = conn.execute("SELECT detail FROM journal WHERE event = 'repaired'").fetchall()
        assert any(STRAY in d for (d,) in journal)
