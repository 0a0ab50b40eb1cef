"""Bulk deletion, shared by the app and the CLI: archive first, paced, journalled.

Every confirmed item is recorded (``deleting``, with its state before) before any request
goes out, and its outcome after: ``deleted`` (a 404 counts: it is gone), or back to its
state before with the reason. A crash leaves exactly the unfinished set in the registry's
``deletions`` table, which :meth:`BulkDelete.run` resumes. Only the items given are
touched, each on the connection that owns it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import TypeVar

from tui.api.errors import (
    ApiError,
    ApiGone,
    AuthFailed,
    NotFound,
    Offline,
    RateLimited,
    ServerError,
    Unreadable,
    Unsupported,
)
from tui.api.protocol import ConversationApi
from tui.model import HistoryPage, ObjectState, Tracked, Turn
from tui.ops.capabilities import remember
from tui.ops.deep import GONE, Deep, Ended
from tui.ops.exporting import archive_history, runs_to_fetch
from tui.ops.pacing import Pacer
from tui.store import Registry
from tui.store.deletions import Receipt

T = TypeVar("T")
ApiFor = Callable[[Tracked], tuple[ConversationApi | None, str]]

CONCURRENCY = 16
RETRIES = 4  # attempts after a 5xx, a timeout or a dropped connection
BACKOFF = 0.5  # seconds before the first retry; doubles each time
RUNS_AT_ONCE = 4  # run details of one history page fetched at the same time
MAX_WAIT = 300.0  # seconds: a server asking for a longer pause ends the run, resumable


class Result(StrEnum):
    """What became of one item."""

    DELETED = "deleted"
    GONE = "already gone"
    FAILED = "failed"
    SKIPPED = "skipped"
    STOPPED = "not sent"
    STILL_THERE = "still on the server"  # the server accepted a delete, yet still gives it
    KEPT = "kept"  # its archive could not be verified complete, and the user did not allow it
    INTERRUPTED = "interrupted"  # the server asked for too long a pause; resumable


@dataclass(frozen=True, slots=True)
class Outcome:
    """One item's result and, unless it was deleted, why; and what became of its objects."""

    item: Tracked
    result: Result
    reason: str = ""
    ended: Ended | None = None


@dataclass
class Progress:
    """Counts so far, for a progress view; ``outcomes`` in the order they came."""

    total: int
    started: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: float = 0.0  # seconds left of a pause a 429 asked for
    stopping: bool = False

    def count(self, *results: Result) -> int:
        """How many items ended with one of ``results``."""
        return sum(1 for o in self.outcomes if o.result in results)

    def objects(self, *states: ObjectState) -> int:
        """How many server objects ended in one of ``states`` (all of them: none given)."""
        ended = [o.ended for o in self.outcomes if o.ended is not None]
        if not states:
            return sum(len(e.objects) for e in ended)
        return sum(e.count(*states) for e in ended)

    @property
    def requested(self) -> int:
        """Server objects a delete was sent for (or found already gone)."""
        return self.objects() - self.objects(ObjectState.KEPT, ObjectState.PLANNED)

    @property
    def done(self) -> int:
        """Items with an outcome."""
        return len(self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        """The failed items, with reasons."""
        return [o for o in self.outcomes if o.result is Result.FAILED]

    def rate(self, now: float | None = None) -> float:
        """Items finished per second since the start."""
        elapsed = (now or time.monotonic()) - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self, now: float | None = None) -> float | None:
        """Seconds until the rest is done at the current rate (``None`` before any)."""
        rate = self.rate(now)
        return (self.total - self.done) / rate if rate > 0 else None


def _kept_locally(item: Tracked) -> str:
    """What stays on this machine of a deleted item (said in its receipt; never content)."""
    if item.message_count:
        whole = "complete" if item.history_complete else "possibly incomplete"
        return f"archive: {item.message_count:,} messages ({whole}), readable here"
    return "the registry entry only (nothing archived)"


def refusal(item: Tracked) -> str:
    """Why an item whose archive is not verified complete is kept on its server."""
    why = item.history_doubt or "the end of its history could not be verified"
    return (
        f"not deleted: its archive may be incomplete ({why}). Deleting it could lose "
        "messages for good; to delete it anyway, add --allow-incomplete-archive (in the "
        "app, tick 'delete even if the archive may be incomplete')."
    )


class Stopped(Exception):
    """The user stopped the run before this item's next request."""


def too_long_a_wait(seconds: float) -> str:
    """Why a run ended when the server asked for a pause of ``seconds``."""
    return (
        f"the server asked to wait {describe_wait(seconds)} before the next request "
        f"(retry-after: {seconds:,.0f} s), longer than a run waits ({MAX_WAIT:.0f} s). "
        "Nothing was lost: resume later with `thread-browser delete --resume` (or in the "
        "app, on its next start)."
    )


