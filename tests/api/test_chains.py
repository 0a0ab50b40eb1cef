"""Response chains through the adapter, over the real SDK against the emulator."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_KEY, strict_client
from tui.api import adapter_for
from tui.api.chains import ChainsAdapter
from tui.api.client import make_client
from tui.api.errors import Invalid, NotFound, Unsupported
from tui.api.paging import Walk
from tui.model import (
    Connection,
    Continued,
    Kind,
    RunStatus,
    StatusChanged,
    ToolCallsRequested,
    ToolOutput,
    Turn,
    TurnCompleted,
    TurnKind,
)

MODEL = "gpt-4o-mini"


def adapter(server) -> ChainsAdapter:
    connection = Connection(server.base_url)
    client = make_client(connection, TEST_KEY, strict=True, max_retries=0)
    api = adapter_for(Kind.RESPONSE, client, connection)
    assert isinstance(api, ChainsAdapter)
    return api


def chain(server, length: int, **first: object) -> list[str]:
    """A chain of ``length`` responses made by the SDK; their IDs, oldest first."""
    client = strict_client(server.base_url)
    made: list[str] = []
    for n in range(length):
        previous = {"previous_response_id": made[-1]} if made else first
        made.append(client.responses.create(model=MODEL, input=f"turn {n:03d}", **previous).id)
    return made


async def whole(api: ChainsAdapter, item_id: str, limit: int = 50) -> tuple[list[Turn], Walk]:
    walk = Walk(lambda cursor, size: api.history(item_id, before=cursor, limit=size), limit=limit)
    steps = [step async for step in walk]
    return [t for step in reversed(steps) for t in step.turns], walk


def users(turns: list[Turn]) -> list[str]:
    return [t.text for t in turns if t.role == "user"]


async def test_retrieve_names_the_chain_by_its_newest_response(server) -> None:
    ids = chain(server, 2, metadata={"title": "Kyoto 京都 🏯", "user_id": "u1"})
    item = await adapter(server).retrieve(ids[0])
    assert item.id == ids[0] and item.kind is Kind.RESPONSE
    assert item.title == "Kyoto 京都 🏯" and item.metadata["user_id"] == "u1"


@pytest.mark.parametrize("own_inputs", [False, True], ids=["context-kept", "own-input-only"])
async def test_the_history_is_every_turn_of_the_chain_oldest_first(make_server, own_inputs) -> None:
    server = make_server(own_inputs=own_inputs)
    ids = chain(server, 7)
    turns, walk = await whole(adapter(server), ids[-1], limit=4)
    assert walk.complete and walk.doubt is None
    assert users(turns) == [f"turn {n:03d}" for n in range(7)]
    assert [t.role for t in turns] == ["user", "assistant"] * 7
    replies = [t for t in turns if t.role == "assistant"]
    assert replies[-1].run_id == ids[-1] and replies[-1].usage is not None
    if own_inputs:  # each reply is read from its own response, and names it
        assert [t.run_id for t in replies] == ids


async def test_the_first_page_asks_for_the_newest_response_and_its_input_only(server) -> None:
    ids = chain(server, 60)
    api = adapter(server)
    page = await api.history(ids[-1], limit=10)
    assert users(list(page.turns))[-1] == "turn 059" and page.turns[-1].run_id == ids[-1]
    assert page.has_older


async def test_a_link_that_is_gone_ends_the_history_with_a_named_gap(make_server) -> None:
    server = make_server(own_inputs=True)
    ids = chain(server, 4)
    strict_client(server.base_url).responses.delete(ids[1])
    turns, walk = await whole(adapter(server), ids[-1])
    assert walk.complete
    assert users(turns) == ["turn 002", "turn 003"]
    gap = turns[0]
    assert gap.kind is TurnKind.OTHER and gap.id == ids[1] and "no longer on the server" in gap.text


async def test_with_context_kept_a_gone_link_loses_nothing(server) -> None:
    ids = chain(server, 4)
    strict_client(server.base_url).responses.delete(ids[1])
    turns, _ = await whole(adapter(server), ids[-1])
    assert users(turns) == [f"turn {n:03d}" for n in range(4)]


async def test_a_gone_newest_response_is_not_found(server) -> None:
    ids = chain(server, 2)
    strict_client(server.base_url).responses.delete(ids[-1])
    with pytest.raises(NotFound):
        await adapter(server).history(ids[-1])


async def test_sending_continues_the_chain_and_names_its_new_newest_response(server) -> None:
    ids = chain(server, 2)
    api = adapter(server)
    events = [e async for e in api.send(ids[-1], "and then?", choice=MODEL)]
    continued = [e for e in events if isinstance(e, Continued)]
    assert len(continued) == 1 and continued[0].previous == ids[-1]
    new_id = continued[0].item.id
    assert new_id.startswith("resp_") and continued[0].item.kind is Kind.RESPONSE
    assert events.index(continued[0]) < min(
        i for i, e in enumerate(events) if isinstance(e, StatusChanged)
    )
    statuses = [e.status for e in events if isinstance(e, StatusChanged)]
    assert statuses[-1] is RunStatus.COMPLETED
    turns, _ = await whole(api, new_id)
    assert users(turns) == ["turn 000", "turn 001", "and then?"]
    back = strict_client(server.base_url).responses.retrieve(new_id)
    assert back.previous_response_id == ids[-1]


async def test_tool_outputs_continue_from_the_response_that_asked(server) -> None:
    ids = chain(server, 1)
    api = adapter(server)
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
    events = [e async for e in api.send(ids[0], "weather in Paris?", choice=MODEL, tools=[tool])]
    asked = next(e for e in events if isinstance(e, ToolCallsRequested))
    first = next(e for e in events if isinstance(e, Continued)).item.id
    assert asked.run_id == first
    outputs = [ToolOutput(c.call_id, "sunny") for c in asked.calls]
    answering = api.submit_tool_outputs(first, first, outputs, choice=MODEL, tools=[tool])
    after = [e async for e in answering]
    second = next(e for e in after if isinstance(e, Continued))
    assert second.previous == first
    assert any(isinstance(e, TurnCompleted) and e.turn.role == "assistant" for e in after)
    turns, _ = await whole(api, second.item.id)
    assert [t.kind for t in turns].count(TurnKind.TOOL_OUTPUT) == 1


async def test_deleting_a_chain_deletes_each_response_down_to_one_another_stands_on(
    server,
) -> None:
    ids = chain(server, 5)
    api = adapter(server)
    assert await api.delete_chain(ids[-1], standing={ids[1]}) == 3
    client = strict_client(server.base_url)
    for gone in ids[2:]:
        with pytest.raises(Exception, match=r"404|not found"):
            client.responses.retrieve(gone)
    assert client.responses.retrieve(ids[1]).id == ids[1]
    assert await api.delete_chain(ids[1]) == 2
    with pytest.raises(NotFound):
        await api.delete(ids[1])


async def test_metadata_cannot_change_and_nothing_empty_is_made(server) -> None:
    ids = chain(server, 1)
    api = adapter(server)
    with pytest.raises(Unsupported, match="cannot change"):
        await api.update_metadata(ids[0], {"a": "b"})
    with pytest.raises(Invalid, match="starts with a response"):
        await api.create()


async def test_oldest_is_the_first_input_of_the_chain(server) -> None:
    ids = chain(server, 3)
    first = await adapter(server).first_turn(ids[-1])
    assert first is not None and first.text == "turn 000"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"id": "conv_" + "a1" * 24}, "conv_" + "a1" * 24),
        ("conv_" + "b2" * 24, "conv_" + "b2" * 24),
        (None, None),
        ({"id": 7}, None),
        ({"id": "conv_../x"}, None),
        (["conv_" + "a1" * 24], None),
        ({"id": "thread_" + "c" * 24}, None),
    ],
)
def test_a_response_names_its_conversation_only_when_usable(field, expected) -> None:
    from tui.api.convert import response_item

    body = {"id": "resp_" + "d4" * 24, "object": "response", "created_at": 1, "conversation": field}
    assert response_item(body).conversation == expected
