"""The Responses adapter: conversations, their items, and responses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import nullcontext
from typing import Any, TypeVar

import httpx2
from openai import AsyncOpenAI

from tui.api import convert
from tui.api.convert import get
from tui.api.errors import (
    ApiGone,
    BadShape,
    Invalid,
    NotFound,
    ServerError,
    Unreadable,
    Unsupported,
    readable,
    translate,
)
from tui.api.learning import PLAIN_REPLY, STREAMING, Learned, family, feature
from tui.api.objects import ObjectCalls, Route
from tui.api.paging import WIDEST, every_entry
from tui.api.polling import DEFAULT_BACKOFF, Backoff, Reply, poll, reply, route_of, stream_events
from tui.api.protocol import MESSAGE_PAGE, Tool
from tui.api.sending import send_refused_again, sending_once
from tui.model import (
    Choice,
    Connection,
    HistoryPage,
    Kind,
    ObjectKind,
    RemoteItem,
    RunStatus,
    ServerObject,
    StatusChanged,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolOutput,
    Turn,
    TurnCompleted,
    TurnKind,
    UsageReported,
)

API = "conversations"  # the API family of this adapter's requests, in ``learned``
LIST_PAGES = 20  # pages of 100 conversations read when looking one up by its metadata
_CANNOT_LIST = (NotFound, Unsupported, ApiGone, Invalid, Unreadable)  # no list route
T = TypeVar("T")
_STATUS_EVENTS = {
    "response.created",
    "response.queued",
    "response.in_progress",
    "response.completed",
    "response.failed",
    "response.incomplete",
}


class _ResponseFollower:
    """Turns one response's stream events into :mod:`tui.model` stream events."""

    def __init__(self) -> None:
        self.response_id = ""
        self.calls: list[ToolCall] = []
        self.last: RunStatus | None = None
        self.done: set[str] = set()  # IDs of the output items already completed

    def events(self, kind: str, data: Any) -> list[StreamEvent]:
        """The events one named stream event stands for; unknown or unreadable ones are none."""
        try:
            return self._events(kind, data)
        except BadShape:
            return []  # the final status is fetched when the stream does not give it

    def _events(self, kind: str, data: Any) -> list[StreamEvent]:
        if kind in _STATUS_EVENTS:
            return self.status(get(data, "response"))
        if kind == "response.output_text.delta":
            delta = convert.text(get(data, "delta")) or ""
            item_id = convert.optional_ident(data, "item_id") or ""
            return [TextDelta(self.response_id, item_id, delta)] if delta else []
        if kind == "response.output_item.done":
            return self.item(get(data, "item"))
        return []

    def item(self, item: Any) -> list[StreamEvent]:
        """A finished output item, once (a function call is kept to request its output)."""
        turn = convert.conversation_item(item)
        if turn.id and turn.id in self.done:
            return []
        self.done.add(turn.id)
        if turn.kind is TurnKind.TOOL_CALL:
            self.calls.extend(turn.tool_calls)
        return [TurnCompleted(self.response_id, turn)]

    def status(self, response: Any) -> list[StreamEvent]:
        """The events a response object's status stands for."""
        self.response_id = convert.ident(convert.obj_of(response, "response"))
        status = convert.run_status(get(response, "status"))
        events: list[StreamEvent] = []
        if status.is_terminal:
            usage = convert.run_usage(get(response, "usage"))
            if usage is not None:
                events.append(UsageReported(self.response_id, usage))
        if status is RunStatus.COMPLETED and self.calls:
            events.append(ToolCallsRequested(self.response_id, tuple(self.calls)))
            status = RunStatus.REQUIRES_ACTION
        self.last = status
        events.append(StatusChanged(self.response_id, status, convert.run_detail(response)))
        return events


def output_items(outputs: Sequence[ToolOutput]) -> list[dict[str, str]]:
    """Tool outputs as the ``function_call_output`` input items that answer their calls."""
    return [
        {"type": "function_call_output", "call_id": o.call_id, "output": o.output} for o in outputs
    ]


def _finished(response: Any) -> bool:
    return convert.run_status(get(response, "status")).is_terminal


def item_key(entry: Any) -> tuple[str, str]:
    """A listed conversation item's ID, checked (``BadShape`` when it has none usable)."""
    item_id = convert.ident(convert.obj_of(entry, "item"))
    return item_id, item_id


