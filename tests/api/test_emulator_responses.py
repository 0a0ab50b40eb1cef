"""Contract of the emulator's responses: plain, streamed, background, resumed, cancelled."""

from __future__ import annotations

import json
import time

import openai
import pytest

from tests.conftest import strict_async_client, strict_client

MODEL = "gpt-4.1"
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": False,
}
STREAM_HEAD = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
]
STREAM_TAIL = [
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def squash(types: list[str], repeated: str = "response.output_text.delta") -> list[str]:
    out: list[str] = []
    for t in types:
        if t == repeated and out and out[-1] == t:
            continue
        out.append(t)
    return out


def wait_response(client, response_id: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    resp = client.responses.retrieve(response_id)
    while resp.status in ("queued", "in_progress"):
        assert time.monotonic() < deadline, f"response stuck in {resp.status}"
        time.sleep(0.02)
        resp = client.responses.retrieve(response_id)
    return resp


def test_plain_response(client) -> None:
    resp = client.responses.create(
        model=MODEL, input="Explain cursor pagination", metadata={"trace": "t1"}
    )
    assert resp.id.startswith("resp_") and len(resp.id) == len("resp_") + 48
    assert resp.object == "response" and resp.status == "completed"
    assert resp.model == MODEL and resp.metadata == {"trace": "t1"}
    assert resp.background is False and resp.error is None and resp.conversation is None
    assert len(resp.output) == 1
    message = resp.output[0]
    assert message.type == "message" and message.role == "assistant"
    assert message.status == "completed" and message.content[0].type == "output_text"
    assert resp.output_text == message.content[0].text and len(resp.output_text) > 20
    assert resp.usage is not None
    assert resp.usage.total_tokens == resp.usage.input_tokens + resp.usage.output_tokens
    assert resp.usage.output_tokens > 0

    fetched = client.responses.retrieve(resp.id)
    assert fetched.model_dump() == resp.model_dump()

    inputs = client.responses.input_items.list(resp.id)
    assert len(inputs.data) == 1
    assert inputs.data[0].role == "user"
    assert inputs.data[0].content[0].text == "Explain cursor pagination"

    assert client.responses.delete(resp.id) is None
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.retrieve(resp.id)
    assert caught.value.body["message"] == f"Response with id '{resp.id}' not found."


def test_same_input_same_reply(client) -> None:
    first = client.responses.create(model=MODEL, input="Same prompt")
    second = client.responses.create(model=MODEL, input="Same prompt")
    assert first.id != second.id
    assert first.output_text == second.output_text


def test_missing_input_or_model_is_400(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/responses", body={"model": MODEL}, cast_to=object)
    assert caught.value.param == "input"
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/responses", body={"input": "hi"}, cast_to=object)
    assert caught.value.param == "model"


def test_stream_events_order_and_text(client) -> None:
    events = list(client.responses.create(model=MODEL, input="Show me a table", stream=True))
    types = [e.type for e in events]
    assert squash(types) == [*STREAM_HEAD, "response.output_text.delta", *STREAM_TAIL]
    assert types.count("response.output_text.delta") >= 5
    assert [e.sequence_number for e in events] == list(range(len(events)))

    created = events[0].response
    assert created.status == "in_progress" and created.output == []
    item_id = events[2].item.id
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert all(d.item_id == item_id and d.output_index == 0 for d in deltas)
    streamed = "".join(d.delta for d in deltas)
    assert events[-4].text == streamed

    final = events[-1].response
    assert final.status == "completed" and final.output_text == streamed
    stored = client.responses.retrieve(final.id)
    assert stored.status == "completed" and stored.output_text == streamed


async def test_async_stream(aclient) -> None:
    stream = await aclient.responses.create(model=MODEL, input="async hello", stream=True)
    events = [event async for event in stream]
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert (await aclient.responses.retrieve(events[-1].response.id)).output_text == text


def test_background_response_polls_to_completed(client) -> None:
    resp = client.responses.create(model=MODEL, input="long job", background=True)
    assert resp.background is True and resp.status == "queued"
    assert resp.output == [] and resp.usage is None
    done = wait_response(client, resp.id)
    assert done.status == "completed" and done.output_text
    assert done.completed_at is not None


async def test_background_response_async(aclient) -> None:
    resp = await aclient.responses.create(model=MODEL, input="bg async", background=True)
    assert resp.status == "queued"
    for _ in range(500):
        resp = await aclient.responses.retrieve(resp.id)
        if resp.status not in ("queued", "in_progress"):
            break
        time.sleep(0.01)
    assert resp.status == "completed"


def test_background_stream_starts_with_queued(client) -> None:
    events = list(client.responses.create(model=MODEL, input="bg", background=True, stream=True))
    assert [e.type for e in events[:3]] == [
        "response.created",
        "response.queued",
        "response.in_progress",
    ]
    assert events[-1].type == "response.completed"


def test_resume_finished_stream_with_starting_after(client) -> None:
    resp = client.responses.create(model=MODEL, input="resume me", background=True)
    done = wait_response(client, resp.id)
    full = list(client.responses.retrieve(resp.id, stream=True))
    assert [e.sequence_number for e in full] == list(range(len(full)))
    assert full[-1].type == "response.completed"

    tail = list(client.responses.retrieve(resp.id, stream=True, starting_after=3))
    assert [e.sequence_number for e in tail] == list(range(4, len(full)))
    assert [e.type for e in tail] == [e.type for e in full[4:]]
    assert tail[-1].response.output_text == done.output_text


def test_resume_a_dropped_stream_mid_way(make_server) -> None:
    server = make_server(token_delay_ms=20)
    client = strict_client(server.base_url)
    stream = client.responses.create(model=MODEL, input="drop me", background=True, stream=True)
    head = []
    for event in stream:
        head.append(event)
        if event.type == "response.output_text.delta" and len(head) >= 7:
            break
    stream.close()
    response_id = head[0].response.id
    last_seen = head[-1].sequence_number
    rest = list(client.responses.retrieve(response_id, stream=True, starting_after=last_seen))
    events = head + rest
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == events[-1].response.output_text
    assert client.responses.retrieve(response_id).output_text == text


def test_cancel_background_response(make_server) -> None:
    server = make_server(token_delay_ms=100)
    client = strict_client(server.base_url)
    resp = client.responses.create(model=MODEL, input="cancel me", background=True)
    cancelled = client.responses.cancel(resp.id)
    assert cancelled.id == resp.id and cancelled.status == "cancelled"
    assert wait_response(client, resp.id).status == "cancelled"
    # cancelling again is idempotent: the final response comes back
    assert client.responses.cancel(resp.id).status == "cancelled"


def test_cancel_non_background_is_400(client) -> None:
    resp = client.responses.create(model=MODEL, input="quick")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.cancel(resp.id)
    assert caught.value.status_code == 400
    assert "background" in caught.value.body["message"]
    assert client.responses.retrieve(resp.id).status == "completed"


def test_cancel_background_stream_mid_way(make_server) -> None:
    server = make_server(token_delay_ms=50)
    client = strict_client(server.base_url)
    other = strict_client(server.base_url)
    types: list[str] = []
    response_id = None
    with client.responses.create(
        model=MODEL, input="a long story", background=True, stream=True
    ) as stream:
        for event in stream:
            types.append(event.type)
            if event.type == "response.created":
                response_id = event.response.id
            if types.count("response.output_text.delta") == 3:
                assert other.responses.cancel(response_id).status == "cancelled"
    assert "response.completed" not in types
    assert types.count("response.output_text.delta") < 10
    final = client.responses.retrieve(response_id)
    assert final.status == "cancelled"


async def test_cancel_async(make_server) -> None:
    server = make_server(token_delay_ms=100)
    async with strict_async_client(server.base_url) as aclient:
        resp = await aclient.responses.create(model=MODEL, input="x", background=True)
        assert (await aclient.responses.cancel(resp.id)).status == "cancelled"


# faults chosen by the prompt


def test_fail_directive(client) -> None:
    resp = client.responses.create(model=MODEL, input="please #fail")
    assert resp.status == "failed"
    assert resp.error is not None and resp.error.code == "server_error" and resp.error.message


def test_fail_directive_streams_response_failed(client) -> None:
    events = list(client.responses.create(model=MODEL, input="#fail", stream=True))
    assert events[-1].type == "response.failed"
    assert events[-1].response.status == "failed"
    assert events[-1].response.error is not None
    assert client.responses.retrieve(events[-1].response.id).status == "failed"


def test_incomplete_directive(client) -> None:
    events = list(client.responses.create(model=MODEL, input="#incomplete", stream=True))
    assert events[-1].type == "response.incomplete"
    final = events[-1].response
    assert final.status == "incomplete"
    assert final.incomplete_details is not None
    assert final.incomplete_details.reason == "max_output_tokens"
    assert final.output[0].status == "incomplete"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert final.output_text == text


# tools


def test_function_tool_round_trip(client) -> None:
    first = client.responses.create(model=MODEL, input="Weather in Lima?", tools=[WEATHER_TOOL])
    assert first.status == "completed"
    assert [o.type for o in first.output] == ["function_call"]
    call = first.output[0]
    assert call.name == "get_weather" and call.status == "completed"
    assert call.id.startswith("fc_") and call.call_id.startswith("call_")
    assert json.loads(call.arguments) == {"city": "Lima"}  # from the schema and the prompt
    assert first.output_text == ""

    second = client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "19C, fog"}],
        tools=[WEATHER_TOOL],
    )
    assert second.status == "completed"
    assert second.previous_response_id == first.id
    assert "19C, fog" in second.output_text


