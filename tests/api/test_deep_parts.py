"""Deep deletion's calls of the Responses adapters, over real HTTP against the emulator.

A conversation's parts are its items (every page); a chain's, its older responses; a
stored completion has none. Each object is removed, and checked gone, by its own route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.types import ASGIApp

from tests.api.rewriting import Rewriting
from tests.conftest import TEST_KEY, strict_client
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import Invalid, NotFound, Unsupported
from tui.api.protocol import ConversationApi
from tui.api.sessions import SessionsAdapter
from tui.emulator import Emulator, EmulatorConfig, EmulatorServer
from tui.emulator.server import LoopbackServer
from tui.model import Connection, Kind, ObjectKind, ServerObject

MODEL = "gpt-4o-mini"
ITEMS = 230  # items put in the conversation: three pages of 100 with its responses' items
HOSTILE = "msg_x/../../etc\n\x1b]52;c;aGk=\x07"
Serve = Callable[[ASGIApp], LoopbackServer]


@asynccontextmanager
async def adapter(base_url: str, kind: Kind) -> AsyncIterator[Any]:
    """The product's adapter of ``kind`` on a production client, closed after."""
    connection = Connection(base_url)
    async with make_client(connection, TEST_KEY, max_retries=0) as client:
        yield adapter_for(kind, client, connection)


def conversation(base_url: str, items: int, responses: int = 0) -> tuple[str, list[str]]:
    """A conversation of ``items`` user messages and ``responses`` responses written into
    it, made by the SDK; its ID and the responses' IDs."""
    client = strict_client(base_url)
    conv_id = client.conversations.create().id
    for start in range(0, items, 20):
        said: Any = [
            {"type": "message", "role": "user", "content": f"note {n}"}
            for n in range(start, min(items, start + 20))
        ]
        client.conversations.items.create(conv_id, items=said)
    made = [
        client.responses.create(model=MODEL, input=f"ask {n}", conversation=conv_id).id
        for n in range(responses)
    ]
    return conv_id, made


def listed_items(base_url: str, conv_id: str) -> list[str]:
    """Every item ID the SDK lists in the conversation, oldest first."""
    client = strict_client(base_url)
    return [item.id for item in client.conversations.items.list(conv_id, order="asc")]


async def states(api: ConversationApi, objects: list[ServerObject]) -> set[bool]:
    """What ``exists`` says of each object."""
    return {await api.exists(obj) for obj in objects}


async def test_a_conversation_deep_deletes_every_item_its_responses_and_itself(
    server: EmulatorServer,
) -> None:
    conv_id, responses = conversation(server.base_url, ITEMS, responses=2)
    async with adapter(server.base_url, Kind.CONVERSATION) as api:
        parts = await api.parts(conv_id)
        assert [p.id for p in parts] == listed_items(server.base_url, conv_id)
        assert len(parts) == ITEMS + 2 * 2  # each response adds its input and its output
        assert {(p.kind, p.parent) for p in parts} == {(ObjectKind.CONVERSATION_ITEM, conv_id)}
        assert api.skipped == 0
        owned = [ServerObject(ObjectKind.RESPONSE, r) for r in responses]
        whole = [*parts, *owned, ServerObject(ObjectKind.CONVERSATION, conv_id)]
        assert await states(api, whole) == {True}
        for obj in whole:
            await api.remove(obj)
        assert await states(api, whole) == {False}
        with pytest.raises(NotFound):
            await api.parts(conv_id)


async def test_deleting_a_conversation_leaves_the_responses_written_into_it(
    server: EmulatorServer,
) -> None:
    conv_id, [response_id] = conversation(server.base_url, 1, responses=1)
    async with adapter(server.base_url, Kind.CONVERSATION) as api:
        await api.remove(ServerObject(ObjectKind.CONVERSATION, conv_id))
        assert await api.exists(ServerObject(ObjectKind.RESPONSE, response_id))
        assert not await api.exists(ServerObject(ObjectKind.CONVERSATION, conv_id))


async def test_removing_what_is_gone_raises_not_found(server: EmulatorServer) -> None:
    conv_id, [response_id] = conversation(server.base_url, 1, responses=1)
    [first, *_] = listed_items(server.base_url, conv_id)
    item = ServerObject(ObjectKind.CONVERSATION_ITEM, first, parent=conv_id)
    async with adapter(server.base_url, Kind.CONVERSATION) as api:
        for obj in (item, ServerObject(ObjectKind.RESPONSE, response_id)):
            await api.remove(obj)
            with pytest.raises(NotFound):
                await api.remove(obj)


