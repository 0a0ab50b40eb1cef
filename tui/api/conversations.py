"""The Responses adapter: conversations, their items, and responses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from openai import AsyncOpenAI
from openai.types.responses import Response

from tui.api import convert
from tui.api.errors import Invalid, translate
from tui.api.polling import DEFAULT_BACKOFF, Backoff, parsed, poll
from tui.api.protocol import DEFAULT_PAGE, Tool
from tui.model import (
    Choice,
    Connection,
    HistoryPage,
    Kind,
    RemoteItem,
    RunStatus,
    StatusChanged,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolOutput,
    Turn,
    TurnCompleted,
    UsageReported,
)

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

    def events(self, raw: Any) -> list[StreamEvent]:
        """The events one raw stream event stands for."""
        kind: str = raw.type
        if kind in _STATUS_EVENTS:
            return self.status(raw.response)
        if kind == "response.output_text.delta":
            return [TextDelta(self.response_id, raw.item_id, raw.delta)]
        if kind == "response.output_item.done":
            turn = convert.conversation_item(raw.item)
            if raw.item.type == "function_call":
                self.calls.extend(turn.tool_calls)
            return [TurnCompleted(self.response_id, turn)]
        return []

    def status(self, response: Any) -> list[StreamEvent]:
        """The events a response object's status stands for."""
        self.response_id = response.id
        status = convert.run_status(response.status)
        events: list[StreamEvent] = []
        if status.is_terminal:
            usage = convert.run_usage(response.usage)
            if usage is not None:
                events.append(UsageReported(response.id, usage))
        if status is RunStatus.COMPLETED and self.calls:
            events.append(ToolCallsRequested(response.id, tuple(self.calls)))
            status = RunStatus.REQUIRES_ACTION
        self.last = status
        events.append(StatusChanged(response.id, status, convert.run_detail(response)))
        return events


def _finished(response: Any) -> bool:
    return convert.run_status(response.status).is_terminal


