"""Creating, renaming and refreshing one item: on its server, then in the registry.

Each function is one action of the app (and of the CLI where it has one). A caller that
must not be interrupted halfway (the server created something the registry has not yet
tracked) runs it shielded: see :func:`unbroken`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from tui.api.errors import ApiError
from tui.api.protocol import ConversationApi
from tui.model import Connection, Tracked
from tui.ops.metadata import Saved, save_metadata
from tui.store import Registry

T = TypeVar("T")
log = logging.getLogger("tui.ops")


_RUNNING: set[asyncio.Future[Any]] = set()  # unbroken actions not finished yet
FINISH_PATIENCE_S = 10.0  # how long closing waits for them


async def unbroken(action: Awaitable[T]) -> T:
    """Run ``action`` to its end even if the caller is cancelled meanwhile.

    A worker cancelled while it waits (another action, the app closing a screen) stops
    waiting; the action itself goes on, so what a server did is recorded. Closing waits
    for it (:func:`finish_unbroken`) before the registry closes.
    """
    task = asyncio.ensure_future(action)
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    task.add_done_callback(_log_failure)
    return await asyncio.shield(task)


async def finish_unbroken(patience: float = FINISH_PATIENCE_S) -> None:
    """Let actions whose callers left end (up to ``patience`` seconds), before closing."""
    running = [task for task in _RUNNING if not task.done()]
    if running:
        await asyncio.wait(running, timeout=patience)


def _log_failure(task: asyncio.Future[Any]) -> None:
    """A failure nobody waits for any more is logged, never lost."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("an action finished after its caller left: %s", task.exception())


async def create_item(
    registry: Registry,
    api: ConversationApi,
    connection: Connection,
    *,
    metadata: Mapping[str, str],
    first_message: str | None = None,
    source: str = "app",
) -> Tracked:
    """Create a thread or conversation on ``api``'s server and track it at once."""
    remote = await api.create(metadata=dict(metadata))
    item, _ = await registry.track_remote(
        remote, connection, source=source, first_user_text=first_message
    )
    return item


@dataclass(frozen=True, slots=True)
class Renamed:
    """The item renamed, and what the server did with ``metadata.title`` if it was asked."""

    item: Tracked
    saved: Saved | None = None


async def rename_item(
    registry: Registry,
    item: Tracked,
    title: str,
    *,
    api: ConversationApi | None = None,
    why_no_api: str = "",
    on_server: bool = False,
    source: str = "app",
) -> Renamed:
    """Give the item a local title; with ``on_server``, also its ``metadata.title``.

    An empty title restores the automatic one (and is never sent to the server).
    """
    saved = None
    if on_server and title.strip():
        if api is None:
            raise ApiError(why_no_api or f"No connection to the server of {item.id}.")
        wanted = {**item.metadata, "title": title.strip()}
        saved = await save_metadata(registry, item, api, wanted, source=source)
        item = saved.item
    item = await registry.rename(item, title, source=source)
    return Renamed(item, saved)


@dataclass(frozen=True, slots=True)
class Refreshed:
    """The item as the registry holds it after asking its server, and what went wrong."""

    item: Tracked
    error: ApiError | None = None


async def refresh_item(
    registry: Registry, item: Tracked, api: ConversationApi, *, source: str = "app"
) -> Refreshed:
    """Read the item from its server and record it (a failure leaves the record as it was)."""
    try:
        remote = await api.retrieve(item.id)
    except ApiError as exc:
        return Refreshed(item, exc)
    fresh, _ = await registry.track_remote(remote, item.connection, source=source)
    return Refreshed(fresh)


async def set_tools(
    registry: Registry, item: Tracked, tools: list[dict[str, object]], *, source: str = "app"
) -> Tracked:
    """Remember the function tools offered with the item's messages."""
    return await registry.set_tools(item, tools, source=source)


async def set_choice(
    registry: Registry, item: Tracked, choice: str, *, source: str = "app"
) -> Tracked:
    """Remember the assistant or model the item's replies come from."""
    return await registry.set_choice(item, choice, source=source)
