"""Contract of the emulator's runs: statuses, streams, steps, tools, cancel, conflicts."""

from __future__ import annotations

import json
import threading
import time

import openai
import pytest

from tests.conftest import strict_async_client, strict_client

MODEL = "gpt-4.1"
TERMINAL = ("completed", "failed", "cancelled", "expired", "incomplete", "requires_action")
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
STREAM_ORDER_HEAD = [
    "thread.run.created",
    "thread.run.queued",
    "thread.run.in_progress",
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.message.created",
    "thread.message.in_progress",
]
STREAM_ORDER_TAIL = [
    "thread.message.completed",
    "thread.run.step.completed",
    "thread.run.completed",
]


def text_of(message) -> str:
    return "".join(block.text.value for block in message.content if block.type == "text")


def wait_run(client, thread_id: str, run_id: str, timeout: float = 15.0):
    """Poll until the run leaves the active statuses (bounded)."""
    deadline = time.monotonic() + timeout
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    while run.status not in TERMINAL:
        assert time.monotonic() < deadline, f"run stuck in {run.status}"
        time.sleep(0.02)
        run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    return run


def setup_thread(client, prompt: str = "Explain cursors", tools=None):
    asst = client.beta.assistants.create(model=MODEL, name="helper", tools=tools or [])
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread.id, role="user", content=prompt)
    return asst, thread


def squash_deltas(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name == "thread.message.delta" and out and out[-1] == name:
            continue
        out.append(name)
    return out


# plain runs


def test_run_create_retrieve_list_update(client) -> None:
    asst, thread = setup_thread(client)
    run = client.beta.threads.runs.create(
        thread.id, assistant_id=asst.id, metadata={"attempt": "1"}
    )
    assert run.id.startswith("run_") and run.object == "thread.run"
    assert (run.thread_id, run.assistant_id, run.model) == (thread.id, asst.id, MODEL)
    assert run.status in ("queued", "in_progress", "completed")
    assert run.metadata == {"attempt": "1"}

    done = wait_run(client, thread.id, run.id)
    assert done.status == "completed"
    assert done.started_at is not None and done.completed_at is not None
    assert done.last_error is None and done.required_action is None
    assert done.usage is not None and done.usage.total_tokens == (
        done.usage.prompt_tokens + done.usage.completion_tokens
    )
    assert done.usage.completion_tokens > 0

    run2 = client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    wait_run(client, thread.id, run2.id)
    listed = client.beta.threads.runs.list(thread.id)
    assert [r.id for r in listed.data] == [run2.id, run.id]
    assert [r.id for r in client.beta.threads.runs.list(thread.id, order="asc", limit=1)] == [
        run.id,
        run2.id,
    ]

    updated = client.beta.threads.runs.update(run.id, thread_id=thread.id, metadata={"k": "v"})
    assert updated.metadata == {"k": "v"} and updated.status == "completed"
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).metadata == {"k": "v"}


def test_run_reply_is_an_assistant_message(client) -> None:
    asst, thread = setup_thread(client, "How do I page through messages?")
    run = client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    assert wait_run(client, thread.id, run.id).status == "completed"
    newest = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert (newest.role, newest.run_id, newest.assistant_id) == ("assistant", run.id, asst.id)
    assert newest.status == "completed"
    assert len(text_of(newest)) > 20


def test_run_steps_list_and_retrieve(client) -> None:
    asst, thread = setup_thread(client)
    run = client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    assert wait_run(client, thread.id, run.id).status == "completed"
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id)
    assert len(steps.data) == 1
    step = steps.data[0]
    assert step.id.startswith("step_") and step.object == "thread.run.step"
    assert (step.type, step.status, step.run_id, step.thread_id) == (
        "message_creation",
        "completed",
        run.id,
        thread.id,
    )
    reply = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert step.step_details.message_creation.message_id == reply.id
    assert step.usage is not None and step.usage.completion_tokens > 0

    fetched = client.beta.threads.runs.steps.retrieve(step.id, thread_id=thread.id, run_id=run.id)
    assert fetched == step
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.threads.runs.steps.retrieve("step_nope", thread_id=thread.id, run_id=run.id)
    assert caught.value.body["message"] == "No run step found with id 'step_nope'."


