"""Verified paging: each way a server can lie about pages is noticed, and every walk ends."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tui.api.errors import Invalid
from tui.api.paging import Walk
from tui.model import HistoryPage, Turn


@dataclass
class Server:
    """A history of ``size`` turns served newest first, with switchable lies."""

    size: int
    ignore_cursor: bool = False  # llama-stack 0.7 on conversation items
    more_false_on_full: bool = False  # has_more: false on a full page with more behind
    more_forever: bool = False  # has_more: true and the same cursor, always
    ignore_order: bool = False  # order=asc answered newest first
    unstable: bool = False  # ties broken one way for desc, another for asc (llama-stack)
    max_limit: int | None = 100  # larger limits: refused (OpenAI), or None: honoured
    clamp: bool = False  # a larger limit is quietly cut to max_limit instead of refused
    requests: int = 0

    def ids(self) -> list[str]:
        return [f"msg_{n:05d}" for n in range(self.size)]  # oldest first

    async def fetch(self, cursor: str | None, limit: int) -> HistoryPage:
        self.requests += 1
        if self.max_limit is not None and limit > self.max_limit:
            if not self.clamp:
                raise Invalid("limit must be at most 100", param="limit")
            limit = self.max_limit
        newest_first = list(reversed(self.ids()))
        start = 0
        if cursor is not None and not self.ignore_cursor:
            start = newest_first.index(cursor) + 1 if cursor in newest_first else len(newest_first)
        data = newest_first[start : start + limit]
        has_more = start + limit < len(newest_first)
        if self.ignore_cursor or self.more_false_on_full:
            has_more = False
        if self.more_forever:
            has_more = True
        older = data[-1] if has_more and data else None
        if self.more_forever:
            older = "msg_stuck"
        return HistoryPage(tuple(Turn(i, "user") for i in reversed(data)), older)

    async def oldest(self, limit: int) -> tuple[Turn, ...]:
        self.requests += 1
        ids = self.ids()[-limit:][::-1] if self.ignore_order else self.ids()[:limit]
        if self.unstable:
            ids[-2], ids[-1] = ids[-1], ids[-2]
        return tuple(Turn(i, "user") for i in ids)


async def walk(server: Server, *, from_start: bool = False, **kw: int) -> tuple[Walk, list[str]]:
    """Walk the server's history; ``found`` is what the archive would hold, in its order."""
    w = Walk(server.fetch, oldest=server.oldest if from_start else None, **kw)
    found: list[str] = []
    async for step in w:
        ids = [t.id for t in step.turns]
        if not ids:
            continue
        if step.older_than is None:
            found = ids + found
        else:
            at = found.index(step.older_than)
            found = found[:at] + ids + found[at:]
    return w, found


async def test_an_honest_server_is_walked_whole_and_verified() -> None:
    server = Server(250)
    w, found = await walk(server)
    assert found == server.ids() and w.complete and w.doubt is None
    assert server.requests == 3


async def test_a_short_last_page_needs_no_probe() -> None:
    server = Server(40)
    w, found = await walk(server)
    assert found == server.ids() and w.complete and server.requests == 1


async def test_a_full_last_page_is_probed_once() -> None:
    server = Server(200)
    w, found = await walk(server)
    assert found == server.ids() and w.complete and server.requests == 3


async def test_an_ignored_cursor_is_doubt_not_completeness() -> None:
    """llama-stack: 140 items, `after` ignored, page capped at the limit, has_more false."""
    server = Server(140, ignore_cursor=True)
    w, found = await walk(server)
    assert len(found) == 100
    assert not w.complete and w.doubt is not None and "ignores the cursor" in w.doubt
    assert server.requests == 2


async def test_an_ignored_cursor_is_overcome_from_the_other_end() -> None:
    """llama-stack honours order=asc: newest 100 + oldest 100 overlap, so all 140 are read."""
    server = Server(140, ignore_cursor=True)
    w, found = await walk(server, from_start=True)
    assert found == server.ids() and w.complete and w.doubt is None
    assert server.requests == 4  # newest, probe, a wider page refused, oldest


