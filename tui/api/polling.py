"""Polling a run or a background response when the server does not stream."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tui.api.errors import ApiError

POLL_HEADER = "openai-poll-after-ms"


@dataclass(frozen=True)
class Backoff:
    """Waits between polls: from ``first`` seconds, doubling up to ``cap``; ``total`` at most.

    A server's ``openai-poll-after-ms`` header replaces the computed wait (never below
    ``floor``, so a zero or garbage header cannot make a tight loop).
    """

    first: float = 1.0
    factor: float = 2.0
    cap: float = 16.0
    total: float = 600.0
    floor: float = 0.05


def next_wait(backoff: Backoff, attempt: int, headers: Any) -> float:
    """Seconds to wait before poll number ``attempt + 1``."""
    hinted = _hint(headers)
    if hinted is not None:
        return max(backoff.floor, hinted)
    return min(backoff.cap, backoff.first * backoff.factor**attempt)


def _hint(headers: Any) -> float | None:
    try:
        value = headers.get(POLL_HEADER) if headers is not None else None
        return None if value is None else float(value) / 1000
    except (TypeError, ValueError):
        return None


async def parsed(raw: Any) -> Any:
    """The parsed body of an SDK raw response (``parse`` is sync or async by version)."""
    result = raw.parse()
    return await result if inspect.isawaitable(result) else result


async def poll(
    fetch: Callable[[], Awaitable[Any]],
    settled: Callable[[Any], bool],
    backoff: Backoff,
    first_headers: Any = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[Any]:
    """Fetch (a raw SDK response) until ``settled``; yield each parsed object.

    Raises :class:`ApiError` once ``backoff.total`` seconds have been waited.
    """
    waited = 0.0
    headers = first_headers
    attempt = 0
    while True:
        wait = next_wait(backoff, attempt, headers)
        if waited + wait > backoff.total:
            raise ApiError(
                f"Still not finished after {backoff.total:.0f} s of polling. It may still be "
                "running on the server: press r later to load the result."
            )
        await sleep(wait)
        waited += wait
        attempt += 1
        raw = await fetch()
        headers = raw.headers
        obj = await parsed(raw)
        yield obj
        if settled(obj):
            return


DEFAULT_BACKOFF = Backoff()