def test_unknown_run_and_assistant_are_404(client) -> None:
    thread = client.beta.threads.create()
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.threads.runs.retrieve("run_nope", thread_id=thread.id)
    assert caught.value.body["message"] == "No run found with id 'run_nope'."
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.threads.runs.create(thread.id, assistant_id="asst_nope")
    assert caught.value.body["message"] == "No assistant found with id 'asst_nope'."


def test_additional_messages_join_the_thread(client) -> None:
    asst = client.beta.assistants.create(model=MODEL)
    thread = client.beta.threads.create()
    run = client.beta.threads.runs.create(
        thread.id,
        assistant_id=asst.id,
        additional_messages=[{"role": "user", "content": "added with the run"}],
    )
    assert wait_run(client, thread.id, run.id).status == "completed"
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert [(m.role, m.run_id) for m in messages] == [("user", None), ("assistant", run.id)]
    assert text_of(messages[0]) == "added with the run"


# streaming


def test_stream_events_arrive_in_the_real_order(client) -> None:
    asst, thread = setup_thread(client, "Show me a code snippet")
    events = list(client.beta.threads.runs.create(thread.id, assistant_id=asst.id, stream=True))
    names = [e.event for e in events]
    assert squash_deltas(names) == [*STREAM_ORDER_HEAD, "thread.message.delta", *STREAM_ORDER_TAIL]
    assert names.count("thread.message.delta") >= 5

    run_id = events[0].data.id
    assert [e.data.status for e in events[:3]] == ["queued", "queued", "in_progress"]
    assert all(
        e.data.id == run_id
        for e in events
        if e.event.startswith("thread.run.") and not e.event.startswith("thread.run.step")
    )
    message_id = events[5].data.id
    deltas = [e.data for e in events if e.event == "thread.message.delta"]
    assert all(d.id == message_id and d.object == "thread.message.delta" for d in deltas)
    streamed = "".join(d.delta.content[0].text.value for d in deltas)

    completed_msg = next(e.data for e in events if e.event == "thread.message.completed")
    assert text_of(completed_msg) == streamed
    stored = client.beta.threads.messages.retrieve(message_id, thread_id=thread.id)
    assert text_of(stored) == streamed and stored.status == "completed"
    final = events[-1].data
    assert final.status == "completed" and final.completed_at is not None
    assert client.beta.threads.runs.retrieve(run_id, thread_id=thread.id).status == "completed"


def test_stream_deltas_arrive_incrementally(make_server) -> None:
    server = make_server(token_delay_ms=30)
    client = strict_client(server.base_url)
    asst, thread = setup_thread(client, "Tell me about tables")
    arrivals: list[float] = []
    with client.beta.threads.runs.create(thread.id, assistant_id=asst.id, stream=True) as stream:
        for event in stream:
            if event.event == "thread.message.delta":
                arrivals.append(time.monotonic())
    assert len(arrivals) >= 10
    expected = (len(arrivals) - 1) * 0.030
    spread = arrivals[-1] - arrivals[0]
    assert spread >= 0.3 * expected, (spread, expected)
    # not one burst at the end: the first half of the deltas came well before the last one
    assert arrivals[-1] - arrivals[len(arrivals) // 2] >= 0.1 * expected


async def test_async_stream_run(aclient) -> None:
    asst = await aclient.beta.assistants.create(model=MODEL)
    thread = await aclient.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    stream = await aclient.beta.threads.runs.create(thread.id, assistant_id=asst.id, stream=True)
    names = [event.event async for event in stream]
    assert names[0] == "thread.run.created" and names[-1] == "thread.run.completed"
    assert "thread.message.delta" in names


# faults chosen by the prompt


def test_fail_directive_fails_the_run(client) -> None:
    asst, thread = setup_thread(client, "please #fail now")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=asst.id, poll_interval_ms=20
    )
    assert run.status == "failed"
    assert run.failed_at is not None
    assert run.last_error is not None
    assert run.last_error.code == "server_error" and run.last_error.message
    reply = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert reply.role == "assistant" and reply.status == "incomplete"
    step = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data[0]
    assert step.status == "failed" and step.last_error is not None


