"""Chat in the real app (Pilot) while the emulator faults requests and cuts streams."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from openai import OpenAI

from tests.app.conftest import SIZE
from tests.app.test_chat import KEY_ENV
from tests.app.test_chat import Chat as BaseChat
from tests.conftest import CHATTING, TEST_KEY, until
from tests.faults.conftest import FAULTS, assert_healthy, fault_summary
from tui.app.widgets.composer import Composer
from tui.app.widgets.live_reply import LiveReply
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.run_status import RunStatusLine
from tui.model import Connection, Kind
from tui.store import Registry

TURN_BUDGET = 30.0  # seconds one message may take, from send to the end of its reply
TURNS = 8


class Chat(BaseChat):
    """The chat tests' item, app and server, and what the server holds of the item."""

    def server_busy(self) -> bool:
        """True while a run or response of the item is still going on the server."""
        ns = self.server.emulator.namespace(TEST_KEY)
        if self.kind is Kind.THREAD:
            return ns.threads[self.item_id].active_run() is not None
        return any(r.obj["status"] in ("queued", "in_progress") for r in ns.responses.values())

    def server_texts(self) -> list[tuple[str, str]]:
        """(role, text) of every message the server holds, oldest first."""
        if self.kind is Kind.THREAD:
            listed = self.sdk.beta.threads.messages.list(self.item_id, order="asc", limit=100)
            return [(m.role, m.content[0].text.value) for m in listed.data if m.content]
        items = self.sdk.conversations.items.list(self.item_id, order="asc", limit=100)
        return [
            (i.role, "".join(getattr(c, "text", "") for c in i.content))
            for i in items.data
            if i.type == "message"
        ]


@pytest.fixture
def chat_setup(tmp_path, monkeypatch, make_server) -> Callable[..., Any]:
    """``await chat_setup(kind, **knobs)``: one item tracked, its reply source chosen."""
    monkeypatch.setenv(KEY_ENV, TEST_KEY)

    async def make(kind: Kind, **knobs: object) -> Chat:
        knobs.setdefault("token_delay_ms", 5)
        server = make_server(api_keys=(TEST_KEY,), **knobs)
        rate = server.emulator.config.fault_rate
        server.emulator.config.fault_rate = 0.0  # set up without faults
        sdk = OpenAI(api_key=TEST_KEY, base_url=server.base_url, max_retries=0)
        if kind is Kind.THREAD:
            item_id = sdk.beta.threads.create(metadata={"title": "Chat here"}).id
            choice = sdk.beta.assistants.create(model="gpt-4.1", name="Helper").id
        else:
            item_id = sdk.conversations.create(metadata={"title": "Chat here"}).id
            choice = "gpt-4.1"
        db = str(tmp_path / "registry.sqlite3")
        async with await Registry.open(db) as reg:
            item, _ = await reg.track(item_id, kind, Connection(server.base_url), source="t")
            await reg.set_choice(item, choice, source="t")
        server.emulator.config.fault_rate = rate
        return Chat(server, sdk, item_id, kind, db, choice if kind is Kind.THREAD else None)

    return make


def finished(app) -> bool:
    return not app.main.chat._runs and not app.query_one(RunStatusLine).active


async def idle(pilot) -> None:
    await pilot.pause()
    await asyncio.wait_for(pilot.app.workers.wait_for_complete(), TURN_BUDGET)
    await pilot.pause()


async def send(pilot, text: str) -> None:
    """Write in the composer and send (ctrl+s's action), then wait for the turn to end."""
    app = pilot.app
    if not (app.main.chat.composer and app.main.chat.composer.has_focus):
        await pilot.press("c")
    composer = app.query_one(Composer)
    composer.clear()
    composer.insert(text)
    line = app.query_one(RunStatusLine)
    before = line.started
    composer.action_send()
    await until(lambda: line.started != before, "the send to start")
    await until(lambda: finished(app), "the reply to end")
    await idle(pilot)


def notes(app) -> list[tuple[str, str]]:
    return [(n.title, str(n.message)) for n in app._notifications]


def user_texts(app) -> list[str]:
    return [v.turn.text for v in app.query(MessageView) if v.turn.role == "user"]


def assistant_texts(app) -> list[str]:
    return [v.turn.text for v in app.query(MessageView) if v.turn.role == "assistant"]


