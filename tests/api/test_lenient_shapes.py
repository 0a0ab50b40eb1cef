"""Odd but valid shapes from servers other people wrote are read, not crashed on.

The kit here (``OddServer``) serves fixed replies over real HTTP on 127.0.0.1 with uvicorn;
the adapters use production clients (no strict validation), as the app does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.conftest import CHATTING, TEST_KEY
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import ApiError, ServerError
from tui.emulator.server import LoopbackServer
from tui.model import Connection, Kind, TurnKind

NOT_FOUND = {"detail": "Not Found"}  # what FastAPI answers on a route it does not have


@dataclass
class Canned:
    """One reply: status, body (JSON, or bytes as they are), headers and media type."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"

    def response(self) -> Response:
        """The Starlette response (a callable body is streamed from what it yields)."""
        if callable(self.body):
            return StreamingResponse(self.body(), self.status, self.headers, self.media_type)
        if isinstance(self.body, bytes | str):
            return Response(self.body, self.status, self.headers, self.media_type)
        return JSONResponse(self.body, self.status, self.headers)


class OddServer:
    """An HTTP server of canned replies by method and path; anything else is FastAPI's 404.

    ``requests`` counts what was asked, as ``"GET /v1/threads/x"``.
    """

    def __init__(self) -> None:
        self.replies: dict[str, Canned | list[Canned]] = {}
        self.fallback = Canned(NOT_FOUND, 404)
        self.requests: list[str] = []
        self.clients: list[Any] = []  # closed when the test ends
        self._served = LoopbackServer(_starlette(self), name="odd")

    @property
    def base_url(self) -> str:
        """The base URL to give a client."""
        return self._served.base_url

    def on(self, method: str, path: str, body: Any = None, **kw: Any) -> None:
        """Answer ``method`` on ``/v1`` + ``path`` with this reply."""
        self.replies[f"{method} /v1{path}"] = Canned(body, **kw)

    def on_each(self, method: str, path: str, *replies: Canned) -> None:
        """Answer with these replies in turn; the last one from then on."""
        self.replies[f"{method} /v1{path}"] = list(replies)

    def count(self, method: str, path: str) -> int:
        """How many times ``method`` on ``/v1`` + ``path`` was asked."""
        return self.requests.count(f"{method} /v1{path}")

    async def answer(self, request: Request) -> Response:
        """The canned reply of a request."""
        key = f"{request.method} {request.url.path}"
        self.requests.append(key)
        await request.body()
        found = self.replies.get(key, self.fallback)
        if isinstance(found, list):
            found = found.pop(0) if len(found) > 1 else found[0]
        return found.response()

    def start(self) -> OddServer:
        """Serve; return once connections are accepted."""
        self._served.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._served.stop()


def _starlette(server: OddServer) -> Any:
    from starlette.applications import Starlette

    methods = ["GET", "POST", "DELETE", "PUT", "PATCH"]
    return Starlette(routes=[Route("/{path:path}", server.answer, methods=methods)])


@pytest.fixture
async def odd() -> AsyncIterator[OddServer]:
    """A started :class:`OddServer`, stopped (its clients closed) after the test."""
    server = OddServer().start()
    yield server
    for client in server.clients:
        await client.close()
    server.stop()


def api_of(server: OddServer, kind: Kind) -> Any:
    """An adapter on a production client (lenient validation, no retries)."""
    connection = Connection(server.base_url)
    client = make_client(connection, TEST_KEY, max_retries=0)
    server.clients.append(client)
    return adapter_for(kind, client, connection)


def page(*data: Any, has_more: bool = False) -> dict[str, Any]:
    """A list page."""
    return {"object": "list", "data": list(data), "has_more": has_more}


MAY_1 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def test_thread_message_with_string_content_is_one_text_part(odd: OddServer) -> None:
    message = {
        "id": "msg_1",
        "object": "thread.message",
        "role": "assistant",
        "content": "Hello there, this is plain text.",
        "created_at": 1714564800,
        "something_new": {"nested": True},
    }
    odd.on("GET", "/threads/thread_a/messages", page(message))
    history = await api_of(odd, Kind.THREAD).history("thread_a")
    turn = history.turns[0]
    assert turn.text == "Hello there, this is plain text."
    assert [p.type for p in turn.parts] == ["text"]
    assert turn.created_at == MAY_1


async def test_conversation_item_with_string_content_is_one_text_part(odd: OddServer) -> None:
    item = {"type": "message", "id": "msg_1", "role": "user", "content": "Hi, string content"}
    odd.on("GET", "/conversations/conv_a/items", page(item))
    history = await api_of(odd, Kind.CONVERSATION).history("conv_a")
    assert history.turns[0].text == "Hi, string content"
    assert len(history.turns[0].parts) == 1


