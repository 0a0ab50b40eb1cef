"""Keeping what adapters learnt of their servers, per connection, in the registry."""

from __future__ import annotations

from tui.api.protocol import ConversationApi
from tui.model import Connection
from tui.store import Registry
from tui.text import clean

DETAIL_LIMIT = 300


async def remember(registry: Registry, api: ConversationApi | None) -> None:
    """Record (once per change) what ``api`` found its server to offer or refuse."""
    learned = getattr(api, "learned", None)
    if api is None or not learned:
        return
    for name, (offered, detail) in list(learned.items()):
        await registry.capabilities.learn(
            api.connection, name, offered=offered, detail=clean(detail)[:DETAIL_LIMIT]
        )
    learned.clear()


def describe(offered: bool, detail: str) -> str:
    """A capability for a person: ``yes``, or ``no: why``."""
    return "yes" if offered else f"no: {detail}" if detail else "no"


async def lacking(registry: Registry, connection: Connection) -> str:
    """What the connection's server was found to lack, for Details (empty: nothing)."""
    found = await registry.capabilities.of(connection)
    refused = [f"{c.name} ({describe(False, c.detail)})" for c in found if not c.offered]
    return f"lacks {'; '.join(refused)}" if refused else ""
