"""Deep deletion of one item: every server object it is made of, deleted, then verified gone.

A conversation is its items, the responses known to have written into it, then the
conversation itself; a response chain is its stored responses; a thread is the thread (and,
when asked, the files and vector stores its messages and tools use); a stored completion is
the completion. The objects are recorded before the first request and each one's state
after every step (requested, deleted, verified or still there, failed), so a run killed at
any moment resumes knowing what is done. A container is deleted only once everything in it
is verified gone: its parts cannot be reached without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tui.api.errors import ApiError, ApiGone, AuthFailed, NotFound, Unsupported
from tui.api.protocol import ConversationApi
from tui.model import Kind, ObjectKind, ObjectState, ServerObject, Tracked
from tui.store import Registry
from tui.store.deletions import Planned

T = TypeVar("T")
Call = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]
"""Sends one request paced and retried (see :meth:`BulkDelete._call`)."""

ITSELF = {
    Kind.THREAD: ObjectKind.THREAD,
    Kind.CONVERSATION: ObjectKind.CONVERSATION,
    Kind.COMPLETION: ObjectKind.COMPLETION,
    Kind.RESPONSE: ObjectKind.RESPONSE,
}
DONE = (ObjectState.VERIFIED, ObjectState.KEPT)
AT_ONCE = 8  # objects of one item deleted at the same time (each paced like the rest)
EVERYWHERE = (AuthFailed, ApiGone, Unsupported)  # what fails one request of a connection fails all
GONE = "already gone on the server (404)"
STILL_THERE = "still readable on the server after its delete was accepted"


def itself(item: Tracked) -> ServerObject:
    """The server object an item is named by."""
    return ServerObject(ITSELF[item.kind], item.id)


@dataclass(frozen=True, slots=True)
class Ended:
    """What became of each object of one item's deletion."""

    objects: tuple[Planned, ...]

    def count(self, *states: ObjectState) -> int:
        """How many objects ended in one of ``states``."""
        return sum(1 for p in self.objects if p.state in states)

    @property
    def done(self) -> bool:
        """Every object verified gone (or kept on purpose)."""
        return all(p.state in DONE for p in self.objects)

    @property
    def still_there(self) -> list[Planned]:
        """The objects the server still gave after their delete."""
        return [p for p in self.objects if p.state is ObjectState.STILL_THERE]

    @property
    def failed(self) -> list[Planned]:
        """The objects whose delete or check failed (or was never reached)."""
        return [p for p in self.objects if p.state not in (*DONE, ObjectState.STILL_THERE)]

    def reason(self) -> str:
        """Why the item is not deleted, in one sentence naming the first objects."""
        there, failed = self.still_there, self.failed
        parts = []
        if there:
            parts.append(f"{_some(there)} still on the server after the delete was accepted")
        if failed:
            first = next((p.detail for p in failed if p.detail), "not reached")
            parts.append(f"{_some(failed)} not deleted ({first})")
        return "; ".join(parts) + ". Nothing is marked deleted; run the deletion again later."


def _some(planned: Sequence[Planned]) -> str:
    shown = ", ".join(f"{p.object.kind.value} {p.object.id}" for p in planned[:2])
    more = f" and {len(planned) - 2:,} more" if len(planned) > 2 else ""
    return f"{len(planned):,} object{'s' if len(planned) != 1 else ''} ({shown}{more})"