@pytest.mark.parametrize(
    "sent",
    [1714564800, 1714564800000, 1714564800.0, "2024-05-01T12:00:00Z", "2024-05-01T12:00:00"],
    ids=["seconds", "milliseconds", "float", "iso-zulu", "iso-naive"],
)
@pytest.mark.parametrize("kind", CHATTING)
async def test_times_in_seconds_milliseconds_and_iso_are_read(
    odd: OddServer, kind: Kind, sent: Any
) -> None:
    route = "/threads/thread_a" if kind is Kind.THREAD else "/conversations/conv_a"
    item_id = route.rsplit("/", 1)[1]
    odd.on("GET", route, {"id": item_id, "object": kind.value, "created_at": sent})
    item = await api_of(odd, kind).retrieve(item_id)
    assert item.created_at == MAY_1


async def test_thread_messages_with_null_and_missing_fields_are_read(odd: OddServer) -> None:
    bare = {"id": "msg_bare"}
    nulls = {
        "id": "msg_nulls",
        "role": None,
        "content": None,
        "created_at": None,
        "metadata": None,
        "attachments": None,
        "run_id": None,
        "status": None,
    }
    odd.on("GET", "/threads/thread_a/messages", page(nulls, bare))
    turns = (await api_of(odd, Kind.THREAD).history("thread_a")).turns
    assert [t.id for t in turns] == ["msg_bare", "msg_nulls"]
    assert all(t.parts == () and t.created_at is None and t.metadata == {} for t in turns)


async def test_conversation_items_with_odd_fields_are_read(odd: OddServer) -> None:
    items = [
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": {"a": 1}},
        {"type": "function_call_output", "call_id": "c1", "output": None},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text"}]},
        {"type": "reasoning", "summary": []},
    ]
    odd.on("GET", "/conversations/conv_a/items", page(*items))
    turns = (await api_of(odd, Kind.CONVERSATION).history("conv_a")).turns
    kinds = [t.kind for t in turns]
    assert kinds == [TurnKind.OTHER, TurnKind.MESSAGE, TurnKind.TOOL_OUTPUT, TurnKind.TOOL_CALL]
    assert json.loads(turns[3].tool_calls[0].arguments) == {"a": 1}


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        (page({"role": "user", "content": "no id"}), "id"),
        (page("just a string"), "message"),
        ({"object": "list", "data": {"id": "msg_1"}}, "data"),
        (page({"id": "msg_1", "content": 42}), "content"),
    ],
    ids=["no-id", "not-an-object", "data-not-a-list", "content-a-number"],
)
async def test_what_cannot_be_read_is_one_error_naming_server_route_and_field(
    odd: OddServer, body: Any, field_name: str
) -> None:
    from tui.api.errors import Unreadable

    odd.on("GET", "/threads/thread_a/messages", body)
    with pytest.raises(Unreadable) as caught:
        await api_of(odd, Kind.THREAD).history("thread_a")
    message = str(caught.value)
    assert odd.base_url in message
    assert "GET /v1/threads/thread_a/messages" in message
    assert f"field {field_name}" in message
    assert isinstance(caught.value, ServerError)


async def test_a_reply_that_is_not_json_is_unreadable_not_a_crash(odd: OddServer) -> None:
    page_html = b"<html><title>Welcome</title></html>"
    odd.on("GET", "/conversations/conv_a", page_html, media_type="text/html")
    with pytest.raises(ApiError) as caught:
        await api_of(odd, Kind.CONVERSATION).retrieve("conv_a")
    assert type(caught.value).__name__ == "Unreadable"
    assert "field body" in str(caught.value)


def _many_parts(count: int) -> bytes:
    part = b'{"type":"text","text":{"value":"x","annotations":[]}}'
    head = b'{"object":"list","has_more":false,"data":[{"id":"msg_big","role":"assistant",'
    return head + b'"content":[' + b",".join([part] * count) + b"]}]}"


async def test_parts_per_message_are_capped_and_the_cut_is_said(odd: OddServer) -> None:
    from tui.api.convert import MAX_PARTS

    odd.on("GET", "/threads/thread_a/messages", _many_parts(MAX_PARTS + 4_000))
    turn = (await api_of(odd, Kind.THREAD).history("thread_a")).turns[0]
    assert len(turn.parts) == MAX_PARTS + 1
    assert turn.parts[-1].type == "cut"
    assert "4,000 more parts" in turn.parts[-1].text


async def test_text_per_message_is_capped_and_the_cut_is_said(odd: OddServer) -> None:
    from tui.api.convert import MAX_TEXT

    big = "y" * (MAX_TEXT // 2 + 10)
    item = {"type": "message", "id": "msg_1", "role": "user", "content": [big, big, big]}
    odd.on("GET", "/conversations/conv_a/items", page(item))
    turn = (await api_of(odd, Kind.CONVERSATION).history("conv_a")).turns[0]
    assert sum(len(p.text) for p in turn.parts if p.type == "text") == MAX_TEXT
    assert turn.parts[-1].type == "cut" and "cut at" in turn.parts[-1].text
