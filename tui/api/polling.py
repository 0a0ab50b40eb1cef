"""Reading what a server replies: whole JSON bodies, event streams, and polling.

Replies are read as JSON, not as SDK objects, so any shape a server sends reaches the
lenient converters of :mod:`tui.api.convert`. An event's name comes from its ``event:``
line or, when a server leaves that out, from its payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from tui.api.errors import ApiError, BadShape, ServerError, readable, said_in
from tui.model import Connection

POLL_HEADER = "openai-poll-after-ms"
MAX_EVENT = 16 * 1024 * 1024  # bytes of one server-sent event's data, at most
DEFAULT_STREAM_SECONDS = 600.0  # a reply's stream is read this long at most
_EOL = re.compile(rb"\r\n|\r|\n")
_THREAD_OBJECTS = ("thread.run", "thread.run.step", "thread.message")
T = TypeVar("T")


def route_of(raw: Any) -> str:
    """The method and path of a raw SDK response's request, as in ``GET /v1/threads/x``."""
    try:
        request = raw.http_response.request
        return f"{request.method} {request.url.path}"
    except (AttributeError, RuntimeError):
        return "the request"


def json_body(content: bytes) -> Any:
    """A reply's body as JSON; :class:`BadShape` when it is not JSON.

    ``orjson`` reads it (twice as fast as ``json`` on a list page); what it refuses and
    ``json`` takes (``NaN``, ``Infinity``) is read by ``json``. An integer wider than 64
    bits (no field of the API holds one) is read as the nearest float.
    """
    content = content.removeprefix(b"\xef\xbb\xbf")
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(content)
    except RecursionError:
        raise BadShape("body", "JSON nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError):
        start = content[:60].decode("utf-8", "replace").strip()
        raise BadShape("body", f"not JSON ({start!r})") from None


@dataclass(frozen=True)
class Reply:
    """A reply read whole: the route it answered, its headers and its body."""

    connection: Connection
    route: str
    headers: Any
    content: bytes

    @functools.cached_property
    def body(self) -> Any:
        """The body as JSON, read once (:class:`~tui.api.errors.Unreadable` when it is not)."""
        with readable(self.connection, self.route):
            return json_body(self.content)

    def parse(self) -> Any:
        """The body as JSON (what :func:`poll` reads)."""
        return self.body

    def read(self, convert: Callable[[Any], T]) -> T:
        """The body through ``convert``; what it cannot read raises ``Unreadable``."""
        body = self.body
        with readable(self.connection, self.route):
            return convert(body)


async def reply(
    call: Callable[[], Awaitable[Any]],
    errors: contextlib.AbstractContextManager[Any],
    connection: Connection,
) -> Reply:
    """Make a ``with_raw_response`` SDK call (inside ``errors``) and read its reply whole."""
    with errors:
        raw = await call()
        content = await raw.http_response.aread()
    return Reply(connection, route_of(raw), raw.headers, content)


async def _lines(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """The lines of a byte stream (CR, LF or CRLF ends); a line over ``limit`` is refused."""
    pending = bytearray()
    async for chunk in chunks:
        scan = max(0, len(pending) - 1)
        pending += chunk
        start = 0
        while (match := _EOL.search(pending, max(start, scan))) is not None:
            if match.group() == b"\r" and match.end() == len(pending):
                break  # maybe the first half of CRLF: wait for the next chunk
            yield bytes(pending[start : match.start()])
            start = match.end()
        del pending[:start]
        if len(pending) > limit:
            raise BadShape("event", f"a line longer than {limit:,} bytes")
    if pending:
        yield bytes(pending)


async def sse(
    chunks: AsyncIterator[bytes], limit: int = MAX_EVENT
) -> AsyncIterator[tuple[str | None, str]]:
    """``(event, data)`` of each server-sent event; ``event`` is ``None`` when not sent.

    An event whose data outgrows ``limit`` bytes raises :class:`BadShape`.
    """
    name: str | None = None
    data: list[str] = []
    size = 0
    async for raw_line in _lines(chunks, limit):
        line = raw_line.decode("utf-8", "replace")
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data, size = None, [], 0
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value or None
        elif field == "data":
            size += len(raw_line)
            if size > limit:
                raise BadShape("event", f"larger than {limit:,} bytes")
            data.append(value)
    if data:
        yield name, "\n".join(data)


def event_name(payload: Any) -> str | None:
    """An event's name from its payload: ``type`` (Responses), or ``object`` and ``status``.

    A chat completion chunk is named by its ``object``.
    """
    if not isinstance(payload, dict):
        return None
    obj, status, kind = payload.get("object"), payload.get("status"), payload.get("type")
    if obj == "chat.completion.chunk":
        return obj
    if isinstance(obj, str) and obj.startswith("thread"):
        if obj in _THREAD_OBJECTS and isinstance(status, str) and status:
            return f"{obj}.{status}"
        return "thread.created" if obj == "thread" else obj
    if isinstance(kind, str) and kind:
        return kind
    return "error" if "error" in payload else None


async def _until(chunks: AsyncIterator[bytes], seconds: float) -> AsyncIterator[bytes]:
    """The chunks of a stream until ``seconds`` have passed; then :class:`ApiError`."""
    deadline = time.monotonic() + seconds
    async for chunk in chunks:
        if time.monotonic() > deadline:
            raise ApiError(
                f"Still streaming after {seconds:.0f} s, so the app stopped reading. The reply "
                "may still be running on the server: press r later to load the result."
            )
        yield chunk


async def stream_events(
    raw: Any, connection: Connection, seconds: float = DEFAULT_STREAM_SECONDS
) -> AsyncIterator[tuple[str, Any]]:
    """``(name, payload)`` of each JSON event of a raw SDK streaming response.

    Events with no name and no recognisable payload, and data that is not JSON, are
    skipped; ``[DONE]`` ends the stream; an ``error`` event raises :class:`ServerError`;
    a stream still going after ``seconds`` raises :class:`ApiError`.
    """
    response = raw.http_response
    try:
        with readable(connection, route_of(raw)):
            async for name, data in sse(_until(response.aiter_bytes(), seconds)):
                if data.strip() == "[DONE]":
                    return
                try:
                    payload = json.loads(data)
                except (ValueError, RecursionError):
                    continue
                found = name or event_name(payload)
                if found == "error":
                    raise ServerError(
                        f"{connection.base_url} reported an error in the middle of the reply: "
                        f"{said_in(payload)}. What arrived is kept; press r to load what the "
                        "server kept."
                    )
                if found:
                    yield found, payload
    finally:
        await response.aclose()


@dataclass(frozen=True)
class Backoff:
    """Waits between polls: from ``first`` seconds, doubling up to ``cap``; ``total`` at most.

    ``total`` also bounds how long one reply's event stream is read.

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
    """The parsed body of a :class:`Reply` or an SDK raw response (sync or async ``parse``)."""
    result = raw.parse()
    return await result if inspect.isawaitable(result) else result


async def poll(
    fetch: Callable[[], Awaitable[Any]],
    settled: Callable[[Any], bool],
    backoff: Backoff,
    first_headers: Any = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[Any]:
    """Fetch (a :class:`Reply`, or a raw SDK response) until ``settled``; yield each body.

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
