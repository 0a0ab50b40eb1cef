"""Continuing a stored completion: a new stored completion holding its whole history.

Nothing can be added to a stored completion, so the conversation goes on in a new one: its
input messages and its reply, then the user's message, sent with ``store: true`` and the
metadata of the one it continues plus ``continues: <its ID>``. The events say so first
(:class:`~tui.model.Continued`), so the new completion is tracked before its reply ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.api import convert
from tui.api.convert import get
from tui.api.errors import ServerError, translate
from tui.api.listing import last_id
from tui.api.polling import Reply, stream_events
from tui.api.sending import send_refused_again, sending_once
from tui.model import (
    Continued,
    Kind,
    RemoteItem,
    RunStatus,
    StatusChanged,
    StreamEvent,
    TextDelta,
    Turn,
    TurnCompleted,
    UsageReported,
)

if TYPE_CHECKING:
    from tui.api.completions import CompletionsAdapter

MAX_PAGES = 200  # 20,000 input messages: more than any request may carry
LINK = "continues"  # the metadata key naming the completion a new one continues
MAX_KEYS = 16  # the API's metadata limit
_INPUT_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id")


def as_input(message: Any) -> dict[str, Any]:
    """A stored message as a request message (its parts when it was sent in parts)."""
    found = {key: get(message, key) for key in _INPUT_KEYS}
    parts = get(message, "content_parts")
    if isinstance(parts, list) and parts:
        found["content"] = parts
    return {key: value for key, value in found.items() if value is not None}


async def whole_input(api: CompletionsAdapter, item_id: str) -> list[dict[str, Any]]:
    """The completion's input messages, then its reply, as request messages."""
    messages: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"order": "asc", "limit": 100}
        if after:
            params["after"] = after
        page = await api.messages_page(item_id, params)
        data = page.read(convert.list_data)
        messages += [as_input(entry) for entry in data]
        last = page.read(last_id)
        if get(page.body, "has_more") not in (True, "true") or not last or last == after:
            break
        after = last
    found = await api.completion(item_id)
    choices = found.read(lambda body: convert.items_of(get(body, "choices"), "choices"))
    if choices:
        messages.append(as_input(get(choices[0], "message")) | {"role": "assistant"})
    return messages


def linked(metadata: dict[str, str], previous: str) -> dict[str, str]:
    """The metadata of a continuation: the link first, then what fits of the original's."""
    kept = [(k, v) for k, v in metadata.items() if k != LINK][: MAX_KEYS - 1]
    return {LINK: previous, **dict(kept)}


class _Chunks:
    """Turns a continuation's chunks into :mod:`tui.model` stream events."""

    def __init__(self, previous: str, metadata: dict[str, str]) -> None:
        self.previous = previous
        self.metadata = metadata
        self.id = ""
        self.created: object = None
        self.text: list[str] = []
        self.finished = False

    def events(self, chunk: Any, user: Turn) -> list[StreamEvent]:
        found: list[StreamEvent] = []
        if not self.id:
            self.id = convert.ident(chunk, prefix=Kind.COMPLETION.stem)
            self.created = get(chunk, "created")
            item = RemoteItem(
                self.id,
                Kind.COMPLETION,
                convert.timestamp(self.created) or datetime.now(UTC),
                self.metadata,
            )
            found += [
                Continued(self.id, item, self.previous),
                TurnCompleted("", user),
                StatusChanged(self.id, RunStatus.IN_PROGRESS),
            ]
        for choice in convert.items_of(get(chunk, "choices"), "choices")[:1]:
            piece = convert.text(get(get(choice, "delta"), "content")) or ""
            if piece:
                self.text.append(piece)
                found.append(TextDelta(self.id, self.turn_id, piece))
            if get(choice, "finish_reason"):
                self.finished = True
        usage = convert.run_usage(get(chunk, "usage"))
        if usage is not None:
            found.append(UsageReported(self.id, usage))
        return found

    @property
    def turn_id(self) -> str:
        return f"{self.id}-choice-0"

    def ending(self) -> list[StreamEvent]:
        reply = Turn(
            self.turn_id,
            "assistant",
            created_at=convert.timestamp(self.created),
            parts=convert.content_parts("".join(self.text), convert.chat_part),
        )
        return [TurnCompleted(self.id, reply), StatusChanged(self.id, RunStatus.COMPLETED)]


async def continue_completion(
    api: CompletionsAdapter, item_id: str, text: str, choice: str
) -> AsyncIterator[StreamEvent]:
    """Continue ``item_id`` with ``text`` in a new stored completion, streamed."""
    messages = [*await whole_input(api, item_id), {"role": "user", "content": text}]
    original = await api.retrieve(item_id)
    metadata = linked(original.metadata, item_id)
    user = Turn("", "user", parts=(convert.chat_part(text),))
    create = sending_once(api.client).chat.completions.with_raw_response.create
    request: dict[str, Any] = {
        "model": choice,
        "messages": messages,
        "store": True,
        "stream": True,
        "stream_options": {"include_usage": True},
        "metadata": metadata,
    }

    async def call() -> Any:
        return await create(**request)

    with translate(api.connection, Kind.COMPLETION, item_id):
        raw = await send_refused_again(call, api.client.max_retries)
    chunks = _Chunks(item_id, metadata)
    if "event-stream" not in raw.headers.get("content-type", ""):
        async for event in _whole(api, raw, chunks, user):
            yield event
        return
    with translate(api.connection, Kind.COMPLETION, item_id, midstream=True):
        async for _name, chunk in stream_events(raw, api.connection):
            for event in chunks.events(chunk, user):
                yield event
    if not chunks.id:
        raise ServerError(
            f"{api.connection.base_url} ended the reply's stream before naming the new stored "
            "completion. It may exist all the same: run `thread-browser discover` to find it."
        )
    for event in chunks.ending():
        yield event


async def _whole(
    api: CompletionsAdapter, raw: Any, chunks: _Chunks, user: Turn
) -> AsyncIterator[StreamEvent]:
    """A server that answered with the whole completion instead of streaming it."""
    with translate(api.connection, Kind.COMPLETION):
        content = await raw.http_response.aread()
    reply = Reply(api.connection, "POST /chat/completions", raw.headers, content)
    body = reply.body
    with_text = reply.read(convert.completion_replies)
    first = {"id": get(body, "id"), "created": get(body, "created"), "choices": []}
    for event in reply.read(lambda _: chunks.events(first, user)):
        yield event
    for turn in with_text:
        yield TurnCompleted(chunks.id, turn)
    usage = reply.read(lambda _: convert.run_usage(get(body, "usage")))
    if usage is not None:
        yield UsageReported(chunks.id, usage)
    yield StatusChanged(chunks.id, RunStatus.COMPLETED)
