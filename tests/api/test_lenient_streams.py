"""Replies streamed (or not) in shapes the SDK's strict types reject still end clearly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.test_lenient_shapes import Canned, OddServer, api_of, odd, page
from tests.conftest import CHATTING
from tui.api.errors import ApiError
from tui.api.polling import Backoff
from tui.model import Kind, RunStatus, StatusChanged, TextDelta, TurnCompleted

__all__ = ["odd"]  # the fixture, shared with the shapes tests

FAST = Backoff(first=0.01, cap=0.05, total=10)
SSE = "text/event-stream"


def sse(*events: tuple[str | None, Any]) -> str:
    """A server-sent event stream; a ``None`` name leaves the ``event:`` line out."""
    lines: list[str] = []
    for name, data in events:
        if name:
            lines.append(f"event: {name}")
        lines += [f"data: {data if isinstance(data, str) else json.dumps(data)}", ""]
    return "\n".join(lines) + "\n"


def api(server: OddServer, kind: Kind) -> Any:
    adapter = api_of(server, kind)
    adapter.backoff = FAST
    return adapter


def run(status: str, **extra: Any) -> dict[str, Any]:
    """A run as a minimal server sends it, ``tool_choice: null`` included."""
    return {
        "id": "run_1",
        "object": "thread.run",
        "thread_id": "thread_a",
        "status": status,
        "tool_choice": None,
        **extra,
    }


def response(status: str, **extra: Any) -> dict[str, Any]:
    """A response as a minimal server sends it, ``tool_choice: null`` included."""
    return {"id": "resp_1", "object": "response", "status": status, "tool_choice": None, **extra}


USER = {"id": "msg_u", "object": "thread.message", "role": "user", "content": "hi"}
REPLY = {
    "id": "msg_r",
    "object": "thread.message",
    "role": "assistant",
    "run_id": "run_1",
    "status": "completed",
    "content": [{"type": "text", "text": {"value": "Hello!", "annotations": []}}],
}
OUTPUT = {
    "type": "message",
    "id": "msg_r",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Hello!", "annotations": []}],
}


def thread_send(odd: OddServer) -> None:
    odd.on("POST", "/threads/thread_a/messages", USER)


async def events_of(adapter: Any, item_id: str, **kw: Any) -> list[Any]:
    return [e async for e in adapter.send(item_id, "hi", choice=kw.pop("choice", "m"), **kw)]


def statuses(events: list[Any]) -> list[RunStatus]:
    return [e.status for e in events if isinstance(e, StatusChanged)]


async def test_a_response_with_tool_choice_null_does_not_end_the_chat(odd: OddServer) -> None:
    odd.on("POST", "/responses", response("completed", output=[OUTPUT], usage=None))
    events = await events_of(api(odd, Kind.CONVERSATION), "conv_a")
    assert statuses(events)[-1] is RunStatus.COMPLETED
    assert [e.turn.text for e in events if isinstance(e, TurnCompleted)] == ["Hello!"]


async def test_a_run_with_tool_choice_null_is_polled_to_its_end(odd: OddServer) -> None:
    thread_send(odd)
    odd.on("POST", "/threads/thread_a/runs", run("queued"))
    odd.on_each(
        "GET", "/threads/thread_a/runs/run_1", Canned(run("in_progress")), Canned(run("completed"))
    )
    odd.on("GET", "/threads/thread_a/messages", page(REPLY))
    events = await events_of(api(odd, Kind.THREAD), "thread_a")
    assert statuses(events) == [RunStatus.QUEUED, RunStatus.IN_PROGRESS, RunStatus.COMPLETED]
    assert [e.turn.text for e in events if isinstance(e, TurnCompleted)] == ["hi", "Hello!"]


def _thread_stream(named: bool) -> str:
    delta = {
        "id": "msg_r",
        "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": {"value": "Hel"}}]},
    }
    events = [
        ("thread.run.created", run("queued")),
        ("thread.run.in_progress", run("in_progress")),
        ("thread.message.delta", delta),
        ("thread.message.delta", {**delta, "delta": {"content": "lo!"}}),
        ("thread.message.completed", REPLY),
        ("thread.run.completed", run("completed", usage={"prompt_tokens": 3})),
    ]
    return sse(*((name if named else None, data) for name, data in events))


@pytest.mark.parametrize("named", [True, False], ids=["event-lines", "no-event-lines"])
async def test_thread_stream_events_are_named_by_event_line_or_payload(
    odd: OddServer, named: bool
) -> None:
    thread_send(odd)
    odd.on("POST", "/threads/thread_a/runs", _thread_stream(named), media_type=SSE)
    events = await events_of(api(odd, Kind.THREAD), "thread_a")
    assert statuses(events) == [RunStatus.QUEUED, RunStatus.IN_PROGRESS, RunStatus.COMPLETED]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello!"
    assert odd.count("GET", "/threads/thread_a/runs/run_1") == 0


def _response_stream(named: bool, *, final: bool = True) -> str:
    events: list[tuple[str, Any]] = [
        ("response.created", {"type": "response.created", "response": response("in_progress")}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "delta": "Hel"}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "delta": "lo!"}),
        ("response.output_item.done", {"type": "response.output_item.done", "item": OUTPUT}),
    ]
    if final:
        done = response("completed", usage={"input_tokens": 2, "output_tokens": 1})
        events.append(("response.completed", {"type": "response.completed", "response": done}))
    return sse(*((name if named else None, data) for name, data in events))


@pytest.mark.parametrize("named", [True, False], ids=["event-lines", "no-event-lines"])
async def test_response_stream_events_are_named_by_event_line_or_payload(
    odd: OddServer, named: bool
) -> None:
    odd.on("POST", "/responses", _response_stream(named), media_type=SSE)
    events = await events_of(api(odd, Kind.CONVERSATION), "conv_a")
    assert statuses(events)[-1] is RunStatus.COMPLETED
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello!"


@pytest.mark.parametrize("kind", CHATTING)
async def test_unknown_events_comments_and_non_json_data_are_skipped(
    odd: OddServer, kind: Kind
) -> None:
    noise = ': keep-alive\n\ndata: ping\n\nevent: vendor.thing\ndata: {"x": 1}\n\n'
    noise += sse((None, {"type": "response.vendor_extra"}), ("thread.unknown", {"a": 1}))
    thread_send(odd)
    odd.on("POST", "/threads/thread_a/runs", noise + _thread_stream(True), media_type=SSE)
    odd.on("POST", "/responses", noise + _response_stream(True), media_type=SSE)
    item_id = "thread_a" if kind is Kind.THREAD else "conv_a"
    events = await events_of(api(odd, kind), item_id)
    assert statuses(events)[-1] is RunStatus.COMPLETED


async def test_a_response_stream_ending_early_is_polled_to_its_end(odd: OddServer) -> None:
    odd.on("POST", "/responses", _response_stream(True, final=False), media_type=SSE)
    later = response("completed", output=[OUTPUT])
    odd.on_each("GET", "/responses/resp_1", Canned(response("in_progress")), Canned(later))
    events = await events_of(api(odd, Kind.CONVERSATION), "conv_a")
    assert statuses(events)[-1] is RunStatus.COMPLETED
    assert len([e for e in events if isinstance(e, TurnCompleted)]) == 1  # not twice
    assert odd.count("GET", "/responses/resp_1") == 2


async def test_a_thread_stream_naming_no_run_finds_the_active_run(odd: OddServer) -> None:
    thread_send(odd)
    delta = {"id": "msg_r", "delta": {"content": "Hel"}}
    odd.on("POST", "/threads/thread_a/runs", sse(("thread.message.delta", delta)), media_type=SSE)
    odd.on("GET", "/threads/thread_a/runs", page(run("in_progress")))
    odd.on_each(
        "GET", "/threads/thread_a/runs/run_1", Canned(run("in_progress")), Canned(run("completed"))
    )
    odd.on("GET", "/threads/thread_a/messages", page(REPLY))
    events = await events_of(api(odd, Kind.THREAD), "thread_a")
    assert statuses(events)[-1] is RunStatus.COMPLETED
    assert [e.turn.text for e in events if isinstance(e, TurnCompleted)][-1] == "Hello!"


@pytest.mark.parametrize("kind", CHATTING)
async def test_a_stream_that_ends_naming_nothing_ends_with_a_clear_error(
    odd: OddServer, kind: Kind
) -> None:
    thread_send(odd)
    only_text = sse(("thread.message.delta", {"id": "m", "delta": {"content": "Hel"}}))
    odd.on("POST", "/threads/thread_a/runs", only_text, media_type=SSE)
    odd.on("GET", "/threads/thread_a/runs", page())
    delta = {"type": "response.output_text.delta", "delta": "Hel"}
    odd.on("POST", "/responses", sse((None, delta)), media_type=SSE)
    item_id = "thread_a" if kind is Kind.THREAD else "conv_a"
    with pytest.raises(ApiError, match="ended the reply's event stream"):
        await events_of(api(odd, kind), item_id)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
async def test_events_are_the_same_however_the_bytes_are_split(size: int) -> None:
    from tui.api.polling import sse as decode

    raw = (
        b"event: a\r\ndata: 1\r\n\r\n: note\rdata: x\rdata: y\r\r"
        b'data: {"z": 2}\n\nevent: b\ndata: end'
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), size):
            yield raw[start : start + size]

    events = [e async for e in decode(chunks())]
    assert events == [("a", "1"), (None, "x\ny"), (None, '{"z": 2}'), ("b", "end")]


async def test_an_event_over_the_size_limit_is_refused() -> None:
    from tui.api.errors import BadShape
    from tui.api.polling import sse as decode

    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: " + b"x" * 2_000
        yield b"\n\n"

    with pytest.raises(BadShape, match="event"):
        [e async for e in decode(chunks(), limit=1_000)]


@pytest.mark.parametrize("kind", CHATTING)
async def test_a_stream_that_never_ends_is_stopped_with_a_clear_error(
    odd: OddServer, kind: Kind
) -> None:
    import asyncio

    async def endless() -> AsyncIterator[str]:
        yield sse(("thread.run.created", run("in_progress")))
        yield sse(("response.created", {"type": "response.created", "response": response("q")}))
        while True:
            yield sse((None, {"type": "response.output_text.delta", "delta": "and "}))
            yield sse(("thread.message.delta", {"id": "m", "delta": {"content": "and "}}))
            await asyncio.sleep(0.02)

    thread_send(odd)
    odd.on("POST", "/threads/thread_a/runs", endless, media_type=SSE)
    odd.on("POST", "/responses", endless, media_type=SSE)
    adapter = api(odd, kind)
    adapter.backoff = Backoff(first=0.01, cap=0.05, total=1.0)
    item_id = "thread_a" if kind is Kind.THREAD else "conv_a"
    with pytest.raises(ApiError, match="Still streaming after 1 s"):
        await asyncio.wait_for(events_of(adapter, item_id), 10)