def test_fail_directive_stream_ends_with_run_failed(client) -> None:
    asst, thread = setup_thread(client, "#fail")
    names = [
        e.event
        for e in client.beta.threads.runs.create(thread.id, assistant_id=asst.id, stream=True)
    ]
    assert names[-3:] == [
        "thread.message.incomplete",
        "thread.run.step.failed",
        "thread.run.failed",
    ]


def test_incomplete_directive(client) -> None:
    asst, thread = setup_thread(client, "long answer #incomplete")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=asst.id, poll_interval_ms=20
    )
    assert run.status == "incomplete"
    assert run.incomplete_details is not None
    assert run.incomplete_details.reason == "max_completion_tokens"
    reply = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert reply.status == "incomplete"
    assert reply.incomplete_details is not None and reply.incomplete_details.reason == "max_tokens"


def test_expire_directive(client) -> None:
    asst, thread = setup_thread(client, "#expire")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=asst.id, poll_interval_ms=20
    )
    assert run.status == "expired"
    assert [m.role for m in client.beta.threads.messages.list(thread.id)] == ["user"]


# cancel


def test_cancel_mid_stream(make_server) -> None:
    server = make_server(token_delay_ms=50)
    client = strict_client(server.base_url)
    other = strict_client(server.base_url)
    asst, thread = setup_thread(client, "Write a long explanation")
    names: list[str] = []
    cancelled = None
    with client.beta.threads.runs.create(thread.id, assistant_id=asst.id, stream=True) as stream:
        for event in stream:
            names.append(event.event)
            if event.event == "thread.run.created":
                run_id = event.data.id
            if names.count("thread.message.delta") == 3 and cancelled is None:
                cancelled = other.beta.threads.runs.cancel(run_id, thread_id=thread.id)
    assert cancelled is not None and cancelled.status == "cancelling"
    assert names[-1] == "thread.run.cancelled"
    assert "thread.run.cancelling" in names
    assert "thread.message.completed" not in names
    assert names.count("thread.message.delta") < 15

    run = client.beta.threads.runs.retrieve(cancelled.id, thread_id=thread.id)
    assert run.status == "cancelled" and run.cancelled_at is not None
    reply = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert reply.role == "assistant" and reply.status == "incomplete"
    assert reply.incomplete_details is not None
    step = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data[0]
    assert step.status == "cancelled"


def test_cancel_finished_run_is_400(client) -> None:
    asst, thread = setup_thread(client)
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=asst.id, poll_interval_ms=20
    )
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert "completed" in caught.value.body["message"]


def test_active_run_conflict(make_server) -> None:
    server = make_server(token_delay_ms=200)
    client = strict_client(server.base_url)
    asst, thread = setup_thread(client)
    run = client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    message = caught.value.body["message"]
    assert "already has an active run" in message and run.id in message
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.messages.create(thread.id, role="user", content="more")
    assert "while a run" in caught.value.body["message"]

    client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert wait_run(client, thread.id, run.id).status == "cancelled"
    # once the run is over, the thread accepts a new one
    client.beta.threads.messages.create(thread.id, role="user", content="again")
    assert client.beta.threads.runs.create(thread.id, assistant_id=asst.id).id != run.id


# tools


def test_function_tool_requires_action_then_completes(client) -> None:
    asst, thread = setup_thread(client, "Weather in Paris?", tools=[WEATHER_TOOL])
    run = client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    run = wait_run(client, thread.id, run.id)
    assert run.status == "requires_action"
    assert run.required_action is not None
    assert run.required_action.type == "submit_tool_outputs"
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert len(calls) == 1
    call = calls[0]
    assert call.id.startswith("call_") and call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # from the schema

    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.runs.submit_tool_outputs(
            run.id,
            thread_id=thread.id,
            tool_outputs=[{"tool_call_id": "call_wrong", "output": "x"}],
        )
    assert caught.value.param == "tool_outputs"

    after = client.beta.threads.runs.submit_tool_outputs(
        run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "18C and sunny"}],
    )
    assert after.id == run.id and after.required_action is None
    done = wait_run(client, thread.id, run.id)
    assert done.status == "completed"
    reply = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert reply.role == "assistant" and "18C and sunny" in text_of(reply)

    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    tool_call = steps[0].step_details.tool_calls[0]
    assert tool_call.id == call.id and tool_call.function.output == "18C and sunny"


