"""Requests that create are sent once: a server that does the work and answers late, or
answers 5xx after doing it, gets it once; a request the server refused unprocessed (a 429)
is still sent again.

Real SDK clients (with the app's retries) over real HTTP on 127.0.0.1, against the
emulator wrapped in small ASGI faults.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.conftest import TEST_KEY, strict_client
from tests.faults.conftest import CLIENT_TIMEOUT
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.conversations import ConversationsAdapter
from tui.api.errors import ApiError, RateLimited
from tui.api.sending import may_have_been_done
from tui.emulator import Emulator, EmulatorConfig
from tui.emulator.faults import LateReplies
from tui.emulator.server import LoopbackServer
from tui.model import Connection, Kind

LATE = CLIENT_TIMEOUT + 1.5  # seconds a late answer comes after the work was done
TEXT = "Only once, please"


@dataclass
class First:
    """Picks the first request of ``method`` whose path ends with ``suffix``; counts them all."""

    method: str
    suffix: str
    seen: int = 0

    def __call__(self, method: str, path: str) -> bool:
        """True for the first matching request only."""
        if method != self.method or not path.endswith(self.suffix):
            return False
        self.seen += 1
        return self.seen == 1


@dataclass
class DoneThenFails:
    """ASGI middleware: the first picked request is done, then answered with ``status``."""

    app: ASGIApp
    pick: First
    status: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    process: bool = True  # False: refuse it without doing it (a 429)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; replace a picked one's answer."""
        if scope["type"] != "http" or not self.pick(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.process:

            async def discard(message: Message) -> None:
                return None

            await self.app(scope, receive, discard)
        body = json.dumps({"error": {"message": "Failed.", "type": "server_error"}}).encode()
        headers = [(b"content-type", b"application/json"), *self.headers]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


Wrap = Callable[[ASGIApp], ASGIApp]


def serve(wrap: Wrap) -> tuple[Emulator, LoopbackServer]:
    """The emulator (instant replies) behind ``wrap``, served on a loopback port."""
    emulator = Emulator(EmulatorConfig(token_delay_ms=0))
    return emulator, LoopbackServer(wrap(emulator.asgi()), name="ambiguous").start()


def user_texts(base_url: str, kind: Kind, item_id: str) -> list[str]:
    """The texts of the user messages the server holds for an item."""
    sdk = strict_client(base_url)
    if kind is Kind.THREAD:
        listed = sdk.beta.threads.messages.list(item_id, limit=100)
        return [m.content[0].text.value for m in listed.data if m.role == "user"]  # type: ignore[union-attr]
    items = sdk.conversations.items.list(item_id, limit=100)
    texts = []
    for item in items.data:
        if item.type == "message" and item.role == "user":
            texts += [getattr(part, "text", "") for part in item.content]
    return texts


def seeded(base_url: str, kind: Kind) -> tuple[str, str]:
    """An empty thread and an assistant, or an empty conversation and a model."""
    sdk = strict_client(base_url)
    if kind is Kind.THREAD:
        assistant = sdk.beta.assistants.create(model="gpt-4.1", name="helper")
        return sdk.beta.threads.create().id, assistant.id
    return sdk.conversations.create().id, "gpt-4.1"


async def drain(events: object) -> None:
    """Consume a send's event stream."""
    async for _ in events:  # type: ignore[attr-defined]
        pass


@pytest.mark.parametrize(
    ("kind", "route"),
    [(Kind.THREAD, "/messages"), (Kind.CONVERSATION, "/responses")],
    ids=["thread message", "conversation response"],
)
async def test_a_chat_send_answered_late_is_not_sent_twice(kind: Kind, route: str) -> None:
    first = First("POST", route)
    _, server = serve(lambda app: LateReplies(app, LATE, first))
    try:
        item_id, choice = seeded(server.base_url, kind)
        connection = Connection(server.base_url)
        client = make_client(connection, TEST_KEY)  # the app's retries (2)
        api = adapter_for(kind, client, connection)
        with pytest.raises(ApiError) as failed:
            await drain(api.send(item_id, TEXT, choice=choice))
        assert may_have_been_done(failed.value), failed.value
        assert first.seen == 1, f"the send went out {first.seen} times"
        assert user_texts(server.base_url, kind, item_id) == [TEXT]
        await client.close()
    finally:
        server.stop()


async def test_items_done_then_answered_502_are_not_added_twice() -> None:
    first = First("POST", "/items")
    _, server = serve(lambda app: DoneThenFails(app, first, 502))
    try:
        conv_id, _ = seeded(server.base_url, Kind.CONVERSATION)
        connection = Connection(server.base_url)
        client = make_client(connection, TEST_KEY)
        api = ConversationsAdapter(client, connection)
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": TEXT}],
        }
        with pytest.raises(ApiError) as failed:
            await api.add_items(conv_id, [item])
        assert may_have_been_done(failed.value) and failed.value.status == 502
        assert first.seen == 1
        assert user_texts(server.base_url, Kind.CONVERSATION, conv_id) == [TEXT]
        await client.close()
    finally:
        server.stop()


async def test_a_create_the_server_refused_with_a_429_is_sent_again() -> None:
    first = First("POST", "/v1/conversations")
    wait = [(b"retry-after-ms", b"20")]
    emulator, server = serve(
        lambda app: DoneThenFails(app, first, 429, headers=wait, process=False)
    )
    try:
        connection = Connection(server.base_url)
        client = make_client(connection, TEST_KEY)
        api = ConversationsAdapter(client, connection)
        made = await api.create_with_items({"title": "t"}, [])
        assert first.seen == 2  # refused unprocessed, then sent again
        assert list(emulator.namespace(TEST_KEY).conversations) == [made.id]
        await client.close()
    finally:
        server.stop()


async def test_a_refusal_is_not_done_and_a_long_wait_is_not_waited_out() -> None:
    first = First("POST", "/v1/conversations")
    wait = [(b"retry-after", b"600")]
    emulator, server = serve(
        lambda app: DoneThenFails(app, first, 429, headers=wait, process=False)
    )
    try:
        connection = Connection(server.base_url)
        client = make_client(connection, TEST_KEY)
        api = ConversationsAdapter(client, connection)
        with pytest.raises(RateLimited) as refused:
            await api.create_with_items({}, [])
        assert not may_have_been_done(refused.value)
        assert first.seen == 1 and not emulator.namespace(TEST_KEY).conversations
        await client.close()
    finally:
        server.stop()
