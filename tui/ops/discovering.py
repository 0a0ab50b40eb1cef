"""Discovery: track everything a server will list for this key.

The API lists stored chat completions; some servers also list threads (Azure's agents) or
conversations (OGX). Each list is read oldest first, a page at a time; each page's new items
and the cursor after it are kept together, so an interrupted discovery resumes where it
stopped, and the next one lists only what was made since. The paging is verified, not
trusted: a cursor that does not move, a page sent again, a ``has_more: false`` on a full
page and an endless list each end the walk with a reason, within a page budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from tui.api.errors import (
    ApiError,
    ApiGone,
    AuthFailed,
    Invalid,
    NotFound,
    Offline,
    Unsupported,
)
from tui.api.listing import PATHS, WIDEST, ListPage
from tui.model import Connection, Kind, RemoteItem
from tui.store import Registry
from tui.store.discoveries import Progress

SOURCE = "discover"
MAX_PAGES = 20_000  # 2,000,000 items at 100 a page, per list and run
MAX_BATCH = 64  # pages kept in one transaction at most (those read while one was written)
ORDER = (Kind.COMPLETION, Kind.THREAD, Kind.CONVERSATION, Kind.RESPONSE)

Lister = Callable[[Kind, str | None], Awaitable[ListPage]]
"""Reads the page of a kind's list after a cursor (``None``: the first page)."""
Heard = Callable[[Kind, int], None]
"""Hears how many items of a kind were listed so far in this run."""


class Outcome(StrEnum):
    """How the walk through one list ended."""

    LISTED = "listed"  # read to its end
    STOPPED = "stopped"  # ended early; the next run resumes where it stopped
    REFUSED = "refused"  # the server refused the key or the request
    NOT_OFFERED = "not offered"  # the server has no such list


@dataclass
class Listing:
    """The result of one list: how it ended, what it listed and added, and why it stopped."""

    kind: Kind
    outcome: Outcome = Outcome.LISTED
    listed: int = 0
    added: int = 0
    unreadable: int = 0
    detail: str = ""
    resumed: bool = False
    everywhere: bool = False  # what ended it ends every list (a refused key, no network)

    @property
    def endpoint(self) -> str:
        """The list's route, as the server knows it."""
        return f"GET {PATHS[self.kind]}"

    def line(self) -> str:
        """One line for the user: the route, then what happened."""
        nothing = self.outcome is Outcome.STOPPED and not self.listed and not self.resumed
        if self.outcome in (Outcome.REFUSED, Outcome.NOT_OFFERED) or nothing:
            said = f"{self.outcome.value}: {self.detail}" if self.detail else self.outcome.value
            return f"{self.endpoint:<24} {said}"
        counts = f"listed {self.listed:,} ({self.added:,} new)"
        if self.unreadable:
            counts += f", {self.unreadable:,} unreadable entries skipped"
        if self.resumed:
            counts += ", resumed where the last run stopped"
        if self.outcome is Outcome.STOPPED:
            counts += f"; stopped: {self.detail} Run discover again to resume."
        return f"{self.endpoint:<24} {counts}"


async def discover(
    registry: Registry,
    connection: Connection,
    lister: Lister,
    *,
    kinds: tuple[Kind, ...] = ORDER,
    heard: Heard | None = None,
    max_pages: int = MAX_PAGES,
) -> list[Listing]:
    """Walk every list of ``kinds`` the server offers and track what it lists."""
    results: list[Listing] = []
    for kind in kinds:
        if results and results[-1].everywhere:  # the key or the network: no list would do
            said = "(the same reason as above)"
            results.append(Listing(kind, results[-1].outcome, detail=said, everywhere=True))
            continue
        walk = _Walk(registry, connection, lister, kind, heard, max_pages)
        results.append(await walk.run())
    return results


