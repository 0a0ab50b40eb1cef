"""Keeping what adapters learnt of their servers, per connection, in the registry."""

from __future__ import annotations

from tui.api.protocol import ConversationApi
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