def test_function_tool_stream_events(client) -> None:
    events = list(
        client.responses.create(model=MODEL, input="Weather?", tools=[WEATHER_TOOL], stream=True)
    )
    types = [e.type for e in events]
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[4].arguments == events[3].delta
    assert events[-1].response.output[0].arguments == events[4].arguments


def test_function_tool_in_a_conversation(client) -> None:
    conv = client.conversations.create()
    first = client.responses.create(
        model=MODEL, input="Weather in Kyiv?", tools=[WEATHER_TOOL], conversation=conv.id
    )
    call = first.output[0]
    second = client.responses.create(
        model=MODEL,
        conversation=conv.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "5C"}],
    )
    assert "5C" in second.output_text
    kinds = [i.type for i in client.conversations.items.list(conv.id, order="asc")]
    assert kinds == ["message", "function_call", "function_call_output", "message"]


def test_conversation_and_previous_response_are_exclusive(client) -> None:
    conv = client.conversations.create()
    first = client.responses.create(model=MODEL, input="a")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODEL, input="b", conversation=conv.id, previous_response_id=first.id
        )
    assert caught.value.param == "conversation"


# models


def test_models_list(client) -> None:
    models = client.models.list()
    ids = [m.id for m in models]
    assert "gpt-4.1" in ids and len(ids) == len(set(ids))
    assert all(m.object == "model" for m in models.data)


async def test_models_list_async(aclient) -> None:
    ids = [m.id async for m in aclient.models.list()]
    assert "gpt-4.1" in ids
