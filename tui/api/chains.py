"""The response-chain adapter: responses linked by ``previous_response_id``.

A chain is tracked under its newest response. Its history is that response's input items
(``GET /responses/{id}/input_items``), then its output. Servers differ in what those input
items hold: OpenAI, llama-stack and the emulator keep the whole context a chained response
started from (every earlier input and output), so the newest response alone holds the
chain; a server that keeps only each response's own input is read by walking back through
``previous_response_id``, one response per page. Which of the two a server does is told
where the newest response's own input ends: when the response before it begins with the
same item, the context was inherited and there is nothing older to read.

A link that is gone (expired, made with ``store: false``, deleted) ends the history with a
named gap. A reply continues the chain from its newest response (the item then takes the
new response's ID: :class:`~tui.model.Continued`); a fork is a chain opened at an older
response and continued from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from tui.api import convert
from tui.api.conversations import ConversationsAdapter, output_items
from tui.api.convert import get
from tui.api.errors import Invalid, NotFound, Unreadable, Unsupported
from tui.api.listing import WIDEST
from tui.api.objects import Route
from tui.api.polling import Reply
from tui.api.protocol import MESSAGE_PAGE, Tool
from tui.model import (
    Choice,
    Continued,
    HistoryPage,
    Kind,
    ObjectKind,
    Part,
    RemoteItem,
    ServerObject,
    StatusChanged,
    StreamEvent,
    ToolOutput,
    Turn,
    TurnKind,
)

MAX_CHAIN = 100_000  # responses a deletion walks back through, at most
NO_METADATA_EDIT = (
    "The Responses API cannot change a stored response's metadata once it is made. Tags and "
    "notes are local and can be edited; metadata goes on the next response (continue the "
    "chain from code with metadata=...)."
)
NO_CREATE = (
    "A response chain starts with a response: create a conversation, or send a response "
    "from code and import its resp_… ID."
)


@dataclasses.dataclass(frozen=True, slots=True)
class Cursor:
    """Where an older page of a chain starts: a response, and within its input items."""

    response_id: str
    after: str | None = None  # the oldest input item already shown (None: a new response)
    previous: str | None = None  # the response before it, once known

    def __str__(self) -> str:
        return " ".join((self.response_id, self.after or "-", self.previous or "-"))

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor a page handed out (its three parts, ``-`` for none)."""
        response_id, after, previous = ([*text.split(" "), "-", "-"])[:3]
        return cls(response_id, _part(after), _part(previous))


def _part(text: str) -> str | None:
    return None if text == "-" else text


def outputs(body: Any) -> tuple[Turn, ...]:
    """A response's output items as turns (its time, its ID as their run; usage on the last)."""
    response_id = convert.ident(body, prefix=Kind.RESPONSE.stem)
    created = convert.timestamp(get(body, "created_at"))
    turns = [
        dataclasses.replace(
            convert.conversation_item(item),
            run_id=response_id,
            created_at=created,
        )
        for item in convert.items_of(get(body, "output"), "output")[: convert.MAX_PARTS]
    ]
    usage = convert.run_usage(get(body, "usage"))
    if turns and usage is not None:
        turns[-1] = dataclasses.replace(turns[-1], usage=usage)
    return tuple(turns)


def gap(response_id: str) -> Turn:
    """The entry that stands for a link of the chain the server no longer has."""
    said = (
        f"{response_id} is no longer on the server (it expired, was made with store: false, "
        "or was deleted): the chain before it cannot be read."
    )
    return Turn(id=response_id, role="system", kind=TurnKind.OTHER, parts=(Part("gap", said),))


def _listed(body: Any, asked: int) -> tuple[tuple[Turn, ...], str | None]:
    """A newest-first page of input items: its turns oldest first, and where to go on.

    The item to go on after is given when more may be left: ``has_more`` says so, or the
    page is full and the server omits ``has_more``.
    """
    data = convert.list_data(body)
    turns = tuple(convert.conversation_item(entry) for entry in reversed(data))
    more = get(body, "has_more")
    if not data or not (more in (True, "true") or (more is None and len(data) >= asked)):
        return turns, None
    return turns, convert.optional_ident(data[-1], "id") or convert.optional_ident(body, "last_id")


def _same(one: Turn, other: Turn) -> bool:
    """Whether two input items are the same item (by ID, else by role and text)."""
    if one.id and other.id:
        return one.id == other.id
    return (one.role, one.text) == (other.role, other.text)


