"""Reading one item's history: the archive first, then its server's pages, archived as read.

This is the data half of the message pane (no Textual here): the pane shows what a
:class:`HistoryReader` returns and never reads the registry or a server itself. One reader
serves one opening of one item; opening another item makes a new reader, so an answer that
arrives for the old one is recognised and dropped by the pane.

"From the API, else the archive; a 404 means missing; found again means active" is decided
here, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from tui.api.convert import carry_runs
from tui.api.errors import ApiError, NotFound
from tui.api.paging import Step, Walk, verified_end
from tui.api.protocol import MESSAGE_PAGE, ConversationApi
from tui.model import HistoryPage, ItemState, Tracked, Turn
from tui.ops.capabilities import remember
from tui.store import Registry

DELETED_NOTE = "it was deleted on its server; this is its archived history, read-only."


@dataclass(frozen=True, slots=True)
class Newest:
    """The server's newest page, or why there is none.

    ``turns`` is ``None`` when the server could not be read (``error`` says why; the
    archive shown stays); ``missing`` when it answered 404.
    """

    item: Tracked
    turns: list[Turn] | None
    error: ApiError | None = None
    missing: bool = False


@dataclass(frozen=True, slots=True)
class Older:
    """A page older than what is shown, and whether it came from the server."""

    turns: list[Turn]
    from_api: bool = False
    older_than: str | None = None


class HistoryReader:
    """One opening of one item: its archive, its server's pages, and where the next is."""

    def __init__(
        self, registry: Registry, item: Tracked, api: ConversationApi | None, why: str
    ) -> None:
        if item.state is ItemState.DELETED:
            api, why = None, DELETED_NOTE
        self.registry = registry
        self.item = item
        self.api = api
        self.why = why  # why there is no API, when there is none
        self.known: dict[str, Turn] = {}  # archived turns of the item, by ID
        self.older_seq: int | None = None  # where the archive's next older page starts
        self.api_older: str | None = None  # where a walk of older server pages starts
        self.doubt: str | None = None  # set when a finished walk could not prove it whole
        self._walk: Walk | None = None
        self._steps: AsyncIterator[Step] | None = None
        self._prefetched: Step | None = None
        self._first: asyncio.Task[Step] | None = None
        self._stepping = asyncio.Lock()  # one request of the walk at a time

    # opening

    def start(self) -> None:
        """Ask the server for the newest page now, while the archive is read."""
        if self.api is not None:
            self._steps = self._walk_from(self.api, None)
            self._first = asyncio.create_task(self._step(self._steps))

    def close(self) -> None:
        """Stop a request still under way (the item was closed)."""
        if self._first is not None and not self._first.done():
            self._first.cancel()

    async def archived(self) -> list[Turn]:
        """The archive's newest page."""
        page = await self.registry.archive.page(self.item, limit=MESSAGE_PAGE)
        self.known = {t.id: t for t in page.turns}
        self.older_seq = page.older_seq
        self.api_older = None
        return list(page.turns)

    async def newest(self) -> Newest:
        """The server's newest page as sent (``keep`` archives it), or why there is none."""
        if self._first is None:
            raise ApiError(f"Showing the archive only: {self.why}")
        try:
            step = await self._first
        except NotFound as exc:
            self.item = await self.registry.set_state(
                self.item, ItemState.MISSING, source="app", detail="404"
            )
            return Newest(self.item, None, exc, missing=True)
        except ApiError as exc:
            return Newest(self.item, None, exc)
        finally:
            self._first = None
        return Newest(self.item, list(carry_runs(step.turns, self.known)))

    async def keep(self, newest: Newest, shown: int) -> list[Turn]:
        """Archive the newest page; the archive's newest page (covering ``shown`` turns)."""
        fetched = newest.turns or []
        if self.item.state is ItemState.MISSING:  # found again
            self.item = await self.registry.set_state(self.item, ItemState.ACTIVE, source="app")
        self.item = await self.registry.archive.store(self.item, fetched)
        if len(fetched) < MESSAGE_PAGE:  # a short page may be the whole history: settle it now
            await self._read_ahead()
        page = await self.registry.archive.page(self.item, limit=max(MESSAGE_PAGE, shown))
        self.older_seq = page.older_seq
        if page.older_seq is not None:
            self._steps = None  # the archive's older pages come first; a walk follows them
        return list(page.turns)

    async def learned(self) -> None:
        """Record what the server was found to offer or lack."""
        if self.api is not None:
            await remember(self.registry, self.api)

    # run details

    async def enrich(self, turns: list[Turn], older_than: str | None = None) -> dict[str, Turn]:
        """Run usage and tool calls for ``turns``, archived; the changed turns by ID."""
        done = {t.run_id for t in turns if t.usage is not None}
        todo = [t for t in turns if t.run_id and t.run_id not in done]
        if not todo or self.api is None:
            return {}
        try:
            enriched = await self.api.enrich(self.item.id, todo)
        except ApiError:
            return {}  # the history is shown; details can wait for the next refresh
        changed = {t.id: t for t, old in zip(enriched, todo, strict=True) if t != old}
        if changed:
            self.item = await self.registry.archive.store(
                self.item, [changed.get(t.id, t) for t in turns], older_than=older_than
            )
        return changed

    # older pages

    @property
    def has_older(self) -> bool:
        """Whether a page older than the shown ones may exist."""
        return not (self.older_seq is None and self.api_older is None and self._steps is None)

    async def older(self, oldest_shown: str | None) -> Older | None:
        """The page before the oldest shown turn: the archive's, then the server's.

        ``None`` while the newest page is still on its way (it is shown first).
        """
        if self._first is not None:
            return None
        if self.older_seq is not None:
            page = await self.registry.archive.page(
                self.item, before_seq=self.older_seq, limit=MESSAGE_PAGE
            )
            self.older_seq = page.older_seq
            turns = list(page.turns)
            if page.older_seq is None and not self.item.history_complete and turns:
                self.api_older = turns[0].id
            return Older(turns)
        if self.api is None:
            return None
        if self._steps is None and self.api_older is not None:
            self._steps = self._walk_from(self.api, self.api_older)
            self.api_older = None
        step = await self._next_step(oldest_shown)
        if step is None:
            return None
        self.item = await self.registry.archive.store(
            self.item, step.turns, older_than=step.older_than
        )
        return Older(list(step.turns), from_api=True, older_than=step.older_than)

    async def _next_step(self, oldest_shown: str | None) -> Step | None:
        """The walk's next older page; at its end, its verdict recorded."""
        if self._prefetched is not None:
            step, self._prefetched = self._prefetched, None
            return step
        if self._steps is None:
            return None
        try:
            return await self._step(self._steps)
        except StopAsyncIteration:
            self._steps = None
            await self._settle_walk()
            return None
        except BaseException:
            self._steps = None  # a failed walk is over: the next scroll starts a new one
            self.api_older = oldest_shown
            raise

    async def _settle_walk(self) -> None:
        walk = self._walk
        if walk is None:
            return
        self.item = await self.registry.archive.settle(
            self.item, complete=walk.complete, doubt=walk.doubt, source="app"
        )
        self.doubt = walk.doubt or None

    async def _read_ahead(self) -> None:
        """After a short newest page: settle a walk that ends there (no request needed).

        A walk that goes on keeps its next page for the first scroll up.
        """
        if self._steps is None:
            return
        try:
            self._prefetched = await self._step(self._steps)
        except StopAsyncIteration:
            self._steps = None
            await self._settle_walk()

    async def _step(self, steps: AsyncIterator[Step]) -> Step:
        """The walk's next step; callers take turns (a walk serves one request at a time)."""
        async with self._stepping:
            return await anext(steps)

    def _walk_from(self, api: ConversationApi, start: str | None) -> AsyncIterator[Step]:
        """A verified walk of the history, from the newest page or older than ``start``."""
        item_id = self.item.id

        async def fetch(cursor: str | None, limit: int) -> HistoryPage:
            return await api.history(item_id, before=cursor, limit=limit)

        async def oldest(limit: int) -> tuple[Turn, ...]:
            return await api.oldest(item_id, limit=limit)

        self._walk = Walk(fetch, limit=MESSAGE_PAGE, start=start, oldest=None if start else oldest)
        return aiter(self._walk)

    # after a run

    async def after_run(self, item: Tracked) -> list[Turn]:
        """The archive's newest page once a run archived its turns (the walk starts over)."""
        self.item = item
        self.older_seq = None
        self.api_older = None
        self._steps = None
        self._prefetched = None
        return await self.archived()


@dataclass(frozen=True, slots=True)
class AfterRun:
    """The item once a run's turns are archived, and the server's newest page."""

    item: Tracked
    turns: list[Turn]


async def archive_after_run(
    registry: Registry, api: ConversationApi, item: Tracked, now: datetime
) -> AfterRun | None:
    """Archive what the server holds after a run and move the item up (``None``: unread)."""
    try:
        page = await api.history(item.id)
    except ApiError:
        return None  # the archive catches up on the next open or refresh
    item = await registry.archive.store(item, page.turns, complete=verified_end(page, MESSAGE_PAGE))
    await registry.touch(item.connection, item.id, now)
    fresh = await registry.get_pk(item.pk) or item
    return AfterRun(fresh, list(page.turns))


def open_history(
    registry: Registry, item: Tracked, api: ConversationApi | None, why: str
) -> HistoryReader:
    """A reader of ``item``'s history, its newest server page already asked for."""
    reader = HistoryReader(registry, item, api, why)
    reader.start()
    return reader
