"""A tee of every exchange the emulator serves, for whoever registers to read them.

:class:`Recording` wraps the ASGI app. While no recorder is registered it passes each
request straight on; once one is (:func:`add_recorder`), each HTTP exchange (method, path,
query, user agent, request body, status, response body) is handed to every recorder when
the answer ends, cut streams included. The events of an event stream are read from its body
by :meth:`Exchange.events`. A recorder runs on the server's thread and must be quick; one
that raises is logged and never reaches the client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("tui.emulator.recording")


@dataclass(frozen=True, slots=True)
class Event:
    """One server-sent event: its name and its data (JSON text, or ``[DONE]``)."""

    event: str
    data: str


@dataclass(slots=True)
class Exchange:
    """One request and the answer the emulator sent (as far as it got)."""

    method: str
    path: str
    query: str = ""
    user_agent: str = ""
    request_type: str = ""
    request_body: bytes = b""
    status: int = 0
    response_type: str = ""
    response_body: bytes = b""
    complete: bool = False  # the answer ended normally (a cut stream did not)
    _chunks: list[bytes] = field(default_factory=list, repr=False)

    @property
    def streamed(self) -> bool:
        """True when the answer is an event stream."""
        return self.response_type.startswith("text/event-stream")

    def events(self) -> list[Event]:
        """The complete events of an event stream (none for any other answer)."""
        return parse_events(self.response_body) if self.streamed else []


Recorder = Callable[[Exchange], None]
_recorders: list[Recorder] = []
_lock = threading.Lock()


def add_recorder(recorder: Recorder) -> None:
    """Hand every exchange of every emulator in this process to ``recorder`` from now on."""
    with _lock:
        _recorders.append(recorder)


def remove_recorder(recorder: Recorder) -> None:
    """Stop handing exchanges to ``recorder`` (nothing happens if it was not registered)."""
    with _lock:
        if recorder in _recorders:
            _recorders.remove(recorder)


def parse_events(body: bytes) -> list[Event]:
    """The events of an event-stream body; a trailing event with no blank line is dropped."""
    text = body.decode("utf-8", errors="replace").replace("\r\n", "\n")
    blocks = text.split("\n\n")[:-1]  # the last piece is unterminated (or empty)
    events = []
    for block in blocks:
        name, data = "message", []
        for line in block.split("\n"):
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
        if data:
            events.append(Event(name, "\n".join(data)))
    return events


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class Recording:
    """ASGI middleware that tees each HTTP exchange to the registered recorders."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; record it and its answer when recorders are registered."""
        if scope["type"] != "http" or not _recorders:
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        exchange = Exchange(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            user_agent=_header(headers, b"user-agent"),
            request_type=_header(headers, b"content-type"),
        )
        body: list[bytes] = []

        async def tapped_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        async def tapped_send(message: Message) -> None:
            _tee(exchange, message)
            await send(message)

        try:
            await self.app(scope, tapped_receive, tapped_send)
        finally:
            exchange.request_body = b"".join(body)
            _deliver(exchange)


def _tee(exchange: Exchange, message: Message) -> None:
    if message["type"] == "http.response.start":
        exchange.status = message["status"]
        exchange.response_type = _header(message.get("headers") or [], b"content-type")
    elif message["type"] == "http.response.body":
        exchange._chunks.append(message.get("body", b""))
        exchange.complete = not message.get("more_body", False)


def _deliver(exchange: Exchange) -> None:
    exchange.response_body = b"".join(exchange._chunks)
    exchange._chunks.clear()
    with _lock:
        recorders = list(_recorders)
    for recorder in recorders:
        try:
            recorder(exchange)
        except Exception:
            log.exception("a recorder failed on %s %s", exchange.method, exchange.path)