def describe_wait(seconds: float) -> str:
    """A wait in the largest sensible unit: ``11.6 days``, ``2.0 hours``, ``5 min``."""
    for unit, size in (("days", 86400), ("hours", 3600)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds / 60:,.0f} min"


class BulkDelete:
    """Deletes a confirmed set of items; :meth:`stop` ends it early, losing nothing."""

    def __init__(
        self,
        registry: Registry,
        api_for: ApiFor,
        *,
        archive: bool = True,
        allow_incomplete: bool = False,
        deep: bool = True,
        files: bool = False,
        job: str | None = None,
        concurrency: int = CONCURRENCY,
        source: str = "app",
        pacer: Pacer | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.registry = registry
        self.api_for = api_for
        self.archive = archive
        self.allow_incomplete = allow_incomplete
        self.deep = deep
        self.files = files
        self.job = job  # the run's name: receipts go under it (a new one when not given)
        self.concurrency = max(1, concurrency)
        self.source = source
        self.pacer = pacer or Pacer()
        self._sleep = sleep
        self._stop_event = asyncio.Event()
        self._interrupt = asyncio.Event()  # set with the stop when a server's wait ends it
        self.interrupted: str | None = None  # why the server's wait ended the run
        self._broken: dict[tuple[str, str], str] = {}  # (connection, kind) -> why it fails

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop_event.is_set()

    def stop(self) -> None:
        """Send no new request; requests in flight finish and are recorded."""
        self._stop_event.set()

    async def run(
        self,
        items: Sequence[Tracked],
        *,
        confirmed: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> Progress:
        """Delete ``items``; ``confirmed`` when they are a resumed (already recorded) set."""
        progress = Progress(len(items))
        ready: list[tuple[Tracked, ConversationApi]] = []
        for item in items:
            api, why = self.api_for(item)
            if api is None:
                progress.outcomes.append(Outcome(item, Result.SKIPPED, why))
                if confirmed:
                    await self.registry.deletions.release(item, reason=why, source=self.source)
            else:
                ready.append((item, api))
        if not confirmed and ready:
            self.job = await self.registry.deletions.confirm(
                [i for i, _ in ready], archive=self.archive, source=self.source, job=self.job
            )
        queue: asyncio.Queue[tuple[Tracked, ConversationApi]] = asyncio.Queue()
        for entry in ready:
            queue.put_nowait(entry)

        def report(outcome: Outcome) -> None:
            progress.outcomes.append(outcome)
            progress.waiting = self.pacer.waiting()
            progress.stopping = self.stopped
            if on_progress is not None:
                on_progress(progress)

        async def worker() -> None:
            while not queue.empty():
                item, api = queue.get_nowait()
                report(await self._one(item, api))

        if on_progress is not None:
            on_progress(progress)
        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(ready)))))
        return progress

    async def _one(self, item: Tracked, api: ConversationApi) -> Outcome:
        """Archive (when asked) and delete one item; record what happened."""
        try:
            return await self._deleted(item, api)
        finally:
            await remember(self.registry, api)

    async def _deleted(self, item: Tracked, api: ConversationApi) -> Outcome:
        """Archive (when asked) and delete one item; what became of it."""
        deletions = self.registry.deletions
        key = (item.connection.key, item.kind.value)
        try:
            if key in self._broken:
                raise ApiError(self._broken[key])
            begun = bool(await deletions.objects(item))  # resumed: archived before it began
            if self.archive and not begun:
                item = await self._archive(item, api)
                if not item.history_complete and not self.allow_incomplete:
                    why = refusal(item)
                    fresh = await deletions.release(item, reason=why, source=self.source)
                    return Outcome(fresh, Result.KEPT, why)
            check = partial(self._call, finishing=True)
            deep = Deep(self.registry, api, self._call, check, deep=self.deep, files=self.files)
            ended = await deep.run(item)
        except NotFound:
            fresh = await deletions.finish(item, gone=True, source=self.source)
            return Outcome(fresh, Result.GONE, "the server had no such item (404)")
        except Stopped:
            receipt = await self._receipt(item)
            if self.interrupted is not None:
                await deletions.pause(item, reason=self.interrupted, source=self.source)
                return Outcome(item, Result.INTERRUPTED, self.interrupted)
            reason = "stopped before every one of its objects was deleted"
            fresh = await deletions.release(
                item, reason=reason, source=self.source, receipt=receipt
            )
            return Outcome(fresh, Result.STOPPED, reason)
        except ApiError as exc:
            if isinstance(exc, (AuthFailed, ApiGone, Unsupported)):
                self._broken.setdefault(key, str(exc))
            fresh = await deletions.release(item, reason=str(exc), source=self.source)
            return Outcome(fresh, Result.FAILED, str(exc))
        return await self._ended(item, ended)

    async def _ended(self, item: Tracked, ended: Ended) -> Outcome:
        """Record the item's outcome from its objects', with its receipt."""
        deletions = self.registry.deletions
        receipt = Receipt(tuple(p.line() for p in ended.objects), _kept_locally(item))
        if ended.done:
            gone = ended.objects[-1].detail == GONE
            fresh = await deletions.finish(item, gone=gone, source=self.source, receipt=receipt)
            if gone:
                return Outcome(fresh, Result.GONE, "the server had no such item (404)", ended)
            return Outcome(fresh, Result.DELETED, "", ended)
        reason = ended.reason()
        fresh = await deletions.release(item, reason=reason, source=self.source, receipt=receipt)
        result = Result.STILL_THERE if ended.still_there else Result.FAILED
        return Outcome(fresh, result, reason, ended)

    async def _receipt(self, item: Tracked) -> Receipt:
        """The receipt of an item whose run ended early: its objects as they stand."""
        objects = await self.registry.deletions.objects(item)
        return Receipt(tuple(p.line() for p in objects), _kept_locally(item))

    async def _archive(self, item: Tracked, api: ConversationApi) -> Tracked:
        """Store the whole history, page by page (verified paging), before the delete call."""

        async def fetch(cursor: str | None, limit: int) -> HistoryPage:
            return await self._call(partial(api.history, item.id, before=cursor, limit=limit))

        async def oldest(limit: int) -> tuple[Turn, ...]:
            return await self._call(partial(api.oldest, item.id, limit=limit))

        async def fill_runs(turns: Sequence[Turn], known: Mapping[str, Turn]) -> list[Turn]:
            return await self._enrich(item, api, turns, known)

        return await archive_history(
            self.registry, item, fetch, fill_runs, source=self.source, oldest=oldest
        )

    async def _enrich(
        self,
        item: Tracked,
        api: ConversationApi,
        turns: Sequence[Turn],
        known: Mapping[str, Turn],
    ) -> list[Turn]:
        """Add the details of each run not archived yet (one run per call: a retry redoes one)."""
        out, runs = runs_to_fetch(turns, known)
        gate = asyncio.Semaphore(RUNS_AT_ONCE)

        async def one(run_id: str) -> None:
            places = [i for i, t in enumerate(out) if t.run_id == run_id]
            async with gate:
                done = await self._call(partial(api.enrich, item.id, [out[i] for i in places]))
            for index, turn in zip(places, done, strict=True):
                out[index] = turn

        results = await asyncio.gather(*map(one, runs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return out

    def _ending(self, finishing: bool) -> asyncio.Event:
        """What ends a request before it is sent.

        A stop; for a request that checks what was sent (a deletion's check), only an
        interruption.
        """
        return self._interrupt if finishing else self._stop_event

    async def _turn(self, finishing: bool = False) -> float:
        """The pacer's go-ahead; :class:`Stopped` as soon as the run is told to end.

        A 429 may pause the run for minutes: stopping must not wait for the pause to end.
        """
        ending = self._ending(finishing)
        turn = asyncio.ensure_future(self.pacer.acquire())
        stop = asyncio.ensure_future(ending.wait())
        try:
            await asyncio.wait((turn, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not turn.done():
                turn.cancel()
        if ending.is_set():
            raise Stopped
        return turn.result()

    async def _call(self, request: Callable[[], Awaitable[T]], *, finishing: bool = False) -> T:
        """One request, paced; 429s wait as told, 5xx and network errors are retried.

        ``finishing``: it checks what a request already sent did, and is sent even after
        :meth:`stop` (not after a wait the server asked for ended the run).
        """
        failures = 0
        while True:
            if self._ending(finishing).is_set():
                raise Stopped
            sent = await self._turn(finishing)
            try:
                result = await request()
            except RateLimited as exc:
                if exc.retry_after is not None and exc.retry_after > MAX_WAIT:
                    self.interrupted = self.interrupted or too_long_a_wait(exc.retry_after)
                    self._interrupt.set()
                    self.stop()
                    raise Stopped from exc
                self.pacer.limited(sent, exc.retry_after)
                continue
            except Unreadable:
                raise  # the same request would get the same unreadable reply
            except (ServerError, Offline):
                failures += 1
                if failures > RETRIES:
                    raise
                await self._sleep(BACKOFF * 2 ** (failures - 1))
                continue
            self.pacer.succeeded(sent)
            return result