def test_function_tool_stream_then_streamed_submit(client) -> None:
    asst, thread = setup_thread(client, "Weather in Oslo?", tools=[WEATHER_TOOL])
    first = list(client.beta.threads.runs.create(thread.id, assistant_id=asst.id, stream=True))
    names = [e.event for e in first]
    assert names[-1] == "thread.run.requires_action"
    assert "thread.run.step.delta" in names
    run = first[-1].data
    call = run.required_action.submit_tool_outputs.tool_calls[0]

    second = list(
        client.beta.threads.runs.submit_tool_outputs(
            run.id,
            thread_id=thread.id,
            tool_outputs=[{"tool_call_id": call.id, "output": "-3C, snow"}],
            stream=True,
        )
    )
    names = [e.event for e in second]
    assert names[-1] == "thread.run.completed"
    assert "thread.message.delta" in names
    streamed = "".join(
        e.data.delta.content[0].text.value for e in second if e.event == "thread.message.delta"
    )
    assert "-3C, snow" in streamed


def test_cancel_run_waiting_for_tool_outputs(client) -> None:
    asst, thread = setup_thread(client, "Weather?", tools=[WEATHER_TOOL])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=asst.id, poll_interval_ms=20
    )
    assert run.status == "requires_action"
    client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert wait_run(client, thread.id, run.id).status == "cancelled"


# create_and_run


def test_create_and_run_plain(client) -> None:
    asst = client.beta.assistants.create(model=MODEL)
    run = client.beta.threads.create_and_run(
        assistant_id=asst.id,
        thread={"messages": [{"role": "user", "content": "Hello!"}], "metadata": {"t": "1"}},
    )
    assert run.thread_id.startswith("thread_") and run.assistant_id == asst.id
    assert wait_run(client, run.thread_id, run.id).status == "completed"
    thread = client.beta.threads.retrieve(run.thread_id)
    assert thread.metadata == {"t": "1"}
    roles = [m.role for m in client.beta.threads.messages.list(run.thread_id, order="asc")]
    assert roles == ["user", "assistant"]


def test_create_and_run_stream_starts_with_thread_created(client) -> None:
    asst = client.beta.assistants.create(model=MODEL)
    events = list(
        client.beta.threads.create_and_run(
            assistant_id=asst.id,
            thread={"messages": [{"role": "user", "content": "Hello!"}]},
            stream=True,
        )
    )
    assert events[0].event == "thread.created"
    thread_id = events[0].data.id
    assert events[1].event == "thread.run.created" and events[1].data.thread_id == thread_id
    assert events[-1].event == "thread.run.completed"
    assert client.beta.threads.retrieve(thread_id).id == thread_id


async def test_create_and_run_stream_async(server) -> None:
    async with strict_async_client(server.base_url) as aclient:
        asst = await aclient.beta.assistants.create(model=MODEL)
        stream = await aclient.beta.threads.create_and_run(
            assistant_id=asst.id,
            thread={"messages": [{"role": "user", "content": "Hi async"}]},
            stream=True,
        )
        events = [event async for event in stream]
        assert events[0].event == "thread.created"
        assert events[-1].event == "thread.run.completed"
        run = await aclient.beta.threads.runs.retrieve(
            events[-1].data.id, thread_id=events[0].data.id
        )
        assert run.status == "completed"


def test_parallel_streams_on_two_threads(server) -> None:
    """Two runs stream at once on separate connections without mixing their events."""
    results: dict[str, tuple[str, str, str]] = {}

    def worker(tag: str) -> None:
        with strict_client(server.base_url) as c:
            asst, thread = setup_thread(c, f"prompt number {tag}")
            events = list(c.beta.threads.runs.create(thread.id, assistant_id=asst.id, stream=True))
            message_id = next(e.data.id for e in events if e.event == "thread.message.created")
            streamed = "".join(
                e.data.delta.content[0].text.value
                for e in events
                if e.event == "thread.message.delta" and e.data.id == message_id
            )
            stored = c.beta.threads.messages.retrieve(message_id, thread_id=thread.id)
            results[tag] = (events[-1].event, streamed, text_of(stored))

    workers = [threading.Thread(target=worker, args=(tag,)) for tag in ("a", "b")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    assert set(results) == {"a", "b"}
    for last, streamed, stored in results.values():
        assert last == "thread.run.completed"
        assert streamed and streamed == stored
