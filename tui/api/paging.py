"""Paging through a history, verified rather than trusted.

Servers lie about paging: some ignore the ``after`` cursor and send the first page again,
some say ``has_more: false`` on a full page with more behind it, some say ``has_more: true``
forever with a cursor that never moves. A :class:`Walk` pages newest first and notices each
of these, so a history is called *complete* only when its end was verified, and every walk
ends within its page budget. :func:`every_entry` walks any list oldest first the same way,
for what a deletion must find whole (a conversation's items, a thread's messages, the
assistants of a key).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Generic, TypeVar

from tui.api import convert
from tui.api.convert import get
from tui.api.errors import BadShape, Invalid
from tui.api.listing import last_id
from tui.api.polling import Reply
from tui.model import HistoryPage, Turn

T = TypeVar("T")

WIDEST = 100  # the most entries one list request may ask for (the API's limit)
WHOLE = 1_000  # asked of a server that ignores the cursor: some allow more than the API
MAX_PAGES = 2_000  # 200,000 messages at 100 a page: more than any history seen

Fetch = Callable[[str | None, int], Awaitable[HistoryPage]]
"""Fetches the page older than a cursor (``None``: the newest page), of a given size."""
Oldest = Callable[[int], Awaitable[tuple[Turn, ...]]]
"""Fetches the oldest turns of a history (``order=asc``), as many as asked, oldest first."""

REPEATED = "the server sent the same messages again for an older page (it ignores the cursor)"
STUCK = "the server's paging cursor does not move"


@dataclass(frozen=True, slots=True)
class Step:
    """One verified page: its new turns (oldest first) and the cursor it was fetched with."""

    turns: tuple[Turn, ...]
    older_than: str | None


def verified_end(page: HistoryPage, limit: int) -> bool:
    """True when one page proves itself the oldest: it says so, and it is not full."""
    return not page.has_older and len(page.turns) < limit


def oldest_first(turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
    """A page in time order, whatever ``order`` the server honoured.

    Some servers ignore ``order=desc`` and send a page oldest first, which reads back to
    front; the turns' own times tell, when they clearly run backwards.
    """
    times = [t.created_at for t in turns if t.created_at is not None]
    backwards = len(times) >= 2 and times[0] > times[-1]
    if backwards and all(a >= b for a, b in pairwise(times)):
        return tuple(reversed(turns))
    return turns


def _key(turn: Turn) -> str:
    """What tells turns apart: the ID, or for an ID-less item its content."""
    return turn.id or f"\0{turn.role}\0{turn.kind}\0{turn.text}\0{turn.tool_calls!r}"


@dataclass
class Walk:
    """A verified walk through one history, newest page first.

    Iterate it for :class:`Step` s; afterwards :attr:`complete` says whether the oldest
    page was verifiably reached, and :attr:`doubt` why the history may be incomplete.
    """

    fetch: Fetch
    limit: int = WIDEST
    max_pages: int = MAX_PAGES
    requests: int = 0
    complete: bool = False
    doubt: str | None = None
    oldest: Oldest | None = None
    start: str | None = None  # walk from the page older than this turn (None: the newest)
    seen: set[str] = field(default_factory=set)
    _newest: str | None = None  # the key of the newest turn of all
    _edge: str | None = None  # the ID of the oldest turn read so far
    _line: list[str] = field(default_factory=list)  # every key read, oldest first

    async def _newest_page(self, width: int) -> HistoryPage | None:
        """The newest ``width`` turns; ``None`` when the server refuses so wide a page."""
        self.requests += 1
        try:
            return await self.fetch(None, width)
        except Invalid:
            return None

    async def _get(self, cursor: str | None) -> HistoryPage:
        self.requests += 1
        return await self.fetch(cursor, self.limit)

    def _fresh(self, page: HistoryPage) -> tuple[Turn, ...]:
        """The turns of a page not seen before (a server may repeat some)."""
        fresh = tuple(t for t in oldest_first(page.turns) if _key(t) not in self.seen)
        self._take(fresh)
        return fresh

    def _take(self, fresh: tuple[Turn, ...]) -> None:
        """Note turns older than every turn read so far."""
        self.seen.update(_key(t) for t in fresh)
        self._line[:0] = [_key(t) for t in fresh]

    def _stop(self, doubt: str) -> None:
        self.doubt = doubt
        self.complete = False

    async def _from_start(self, why: str) -> AsyncIterator[Step]:
        """The server ignores the cursor: read the history's other end, oldest first.

        When that page reaches back into what was already read, the two ends together are
        the whole history (verified); otherwise the gap between them stays in doubt.
        """
        if self.oldest is None or self.requests + 3 > self.max_pages:
            self._stop(f"{why}, so older messages cannot be read")
            return
        widths = ((WIDEST,) if self.limit < WIDEST else ()) + (WHOLE,)
        for width in widths:  # the newest end as wide as the server allows
            page = await self._newest_page(width)
            wider = self._fresh(page) if page is not None else ()
            if wider:
                yield Step(wider, self._edge)
                self._edge = wider[0].id
        self.requests += 1
        turns = await self.oldest(WIDEST)
        keys = [_key(t) for t in turns]
        if len(keys) > 1 and keys[0] == self._newest:
            self._stop(f"{why}, and it ignores order=asc too, so older messages cannot be read")
            return
        if keys and all(k in self.seen for k in keys):
            self.complete, self.doubt = True, None  # the oldest messages are among those read
            return
        overlap = next((i for i, k in enumerate(keys) if k in self.seen), None)
        fresh = tuple(t for t in turns[:overlap] if _key(t) not in self.seen)
        lined_up = overlap is not None and keys[overlap:] == self._line[: len(keys) - overlap]
        if fresh:
            anchor = turns[overlap].id if overlap is not None else self._edge
            self._take(fresh)
            yield Step(fresh, anchor)
        if overlap is None:
            self._stop(
                f"{why}; read the newest and the oldest {WIDEST} messages, and whatever "
                "lies between them cannot be read"
            )
        elif not lined_up:
            self._stop(
                f"{why}; its oldest and newest messages were read, but the two lists do not "
                "line up (the server's order is not stable), so messages between them may "
                "be missing"
            )
        else:
            self.complete, self.doubt = True, None

    async def __aiter__(self) -> AsyncIterator[Step]:
        """The pages, newest first, each with only the turns not seen before."""
        cursor = self.start
        page = await self._get(cursor)
        if cursor is None and page.turns:
            self._newest = _key(oldest_first(page.turns)[-1])
        while True:
            fresh = self._fresh(page)
            if cursor is not None and page.turns and not fresh:
                async for step in self._from_start(REPEATED):
                    yield step
                return
            yield Step(fresh, cursor)
            self._edge = fresh[0].id if fresh else self._edge
            if not page.has_older:
                if len(page.turns) < self.limit or not page.turns:
                    self.complete = True
                    return
                cursor = oldest_first(page.turns)[0].id  # one probe past a full "last" page
            elif page.older_cursor == cursor:
                async for step in self._from_start(f"{STUCK} (it stays at {cursor})"):
                    yield step
                return
            else:
                cursor = page.older_cursor
            if self.requests >= self.max_pages:
                self._stop(f"stopped after {self.requests} pages, the most one history may take")
                return
            page = await self._get(cursor)


PageAfter = Callable[[str | None], Awaitable[Reply]]
"""Fetches the list page after a cursor (``None``: the first), oldest first, ``WIDEST`` wide."""
Entry = Callable[[Any], tuple[str, T]]
"""Reads one entry of a list: its key (its ID) and what it gives; ``BadShape`` if it cannot."""


@dataclass
class Listed(Generic[T]):
    """What a walk through a list found.

    The entries read (in the server's order), how many were skipped because they could
    not be read, and whether the end was verified (else why not).
    """

    found: list[T] = field(default_factory=list)
    unreadable: int = 0
    complete: bool = False
    doubt: str | None = None
    requests: int = 0


def _read_page(body: Any, read: Entry[T], seen: set[str], listed: Listed[T]) -> tuple[int, int]:
    """Add the page's new entries to ``listed``; how many entries it held, and new ones."""
    data = convert.list_data(body)
    fresh = 0
    for entry in data:
        try:
            key, value = read(entry)
        except BadShape:
            listed.unreadable += 1
            continue
        if key not in seen:
            seen.add(key)
            listed.found.append(value)
            fresh += 1
    return len(data), fresh


async def every_entry(
    fetch: PageAfter, read: Entry[T], *, limit: int = WIDEST, max_pages: int = MAX_PAGES
) -> Listed[T]:
    """Every entry of a list, page after page, oldest first: verified and bounded.

    An entry ``read`` cannot read is counted and skipped; a page that is not a list raises
    ``Unreadable``. The walk is complete at a page that is not full and says nothing is
    left (a full page that says so is probed once past: some servers lie). It ends in doubt
    when a page holds nothing new (the server ignores the cursor), when the cursor does not
    move or cannot be read, or after ``max_pages`` pages.
    """
    listed: Listed[T] = Listed()
    seen: set[str] = set()
    cursor: str | None = None
    while listed.requests < max_pages:
        listed.requests += 1
        page = await fetch(cursor)
        size, fresh = page.read(lambda body: _read_page(body, read, seen, listed))
        more = get(page.body, "has_more") in (True, "true")
        if size == 0 or (not more and size < limit):
            listed.complete = True
            return listed
        if cursor is not None and fresh == 0:
            listed.doubt = "the server sent the same entries again for the next page"
            return listed
        after = page.read(last_id)
        if after is None or after == cursor:
            listed.doubt = f"{STUCK} (or cannot be read)"
            return listed
        cursor = after
    listed.doubt = f"stopped after {listed.requests} pages, the most one list may take"
    return listed
