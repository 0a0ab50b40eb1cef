"""The Chat Completions adapter: stored completions (``store: true``), read and kept.

A stored completion is its input messages (``GET /chat/completions/{id}/messages``) and
its reply (the choices of ``GET /chat/completions/{id}``): the history shows the messages,
oldest first, then the reply. Only metadata can change; nothing can be added to one.
Continuing one makes a new stored completion (:mod:`tui.ops.chat`), so ``send`` here
refuses, as does everything that belongs to runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from typing import Any

from openai import AsyncOpenAI

from tui.api import convert
from tui.api.convert import get
from tui.api.errors import Invalid, Unsupported, translate
from tui.api.learning import Learned, family
from tui.api.objects import ObjectCalls, Route
from tui.api.polling import Reply, reply
from tui.api.protocol import MESSAGE_PAGE, Tool
from tui.model import (
    Choice,
    Connection,
    HistoryPage,
    Kind,
    ObjectKind,
    RemoteItem,
    RunStatus,
    ServerObject,
    StreamEvent,
    ToolOutput,
    Turn,
)

NO_ADDING = (
    "A stored completion cannot take more messages: nothing can be added to one once the "
    "model has answered."
)
API = "stored completions"  # the API family of this adapter's requests, in ``learned``
MAX_REMEMBERED = 10_000  # completion times kept, for the pages of their messages


class CompletionsAdapter:
    """:class:`~tui.api.protocol.ConversationApi` over stored chat completions."""

    kind = Kind.COMPLETION

    def __init__(self, client: AsyncOpenAI, connection: Connection) -> None:
        self.client = client
        self.connection = connection
        self.learned: Learned = {}
        self._raw = client.chat.completions.with_raw_response
        self._created: dict[str, object] = {}  # a completion's time: its messages carry none
        route = Route(lambda o: self._raw.delete(o.id), lambda o: self._raw.retrieve(o.id), API)
        self._objects = ObjectCalls(
            connection,
            {ObjectKind.COMPLETION: route},
            holder="Stored completions",
            learned=self.learned,
        )

    def _errors(self, item_id: str | None = None) -> Any:
        return translate(self.connection, self.kind, item_id)

    async def _reply(self, call: Callable[[], Awaitable[Any]], item_id: str | None) -> Reply:
        with family(self.learned, API):
            return await reply(call, self._errors(item_id), self.connection)

    async def completion(self, item_id: str) -> Reply:
        """The stored completion's own reply (its time is remembered)."""
        found = await self._reply(lambda: self._raw.retrieve(item_id), item_id)
        if len(self._created) >= MAX_REMEMBERED:
            self._created.clear()
        self._created[item_id] = found.read(lambda body: get(body, "created"))
        return found

    async def _time_of(self, item_id: str) -> object:
        """The completion's time, fetched once."""
        if item_id not in self._created:
            await self.completion(item_id)
        return self._created[item_id]

    async def retrieve(self, item_id: str) -> RemoteItem:
        """The stored completion as the server has it."""
        found = await self.completion(item_id)
        return found.read(lambda body: convert.completion_item(body, item_id))

    async def create(
        self, *, metadata: dict[str, str] | None = None, first_message: str | None = None
    ) -> RemoteItem:
        """A stored completion is made by a reply from a model: there is no empty one."""
        raise Invalid(
            "A stored completion is made when a model answers a message with store: true; "
            "there is no empty one to create. Create a conversation, or continue a stored "
            "completion."
        )

    async def update_metadata(self, item_id: str, metadata: dict[str, str]) -> RemoteItem:
        """Replace the stored completion's metadata."""
        done = await self._reply(lambda: self._raw.update(item_id, metadata=metadata), item_id)
        return done.read(lambda body: convert.completion_item(body, item_id))

    async def delete(
        self, item_id: str, *, standing: Collection[str] = (), older: Collection[str] = ()
    ) -> None:
        """Delete the stored completion."""
        with self._errors(item_id):
            await self._raw.delete(item_id)

    async def parts(
        self, item_id: str, *, keep: Collection[str] = (), files: bool = False
    ) -> list[ServerObject]:
        """A stored completion is one object: nothing is deleted before it."""
        return []

    async def remove(self, obj: ServerObject) -> None:
        """Delete a stored completion."""
        await self._objects.remove(obj)

    async def exists(self, obj: ServerObject) -> bool:
        """Whether the server still gives the stored completion (404: no)."""
        return await self._objects.exists(obj)

    async def users(self, objects: Sequence[ServerObject]) -> dict[str, str]:
        """Nothing else on the server uses a stored completion."""
        return {}

    async def messages_page(self, item_id: str, params: dict[str, Any]) -> Reply:
        """One page of the stored input messages."""
        return await self._reply(lambda: self._raw.messages.list(item_id, **params), item_id)

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = MESSAGE_PAGE
    ) -> HistoryPage:
        """A page of input messages, oldest first; the newest page ends with the reply."""
        params: dict[str, Any] = {"order": "desc", "limit": limit}
        if before:
            params["after"] = before
        page = await self.messages_page(item_id, params)
        if before:
            created = await self._time_of(item_id)
            return page.read(lambda body: convert.history_page(body, _dated(created)))
        found = await self.completion(item_id)
        replies = found.read(convert.completion_replies)
        created = self._created[item_id]
        listed = page.read(lambda body: convert.history_page(body, _dated(created)))
        return HistoryPage((*listed.turns, *replies), listed.older_cursor)

    async def enrich(self, item_id: str, turns: Sequence[Turn]) -> list[Turn]:
        """Stored messages carry their tool calls already: nothing to add."""
        return list(turns)

    async def first_turn(self, item_id: str) -> Turn | None:
        """The oldest entry of the history."""
        first = await self.oldest(item_id, limit=1)
        return first[0] if first else None

    async def oldest(self, item_id: str, *, limit: int = MESSAGE_PAGE) -> tuple[Turn, ...]:
        """The oldest ``limit`` entries: the first messages (the reply, when they are all)."""
        page = await self.messages_page(item_id, {"order": "asc", "limit": limit})
        found = await self.completion(item_id)
        created = self._created[item_id]
        data = page.read(convert.list_data)
        turns = page.read(lambda _: tuple(_dated(created)(entry) for entry in data))
        if len(turns) >= limit or get(page.body, "has_more") in (True, "true"):
            return turns[:limit]
        return (*turns, *found.read(convert.completion_replies))[:limit]

    async def send(
        self,
        item_id: str,
        text: str,
        *,
        choice: str,
        tools: Sequence[Tool] = (),
        background: bool = False,
    ) -> AsyncIterator[StreamEvent]:
        """Continue it: a new stored completion with its whole history, then ``text``.

        The events start with :class:`~tui.model.Continued` naming the new completion;
        function tools are not offered (their outputs would need a continuation each).
        """
        from tui.api.continuing import continue_completion

        async for event in continue_completion(self, item_id, text, choice):
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
        """Nothing can be added to a stored completion."""
        raise Unsupported(NO_ADDING)
        yield  # an async generator, as the protocol's callers iterate it

    async def cancel(self, item_id: str, run_id: str) -> RunStatus:
        """A stored completion is finished: there is nothing to cancel."""
        return RunStatus.COMPLETED

    async def list_choices(self) -> list[Choice]:
        """The server's models."""
        page = await self._reply(lambda: self.client.models.with_raw_response.list(), None)
        return page.read(convert.model_choices)

    async def create_choice(self, name: str, model: str, instructions: str) -> Choice:
        """Completions answer from models: there is nothing to create."""
        raise Invalid("Stored completions reply from a model; pick or type a model name instead.")

    async def active_run(self, item_id: str) -> str | None:
        """A stored completion never has a run in progress."""
        return None


def _dated(created: object) -> Callable[[Any], Turn]:
    """Read listed messages with the completion's time (messages carry none)."""

    def read(entry: Any) -> Turn:
        return convert.chat_message(entry, created=created)

    return read
