"""Chat on an item: send a message and follow the reply, answer tool calls, cancel.

The chat panel renders what these yield; each server call of a chat goes through here.
What the app keeps of a run afterwards is :func:`tui.ops.history.archive_after_run`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from tui.api.protocol import ConversationApi
from tui.model import (
    Choice,
    Continued,
    HistoryPage,
    Kind,
    RunStatus,
    StreamEvent,
    TitleSource,
    ToolOutput,
    Tracked,
)
from tui.store import Registry


async def continued(registry: Registry, item: Tracked, event: Continued) -> Tracked:
    """Record where a reply went: a chain's new newest response, or a new stored completion.

    A response chain takes the reply's response ID (its older IDs stay linked to it). A
    stored completion continued as a new one is tracked: it takes the original's title
    (unless its metadata names one) and the model the user chose; the link is its
    ``continues`` metadata, on the server and here.
    """
    if item.kind is Kind.RESPONSE:
        current = await registry.get_pk(item.pk) or item
        return await registry.chains.advance(current, event.item.id, source="app")
    said = item.title if item.title_source is not TitleSource.ID else None
    new, _ = await registry.track_remote(
        event.item, item.connection, source="app", first_user_text=said, event="continued"
    )
    if item.choice:
        new = await registry.set_choice(new, item.choice, source="app")
    return new


async def responded(registry: Registry, item: Tracked, response_id: str) -> None:
    """Note the response a reply made in a conversation (its deletion deletes it too).

    A reply in a conversation is a stored response of its own, which deleting the
    conversation leaves readable. Nothing is noted for other kinds (a thread's runs are
    part of it; a chain takes the response's ID), nor in a registry that cannot be written.
    """
    if item.kind is not Kind.CONVERSATION or not response_id or registry.read_only:
        return
    await registry.responses.wrote_into(item.connection, item.id, response_id, source="app")


def send(
    api: ConversationApi, item: Tracked, text: str, *, choice: str, background: bool = False
) -> AsyncIterator[StreamEvent]:
    """Add the user's message to ``item`` and start a reply (the events of that reply)."""
    return api.send(item.id, text, choice=choice, tools=item.tools, background=background)


def answer_tools(
    api: ConversationApi,
    item: Tracked,
    run_id: str,
    outputs: Sequence[ToolOutput],
    *,
    choice: str,
) -> AsyncIterator[StreamEvent]:
    """Give the run the outputs of the tool calls it asked for (the rest of the reply)."""
    return api.submit_tool_outputs(item.id, run_id, outputs, choice=choice, tools=item.tools)


async def cancel(api: ConversationApi, item: Tracked, run_id: str) -> RunStatus:
    """Ask the server to cancel a run (a thread's) or a background response."""
    return await api.cancel(item.id, run_id)


async def active_run(api: ConversationApi, item: Tracked) -> str | None:
    """The run still active on the item, if any (what made the server refuse a message)."""
    return await api.active_run(item.id)


async def newest_page(api: ConversationApi, item: Tracked) -> HistoryPage:
    """The item's newest page on its server (to see whether a message arrived)."""
    return await api.history(item.id)


async def create_assistant(
    api: ConversationApi, name: str, model: str, instructions: str
) -> Choice:
    """Create an assistant to reply on threads."""
    return await api.create_choice(name, model, instructions)