async def test_a_narrow_walk_widens_both_ends_when_the_cursor_is_ignored() -> None:
    """The app pages by 50; to cover 140 it reads both ends at the API's widest, 100."""
    server = Server(140, ignore_cursor=True)
    w, found = await walk(server, from_start=True, limit=50)
    assert found == server.ids() and w.complete
    assert server.requests == 5  # newest 50, the probe, newest 100, 1,000 refused, oldest


async def test_a_gap_between_the_two_ends_stays_in_doubt() -> None:
    server = Server(300, ignore_cursor=True)
    w, found = await walk(server, from_start=True)
    assert found == server.ids()[:100] + server.ids()[-100:]
    assert not w.complete and w.doubt is not None and "between" in w.doubt


async def test_two_ends_that_do_not_line_up_are_not_taken_as_whole() -> None:
    """llama-stack orders items of one batch differently asc and desc: no false verdict."""
    server = Server(140, ignore_cursor=True, unstable=True)
    w, found = await walk(server, from_start=True)
    assert sorted(found) == server.ids()  # every message is kept all the same
    assert not w.complete and w.doubt is not None and "line up" in w.doubt


async def test_a_server_that_allows_a_larger_page_gives_it_all_at_once() -> None:
    """llama-stack answers limit=1000: every message, even in an unstable order."""
    server = Server(140, ignore_cursor=True, unstable=True, max_limit=None)
    w, found = await walk(server, from_start=True, limit=50)
    assert sorted(found) == server.ids() and w.complete and w.doubt is None


async def test_a_clamped_larger_page_is_not_taken_for_the_whole() -> None:
    server = Server(300, ignore_cursor=True, clamp=True)
    w, _ = await walk(server, from_start=True)
    assert not w.complete and w.doubt is not None and "between" in w.doubt


async def test_order_ignored_as_well_is_not_taken_for_the_start() -> None:
    server = Server(140, ignore_cursor=True, ignore_order=True)
    w, found = await walk(server, from_start=True)
    assert found == server.ids()[-100:]
    assert not w.complete and w.doubt is not None and "order=asc" in w.doubt


async def test_has_more_false_on_a_full_page_with_more_behind_is_found_out() -> None:
    server = Server(340, more_false_on_full=True)
    w, found = await walk(server)
    assert found == server.ids() and w.complete
    assert server.requests == 4  # each full page "last" is probed: the probe is the next page


async def test_a_cursor_that_never_moves_ends_the_walk() -> None:
    server = Server(50, more_forever=True)
    w, _ = await walk(server, limit=20)
    assert not w.complete and w.doubt is not None
    assert server.requests <= 3


async def test_the_page_budget_bounds_any_walk() -> None:
    server = Server(10_000)
    w, found = await walk(server, limit=10, max_pages=7)
    assert server.requests == 7 and len(found) == 70
    assert not w.complete and w.doubt is not None and "7 pages" in w.doubt


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101])
async def test_edges(size: int) -> None:
    server = Server(size)
    w, found = await walk(server)
    assert found == server.ids() and w.complete


async def test_a_page_sent_the_wrong_way_round_is_put_in_time_order() -> None:
    """LiteLLM ignores ``order``: the page reads back to front unless turned round."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = ["msg_a", "msg_b", "msg_c", "msg_d"]
    backwards = tuple(
        Turn(i, "user", created_at=start + timedelta(seconds=n))
        for n, i in reversed(list(enumerate(ids)))
    )

    async def fetch(cursor: str | None, limit: int) -> HistoryPage:
        return HistoryPage(backwards, None)

    steps = [step async for step in Walk(fetch)]
    assert [t.id for t in steps[0].turns] == ids