async def test_an_id_that_is_not_one_is_never_sent(server: EmulatorServer) -> None:
    async with adapter(server.base_url, Kind.CONVERSATION) as api:
        asked = server.emulator.request_count
        for obj in (
            ServerObject(ObjectKind.CONVERSATION_ITEM, HOSTILE, parent="conv_abc123"),
            ServerObject(ObjectKind.CONVERSATION_ITEM, "msg_abc123", parent="conv_x/../y"),
            ServerObject(ObjectKind.CONVERSATION_ITEM, "msg_abc123"),
            ServerObject(ObjectKind.RESPONSE, "conv_abc123"),
        ):
            with pytest.raises(Invalid, match="Nothing was sent"):
                await api.remove(obj)
            with pytest.raises(Invalid, match="Nothing was sent"):
                await api.exists(obj)
        with pytest.raises(Unsupported, match="hold no file"):
            await api.remove(ServerObject(ObjectKind.FILE, "file-abc123"))
        assert server.emulator.request_count == asked


def spoiled(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """An items page with its second entry's ID hostile and its third not an object."""
    data = body["data"]
    if len(data) >= 3:
        data[1] = {**data[1], "id": HOSTILE}
        data[2] = 42
    return body


async def test_an_unreadable_entry_of_an_items_page_is_skipped_and_counted(
    serve_asgi: Serve,
) -> None:
    emulator = Emulator(EmulatorConfig(token_delay_ms=1))
    front = Rewriting(emulator.asgi(), lambda m, p: m == "GET" and p.endswith("/items"), spoiled)
    base_url = serve_asgi(front).base_url
    conv_id, _ = conversation(base_url, 150)
    async with adapter(base_url, Kind.CONVERSATION) as api:
        parts = await api.parts(conv_id)
    assert len(parts) == 150 - 2 * 2 and api.skipped == 2 * 2  # two on each page
    assert all("\n" not in p.id and "/" not in p.id for p in parts)


def first_page_again(query: bytes) -> bytes:
    """The query without its cursor: the server ignores ``after``."""
    return b"&".join(q for q in query.split(b"&") if not q.startswith(b"after="))


def more_forever(path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "has_more": True}


async def test_a_cursor_that_does_not_move_ends_the_walk(serve_asgi: Serve) -> None:
    emulator = Emulator(EmulatorConfig(token_delay_ms=1))
    wanted = lambda m, p: m == "GET" and p.endswith("/items")  # noqa: E731
    front = Rewriting(emulator.asgi(), wanted, more_forever, first_page_again)
    base_url = serve_asgi(front).base_url
    conv_id, _ = conversation(base_url, 5)
    async with adapter(base_url, Kind.CONVERSATION) as api:
        parts = await api.parts(conv_id)
    assert len(parts) == 5
    assert front.requests[f"/v1/conversations/{conv_id}/items"] == 2


def chain(base_url: str, length: int) -> list[str]:
    """A chain of ``length`` responses made by the SDK; their IDs, oldest first."""
    client = strict_client(base_url)
    made: list[str] = []
    for n in range(length):
        previous = {"previous_response_id": made[-1]} if made else {}
        made.append(client.responses.create(model=MODEL, input=f"link {n}", **previous).id)
    return made


def responses(*ids: str) -> list[ServerObject]:
    return [ServerObject(ObjectKind.RESPONSE, i) for i in ids]


async def test_a_chains_parts_are_its_older_responses_down_to_a_kept_one(
    server: EmulatorServer,
) -> None:
    ids = chain(server.base_url, 5)
    async with adapter(server.base_url, Kind.RESPONSE) as api:
        assert await api.parts(ids[-1]) == responses(*reversed(ids[:-1]))
        assert await api.parts(ids[-1], keep={ids[1]}) == responses(ids[3], ids[2])
        assert await api.parts(ids[0]) == []
        await api.remove(ServerObject(ObjectKind.RESPONSE, ids[2]))
        assert await api.parts(ids[-1]) == responses(ids[3])  # a link gone ends the walk
        with pytest.raises(Unsupported):
            await api.exists(ServerObject(ObjectKind.CONVERSATION, "conv_abc123"))
        for obj in responses(ids[4], ids[3]):
            assert await api.exists(obj)
            await api.remove(obj)
            assert not await api.exists(obj)
        with pytest.raises(NotFound):
            await api.parts(ids[-1])


async def test_a_stored_completion_is_one_object(server: EmulatorServer) -> None:
    made = strict_client(server.base_url).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "keep me"}], store=True
    )
    obj = ServerObject(ObjectKind.COMPLETION, made.id)
    async with adapter(server.base_url, Kind.COMPLETION) as api:
        assert await api.parts(made.id) == [] and await api.users([obj]) == {}
        assert await api.exists(obj)
        await api.remove(obj)
        assert not await api.exists(obj)
        with pytest.raises(NotFound):
            await api.remove(obj)


async def test_a_session_has_no_server_objects() -> None:
    api = SessionsAdapter(reader=None, connection=Connection("file:///tmp/s.db"))  # type: ignore[arg-type]  # never read
    obj = ServerObject(ObjectKind.CONVERSATION_ITEM, "row_1", parent="s")
    assert await api.parts("s") == [] and await api.users([obj]) == {}
    for call in (api.remove, api.exists):
        with pytest.raises(Unsupported, match="local file"):
            await call(obj)
