"""A replayable log of server-sent events that many readers can follow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from tui.emulator.http import dumps


class EventLog:
    """Events in order; readers replay from any point, then follow live ones."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.closed = False
        self._changed = asyncio.Event()

    def emit(self, event: str, data: Any) -> None:
        """Append an event; ``data`` (JSON-able, or a raw string) is encoded now.

        Encoding at once freezes the object as it is at this moment, as the real
        server does, even when the caller goes on mutating it.
        """
        if self.closed:
            return
        payload = data if isinstance(data, str) else dumps(data)
        self.events.append((event, payload))
        self._wake()

    def close(self) -> None:
        """Mark the end of the log: readers stop after the last event."""
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def follow(self, start: int = 0) -> AsyncIterator[tuple[str, str]]:
        """Yield events from index ``start`` on, waiting for new ones until closed."""
        index = start
        while True:
            while index < len(self.events):
                yield self.events[index]
                index += 1
            if self.closed:
                return
            await self._changed.wait()


def sse(event: str, payload: str) -> bytes:
    """Encode one server-sent event."""
    return f"event: {event}\ndata: {payload}\n\n".encode()
