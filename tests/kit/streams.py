"""Server-sent event streams of a run or a response, with the stream faults switched on."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from tests.kit.switches import HUGE_EVENT, Faults
from tests.kit.wire import Obj, dashed, times

ENDLESS_TICK = 0.02  # seconds between deltas of a stream that never ends
ENDLESS_CAP = 120.0  # the kit itself stops an endless stream after this long
REPLY = ("Tides ", "follow ", "the ", "moon.")
Event = tuple[str, Obj | str]


def frame(name: str, data: Obj | str, faults: Faults) -> bytes:
    """One event on the wire (no ``event:`` line when ``sse_no_event`` is on)."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = "" if faults.sse_no_event else f"event: {name}\n"
    return f"{head}data: {payload}\n\n".encode()


def pieces(faults: Faults) -> Iterator[str]:
    """The reply's text deltas: a few words, one of 10 MB, or words without end."""
    if faults.huge_event:
        yield "many " * (HUGE_EVENT // 5)
        return
    yield from REPLY
    if faults.sse_endless:
        deadline = time.monotonic() + ENDLESS_CAP
        while time.monotonic() < deadline:
            yield "and "


async def paced(events: Iterator[Event], faults: Faults) -> AsyncIterator[bytes]:
    """Encode events; an endless stream waits a tick between them."""
    for name, data in events:
        if faults.unknown_events and name.endswith("delta"):
            unknown = name.split(".", 1)[0] + ".kit_surprise"
            yield frame(unknown, {"type": unknown, "object": unknown, "surprise": True}, faults)
        yield frame(name, data, faults)
        if faults.sse_endless:
            await asyncio.sleep(ENDLESS_TICK)


def run_events(
    run: Callable[[str], Obj], message: Callable[[str, list[Any]], Obj], faults: Faults
) -> Iterator[Event]:
    """A thread run's events: created, the message and its deltas, completed, done."""
    yield "thread.run.created", run("queued")
    yield "thread.run.in_progress", run("in_progress")
    opened = message("in_progress", [])
    yield "thread.message.created", opened
    text = ""
    for index, piece in enumerate(pieces(faults)):
        text += piece
        block = {"index": 0, "type": "text", "text": {"value": piece, "annotations": []}}
        delta = {"id": opened["id"], "object": "thread.message.delta"}
        yield "thread.message.delta", {**delta, "delta": {"content": [block]}}
        if index > 2 and faults.sse_endless:
            text = text[-100:]
    content = [{"type": "text", "text": {"value": text, "annotations": []}}]
    yield "thread.message.completed", message("completed", content)
    yield "thread.run.completed", run("completed")
    yield "done", "[DONE]"


def response_events(
    response: Callable[[str, list[Obj]], Obj], item_id: str, faults: Faults
) -> Iterator[Event]:
    """A response's events: created, the output item and its deltas, completed."""
    seq = iter(range(1 << 30))
    shown_id = dashed(item_id, faults)

    def event(kind: str, **payload: Any) -> Event:
        return kind, {"type": kind, "sequence_number": next(seq), **payload}

    yield event("response.created", response=response("in_progress", []))
    yield event("response.in_progress", response=response("in_progress", []))
    item = {"type": "message", "id": shown_id, "status": "in_progress", "role": "assistant"}
    yield event("response.output_item.added", output_index=0, item={**item, "content": []})
    where = {"item_id": shown_id, "output_index": 0, "content_index": 0}
    text = ""
    for index, piece in enumerate(pieces(faults)):
        text += piece
        yield event("response.output_text.delta", **where, delta=piece, logprobs=[])
        if index > 2 and faults.sse_endless:
            text = text[-100:]
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    yield event("response.output_text.done", **where, text=text, logprobs=[])
    done = {**item, "status": "completed", "content": [part]}
    yield event("response.output_item.done", output_index=0, item=done)
    yield event("response.completed", response=response("completed", [done]))


def reply_text(faults: Faults) -> str:
    """The text a finished reply holds (what the kit archives as the assistant's entry)."""
    return "".join(pieces(Faults(huge_event=faults.huge_event)))


__all__ = ["frame", "paced", "reply_text", "response_events", "run_events", "times"]