@pytest.mark.parametrize("kind", CHATTING)
async def test_a_cut_stream_keeps_the_partial_reply_and_says_what_to_do(chat_setup, kind) -> None:
    chat = await chat_setup(kind, fault_rate=1.0, fault_kinds=("drop",), fault_cut_after=3)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        await send(pilot, "Tell me a long story about the sea.")
        live = app.query(LiveReply)
        assert live, "the partial reply left the screen"
        partial = live.last().text
        assert partial
        note = " ".join(str(s.render()) for s in live.last().query(".note"))
        assert "Interrupted" in note and "Press r" in note
        line = app.query_one(RunStatusLine)
        assert line.has_class("-bad") and "in the middle of a reply" in line.describe()
        assert any(t == "The reply stopped" and "press r" in m for t, m in notes(app))
        assert user_texts(app) == ["Tell me a long story about the sea."]
        assert app.query_one(Composer).text == ""  # the server took the message
        await until(lambda: not chat.server_busy(), "the server to finish the reply")
        await refresh(pilot)
        assert not app.query(LiveReply)
        assert user_texts(app) == ["Tell me a long story about the sea."]
        [reply] = assistant_texts(app)
        assert reply.startswith(partial) and len(reply) > len(partial)
    assert fault_summary(chat.server) == {"drop": 1}
    assert_healthy(chat.db)


async def refresh(pilot) -> None:
    """r on the pane: the item and its history again from the server."""
    pilot.app.query_one(MessagePane).focus()
    await pilot.press("r")
    await idle(pilot)


NOT_TAKEN = ("refused", "unconfirmed")
TITLES = {
    "Not sent": "refused",
    "Run already active": "refused",
    "No reply started": "no reply",
    "The reply stopped": "cut",
    "Send unconfirmed": "unconfirmed",  # timed out, and the read-back failed too
}


async def one_turn(pilot, text: str) -> str:
    """Send ``text``; the outcome: completed, refused, no reply (accepted) or cut."""
    app = pilot.app
    before = {n.identity for n in app._notifications}  # older ones may expire meanwhile
    await send(pilot, text)
    line = app.query_one(RunStatusLine)
    composer = app.query_one(Composer).text
    if not line.has_class("-bad"):
        assert "completed" in line.describe() and composer == ""
        return "completed"
    [(title, message)] = [
        (n.title, str(n.message)) for n in app._notifications if n.identity not in before
    ]
    outcome = TITLES[title]
    assert message in line.describe()
    assert composer == (text if outcome in ("refused", "unconfirmed") else "")
    if outcome == "no reply":
        assert "message was added" in message and "Send another message" in message
    if outcome == "cut" and app.query(LiveReply):
        assert "Interrupted" in str(app.query(LiveReply).last().query(".note").last().render())
    return outcome


@pytest.mark.parametrize("kind", CHATTING)
async def test_every_message_ends_in_a_reply_or_a_reason_and_nothing_is_lost(
    chat_setup, kind
) -> None:
    chat = await chat_setup(kind, **FAULTS)
    app = chat.app()
    outcomes: list[str] = []
    started = time.monotonic()
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        for turn in range(TURNS):
            outcomes.append(await one_turn(pilot, f"Question {turn}: tell me about tides."))
            app.query_one(Composer).clear()
            await until(lambda: not chat.server_busy(), "the server's run to end")
        chat.server.emulator.config.fault_rate = 0.0
        await refresh(pilot)
        asked = [f"Question {n}: tell me about tides." for n, o in enumerate(outcomes)]
        sent = [t for t, o in zip(asked, outcomes, strict=True) if o not in NOT_TAKEN]
        unsure = {t for t, o in zip(asked, outcomes, strict=True) if o == "unconfirmed"}
        on_server = [t for role, t in chat.server_texts() if role == "user"]
        assert [t for t in on_server if t not in unsure] == sent  # accepted ones once
        assert all(on_server.count(t) <= 1 for t in unsure)  # never sent twice
        sent = [t for t in asked if t in on_server]
        assert user_texts(app) == sent
        replied = sum(o in ("completed", "cut") for o in outcomes)
        assert len(assistant_texts(app)) == replied
        assert not [n for n in notes(app) if n[0] == "That failed"]
    took = time.monotonic() - started
    faults = fault_summary(chat.server)
    assert sum(faults.values()) >= 2
    assert_healthy(chat.db)
    print(f"chat {kind.value}: {outcomes}, faults {faults}, {took:.1f} s")