class ChainsAdapter(ConversationsAdapter):
    """:class:`~tui.api.protocol.ConversationApi` over response chains."""

    kind = Kind.RESPONSE

    def _object_routes(self) -> dict[ObjectKind, Route]:
        """A chain's objects are its responses."""
        routes = super()._object_routes()
        return {ObjectKind.RESPONSE: routes[ObjectKind.RESPONSE]}

    async def response(self, response_id: str, item_id: str | None = None) -> Reply:
        """One stored response."""
        return await self._reply(lambda: self._responses.retrieve(response_id), item_id)

    async def retrieve(self, item_id: str) -> RemoteItem:
        """The chain's newest response."""
        found = await self.response(item_id, item_id)
        return found.read(lambda body: convert.response_item(body, item_id))

    async def create(
        self, *, metadata: dict[str, str] | None = None, first_message: str | None = None
    ) -> RemoteItem:
        """A chain is made by a response: there is no empty one."""
        raise Invalid(NO_CREATE)

    async def update_metadata(self, item_id: str, metadata: dict[str, str]) -> RemoteItem:
        """Stored responses keep the metadata they were made with."""
        raise Unsupported(NO_METADATA_EDIT)

    async def delete(
        self, item_id: str, *, standing: Collection[str] = (), older: Collection[str] = ()
    ) -> None:
        """Delete every stored response of the chain (see :meth:`delete_chain`)."""
        await self.delete_chain(item_id, standing, older)

    async def delete_chain(
        self, item_id: str, standing: Collection[str] = (), older: Collection[str] = ()
    ) -> int:
        """Delete the chain's responses, newest first; the number deleted.

        The walk back through ``previous_response_id`` stops at a response another chain
        stands on (``standing``: kept, with every response before it), at the first
        response, or at a link already gone. Then each of ``older`` (responses of the chain
        the registry knows, oldest first) the walk did not reach is deleted the same way:
        a server that keeps no ``previous_response_id`` leaves them to this. ``NotFound``
        when the newest response itself is gone.
        """
        done: set[str] = set()
        await self._delete_back(item_id, item_id, standing, done)
        for response_id in reversed(list(older)):
            if response_id not in done and response_id not in standing:
                with contextlib.suppress(NotFound):
                    await self._delete_back(response_id, item_id, standing, done)
        return len(done)

    async def _delete_back(
        self, start: str, item_id: str, standing: Collection[str], done: set[str]
    ) -> None:
        """Delete ``start`` and the responses before it, adding each to ``done``.

        Errors of ``start`` itself are raised; an older link gone or failing ends the walk.
        """
        async for current in self._walk_back(start, item_id, standing, done):
            with self._errors(item_id):
                try:
                    await self._responses.delete(current)
                except Exception:
                    if current == start:
                        raise
                    return  # an older link deleted meanwhile: the chain is gone from here
            done.add(current)

    async def _walk_back(
        self, start: str, item_id: str, *stops: Collection[str]
    ) -> AsyncIterator[str]:
        """``start`` and the stored responses before it, newest first.

        Each is fetched before it is given, and its ``previous_response_id`` read before the
        next is asked for. The walk ends before a response in one of ``stops`` (read as it
        goes: a caller may add to one), at the first response, at a link gone (``NotFound``
        of ``start`` itself is raised), at a link that cannot be read (counted in
        :attr:`skipped`), or after ``MAX_CHAIN`` responses.
        """
        current: str | None = start
        walked: set[str] = set()
        while current and current not in walked and not any(current in s for s in stops):
            if len(walked) >= MAX_CHAIN:
                return
            try:
                found = await self.response(current, item_id)
            except NotFound:
                if current == start:
                    raise
                return
            walked.add(current)
            try:
                previous = found.read(convert.previous_of)
            except Unreadable:
                if current == start:
                    raise
                self.skipped += 1
                previous = None
            yield current
            current = previous

    async def parts(
        self, item_id: str, *, keep: Collection[str] = (), files: bool = False
    ) -> list[ServerObject]:
        """The chain's stored responses older than ``item_id``, newest first.

        Walked back through ``previous_response_id``; the walk stops before a response in
        ``keep`` (it and every response before it stay), and at a link gone. A server that
        keeps no ``previous_response_id`` gives none: the registry knows those responses.
        ``NotFound`` when ``item_id`` itself is gone.
        """
        self.skipped = 0
        walked = [found async for found in self._walk_back(item_id, item_id, keep)]
        return [ServerObject(ObjectKind.RESPONSE, found) for found in walked[1:]]

    async def _input_page(self, response_id: str, item_id: str, **params: Any) -> Reply:
        return await self._reply(
            lambda: self._responses.input_items.list(response_id, **params), item_id
        )

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = MESSAGE_PAGE
    ) -> HistoryPage:
        """A page of the chain, oldest first, with the cursor of the page before it.

        Input items are asked for as widely as the API allows: some servers (llama-stack)
        never say whether more are left, so only a page that is not full is known to be
        the last.
        """
        if before is not None and " " not in before:
            return HistoryPage((), None)  # a probe past the oldest page: nothing is older
        cursor = Cursor.parse(before) if before else Cursor(item_id)
        params: dict[str, Any] = {"order": "desc", "limit": max(limit, WIDEST)}
        own: tuple[Turn, ...] = ()
        previous = cursor.previous
        if cursor.after is None:
            try:
                found, page = await asyncio.gather(
                    self.response(cursor.response_id, item_id),
                    self._input_page(cursor.response_id, item_id, **params),
                )
            except NotFound:
                if cursor.response_id == item_id:
                    raise
                return HistoryPage((gap(cursor.response_id),), None)
            own = found.read(outputs)
            previous = found.read(convert.previous_of)
        else:
            params["after"] = cursor.after
            page = await self._input_page(cursor.response_id, item_id, **params)
        listed, after = page.read(lambda body: _listed(body, params["limit"]))
        turns = (*listed, *own)
        if after is not None:
            return HistoryPage(turns, str(Cursor(cursor.response_id, after, previous)))
        if previous is None:
            return HistoryPage(turns, None)
        inherited = listed and await self._begins_with(previous, listed[0], item_id)
        return HistoryPage(turns, None if inherited else str(Cursor(previous)))

    async def _begins_with(self, response_id: str, first: Turn, item_id: str) -> bool:
        """Whether ``response_id``'s input begins with ``first`` (its context was inherited)."""
        try:
            page = await self._input_page(response_id, item_id, order="asc", limit=1)
        except NotFound:
            return False  # the link is gone: the next page says so
        data = page.read(convert.list_data)
        oldest = page.read(lambda _: [convert.conversation_item(entry) for entry in data[:1]])
        return bool(oldest) and _same(oldest[0], first)

    async def oldest(self, item_id: str, *, limit: int = MESSAGE_PAGE) -> tuple[Turn, ...]:
        """The oldest input items the newest response holds (all of the chain's, mostly)."""
        page = await self._input_page(item_id, item_id, order="asc", limit=limit)
        data = page.read(convert.list_data)
        return page.read(lambda _: tuple(convert.conversation_item(entry) for entry in data))

    async def send(
        self,
        item_id: str,
        text: str,
        *,
        choice: str,
        tools: Sequence[Tool] = (),
        background: bool = False,
    ) -> AsyncIterator[StreamEvent]:
        """Continue the chain from ``item_id``: the reply's response becomes its newest."""
        context = {"previous_response_id": item_id}
        events = self._respond(item_id, text, choice, tools, background, context=context)
        async for event in _announced(item_id, events):
            yield event

    async def submit_tool_outputs(
        self,
        item_id: str,
        run_id: str,
        outputs: Sequence[ToolOutput],
        *,
        choice: str,
        tools: Sequence[Tool] = (),
    ) -> AsyncIterator[StreamEvent]:
        """Answer the calls of response ``run_id`` in a response that continues it."""
        context = {"previous_response_id": run_id}
        events = self._respond(item_id, output_items(outputs), choice, tools, context=context)
        async for event in _announced(run_id, events):
            yield event

    async def create_choice(self, name: str, model: str, instructions: str) -> Choice:
        """Responses answer from models: there is nothing to create."""
        raise Invalid("Response chains reply from a model; pick or type a model name instead.")


async def _announced(
    previous: str, events: AsyncIterator[StreamEvent]
) -> AsyncIterator[StreamEvent]:
    """The events, with :class:`~tui.model.Continued` before the first naming the response."""
    announced = False
    async for event in events:
        if not announced and isinstance(event, StatusChanged) and event.run_id:
            announced = True
            made = RemoteItem(event.run_id, Kind.RESPONSE, datetime.now(UTC))
            yield Continued(event.run_id, made, previous)
        yield event
