"""The same scenario through both adapters gives the same dataclasses."""

from __future__ import annotations

import pytest

from tests.conftest import CHATTING, TEST_KEY
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import NotFound
from tui.model import (
    Connection,
    HistoryPage,
    Kind,
    RemoteItem,
    RunStatus,
    StatusChanged,
    TextDelta,
    ToolCallsRequested,
    ToolOutput,
    Turn,
    TurnCompleted,
    TurnKind,
    UsageReported,
)


def adapter(server, kind: Kind):
    connection = Connection(server.base_url)
    client = make_client(connection, TEST_KEY, strict=True, max_retries=0)
    return adapter_for(kind, client, connection)


async def choice_for(api, kind: Kind, tools=None) -> str:
    if kind is Kind.CONVERSATION:
        return "gpt-4.1"
    asst = await api.client.beta.assistants.create(model="gpt-4.1", name="t", tools=tools or [])
    return asst.id


@pytest.mark.parametrize("kind", CHATTING)
async def test_lifecycle_same_shapes(server, kind: Kind) -> None:
    api = adapter(server, kind)
    item = await api.create(metadata={"title": "Hello"}, first_message="first question")
    assert isinstance(item, RemoteItem)
    assert item.kind is kind and item.id.startswith(kind.prefix)
    assert item.title == "Hello"

    again = await api.retrieve(item.id)
    assert again == item

    updated = await api.update_metadata(item.id, {"title": "Renamed", "user_id": "u1"})
    assert updated.metadata == {"title": "Renamed", "user_id": "u1"}

    page = await api.history(item.id)
    assert isinstance(page, HistoryPage)
    assert [t.role for t in page.turns] == ["user"]
    assert page.turns[0].text == "first question"
    assert not page.has_older

    await api.delete(item.id)
    with pytest.raises(NotFound) as caught:
        await api.retrieve(item.id)
    assert item.id in str(caught.value)
    await api.client.close()


@pytest.mark.parametrize("kind", CHATTING)
async def test_send_streams_status_text_and_usage(server, kind: Kind) -> None:
    api = adapter(server, kind)
    item = await api.create()
    choice = await choice_for(api, kind)
    events = [e async for e in api.send(item.id, "Say hello in a few languages.", choice=choice)]

    statuses = [e.status for e in events if isinstance(e, StatusChanged)]
    assert statuses[0] in (RunStatus.QUEUED, RunStatus.IN_PROGRESS)
    assert statuses[-1] is RunStatus.COMPLETED
    deltas = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert len([e for e in events if isinstance(e, TextDelta)]) > 3
    replies = [
        e.turn for e in events if isinstance(e, TurnCompleted) and e.turn.role == "assistant"
    ]
    assert len(replies) == 1 and replies[0].text == deltas
    usage = [e.usage for e in events if isinstance(e, UsageReported)]
    assert usage and usage[0].output_tokens > 0

    page = await api.history(item.id)
    assert page.turns[-1].role == "assistant"
    assert page.turns[-1].text == deltas
    assert page.turns[-2].text == "Say hello in a few languages."
    await api.client.close()


@pytest.mark.parametrize("kind", CHATTING)
async def test_history_pages_newest_first_with_cursor(server, kind: Kind) -> None:
    api = adapter(server, kind)
    item = await api.create()
    raw = api.client
    for n in range(7):
        if kind is Kind.THREAD:
            await raw.beta.threads.messages.create(item.id, role="user", content=f"m{n}")
        else:
            await raw.conversations.items.create(
                item.id, items=[{"type": "message", "role": "user", "content": f"m{n}"}]
            )
    newest = await api.history(item.id, limit=3)
    assert [t.text for t in newest.turns] == ["m4", "m5", "m6"]
    middle = await api.history(item.id, before=newest.older_cursor, limit=3)
    assert [t.text for t in middle.turns] == ["m1", "m2", "m3"]
    oldest = await api.history(item.id, before=middle.older_cursor, limit=3)
    assert [t.text for t in oldest.turns] == ["m0"]
    assert not oldest.has_older
    await raw.close()


