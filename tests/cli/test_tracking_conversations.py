"""``track(client)``: a stored response made in a tracked conversation is noted under it.

Deleting a conversation leaves the responses that wrote into it readable; the registry
keeps their IDs so that a deletion of the conversation can reach them.
"""

from __future__ import annotations

import logging

import pytest
from openai import OpenAI

from tests.conftest import TEST_KEY, strict_async_client, strict_client
from tui import track
from tui.model import Connection
from tui.store import Registry

MODEL = "gpt-4o-mini"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "registry.sqlite3"


async def noted(db, base_url: str, conv_id: str) -> list[str] | None:
    """The responses noted under the conversation; ``None`` when it is not tracked."""
    async with await Registry.open(db) as registry:
        item = await registry.get(Connection(base_url), conv_id)
        return None if item is None else await registry.responses.of(item)


async def test_plain_streamed_async_and_background_responses_are_noted(server, db) -> None:
    client = track(strict_client(server.base_url), db=db)
    conv = client.conversations.create(metadata={"title": "Trip"})
    plain = client.responses.create(model=MODEL, input="Plan a trip", conversation=conv.id)
    with client.responses.create(
        model=MODEL, input="by train?", conversation={"id": conv.id}, stream=True
    ) as stream:
        streamed_id = next(e.response.id for e in stream if e.type == "response.created")
        for _ in stream:
            pass
    aclient = track(strict_async_client(server.base_url), db=db)
    awaited = await aclient.responses.create(model=MODEL, input="and back?", conversation=conv.id)
    queued = await aclient.responses.create(
        model=MODEL, input="quietly", conversation=conv.id, background=True
    )
    unstored = client.responses.create(
        model=MODEL, input="forget this", conversation=conv.id, store=False
    )
    assert unstored.conversation is not None and unstored.conversation.id == conv.id
    await aclient.close()
    made = [plain.id, streamed_id, awaited.id, queued.id]
    assert await noted(db, server.base_url, conv.id) == made  # oldest first, no unstored one
    async with await Registry.open(db) as registry:
        assert await registry.get(Connection(server.base_url), plain.id) is None  # no chain


async def test_a_conversation_the_hook_did_not_see_made_stays_untracked(server, client, db) -> None:
    made_elsewhere = client.conversations.create()  # an untracked client
    tracked = track(strict_client(server.base_url), db=db)
    tracked.responses.create(model=MODEL, input="hello", conversation=made_elsewhere.id)
    mine = tracked.conversations.create()
    tracked.responses.create(model=MODEL, input="hello", conversation=mine.id)
    assert await noted(db, server.base_url, made_elsewhere.id) is None
    assert len(await noted(db, server.base_url, mine.id) or []) == 1


async def test_odd_answers_are_skipped_without_raising(serve_asgi, db, caplog) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    conv_id = "conv_" + "a1" * 24
    answers = iter(
        [
            {"id": conv_id, "object": "conversation", "created_at": 1_790_000_000},
            {"object": "response", "id": 12345, "conversation": {"id": conv_id}},
            {"object": "response", "id": "resp_../../x", "conversation": conv_id},
            {"object": "response", "id": "resp_" + "b2" * 24, "conversation": ["odd"]},
            {"object": "response", "id": "resp_" + "c3" * 24, "conversation": {"id": conv_id}},
        ]
    )

    async def answer(request: Request) -> JSONResponse:
        return JSONResponse(next(answers))

    routes = [Route("/v1/conversations", answer, methods=["POST"])]
    routes.append(Route("/v1/responses", answer, methods=["POST"]))
    server = serve_asgi(Starlette(routes=routes))
    user = track(OpenAI(api_key=TEST_KEY, base_url=server.base_url, max_retries=0), db=db)
    user.conversations.create()
    with caplog.at_level(logging.WARNING, logger="tui.tracking"):
        user.responses.create(model=MODEL, input="a", conversation=conv_id)
        user.responses.create(model=MODEL, input="b", conversation=conv_id)
        user.responses.create(model=MODEL, input="c")  # the answer names no usable conversation
        user.responses.create(model=MODEL, input="d", conversation=conv_id)
    assert await noted(db, server.base_url, conv_id) == ["resp_" + "c3" * 24]
    warnings = [r.getMessage() for r in caplog.records if r.name == "tui.tracking"]
    assert len(warnings) == 1 and "not text" in warnings[0], warnings  # said once


async def test_a_response_whose_output_is_added_to_a_conversation_is_noted_once(server, db) -> None:
    client = track(strict_client(server.base_url), db=db)
    made = client.responses.create(model=MODEL, input="Where is Kyoto?")
    unstored = client.responses.create(model=MODEL, input="Where is Nara?", store=False)
    conv, other = client.conversations.create(), client.conversations.create()

    def add(conv_id: str, role: str, text: str) -> None:
        kind = "output_text" if role == "assistant" else "input_text"
        content = [{"type": kind, "text": text}]
        client.conversations.items.create(
            conv_id, items=[{"type": "message", "role": role, "content": content}]
        )

    add(conv.id, "user", made.output_text)  # a user's words are no response's output
    add(conv.id, "assistant", unstored.output_text)  # kept nowhere: nothing to delete
    assert await noted(db, server.base_url, conv.id) == []
    add(conv.id, "assistant", made.output_text)
    add(other.id, "assistant", made.output_text)  # its output went into the first already
    assert await noted(db, server.base_url, conv.id) == [made.id]
    assert await noted(db, server.base_url, other.id) == []


async def test_the_same_words_from_two_responses_tell_neither(server, db) -> None:
    client = track(strict_client(server.base_url), db=db)
    first = client.responses.create(model=MODEL, input="Say ok")
    second = client.responses.create(model=MODEL, input="Say ok")
    assert first.output_text == second.output_text  # the emulator answers alike
    conv = client.conversations.create()
    content = [{"type": "output_text", "text": first.output_text}]
    client.conversations.items.create(
        conv.id, items=[{"type": "message", "role": "assistant", "content": content}]
    )
    assert await noted(db, server.base_url, conv.id) == []  # which one wrote it is not known
