"""Search: full text, filters and keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui.model import Connection, ItemState, Kind, Part, Turn
from tui.store import Query, Registry
from tui.store.search import fts_query

CONN = Connection("http://127.0.0.1:1/v1")
OTHER = Connection("http://127.0.0.1:2/v1")
BASE = datetime(2026, 10, 1, tzinfo=UTC)


def tid(n: int) -> str:
    return f"thread_{n:024d}"


@pytest.fixture
async def reg(tmp_path):
    registry = await Registry.open(tmp_path / "r.db")
    yield registry
    await registry.close()


async def seed(reg, count: int = 30) -> None:
    for n in range(count):
        kind = Kind.THREAD if n % 3 else Kind.CONVERSATION
        item_id = tid(n) if kind is Kind.THREAD else f"conv_{n:048x}"
        meta = {"user_id": f"u{n % 4}", "title": f"Topic {n} {'refund' if n % 5 == 0 else 'misc'}"}
        # Several items share one timestamp: the keyset must break ties.
        await reg.track(
            item_id, kind, CONN, source="t", metadata=meta, created_at=BASE + timedelta(days=n // 3)
        )


async def test_keyset_pages_cover_everything_once_in_order(reg) -> None:
    await seed(reg)
    seen: list[str] = []
    cursor = None
    while True:
        page = await reg.search.page(Query(), after=cursor, limit=7)
        seen += [i.id for i in page.items]
        cursor = page.next
        if cursor is None:
            break
    assert len(seen) == 30 and len(set(seen)) == 30
    full = (await reg.search.page(Query(), limit=100)).items
    assert [i.id for i in full] == seen
    keys = [(i.last_activity, i.pk) for i in full]
    assert keys == sorted(keys, reverse=True)


async def test_text_matches_titles_metadata_ids_and_archive(reg) -> None:
    await seed(reg)
    refunds = (await reg.search.page(Query(text="refu"))).items
    assert sorted(i.title for i in refunds) == sorted(
        f"Topic {n} refund" for n in range(30) if n % 5 == 0
    )
    by_meta = (await reg.search.page(Query(text="u3"))).items
    assert {i.metadata["user_id"] for i in by_meta} == {"u3"}
    [by_id] = (await reg.search.page(Query(text=tid(7)))).items
    assert by_id.id == tid(7)
    item = await reg.get(CONN, tid(8))
    await reg.archive.store(item, [Turn("msg_1", "user", parts=(Part("text", "a zebra story"),))])
    [found] = (await reg.search.page(Query(text="zebra"))).items
    assert found.id == tid(8)


async def test_filters_combine(reg) -> None:
    await seed(reg)
    query = Query.parse("user_id=u1 topic", kind=Kind.THREAD)
    assert query.meta == (("user_id", "u1"),) and query.text == "topic"
    found = (await reg.search.page(query)).items
    assert found and all(i.kind is Kind.THREAD and i.metadata["user_id"] == "u1" for i in found)
    assert await reg.search.count(query) == len(found)
    old = (await reg.search.page(Query(older_than=BASE + timedelta(days=2)))).items
    assert len(old) == 6
    await reg.track(tid(99), Kind.THREAD, OTHER, source="t")
    [only] = (await reg.search.page(Query(connection=OTHER))).items
    assert only.id == tid(99)


async def test_deleted_items_are_hidden_unless_asked(reg) -> None:
    await seed(reg, 3)
    item = await reg.get(CONN, tid(1))
    await reg.set_state(item, ItemState.DELETED, source="t")
    assert tid(1) not in [i.id for i in (await reg.search.page(Query())).items]
    shown = (await reg.search.page(Query(states=(ItemState.DELETED,)))).items
    assert [i.id for i in shown] == [tid(1)]


@pytest.mark.parametrize(
    "text", ['"', "' OR 1=1 --", "NEAR(", "a* b^", "title:x", "\x00", "日本語"]
)
async def test_hostile_search_text_never_errors(reg, text: str) -> None:
    await seed(reg, 3)
    page = await reg.search.page(Query(text=text))
    assert isinstance(page.items, list)


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('say "hi" now') == '"say"* "hi"* "now"*'
    assert fts_query("  ...  ") is None


async def all_pages(reg, query: Query, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = await reg.search.page(query, after=cursor, limit=limit)
        seen += [i.id for i in page.items]
        if (cursor := page.next) is None:
            return seen


async def test_text_pages_merge_index_and_archive_in_activity_order(reg) -> None:
    await seed(reg)
    # Items 1 and 2 match only through their archived messages; the rest by title.
    for n in (1, 2):
        item = await reg.get(CONN, tid(n))
        turn = Turn(f"msg_{n}", "user", parts=(Part("text", "a refund request"),))
        await reg.archive.store(item, [turn])
    seen = await all_pages(reg, Query(text="refund"), limit=2)
    everything = (await reg.search.page(Query(), limit=100)).items
    expected = [i.id for i in everything if "refund" in i.title or i.id in (tid(1), tid(2))]
    assert seen == expected and len(seen) == len(set(seen)) == 8
    assert await reg.search.count(Query(text="refund")) == 8


async def test_activity_changes_move_items_in_text_results(reg) -> None:
    await seed(reg)
    before = (await reg.search.page(Query(text="refund"))).items
    oldest = before[-1]
    await reg.touch(CONN, oldest.id, BASE + timedelta(days=365))
    after = (await reg.search.page(Query(text="refund"))).items
    assert after[0].id == oldest.id and len(after) == len(before)
    await reg.rename(after[0], "renamed entirely", source="t")
    still = [i.id for i in (await reg.search.page(Query(text="refund"))).items]
    assert still.count(oldest.id) == 1  # its metadata.title still says refund
    assert [i.id for i in (await reg.search.page(Query(text="entirely"))).items] == [oldest.id]


async def test_metadata_keys_are_not_words_of_every_item(reg) -> None:
    await seed(reg)
    assert (await reg.search.page(Query(text="user_id"))).items == []
    assert len((await reg.search.page(Query(text="u2"))).items) == 7


async def test_cancelled_count_leaves_the_reader_usable(reg) -> None:
    import asyncio

    await seed(reg)
    task = asyncio.create_task(reg.search.count(Query(text="topic")))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await reg.search.count(Query(text="topic")) == 30