class ConversationsAdapter:
    """:class:`~tui.api.protocol.ConversationApi` over Responses conversations."""

    kind = Kind.CONVERSATION

    def __init__(
        self, client: AsyncOpenAI, connection: Connection, backoff: Backoff = DEFAULT_BACKOFF
    ) -> None:
        self.backoff = backoff
        self.client = client
        self.connection = connection
        self._conversations = client.conversations

    def _errors(self, item_id: str | None = None) -> Any:
        return translate(self.connection, self.kind, item_id)

    async def retrieve(self, item_id: str) -> RemoteItem:
        """The conversation as the server has it."""
        with self._errors(item_id):
            conv = await self._conversations.retrieve(item_id)
        return convert.remote_item(conv, self.kind)

    async def create(
        self, *, metadata: dict[str, str] | None = None, first_message: str | None = None
    ) -> RemoteItem:
        """Create a conversation, optionally with a first user message."""
        items: list[Any] = []
        if first_message:
            items.append({"type": "message", "role": "user", "content": first_message})
        with self._errors():
            conv = await self._conversations.create(items=items, metadata=metadata or {})
        return convert.remote_item(conv, self.kind)

    async def create_with_items(
        self, metadata: dict[str, str], items: Sequence[dict[str, Any]]
    ) -> RemoteItem:
        """Create a conversation holding ``items`` (at most 20, the API's limit)."""
        with self._errors():
            conv = await self._conversations.create(items=list(items), metadata=metadata)  # type: ignore[arg-type]
        return convert.remote_item(conv, self.kind)

    async def add_items(self, item_id: str, items: Sequence[dict[str, Any]]) -> None:
        """Append ``items`` (at most 20) to the conversation, in order."""
        with self._errors(item_id):
            await self._conversations.items.create(item_id, items=list(items))  # type: ignore[arg-type]

    async def count_items(self, item_id: str) -> int:
        """How many items the conversation holds (paging through them all)."""
        count = 0
        after: str | None = None
        with self._errors(item_id):
            while True:
                kwargs: dict[str, Any] = {"limit": 100, "order": "asc"}
                if after:
                    kwargs["after"] = after
                page = await self._conversations.items.list(item_id, **kwargs)
                count += len(page.data)
                if not page.has_more or not page.data:
                    return count
                after = page.data[-1].id

    async def update_metadata(self, item_id: str, metadata: dict[str, str]) -> RemoteItem:
        """Replace the conversation's metadata."""
        with self._errors(item_id):
            conv = await self._conversations.update(item_id, metadata=metadata)
        return convert.remote_item(conv, self.kind)

    async def delete(self, item_id: str) -> None:
        """Delete the conversation."""
        with self._errors(item_id):
            await self._conversations.delete(item_id)

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = DEFAULT_PAGE
    ) -> HistoryPage:
        """A page of items, oldest first, with the cursor of the page before it."""
        kwargs: dict[str, Any] = {"order": "desc", "limit": limit}
        if before:
            kwargs["after"] = before
        with self._errors(item_id):
            page = await self._conversations.items.list(item_id, **kwargs)
        return convert.history_page(page, convert.conversation_item)

    async def enrich(self, item_id: str, turns: Sequence[Turn]) -> list[Turn]:
        """Conversation items carry their tool calls already: nothing to add."""
        return list(turns)

    async def first_turn(self, item_id: str) -> Turn | None:
        """The oldest entry of the history."""
        with self._errors(item_id):
            page = await self._conversations.items.list(item_id, order="asc", limit=1)
        return convert.conversation_item(page.data[0]) if page.data else None

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
        items = [
            {"type": "function_call_output", "call_id": o.call_id, "output": o.output}
            for o in outputs
        ]
        async for event in self._respond(item_id, items, choice, tools):
            yield event

    async def _respond(
        self,
        item_id: str,
        input: Any,
        model: str,
        tools: Sequence[Tool],
        background: bool = False,
    ) -> AsyncIterator[StreamEvent]:
        follower = _ResponseFollower()
        extra: dict[str, Any] = {"background": True} if background else {}
        with self._errors(item_id):
            raw = await self.client.responses.with_raw_response.create(
                model=model,
                input=input,
                conversation=item_id,
                stream=not background,
                tools=[dict(t) for t in tools],  # type: ignore[misc]
                **extra,
            )
        if "event-stream" in raw.headers.get("content-type", ""):
            with translate(self.connection, self.kind, item_id, midstream=True):
                stream = await parsed(raw)
                async for event in stream:
                    for converted in follower.events(event):
                        yield converted
        else:
            with self._errors(item_id):
                response = Response.model_validate_json(await raw.http_response.aread())
            async for converted in self._poll(item_id, follower, response, raw.headers):
                yield converted
            return
        if follower.response_id and (follower.last is None or not follower.last.is_settled):
            with self._errors(item_id):
                response = await self.client.responses.retrieve(follower.response_id)
            for converted in follower.status(response):
                yield converted

    async def _poll(
        self, item_id: str, follower: _ResponseFollower, response: Any, headers: Any
    ) -> AsyncIterator[StreamEvent]:
        """A background (or unstreamed) response: poll it until it ends, then its output."""
        follower.response_id = response.id
        yield StatusChanged(response.id, convert.run_status(response.status))
        last = response.status

        async def fetch() -> Any:
            with self._errors(item_id):
                return await self.client.responses.with_raw_response.retrieve(response.id)

        if not convert.run_status(response.status).is_terminal:
            async for current in poll(fetch, _finished, self.backoff, headers):
                response = current
                if current.status != last and not _finished(current):
                    last = current.status
                    yield StatusChanged(current.id, convert.run_status(current.status))
        for item in response.output or []:
            turn = convert.conversation_item(item)
            if item.type == "function_call":
                follower.calls.extend(turn.tool_calls)
            yield TurnCompleted(response.id, turn)
        for event in follower.status(response):
            yield event

    async def cancel(self, item_id: str, run_id: str) -> RunStatus:
        """Ask the server to cancel a background response."""
        with self._errors(item_id):
            response = await self.client.responses.cancel(run_id)
        return convert.run_status(response.status)

    async def list_choices(self) -> list[Choice]:
        """The server's models."""
        with self._errors():
            page = await self.client.models.list()
        return [Choice(m.id, m.id, m.id) for m in page.data]

    async def create_choice(self, name: str, model: str, instructions: str) -> Choice:
        """Conversations answer from models: there is nothing to create."""
        raise Invalid("Conversations reply from a model; pick or type a model name instead.")

    async def active_run(self, item_id: str) -> str | None:
        """Responses do not block a conversation: there is never an active run to wait for."""
        return None
