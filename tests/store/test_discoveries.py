"""Discovery's write: listed items tracked with their metadata and a journal line each.

The items a batch inserts are found by row key, their journal lines and metadata rows made
by SQL: these tests hold that to what the rows themselves say, over more rows than one
insert statement takes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.model import Connection, Kind, RemoteItem
from tui.store import Query, Registry
from tui.store.discoveries import CHUNK, Progress

CONN = Connection("http://127.0.0.1:1/v1", "org-a", "proj-a")
ENDPOINT = "/chat/completions"


def listed(start: int, count: int) -> list[RemoteItem]:
    """Stored completions ``start`` to ``start + count``, each with two metadata pairs."""
    return [
        RemoteItem(
            id=f"chatcmpl-{n:029d}",
            kind=Kind.COMPLETION,
            created_at=datetime.fromtimestamp(1_780_000_000 + n, UTC),
            metadata={"user_id": f"u{n % 7}", "n": str(n)},
        )
        for n in range(start, start + count)
    ]


@pytest.fixture
async def reg(tmp_path):
    registry = await Registry.open(tmp_path / "reg.sqlite3")
    yield registry
    await registry.close()


async def keep(reg: Registry, items: list[RemoteItem]) -> int:
    progress = Progress(items[-1].id if items else None, len(items), None)
    return await reg.discoveries.keep(CONN, ENDPOINT, items, progress, source="discover")


async def test_a_batch_wider_than_one_statement_is_tracked_whole(reg) -> None:
    items = listed(0, CHUNK * 2 + 500)
    assert await keep(reg, items) == len(items)
    rows = await reg.fetchall(
        "SELECT items.id, items.created_at, count(journal.pk) FROM items "
        "LEFT JOIN journal ON journal.item_pk = items.pk AND journal.event = 'discovered' "
        "GROUP BY items.pk ORDER BY items.id"
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (i.id, int(i.created_at.timestamp()), 1) for i in items
    ]
    meta = await reg.fetchall("SELECT count(*), count(DISTINCT item_pk) FROM item_meta")
    assert tuple(meta[0]) == (2 * len(items), len(items))
    found = await reg.search.page(Query(meta=(("n", "1234"),)))
    assert [i.id for i in found.items] == [items[1234].id]


async def test_only_what_is_new_is_added_and_journaled(reg) -> None:
    imported, _ = await reg.track(listed(3, 1)[0].id, Kind.COMPLETION, CONN, source="import")
    assert await keep(reg, listed(0, 10)) == 9
    assert await keep(reg, listed(5, 10)) == 5
    events = await reg.fetchall(
        "SELECT items.id, journal.event FROM journal JOIN items ON items.pk = journal.item_pk "
        "WHERE journal.event = 'discovered' ORDER BY items.id"
    )
    assert [r[0] for r in events] == [i.id for i in listed(0, 15) if i.id != imported.id]
    kept = await reg.fetchall("SELECT key FROM item_meta WHERE item_pk = ?", (imported.pk,))
    assert kept == [], "an item tracked before keeps the metadata it had"


async def test_the_same_id_on_another_connection_is_another_item(reg) -> None:
    await keep(reg, listed(0, 3))
    other = Connection("http://127.0.0.1:1/v1", "org-a", "proj-b")
    progress = Progress(None, 3, None)
    added = await reg.discoveries.keep(other, ENDPOINT, listed(0, 3), progress, source="d")
    assert added == 3
    journaled = await reg.fetchone("SELECT count(*) FROM journal WHERE event = 'discovered'")
    assert journaled[0] == 6
