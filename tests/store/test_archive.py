"""The archive keeps pages in order, whichever order they arrive in."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from tui.model import Connection, Kind, Part, TitleSource, ToolCall, Turn, TurnKind
from tui.store import Registry

CONN = Connection("http://127.0.0.1:1/v1")


def turns(start: int, stop: int) -> list[Turn]:
    return [
        Turn(
            id=f"msg_{n:05d}",
            role="user" if n % 2 == 0 else "assistant",
            created_at=datetime.fromtimestamp(1_700_000_000 + n, tz=UTC),
            parts=(Part("text", f"message number {n}"),),
        )
        for n in range(start, stop)
    ]


@pytest.fixture
async def item(tmp_path):
    reg = await Registry.open(tmp_path / "r.db")
    tracked, _ = await reg.track("thread_" + "x" * 24, Kind.THREAD, CONN, source="t")
    yield reg, tracked
    await reg.close()


async def test_newest_first_then_older_pages_keep_order(item) -> None:
    reg, tracked = item
    tracked = await reg.archive.store(tracked, turns(20, 30))
    tracked = await reg.archive.store(tracked, turns(10, 20), older_than="msg_00020")
    tracked = await reg.archive.store(tracked, turns(0, 10), older_than="msg_00010", complete=True)
    assert [t.id for t in await reg.archive.all(tracked)] == [f"msg_{n:05d}" for n in range(30)]
    assert tracked.message_count == 30 and tracked.history_complete
    assert (tracked.title, tracked.title_source) == ("message number 0", TitleSource.MESSAGE)
    assert tracked.last_activity == datetime.fromtimestamp(1_700_000_029, tz=UTC)


async def test_reloading_the_newest_page_appends_new_turns(item) -> None:
    reg, tracked = item
    await reg.archive.store(tracked, turns(0, 10))
    await reg.archive.store(tracked, turns(5, 15))
    await reg.archive.store(tracked, turns(30, 35))
    ids = [t.id for t in await reg.archive.all(tracked)]
    assert ids == [f"msg_{n:05d}" for n in [*range(15), *range(30, 35)]]


async def test_pages_back_from_the_archive(item) -> None:
    reg, tracked = item
    await reg.archive.store(tracked, turns(0, 25), complete=True)
    first = await reg.archive.page(tracked, limit=10)
    assert [t.id for t in first.turns] == [f"msg_{n:05d}" for n in range(15, 25)]
    second = await reg.archive.page(tracked, before_seq=first.older_seq, limit=10)
    third = await reg.archive.page(tracked, before_seq=second.older_seq, limit=10)
    assert [t.id for t in third.turns] == [f"msg_{n:05d}" for n in range(0, 5)]
    assert third.older_seq is None


async def test_turns_round_trip_exactly(item) -> None:
    reg, tracked = item
    turn = Turn(
        id="fc_1",
        role="assistant",
        kind=TurnKind.TOOL_CALL,
        tool_calls=(ToolCall("call_1", "get_weather", '{"city": "Oslo"}', output="7C"),),
        metadata={"k": "v"},
        attachments=("file_1",),
        parts=(Part("text", "[bold]not markup[/]", annotations=("file_citation file_9",)),),
    )
    await reg.archive.store(tracked, [turn])
    assert await reg.archive.all(tracked) == [turn]


async def test_a_read_only_registry_archives_nothing_and_says_nothing(tmp_path) -> None:
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        item, _ = await reg.track("thread_" + "a" * 24, Kind.THREAD, CONN, source="test")
        reg.target = dataclasses.replace(reg.target, read_only="the file is 0400")
        kept = await reg.archive.store(item, [Turn(id="msg_1", role="user")], complete=True)
        assert kept == item
        reg.target = dataclasses.replace(reg.target, read_only="")
        assert (await reg.archive.page(item, limit=10)).turns == ()