class ConversationsAdapter:
    """:class:`~tui.api.protocol.ConversationApi` over Responses conversations."""

    kind = Kind.CONVERSATION

    def __init__(
        self, client: AsyncOpenAI, connection: Connection, backoff: Backoff = DEFAULT_BACKOFF
    ) -> None:
        self.backoff = backoff
        self.client = client
        self.connection = connection
        self.learned: Learned = {}  # what this server was found to offer or refuse
        self._conversations = client.conversations
        self._raw = client.conversations.with_raw_response
        self._responses = client.responses.with_raw_response
        once = sending_once(client)  # what creates is never resent blindly by the SDK
        self._create = once.conversations.with_raw_response
        self._respond_once = once.responses.with_raw_response
        self._resends = client.max_retries
        self.skipped = 0  # entries the last ``parts`` could not read (and left out)
        self._objects = ObjectCalls(
            connection,
            self._object_routes(),
            holder=f"{self.kind.noun.capitalize()}s",
            learned=self.learned,
        )

    def _object_routes(self) -> dict[ObjectKind, Route]:
        """How each kind of object of a deep delete is deleted and fetched."""
        items = self._raw.items
        return {
            ObjectKind.CONVERSATION: Route(
                lambda o: self._raw.delete(o.id), lambda o: self._raw.retrieve(o.id), API
            ),
            ObjectKind.CONVERSATION_ITEM: Route(
                lambda o: items.delete(o.id, conversation_id=o.parent),
                lambda o: items.retrieve(o.id, conversation_id=o.parent),
                API,
            ),
            ObjectKind.RESPONSE: Route(
                lambda o: self._responses.delete(o.id),
                lambda o: self._responses.retrieve(o.id),
                API,
            ),
        }

    async def _once(self, call: Callable[[], Awaitable[T]]) -> T:
        """A creating call, sent again only when the server refused it unprocessed."""
        return await send_refused_again(call, self._resends)

    def _errors(self, item_id: str | None = None) -> Any:
        return translate(self.connection, self.kind, item_id)

    async def _reply(self, call: Callable[[], Awaitable[Any]], item_id: str | None) -> Reply:
        with family(self.learned, API):
            return await reply(call, self._errors(item_id), self.connection)

    def _item(self, body: Any) -> RemoteItem:
        return convert.remote_item(body, self.kind)

    async def retrieve(self, item_id: str) -> RemoteItem:
        """The conversation as the server has it."""
        found = await self._reply(lambda: self._raw.retrieve(item_id), item_id)
        return found.read(lambda body: convert.remote_item(body, self.kind, item_id))

    async def create(
        self, *, metadata: dict[str, str] | None = None, first_message: str | None = None
    ) -> RemoteItem:
        """Create a conversation, optionally with a first user message."""
        items: list[Any] = []
        if first_message:
            items.append({"type": "message", "role": "user", "content": first_message})
        return await self.create_with_items(metadata or {}, items)

    async def create_with_items(
        self, metadata: dict[str, str], items: Sequence[dict[str, Any]]
    ) -> RemoteItem:
        """Create a conversation holding ``items`` (at most 20, the API's limit)."""
        made = await self._reply(
            lambda: self._once(
                lambda: self._create.create(items=list(items), metadata=metadata)  # type: ignore[arg-type]  # SDK TypedDicts
            ),
            None,
        )
        return made.read(self._item)

    async def add_items(self, item_id: str, items: Sequence[dict[str, Any]]) -> None:
        """Append ``items`` (at most 20) to the conversation, in order (sent once)."""
        with self._errors(item_id):
            await self._once(
                lambda: self._create.items.create(item_id, items=list(items))  # type: ignore[arg-type]  # SDK TypedDicts
            )

    async def find_by_metadata(self, key: str, values: Collection[str]) -> list[RemoteItem] | None:
        """The conversations whose metadata ``key`` holds one of ``values``, newest first.

        ``None`` when the server cannot list conversations (the Responses API has no such
        route; some compatible servers do). Reads at most ``LIST_PAGES`` pages, newest
        first (what a recent create made is on the first).
        """
        found: list[RemoteItem] = []
        cursor: str | None = None
        try:
            for _ in range(LIST_PAGES):
                page = await self._list_page(cursor)
                data = page.read(convert.list_data)
                items = [item for entry in data if (item := self._listed(entry)) is not None]
                found += [i for i in items if i.metadata.get(key) in values]
                last = items[-1].id if items else None
                if not get(page.body, "has_more") or last is None or last == cursor:
                    return found
                cursor = last
        except _CANNOT_LIST:
            return None
        return found

    def _listed(self, entry: Any) -> RemoteItem | None:
        """A listed conversation; ``None`` for one that cannot be read (the rest still can)."""
        try:
            return self._item(entry)
        except BadShape:
            return None

    async def _list_page(self, cursor: str | None) -> Reply:
        params: dict[str, Any] = {"limit": 100, "order": "desc"}
        if cursor:
            params["after"] = cursor
        with self._errors():
            response = await self.client.get(
                "/conversations", cast_to=httpx2.Response, options={"params": params}
            )
        return Reply(self.connection, "GET /conversations", response.headers, response.content)

    async def update_metadata(self, item_id: str, metadata: dict[str, str]) -> RemoteItem:
        """Replace the conversation's metadata."""
        done = await self._reply(lambda: self._raw.update(item_id, metadata=metadata), item_id)
        return done.read(lambda body: convert.remote_item(body, self.kind, item_id))

    async def delete(
        self, item_id: str, *, standing: Collection[str] = (), older: Collection[str] = ()
    ) -> None:
        """Delete the conversation."""
        with self._errors(item_id):
            await self._raw.delete(item_id)

    async def parts(
        self, item_id: str, *, keep: Collection[str] = (), files: bool = False
    ) -> list[ServerObject]:
        """The conversation's items, oldest first, from every page of its list.

        An item that cannot be read (no ID, or one that is not an ID) is left out and
        counted in :attr:`skipped`: deleting the conversation deletes it on the server.
        ``NotFound`` when the conversation is gone.
        """

        async def page(after: str | None) -> Reply:
            params: dict[str, Any] = {"order": "asc", "limit": WIDEST}
            if after is not None:
                params["after"] = after
            return await self._reply(lambda: self._raw.items.list(item_id, **params), item_id)

        listed = await every_entry(page, item_key)
        self.skipped = listed.unreadable
        return [
            ServerObject(ObjectKind.CONVERSATION_ITEM, found, parent=item_id)
            for found in listed.found
        ]

    async def remove(self, obj: ServerObject) -> None:
        """Delete a conversation, one of its items, or a response."""
        await self._objects.remove(obj)

    async def exists(self, obj: ServerObject) -> bool:
        """Whether the server still gives the conversation, item or response (404: no)."""
        return await self._objects.exists(obj)

    async def users(self, objects: Sequence[ServerObject]) -> dict[str, str]:
        """Nothing else on the server is known to use a conversation's objects."""
        return {}

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = MESSAGE_PAGE
    ) -> HistoryPage:
        """A page of items, oldest first, with the cursor of the page before it."""
        kwargs: dict[str, Any] = {"order": "desc", "limit": limit}
        if before:
            kwargs["after"] = before
        page = await self._reply(lambda: self._raw.items.list(item_id, **kwargs), item_id)
        return page.read(lambda body: convert.history_page(body, convert.conversation_item))

    async def enrich(self, item_id: str, turns: Sequence[Turn]) -> list[Turn]:
        """Conversation items carry their tool calls already: nothing to add."""
        return list(turns)

    async def first_turn(self, item_id: str) -> Turn | None:
        """The oldest entry of the history."""
        first = await self.oldest(item_id, limit=1)
        return first[0] if first else None

    async def oldest(self, item_id: str, *, limit: int = MESSAGE_PAGE) -> tuple[Turn, ...]:
        """The oldest ``limit`` entries, in the order the server sent them (asked oldest first)."""
        page = await self._reply(
            lambda: self._raw.items.list(item_id, order="asc", limit=limit), item_id
        )
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
        """Create a response in the conversation: streamed, or in the background and polled."""
        async for event in self._respond(item_id, text, choice, tools, background):
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
        """Send the outputs as ``function_call_output`` items and stream the reply."""
        async for event in self._respond(item_id, output_items(outputs), choice, tools):
            yield event

    async def _respond(
        self,
        item_id: str,
        input: Any,
        model: str,
        tools: Sequence[Tool],
        background: bool = False,
        *,
        context: dict[str, str] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Create the response; follow its stream, or poll it when the server sent JSON.

        ``context`` is what the response continues: the conversation ``item_id`` unless
        told otherwise (a chain's ``previous_response_id``).
        """
        follower = _ResponseFollower()
        extra: dict[str, Any] = {"background": True} if background else {}
        extra |= context if context is not None else {"conversation": item_id}
        refused = (Unsupported, Invalid)
        noting = feature(self.learned, "background", refused) if background else nullcontext()
        with noting, self._errors(item_id):
            raw = await self._once(
                lambda: self._respond_once.create(
                    model=model,
                    input=input,
                    stream=not background,
                    tools=[dict(t) for t in tools],  # type: ignore[misc]  # SDK TypedDicts
                    **extra,
                )
            )
        streamed = "event-stream" in raw.headers.get("content-type", "")
        if not background:
            self.learned[STREAMING] = (streamed, "" if streamed else PLAIN_REPLY)
        if streamed:
            async for converted in self._follow(item_id, follower, raw):
                yield converted
            return
        with self._errors(item_id):
            content = await raw.http_response.aread()
        first = Reply(self.connection, route_of(raw), raw.headers, content)
        async for converted in self._poll(item_id, follower, first.parse(), first):
            yield converted

    async def _follow(
        self, item_id: str, follower: _ResponseFollower, raw: Any
    ) -> AsyncIterator[StreamEvent]:
        """The response's events as they stream.

        A stream that ends before the response does ends with the response fetched (and
        polled while it runs), or with a clear error when no response was named.
        """
        with translate(self.connection, self.kind, item_id, midstream=True):
            async for name, data in stream_events(raw, self.connection, self.backoff.total):
                for converted in follower.events(name, data):
                    yield converted
        if follower.last is not None and follower.last.is_settled:
            return
        if not follower.response_id:
            raise ServerError(
                f"{self.connection.base_url} ended the reply's event stream before it said "
                "which response it was. The reply may still be on its way: press r in a "
                "moment to load what the server kept."
            )
        found = await self._fetch_response(item_id, follower.response_id)
        async for converted in self._poll(item_id, follower, found.parse(), found):
            yield converted

    async def _fetch_response(self, item_id: str, response_id: str) -> Reply:
        return await self._reply(lambda: self._responses.retrieve(response_id), item_id)

    async def _poll(
        self, item_id: str, follower: _ResponseFollower, response: Any, first: Reply
    ) -> AsyncIterator[StreamEvent]:
        """A background (or unstreamed) response: poll it until it ends, then its output."""
        route = first.route
        with readable(self.connection, route):
            follower.response_id = convert.ident(convert.obj_of(response, "response"))
        response_id = follower.response_id
        yield StatusChanged(response_id, convert.run_status(get(response, "status")))
        last = get(response, "status")
        if not _finished(response):

            async def fetch() -> Reply:
                return await self._fetch_response(item_id, response_id)

            async for current in poll(fetch, _finished, self.backoff, first.headers):
                response = current
                if get(current, "status") != last and not _finished(current):
                    last = get(current, "status")
                    yield StatusChanged(response_id, convert.run_status(last))
            route = f"GET /responses/{response_id}"
        with readable(self.connection, route):
            events = [
                event
                for item in convert.items_of(get(response, "output"), "output")
                for event in follower.item(item)
            ]
            events += follower.status(response)
        for event in events:
            yield event

    async def cancel(self, item_id: str, run_id: str) -> RunStatus:
        """Ask the server to cancel a background response."""
        done = await self._reply(lambda: self._responses.cancel(run_id), item_id)
        return done.read(lambda body: convert.run_status(get(body, "status")))

    async def list_choices(self) -> list[Choice]:
        """The server's models."""
        page = await self._reply(lambda: self.client.models.with_raw_response.list(), None)
        return page.read(convert.model_choices)

    async def create_choice(self, name: str, model: str, instructions: str) -> Choice:
        """Conversations answer from models: there is nothing to create."""
        raise Invalid("Conversations reply from a model; pick or type a model name instead.")

    async def active_run(self, item_id: str) -> str | None:
        """Responses do not block a conversation: there is never an active run to wait for."""
        return None
