"""The API layer: one interface over threads and conversations, SDK errors mapped.

``adapter_for`` picks the adapter of a kind; every adapter returns ``tui.model``
dataclasses and raises only ``tui.api.errors`` errors.

Importing this package imports neither the SDK nor an adapter: they load when an adapter
is made or named, so a command that only reads the registry starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tui.model import Connection, Kind

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from tui.api.chains import ChainsAdapter
    from tui.api.completions import CompletionsAdapter
    from tui.api.conversations import ConversationsAdapter
    from tui.api.protocol import ConversationApi
    from tui.api.threads import ThreadsAdapter

# Names this package offers, and the module each is imported from when first asked for.
_LAZY = {
    "ChainsAdapter": "tui.api.chains",
    "CompletionsAdapter": "tui.api.completions",
    "ConversationApi": "tui.api.protocol",
    "ConversationsAdapter": "tui.api.conversations",
    "ThreadsAdapter": "tui.api.threads",
}


def adapter_for(kind: Kind, client: AsyncOpenAI, connection: Connection) -> ConversationApi:
    """The adapter for ``kind`` on this client and connection.

    An Agents session is read from its file, never through a client: its adapter is
    ``tui.ops.sessions.session_api``.
    """
    if kind is Kind.SESSION:
        from tui.api.errors import Unsupported

        raise Unsupported("An Agents session is read from its file, not from a server.")
    if kind is Kind.THREAD:
        from tui.api.threads import ThreadsAdapter

        return ThreadsAdapter(client, connection)
    if kind is Kind.COMPLETION:
        from tui.api.completions import CompletionsAdapter

        return CompletionsAdapter(client, connection)
    if kind is Kind.RESPONSE:
        from tui.api.chains import ChainsAdapter

        return ChainsAdapter(client, connection)
    from tui.api.conversations import ConversationsAdapter

    return ConversationsAdapter(client, connection)


def __getattr__(name: str) -> Any:
    """The protocol and the adapters, imported when first asked for (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    found = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = found
    return found


__all__ = [
    "ChainsAdapter",
    "CompletionsAdapter",
    "ConversationApi",
    "ConversationsAdapter",
    "ThreadsAdapter",
    "adapter_for",
]
