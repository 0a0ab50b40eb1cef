"""Paging through a history, verified rather than trusted.

Servers lie about paging: some ignore the ``after`` cursor and send the first page again,
some say ``has_more: false`` on a full page with more behind it, some say ``has_more: true``
forever with a cursor that never moves. A :class:`Walk` pages newest first and notices each
of these, so a history is called *complete* only when its end was verified, and every walk
ends within its page budget.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from itertools import pairwise

from tui.model import HistoryPage, Turn

PAGE = 100
MAX_PAGES = 2_000  # 200,000 messages at 100 a page: more than any history seen

Fetch = Callable[[str | None, int], Awaitable[HistoryPage]]
"""Fetches the page older than a cursor (``None``: the newest page), of a given size."""


@dataclass(frozen=True, slots=True)
class Step:
    """One verified page: its new turns (oldest first) and the cursor it was fetched with."""

    turns: tuple[Turn, ...]
    older_than: str | None


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
    limit: int = PAGE
    max_pages: int = MAX_PAGES
    requests: int = 0
    complete: bool = False
    doubt: str | None = None
    seen: set[str] = field(default_factory=set)

    async def _get(self, cursor: str | None) -> HistoryPage:
        self.requests += 1
        return await self.fetch(cursor, self.limit)

    def _fresh(self, page: HistoryPage) -> tuple[Turn, ...]:
        """The turns of a page not seen before (a server may repeat some)."""
        fresh = tuple(t for t in oldest_first(page.turns) if _key(t) not in self.seen)
        self.seen.update(_key(t) for t in fresh)
        return fresh

    def _stop(self, doubt: str) -> None:
        self.doubt = doubt
        self.complete = False

    async def _probe(self, page: HistoryPage) -> HistoryPage | None:
        """Ask once more past a full page that said it was the last.

        Returns the page that answered when it brought turns not seen before (the server
        said ``has_more: false`` wrongly); ``None`` when the end is verified or in doubt.
        """
        probe = await self._get(page.turns[0].id)
        if not probe.turns:
            self.complete = True
            return None
        if all(_key(t) in self.seen for t in probe.turns):
            self._stop(
                "the server ignores the paging cursor: asked for messages older than a full "
                f"page of {len(page.turns)}, it sent the same ones again, so older messages "
                "cannot be read"
            )
            return None
        return probe

    async def __aiter__(self) -> AsyncIterator[Step]:
        """The pages, newest first, each with only the turns not seen before."""
        cursor: str | None = None
        page = await self._get(None)
        while True:
            fresh = self._fresh(page)
            if cursor is not None and page.turns and not fresh:
                self._stop(
                    "the server sent the same messages again for an older page (it ignores "
                    "the paging cursor), so older messages cannot be read"
                )
                return
            yield Step(fresh, cursor)
            if not page.has_older:
                if len(page.turns) < self.limit or not page.turns:
                    self.complete = True
                    return
                probe = await self._probe(page)
                if probe is None:
                    return
                cursor, page = page.turns[0].id, probe
                continue
            older = page.older_cursor
            if older == cursor:
                self._stop(f"the server's paging cursor does not move (it stays at {older})")
                return
            if self.requests >= self.max_pages:
                self._stop(f"stopped after {self.requests} pages, the most one history may take")
                return
            cursor = older
            page = await self._get(cursor)
