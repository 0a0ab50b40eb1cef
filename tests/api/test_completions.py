"""Stored chat completions through the adapter, over the real SDK against the emulator."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_KEY, strict_client
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import Invalid, NotFound, Unsupported
from tui.api.paging import Walk
from tui.model import (
    Connection,
    Continued,
    Kind,
    RunStatus,
    StatusChanged,
    TextDelta,
    TurnCompleted,
    TurnKind,
    UsageReported,
)

MODEL = "gpt-4o-mini"


def adapter(server):
    connection = Connection(server.base_url)
    client = make_client(connection, TEST_KEY, strict=True, max_retries=0)
    return adapter_for(Kind.COMPLETION, client, connection)


def stored(server, messages, **extra):
    client = strict_client(server.base_url)
    return client.chat.completions.create(model=MODEL, store=True, messages=messages, **extra)


def talk(count: int) -> list[dict]:
    """A history of ``count`` messages: a system prompt, then users and assistants in turn."""
    said = [{"role": "system", "content": "Answer briefly."}]
    for n in range(1, count):
        said.append({"role": "user" if n % 2 else "assistant", "content": f"line {n:03d}"})
    return said


async def test_retrieve_reads_its_time_and_metadata(server) -> None:
    made = stored(server, talk(3), metadata={"user_id": "u1", "title": "Kyoto 京都 🏯"})
    item = await adapter(server).retrieve(made.id)
    assert item.id == made.id and item.kind is Kind.COMPLETION
    assert item.title == "Kyoto 京都 🏯" and item.metadata["user_id"] == "u1"
    assert int(item.created_at.timestamp()) == made.created


async def test_a_long_history_walks_to_its_start_with_the_reply_last(server) -> None:
    made = stored(server, talk(131))
    api = adapter(server)
    walk = Walk(lambda cursor, limit: api.history(made.id, before=cursor, limit=limit))
    steps = [step async for step in walk]
    turns = [t for step in reversed(steps) for t in step.turns]
    assert walk.complete and walk.doubt is None
    assert [t.text for t in turns[:-1]] == [m["content"] for m in talk(131)]
    reply = turns[-1]
    assert reply.role == "assistant" and reply.id == f"{made.id}-choice-0"
    assert reply.text == made.choices[0].message.content
    assert reply.usage is not None and reply.usage.output_tokens == made.usage.completion_tokens
    assert all(t.created_at is not None for t in turns)


async def test_oldest_ends_with_the_reply_only_when_every_message_fits(server) -> None:
    made = stored(server, talk(4))
    api = adapter(server)
    assert [t.text for t in await api.oldest(made.id, limit=2)] == ["Answer briefly.", "line 001"]
    whole = await api.oldest(made.id, limit=50)
    assert len(whole) == 5 and whole[-1].id.endswith("-choice-0")
    first = await api.first_turn(made.id)
    assert first is not None and first.role == "system"


async def test_tool_calls_and_their_outputs_read_as_such(server) -> None:
    call = {"id": "call_abc123", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    made = stored(
        server,
        [
            {"role": "user", "content": "use the tool"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_abc123", "content": "42"},
        ],
    )
    turns = (await adapter(server).history(made.id)).turns
    assert turns[1].kind is TurnKind.TOOL_CALL and turns[1].tool_calls[0].name == "f"
    assert turns[2].kind is TurnKind.TOOL_OUTPUT and turns[2].tool_calls[0].output == "42"


async def test_metadata_changes_and_delete_ends_with_not_found(server) -> None:
    made = stored(server, talk(2))
    api = adapter(server)
    changed = await api.update_metadata(made.id, {"title": "Renamed"})
    assert changed.title == "Renamed" and (await api.retrieve(made.id)).title == "Renamed"
    await api.delete(made.id)
    with pytest.raises(NotFound) as gone:
        await api.retrieve(made.id)
    assert f"stored completion {made.id} was not found" in str(gone.value)


async def test_nothing_is_added_to_a_stored_completion(server) -> None:
    made = stored(server, talk(2))
    api = adapter(server)
    with pytest.raises(Unsupported, match="cannot take more messages"):
        async for _ in api.submit_tool_outputs(made.id, "run", [], choice=MODEL):
            pass
    with pytest.raises(Invalid, match="no empty one"):
        await api.create(first_message="hi")


async def events_of(api, item_id: str, text: str) -> list:
    return [event async for event in api.send(item_id, text, choice=MODEL)]


@pytest.mark.parametrize("streamed", [True, False])
async def test_continuing_makes_a_new_stored_completion_with_the_whole_history(
    make_server, streamed: bool
) -> None:
    server = make_server(no_stream=not streamed)
    metadata = {f"k{n:02d}": str(n) for n in range(16)}  # full: the link takes one place
    made = stored(server, talk(131), metadata=metadata)
    api = adapter(server)
    events = await events_of(api, made.id, "one more thing")
    first, sent = events[0], events[1]
    assert isinstance(first, Continued) and first.previous == made.id
    new = first.item
    assert new.kind is Kind.COMPLETION and new.id != made.id
    assert new.metadata["continues"] == made.id and len(new.metadata) == 16
    assert isinstance(sent, TurnCompleted) and sent.turn.text == "one more thing"
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    [reply] = [e.turn for e in events if isinstance(e, TurnCompleted) and e.run_id]
    assert ("".join(deltas) == reply.text) if streamed else not deltas
    assert any(isinstance(e, UsageReported) for e in events)
    assert events[-1] == StatusChanged(new.id, RunStatus.COMPLETED)
    walk = Walk(lambda cursor, limit: api.history(new.id, before=cursor, limit=limit))
    turns = [t for step in reversed([s async for s in walk]) for t in step.turns]
    assert [t.text for t in turns[:131]] == [m["content"] for m in talk(131)]
    assert turns[131].text == made.choices[0].message.content  # the reply it continues
    assert turns[132].text == "one more thing" and turns[133].text == reply.text
    assert (await api.retrieve(made.id)).metadata == metadata  # the original is untouched
