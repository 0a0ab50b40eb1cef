"""Injected faults: a seeded mix of 500s, long 429s, stalls and streams cut midway.

Each request draws once from its own seeded generator: with probability ``fault_rate`` it
gets one of the enabled kinds. A stall holds the request past the client's timeout and then
drops it unprocessed (a client still waiting gets the normal answer, late). A drop cuts an
event stream after a few text deltas (never letting its final event through) and closes
the connection; a request that does not stream draws another kind instead.

:class:`LateReplies` is the other side of a stall: the request is done in full, and only
its answer comes after the client's timeout (a client that sends it again does it twice).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections import Counter
from collections.abc import Callable
from enum import StrEnum

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui.emulator.config import EmulatorConfig
from tui.emulator.errors import HttpError
from tui.emulator.validate import parse_bool, server_error

CUT_KEY = "emulator.cut_stream"
_DELTA_EVENTS = (b"event: thread.message.delta\n", b"event: response.output_text.delta\n")


class Fault(StrEnum):
    """The kinds of injected fault (the names the CLI takes)."""

    ERROR = "500"
    THROTTLE = "429"
    TIMEOUT = "timeout"
    DROP = "drop"


class StreamCut(Exception):
    """Raised on purpose to close a connection in the middle of its event stream."""


def throttled(wait: float) -> HttpError:
    """A 429 that asks to wait ``wait`` seconds."""
    wait_ms = max(1, math.ceil(wait * 1000))
    return HttpError(
        429,
        f"The server is overloaded: please try again in {wait_ms}ms.",
        type="requests",
        code="rate_limit_exceeded",
        headers={"retry-after-ms": str(wait_ms), "retry-after": str(math.ceil(wait))},
    )


def timed_out() -> HttpError:
    """What a client that waited out a stall gets when the stall dropped its request."""
    return HttpError(504, "The server did not answer in time.", type="server_error")


async def streams(request: Request, config: EmulatorConfig) -> bool:
    """True when the request asks for an event stream the server will send."""
    if config.no_stream:
        return False
    if parse_bool(request.query_params.get("stream")):
        return True
    if request.method != "POST":
        return False
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(body, dict) and parse_bool(body.get("stream"))


class Faults:
    """Draws, applies and counts the injected faults of one emulator."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed + 3)
        self.counts: Counter[Fault] = Counter()

    @property
    def total(self) -> int:
        """Faults injected so far."""
        return sum(self.counts.values())

    def record(self, fault: Fault) -> None:
        """Count a fault that reached a client."""
        self.counts[fault] += 1

    async def inject(self, request: Request) -> None:
        """Maybe fault this request: raise its error, stall it, or arm its stream's cut."""
        fault = await self._draw(request)
        if fault is None:
            return
        if fault is Fault.DROP:
            request.scope[CUT_KEY] = self
            return
        self.record(fault)
        if fault is Fault.ERROR:
            raise server_error()
        if fault is Fault.THROTTLE:
            raise throttled(self.config.fault_retry_after)
        await self._stall(request)

    async def _draw(self, request: Request) -> Fault | None:
        kinds = self.config.fault_kinds
        if not kinds or self.rng.random() >= self.config.fault_rate:
            return None
        fault = Fault(self.rng.choice(kinds))
        if fault is Fault.DROP and not await streams(request, self.config):
            others = [k for k in kinds if k != Fault.DROP]
            return Fault(self.rng.choice(others)) if others else None
        return fault

    async def _stall(self, request: Request) -> None:
        """Hold the request; if its client gave up meanwhile, never process it."""
        await request.body()  # read now: a disconnect would lose it
        await asyncio.sleep(self.config.fault_stall)
        if await request.is_disconnected():
            raise timed_out()


class CutStreams:
    """ASGI middleware that cuts an armed event stream after ``fault_cut_after`` deltas."""

    def __init__(self, app: ASGIApp, config: EmulatorConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; close the connection where an armed stream is cut."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"stream": False, "deltas": 0, "cut": False}

        async def cutting(message: Message) -> None:
            faults = scope.get(CUT_KEY)
            if message["type"] == "http.response.start":
                state["stream"] = _is_event_stream(message)
            elif faults is not None and state["stream"] and message.get("body"):
                body: bytes = message["body"]
                if state["deltas"] >= self.config.fault_cut_after or _is_final(body):
                    state["cut"] = True
                    faults.record(Fault.DROP)
                    raise StreamCut(scope["path"])
                state["deltas"] += body.startswith(_DELTA_EVENTS)
            await send(message)

        try:
            await self.app(scope, receive, cutting)
        except BaseException:
            if state["cut"]:
                raise StreamCut(scope["path"]) from None
            raise


def _is_event_stream(message: Message) -> bool:
    headers = dict(message.get("headers") or [])
    return headers.get(b"content-type", b"").startswith(b"text/event-stream")


def _is_final(body: bytes) -> bool:
    """True for the event that ends a stream (a run's or response's last status, ``done``)."""
    event = body.split(b"\n", 1)[0].removeprefix(b"event: ")
    if event == b"done":
        return True
    if event.startswith(b"thread.run.") and not event.startswith(b"thread.run.step."):
        return event.rsplit(b".", 1)[-1] in (
            b"completed",
            b"failed",
            b"cancelled",
            b"expired",
            b"incomplete",
            b"requires_action",
        )
    return event in (b"response.completed", b"response.failed", b"response.incomplete")


Pick = Callable[[str, str], bool]  # (method, path): answer this request late


class LateReplies:
    """ASGI middleware: a picked request is done in full, then answered ``delay`` s late.

    ``pick(method, path)`` is asked once per request (it may count, to pick only the
    first of a route). ``late`` counts the requests answered late; an answer whose client
    gave up meanwhile is dropped by the server, as any answer to a closed connection is.
    """

    def __init__(self, app: ASGIApp, delay: float, pick: Pick) -> None:
        self.app = app
        self.delay = delay
        self.pick = pick
        self.late = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; hold a picked one's answer until ``delay`` has passed."""
        if scope["type"] != "http" or not self.pick(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        self.late += 1
        await asyncio.sleep(self.delay)
        for message in held:
            await send(message)


class _QuietCuts(logging.Filter):
    """Keeps the server log free of the tracebacks of streams cut on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], StreamCut))


def quiet_cuts() -> None:
    """Install the log filter on uvicorn's error logger (once)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietCuts) for f in logger.filters):
        logger.addFilter(_QuietCuts())