@pytest.mark.parametrize("kind", CHATTING)
async def test_tool_calls_requested_then_answered(server, kind: Kind) -> None:
    api = adapter(server, kind)
    item = await api.create()
    tools: list = []
    params = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    if kind is Kind.THREAD:
        fn = {"type": "function", "function": {"name": "get_weather", "parameters": params}}
        choice = await choice_for(api, kind, tools=[fn])
    else:
        choice = "gpt-4.1"
        tools = [{"type": "function", "name": "get_weather", "parameters": params}]
    events = [e async for e in api.send(item.id, "weather in Oslo?", choice=choice, tools=tools)]
    requested = [e for e in events if isinstance(e, ToolCallsRequested)]
    assert len(requested) == 1
    call = requested[0].calls[0]
    assert call.name == "get_weather" and "Oslo" in call.arguments
    statuses = [e.status for e in events if isinstance(e, StatusChanged)]
    assert statuses[-1] is RunStatus.REQUIRES_ACTION

    run_id = requested[0].run_id
    outputs = [ToolOutput(call.call_id, '{"temp_c": 7}')]
    after = [
        e
        async for e in api.submit_tool_outputs(item.id, run_id, outputs, choice=choice, tools=tools)
    ]
    assert [e.status for e in after if isinstance(e, StatusChanged)][-1] is RunStatus.COMPLETED
    text = "".join(e.text for e in after if isinstance(e, TextDelta))
    assert '{"temp_c": 7}' in text
    if kind is Kind.CONVERSATION:
        history = await api.history(item.id)
        kinds = [t.kind for t in history.turns]
        assert TurnKind.TOOL_CALL in kinds and TurnKind.TOOL_OUTPUT in kinds
    await api.client.close()


@pytest.mark.parametrize("kind", CHATTING)
async def test_failed_run_reports_reason(server, kind: Kind) -> None:
    api = adapter(server, kind)
    item = await api.create()
    choice = await choice_for(api, kind)
    events = [e async for e in api.send(item.id, "please #fail now", choice=choice)]
    last = [e for e in events if isinstance(e, StatusChanged)][-1]
    assert last.status is RunStatus.FAILED
    assert last.detail and "failed" in last.detail
    await api.client.close()


async def test_cancel_thread_run_mid_stream(make_server) -> None:
    server = make_server(token_delay_ms=40)
    api = adapter(server, Kind.THREAD)
    item = await api.create()
    choice = await choice_for(api, Kind.THREAD)
    seen: list = []
    cancelled = False
    async for event in api.send(item.id, "Give me a comparison table.", choice=choice):
        seen.append(event)
        if not cancelled and sum(isinstance(e, TextDelta) for e in seen) == 3:
            cancelled = True
            run_id = event.run_id
            assert await api.cancel(item.id, run_id) is RunStatus.CANCELLING
    statuses = [e.status for e in seen if isinstance(e, StatusChanged)]
    assert statuses[-1] is RunStatus.CANCELLED
    assert RunStatus.CANCELLING in statuses
    partial = [e.turn for e in seen if isinstance(e, TurnCompleted) and e.turn.role == "assistant"]
    assert partial and partial[0].status == "incomplete"
    await api.client.close()


async def test_turns_are_plain_dataclasses(server) -> None:
    api = adapter(server, Kind.THREAD)
    item = await api.create(first_message="hi")
    page = await api.history(item.id)
    assert all(type(t) is Turn for t in page.turns)
    assert page.turns[0].created_at is not None and page.turns[0].created_at.tzinfo
    await api.client.close()


async def test_list_choices(server) -> None:
    threads = adapter(server, Kind.THREAD)
    for n in range(3):
        await threads.client.beta.assistants.create(model="gpt-4.1", name=f"a{n}")
    names = sorted(c.name for c in await threads.list_choices())
    assert names == ["a0", "a1", "a2"]
    convs = adapter(server, Kind.CONVERSATION)
    models = [c.id for c in await convs.list_choices()]
    assert "gpt-4.1" in models
    await threads.client.close()
    await convs.client.close()


async def test_enrich_adds_run_usage_and_tool_calls(server) -> None:
    api = adapter(server, Kind.THREAD)
    fn = {"type": "function", "function": {"name": "lookup", "parameters": {}}}
    asst = await choice_for(api, Kind.THREAD, tools=[fn])
    thread = await api.create()
    events = [e async for e in api.send(thread.id, "find order 7", choice=asst)]
    [requested] = [e for e in events if isinstance(e, ToolCallsRequested)]
    outputs = [ToolOutput(requested.calls[0].call_id, "shipped")]
    _ = [
        e async for e in api.submit_tool_outputs(thread.id, requested.run_id, outputs, choice=asst)
    ]
    page = await api.history(thread.id)
    assert all(t.usage is None and not t.tool_calls for t in page.turns)
    enriched = await api.enrich(thread.id, page.turns)
    [reply] = [t for t in enriched if t.role == "assistant"]
    assert [(c.name, c.output) for c in reply.tool_calls] == [("lookup", "shipped")]
    assert reply.usage is not None and reply.usage.output_tokens > 0
    convs = adapter(server, Kind.CONVERSATION)
    assert await convs.enrich("conv_x", page.turns) == list(page.turns)
    await api.client.close()
    await convs.client.close()
