"""Chat on an item: send a message and follow the reply, answer tool calls, cancel.

The chat panel renders what these yield; each server call of a chat goes through here.
What the app keeps of a run afterwards is :func:`tui.ops.history.archive_after_run`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from tui.api.protocol import NO_ADDING, ConversationApi
from tui.model import Choice, HistoryPage, Kind, RunStatus, StreamEvent, ToolOutput, Tracked


def closed(item: Tracked) -> str | None:
    """Why no message can be added to ``item``; ``None`` when one can."""
    if item.kind is Kind.COMPLETION:
        return NO_ADDING
    return None


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
