"""The API layer: one interface over threads and conversations, SDK errors mapped.

``adapter_for`` picks the adapter of a kind; every adapter returns ``tui.model``
dataclasses and raises only ``tui.api.errors`` errors.
"""

from __future__ import annotations

from openai import AsyncOpenAI

from tui.api.conversations import ConversationsAdapter
from tui.api.protocol import ConversationApi
from tui.api.threads import ThreadsAdapter
from tui.model import Connection, Kind


def adapter_for(kind: Kind, client: AsyncOpenAI, connection: Connection) -> ConversationApi:
    """The adapter for ``kind`` on this client and connection."""
    if kind is Kind.THREAD:
        return ThreadsAdapter(client, connection)
    return ConversationsAdapter(client, connection)


__all__ = ["ConversationApi", "ConversationsAdapter", "ThreadsAdapter", "adapter_for"]
