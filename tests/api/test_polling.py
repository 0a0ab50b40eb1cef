"""When the server will not stream: runs and background responses are polled, with backoff."""

from __future__ import annotations

from typing import ClassVar

import pytest

from tests.conftest import TEST_KEY
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import ApiError
from tui.api.polling import Backoff, next_wait, poll
from tui.model import (
    Connection,
    Kind,
    RunStatus,
    StatusChanged,
    TextDelta,
    ToolCallsRequested,
    ToolOutput,
    TurnCompleted,
)

FAST = Backoff(first=0.01, cap=0.05, total=30)


def adapter(server, kind: Kind, backoff: Backoff = FAST):
    connection = Connection(server.base_url)
    client = make_client(connection, TEST_KEY, strict=True, max_retries=0)
    api = adapter_for(kind, client, connection)
    api.backoff = backoff
    return api


def test_waits_double_from_one_second_and_follow_the_server_hint() -> None:
    backoff = Backoff()
    assert [next_wait(backoff, n, {}) for n in range(6)] == [1, 2, 4, 8, 16, 16]
    assert next_wait(backoff, 3, {"openai-poll-after-ms": "250"}) == 0.25
    assert next_wait(backoff, 0, {"openai-poll-after-ms": "0"}) == backoff.floor
    assert next_wait(backoff, 1, {"openai-poll-after-ms": "soon"}) == 2


async def test_polling_gives_up_after_the_total_wait_without_spinning() -> None:
    slept: list[float] = []

    class Raw:
        headers: ClassVar[dict[str, str]] = {}

        def parse(self):
            return "still running"

    async def fetch():
        return Raw()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    with pytest.raises(ApiError, match="press r later"):
        async for _ in poll(fetch, lambda obj: False, Backoff(total=60), sleep=sleep):
            pass
    assert slept == [1, 2, 4, 8, 16, 16] and sum(slept) <= 60


async def test_a_thread_run_is_polled_when_the_server_will_not_stream(make_server) -> None:
    server = make_server(no_stream=True, token_delay_ms=5)
    api = adapter(server, Kind.THREAD)
    item = await api.create()
    asst = await api.client.beta.assistants.create(model="gpt-4.1", name="poll")
    events = [e async for e in api.send(item.id, "Tell me a story.", choice=asst.id)]
    assert isinstance(events[0], TurnCompleted) and events[0].turn.role == "user"
    statuses = [e.status for e in events if isinstance(e, StatusChanged)]
    assert statuses[0] in (RunStatus.QUEUED, RunStatus.IN_PROGRESS)
    assert statuses[-1] is RunStatus.COMPLETED
    assert len(statuses) == len(set(statuses))  # one event per change, not per poll
    replies = [e.turn for e in events if isinstance(e, TurnCompleted) and e.run_id]
    assert [t.role for t in replies] == ["assistant"] and replies[0].text
    assert not [e for e in events if isinstance(e, TextDelta)]
    page = await api.history(item.id)
    assert page.turns[-1].text == replies[0].text
    await api.client.close()


async def test_a_polled_thread_run_asks_for_tools_and_finishes(make_server) -> None:
    server = make_server(no_stream=True, token_delay_ms=5)
    api = adapter(server, Kind.THREAD)
    item = await api.create()
    fn = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    asst = await api.client.beta.assistants.create(model="gpt-4.1", name="t", tools=[fn])
    events = [e async for e in api.send(item.id, "weather in Oslo?", choice=asst.id)]
    [requested] = [e for e in events if isinstance(e, ToolCallsRequested)]
    outputs = [ToolOutput(requested.calls[0].call_id, '{"temp_c": 7}')]
    after = [
        e async for e in api.submit_tool_outputs(item.id, requested.run_id, outputs, choice=asst.id)
    ]
    assert [e.status for e in after if isinstance(e, StatusChanged)][-1] is RunStatus.COMPLETED
    assert any(isinstance(e, TurnCompleted) and e.turn.role == "assistant" for e in after)
    await api.client.close()


async def test_a_background_response_is_polled_to_its_end(make_server) -> None:
    server = make_server(token_delay_ms=5)
    api = adapter(server, Kind.CONVERSATION)
    item = await api.create()
    events = [
        e async for e in api.send(item.id, "Explain polling.", choice="gpt-4.1", background=True)
    ]
    statuses = [e.status for e in events if isinstance(e, StatusChanged)]
    assert statuses[0] is RunStatus.QUEUED and statuses[-1] is RunStatus.COMPLETED
    replies = [e.turn for e in events if isinstance(e, TurnCompleted)]
    assert replies and replies[-1].role == "assistant" and replies[-1].text
    page = await api.history(item.id)
    assert page.turns[-1].text == replies[-1].text
    await api.client.close()


async def test_an_unstreamed_response_still_arrives(make_server) -> None:
    server = make_server(no_stream=True)
    api = adapter(server, Kind.CONVERSATION)
    item = await api.create()
    events = [e async for e in api.send(item.id, "Hello?", choice="gpt-4.1")]
    assert [e.status for e in events if isinstance(e, StatusChanged)][-1] is RunStatus.COMPLETED
    assert any(isinstance(e, TurnCompleted) and e.turn.role == "assistant" for e in events)
    await api.client.close()


async def test_an_active_run_is_found_for_the_conflict_message(make_server) -> None:
    server = make_server(token_delay_ms=50)
    api = adapter(server, Kind.THREAD)
    item = await api.create(first_message="hi")
    asst = await api.client.beta.assistants.create(model="gpt-4.1", name="slow")
    run = await api.client.beta.threads.runs.create(item.id, assistant_id=asst.id)
    assert await api.active_run(item.id) == run.id
    await api.cancel(item.id, run.id)
    created = await api.create_choice("Helper", "gpt-4.1", "Be brief.")
    assert created.id.startswith("asst_") and created.name == "Helper"
    await api.client.close()