class Deep:
    """Deletes the objects of one item on one connection, each request paced by ``call``.

    A stop ends the item before its next delete; the check of one already sent is made.
    """

    def __init__(
        self,
        registry: Registry,
        api: ConversationApi,
        call: Call,
        check: Call,
        *,
        deep: bool = True,
        files: bool = False,
    ) -> None:
        self.registry = registry
        self.api = api
        self.call = call
        self.check = check  # a check of a delete sent: made even once the run is stopped
        self.deep = deep
        self.files = files
        self._ended: ApiError | None = None  # what made a check find the connection unusable

    async def run(self, item: Tracked) -> Ended:
        """Delete and verify every object of ``item``; what became of each.

        Raises what :attr:`call` raises to end a run (the user stopping it); any other
        failure is recorded on its object.
        """
        if item.kind not in ITSELF:  # no server object (a local file): the adapter says why
            await self.call(lambda: self.api.delete(item.id))
        deletions = self.registry.deletions
        objects = await deletions.objects(item) or await deletions.plan(
            item, await self._plan(item)
        )
        *parts, container = objects
        for start in range(0, len(parts), AT_ONCE):
            await self._batch(item, parts[start : start + AT_ONCE])
        current = await deletions.objects(item)
        if all(p.state in DONE for p in current[:-1]):
            await self._batch(item, [container])
        return Ended(tuple(await deletions.objects(item)))

    async def _plan(self, item: Tracked) -> list[Planned]:
        """The item's objects as the server and the registry know them, the item last."""
        if not self.deep:
            return [Planned(itself(item), ObjectState.PLANNED)]
        standing = await self._standing(item)
        try:
            parts: list[ServerObject] = await self.call(
                lambda: self.api.parts(item.id, keep=standing, files=self.files)
            )
        except NotFound:  # the item is gone: what the registry knows of it may not be
            parts = []
        parts = _unique([*parts, *await self._known(item, parts, standing)])
        users = await self._users(item, parts)
        planned = [
            Planned(p, ObjectState.KEPT, f"kept: {users[p.id]} still uses it")
            if p.id in users
            else Planned(p, ObjectState.PLANNED)
            for p in parts
        ]
        return [*planned, Planned(itself(item), ObjectState.PLANNED)]

    async def _standing(self, item: Tracked) -> set[str]:
        if item.kind is not Kind.RESPONSE:
            return set()
        return await self.registry.chains.standing(item.connection, {item.pk})

    async def _known(
        self, item: Tracked, parts: Sequence[ServerObject], standing: set[str]
    ) -> list[ServerObject]:
        """Responses the registry knows belong to the item, that the server did not list."""
        if item.kind is Kind.RESPONSE:
            ids = await self.registry.chains.older(item)
        elif item.kind is Kind.CONVERSATION:
            ids = await self.registry.responses.of(item)
        else:
            return []
        listed = {p.id for p in parts}
        return [
            ServerObject(ObjectKind.RESPONSE, i)
            for i in ids
            if i not in listed and i not in standing and i != item.id
        ]

    async def _users(self, item: Tracked, parts: Sequence[ServerObject]) -> Mapping[str, str]:
        """What else uses each shared part, said as who uses it.

        An assistant (the server says), or another tracked item whose archived messages
        have the file attached. When the server cannot say, every shared part is kept.
        """
        shared = [p for p in parts if p.kind in (ObjectKind.FILE, ObjectKind.VECTOR_STORE)]
        if not shared:
            return {}
        try:
            found: dict[str, str] = dict(await self.call(lambda: self.api.users(shared)))
        except EVERYWHERE:
            raise
        except ApiError as exc:
            unknown = f"perhaps an assistant (the server could not list them: {exc})"
            return {p.id: unknown for p in shared}
        files = [p.id for p in shared if p.kind is ObjectKind.FILE and p.id not in found]
        elsewhere = await self.registry.archive.attached_elsewhere(item, files)
        found.update({f: f"tracked item {other}" for f, other in elsewhere.items()})
        return found

    async def _batch(self, item: Tracked, batch: Sequence[Planned]) -> None:
        """Delete a batch of objects at once (those not done), then check each is gone.

        The batch is recorded ``requested`` in one write before its requests go out, and
        its outcomes in one write after. What ends the run (a stop, a connection-wide
        error) is raised once every request of the batch has ended and been recorded.
        """
        todo = [p for p in batch if p.state not in DONE]
        send = [p for p in todo if p.state is not ObjectState.DELETED]
        marks = self.registry.deletions
        await marks.mark_many(item, [(p.object, ObjectState.REQUESTED, "") for p in send])
        sent = await asyncio.gather(*(self._remove(p) for p in send), return_exceptions=True)
        said = {p.object: p.detail for p in todo if p not in send}
        failed: list[tuple[ServerObject, ObjectState, str]] = []
        ending: BaseException | None = None
        for planned, outcome in zip(send, sent, strict=True):
            if isinstance(outcome, str):
                said[planned.object] = outcome
            elif isinstance(outcome, ApiError) and not isinstance(outcome, EVERYWHERE):
                failed.append((planned.object, ObjectState.FAILED, str(outcome)))
            elif isinstance(outcome, BaseException):
                ending = ending or outcome
        checked = await asyncio.gather(*(self._check(o, d) for o, d in said.items()))
        await marks.mark_many(item, [*failed, *(c for c in checked if c is not None)])
        if ending is not None:
            raise ending
        if self._ended is not None:  # a connection-wide error in a check
            raise self._ended

    async def _remove(self, planned: Planned) -> str:
        """Send one delete; what it said (``GONE`` for a 404, else nothing)."""
        try:
            await self.call(lambda: self.api.remove(planned.object))
        except NotFound:
            return GONE  # checked like the rest
        return ""

    async def _check(
        self, obj: ServerObject, said: str
    ) -> tuple[ServerObject, ObjectState, str] | None:
        """Whether a deleted object is gone; its outcome (``None``: the run must end)."""
        try:
            present = await self.check(lambda: self.api.exists(obj))
        except EVERYWHERE as exc:
            self._ended = exc
            return None
        except ApiError as exc:
            return obj, ObjectState.FAILED, f"deleted; the check failed: {exc}"
        if present:
            return obj, ObjectState.STILL_THERE, STILL_THERE
        return obj, ObjectState.VERIFIED, said


def _unique(objects: Sequence[ServerObject]) -> list[ServerObject]:
    return list(dict.fromkeys(objects))