class _Walk:
    """One list, walked page by page from where the last run stopped."""

    def __init__(
        self,
        registry: Registry,
        connection: Connection,
        lister: Lister,
        kind: Kind,
        heard: Heard | None,
        max_pages: int,
    ) -> None:
        self.registry = registry
        self.connection = connection
        self.lister = lister
        self.result = Listing(kind)
        self.heard = heard
        self.max_pages = max_pages
        self.endpoint = PATHS[kind]
        self._ahead: asyncio.Future[ListPage | None] | None = None  # the next page, asked for
        self.newest_first = False  # the server ignores order=asc (its items' times say so)
        self.seen: set[str] = set()  # the IDs listed in this run
        self.keeper = _Keeper(self._keep)

    async def run(self) -> Listing:
        """Walk the list; an error ends it with its reason (what was kept stays kept)."""
        found = self.registry.discoveries
        start = await found.progress(self.connection, self.endpoint)
        self.result.resumed = start.cursor is not None
        try:
            await self._pages(start)
        except (NotFound, Unsupported, ApiGone) as exc:
            if self.result.listed:
                self._end(Outcome.STOPPED, exc)
            else:
                self.result.outcome = Outcome.NOT_OFFERED
                self.result.detail = f"the server has no such list (HTTP {exc.status or 404})"
        except AuthFailed as exc:
            self._end(Outcome.REFUSED, exc)
            self.result.everywhere = True
        except Offline as exc:  # nothing refused: the server could not be reached
            self._end(Outcome.STOPPED, exc)
            self.result.everywhere = True
        except ApiError as exc:
            self._end(Outcome.STOPPED if self.result.listed else Outcome.REFUSED, exc)
        return self.result

    def _end(self, outcome: Outcome, exc: ApiError) -> None:
        self.result.outcome = outcome
        self.result.detail = str(exc)

    async def _pages(self, start: Progress) -> None:
        """Walk the pages; the next page is asked for while this one is read and kept."""
        try:
            await self._walk(start)
            await self.keeper.drain()
        finally:
            task, self._ahead = self._ahead, None
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            with contextlib.suppress(BaseException):  # what was read is kept, whatever ended it
                await self.keeper.drain()

    async def _walk(self, start: Progress) -> None:
        cursor, total = start.cursor, start.listed
        for number in range(1, self.max_pages + 1):
            task, self._ahead = self._ahead, None
            page = await (task if task is not None else self._read(cursor, start))
            if page is None:  # the saved cursor is gone: list from the start
                cursor, total, self.result.resumed = None, 0, False
                continue
            moved = page.last_id is not None and page.last_id != cursor
            after = page.last_id if moved else cursor
            full = len(page.entries) >= WIDEST
            going_on = moved and (page.has_more or full)  # a full "last" page: one more look
            if going_on and number < self.max_pages:  # asked for before this one is read
                self._ahead = asyncio.ensure_future(self._read(after, start))
                if number == 1:  # a list of more than a page: write it as a bulk import
                    await self.registry.bulk()
            self.newest_first = self.newest_first or _newest_first(page)
            fresh = [i for i in page.items if i.id not in self.seen]
            if page.items and not fresh:
                return self._stop("the server sent the same items again (it ignores the cursor).")
            total += len(fresh)
            self.seen.update(i.id for i in fresh)
            await self.keeper.add(fresh, Progress(after, total, None), page.unreadable)
            if not moved and page.has_more:
                return self._stop(f"the server's paging cursor does not move (at {cursor}).")
            if not going_on:
                await self.keeper.drain()
                return await self._finish(after, total)
            cursor = after
        self._stop(f"read {self.max_pages:,} pages, the most one run reads.")

    async def _read(self, cursor: str | None, start: Progress) -> ListPage | None:
        """The page after ``cursor``; ``None`` when the server refuses the saved cursor.

        A saved cursor names the last item listed; when that item has been deleted since,
        the server refuses it (400), and the list is read again from its start.
        """
        try:
            return await self.lister(self.result.kind, cursor)
        except Invalid:
            if cursor is None or cursor != start.cursor or not self.result.resumed:
                raise
            return None

    async def _keep(self, fresh: list[RemoteItem], progress: Progress, unreadable: int) -> None:
        added = await self.registry.discoveries.keep(
            self.connection, self.endpoint, fresh, progress, source=SOURCE
        )
        self.result.listed += len(fresh)
        self.result.added += added
        self.result.unreadable += unreadable
        if self.heard is not None:
            self.heard(self.result.kind, self.result.listed)

    async def _finish(self, cursor: str | None, total: int) -> None:
        """The end of the list: the next run resumes after its last item.

        A server that ignores ``order=asc`` lists newest first, and its last item is the
        oldest: the next run starts from the top instead (what is tracked is not added twice).
        """
        done = Progress(None if self.newest_first else cursor, total, time.time())
        await self.registry.discoveries.keep(
            self.connection, self.endpoint, [], done, source=SOURCE
        )

    def _stop(self, why: str) -> None:
        self.result.outcome = Outcome.STOPPED
        self.result.detail = why


class _Keeper:
    """Keeps pages in the background while the next ones are read.

    A page waits while the one before it is being written; the pages that gathered meanwhile
    (at most ``MAX_BATCH``) go in one transaction with the cursor after the last of them, so
    a stop still resumes right after what was kept.
    """

    def __init__(self, keep: Callable[[list[RemoteItem], Progress, int], Awaitable[None]]) -> None:
        self.keep = keep
        self.pending: list[tuple[list[RemoteItem], Progress, int]] = []
        self.task: asyncio.Future[None] | None = None

    async def add(self, fresh: list[RemoteItem], progress: Progress, unreadable: int) -> None:
        """Keep a page: now, or with the next write (waiting when enough have gathered)."""
        self.pending.append((fresh, progress, unreadable))
        if self.task is not None and (self.task.done() or len(self.pending) >= MAX_BATCH):
            await self._settle()
        if self.task is None:
            self._start()

    async def drain(self) -> None:
        """Every page added is kept (a failed write raises here)."""
        while self.task is not None or self.pending:
            if self.task is not None:
                await self._settle()
            if self.pending:
                self._start()

    def _start(self) -> None:
        batch, self.pending = self.pending, []
        items = [item for fresh, _, _ in batch for item in fresh]
        unreadable = sum(count for _, _, count in batch)
        self.task = asyncio.ensure_future(self.keep(items, batch[-1][1], unreadable))

    async def _settle(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            await task


def _newest_first(page: ListPage) -> bool:
    """Whether a page runs newest first: its items' times clearly go backwards."""
    times = [item.created_at for item in page.items]
    return len(times) >= 2 and times[0] > times[-1] and times == sorted(times, reverse=True)
