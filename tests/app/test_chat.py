"""Inline chat in the real app against the emulator over loopback, streaming slowly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from openai import OpenAI

from tests.conftest import CHATTING, TEST_KEY, settle, until
from tui.app.launch import make_app
from tui.app.screens.choice import ChoiceDialog
from tui.app.screens.new_assistant import NewAssistantDialog
from tui.app.screens.tool_outputs import ToolOutputsDialog
from tui.app.screens.tools import ToolsDialog
from tui.app.widgets.composer import Composer
from tui.app.widgets.live_reply import LiveReply
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.run_status import RunStatusLine
from tui.app.widgets.thread_list import ThreadList
from tui.config import Profile, Settings
from tui.emulator import EmulatorServer
from tui.model import Connection, Kind, RunStatus
from tui.store import Registry

SIZE = (110, 32)
KEY_ENV = "THREAD_BROWSER_CHAT_TEST_KEY"
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}


@dataclass
class Chat:
    """An emulator, a registry tracking one item, and the app on them."""

    server: EmulatorServer
    sdk: OpenAI
    item_id: str
    kind: Kind
    db: str
    assistant: str | None

    def app(self) -> Any:
        profile = Profile("test", Connection(self.server.base_url), key_env=KEY_ENV)
        return make_app(self.db, Settings({"test": profile}, "test"), profile)


@pytest.fixture
def chat_setup(tmp_path, monkeypatch, make_server) -> Callable[..., Chat]:
    """``chat_setup(kind, tools=..., **emulator knobs)`` tracks one item and returns Chat."""
    monkeypatch.setenv(KEY_ENV, TEST_KEY)

    async def make(kind: Kind, *, tools: list | None = None, choose: bool = True, **knobs) -> Chat:
        knobs.setdefault("token_delay_ms", 20)
        server = make_server(api_keys=(TEST_KEY,), **knobs)
        sdk = OpenAI(api_key=TEST_KEY, base_url=server.base_url, max_retries=0)
        assistant = None
        if kind is Kind.THREAD:
            item_id = sdk.beta.threads.create(metadata={"title": "Chat here"}).id
            assistant = sdk.beta.assistants.create(
                model="gpt-4.1", name="Helper", tools=tools or []
            ).id
        elif kind is Kind.RESPONSE:
            said = {"model": "gpt-4.1", "metadata": {"title": "Chat here"}}
            item_id = sdk.responses.create(input="Where is 京都?", **said).id
        else:
            item_id = sdk.conversations.create(metadata={"title": "Chat here"}).id
        db = str(tmp_path / "registry.sqlite3")

        async with await Registry.open(db) as reg:
            item, _ = await reg.track(item_id, kind, Connection(server.base_url), source="t")
            if choose:
                await reg.set_choice(item, assistant or "gpt-4.1", source="t")
        return Chat(server, sdk, item_id, kind, db, assistant)

    return make


async def dialog_of(app, kind: type, box: str) -> Any:
    """The dialog of type ``kind`` once it is on top and its ``box`` is composed."""
    screen = await until(
        lambda: app.screen if isinstance(app.screen, kind) else None, kind.__name__
    )
    await until(lambda: screen.query(box), f"{box} in {kind.__name__}")
    return screen


def record_statuses(app) -> list[RunStatus]:
    line = app.query_one(RunStatusLine)
    seen: list[RunStatus] = []
    original = line.set_status

    def set_status(status: RunStatus, detail: str | None = None, run_id=None) -> None:
        if not seen or seen[-1] is not status:
            seen.append(status)
        original(status, detail, run_id)

    line.set_status = set_status  # type: ignore[method-assign]
    return seen


async def opened(pilot) -> None:
    app = pilot.app
    await until(lambda: app.main.opened is not None, "the item to open")
    await until(lambda: not app.query_one(MessagePane)._mounting, "the pane to fill")
    await pilot.pause()


async def send(pilot, text: str, *, expect_run: bool = True) -> None:
    """Open the composer with its key, type, and send (ctrl+s's action, without waiting for
    the app to go idle as ``pilot.press`` would: that is the end of the reply)."""
    await pilot.press("c")
    composer = pilot.app.query_one(Composer)
    assert composer.has_focus
    composer.insert(text)
    assert ("ctrl+s", "send") in [(b.key, b.action) for b in Composer.BINDINGS]
    composer.action_send()
    if expect_run:
        await until(lambda: pilot.app.main.chat._runs, "the send to start")


@pytest.fixture
def pieces(monkeypatch) -> list[tuple[LiveReply, str]]:
    """Every piece written into a live reply, as it was written."""
    written: list[tuple[LiveReply, str]] = []
    original = LiveReply.write

    async def write(self: LiveReply, delta: str) -> None:
        written.append((self, delta))
        await original(self, delta)

    monkeypatch.setattr(LiveReply, "write", write)
    return written


def texts(app, role: str) -> list[str]:
    return [v.turn.text for v in app.query(MessageView) if v.turn.role == role]


def finished(app) -> bool:
    return not app.main.chat._runs and not app.query_one(RunStatusLine).active


def is_subsequence(small: list, big: list) -> bool:
    it = iter(big)
    return all(x in it for x in small)


@pytest.mark.parametrize("kind", CHATTING)
async def test_a_reply_streams_live_and_is_archived(chat_setup, pieces, kind: Kind) -> None:
    chat = await chat_setup(kind)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        statuses = record_statuses(app)
        await send(pilot, "Tell me about **tides**, please.")
        await until(lambda: len(pieces) > 3, "text to stream in")
        live = pieces[0][0]
        assert live.is_mounted and live.parent is app.query_one(MessagePane)
        assert app.query_one(RunStatusLine).active
        await until(lambda: finished(app), "the run to end")
        assert len({id(w) for w, _ in pieces}) == 1  # one live widget, appended to
        assert app.query_one(RunStatusLine).first_token is not None
        await pilot.pause()
        assert is_subsequence([RunStatus.IN_PROGRESS, RunStatus.COMPLETED], statuses)
        assert statuses[-1] is RunStatus.COMPLETED
        assert app.query_one(Composer).text == ""
        assert texts(app, "user") == ["Tell me about **tides**, please."]
        await until(lambda: len(texts(app, "assistant")) == 1, "the reply in its place")
        [reply] = texts(app, "assistant")
        assert reply and not app.query(LiveReply)
        line = app.query_one(RunStatusLine).describe()
        assert "completed" in line and "tokens" in line and "first token" in line
        item = await app.svc.registry.get(Connection(chat.server.base_url), chat.item_id)
        archived = await app.svc.registry.archive.page(item, limit=10)
        assert [t.text for t in archived.turns] == ["Tell me about **tides**, please.", reply]
        assert app.query_one(ThreadList).current.message_count == 2


async def test_thread_statuses_arrive_in_order_and_x_cancels_mid_stream(chat_setup, pieces) -> None:
    chat = await chat_setup(Kind.THREAD, token_delay_ms=60)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        statuses = record_statuses(app)
        await send(pilot, "Write a long story about the sea.")
        await until(lambda: pieces, "the first words")
        assert ("x", "cancel_run") in [(b.key, b.action) for b in app.main.BINDINGS]
        await app.main.run_action("cancel_run")
        await until(lambda: finished(app), "the cancelled run to end")
        assert is_subsequence(
            [RunStatus.QUEUED, RunStatus.IN_PROGRESS, RunStatus.CANCELLING, RunStatus.CANCELLED],
            statuses,
        )
        assert "cancelled" in app.query_one(RunStatusLine).describe()
        run = chat.sdk.beta.threads.runs.list(chat.item_id).data[0]
        assert run.status == "cancelled"


async def test_a_failed_run_says_why_in_plain_words(chat_setup) -> None:
    chat = await chat_setup(Kind.THREAD)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "#fail please")
        await until(lambda: finished(app), "the run to fail")
        line = app.query_one(RunStatusLine)
        assert line.status is RunStatus.FAILED and line.has_class("-bad")
        run = chat.sdk.beta.threads.runs.list(chat.item_id).data[0]
        assert run.last_error.message in line.describe()


async def test_requires_action_shows_the_calls_and_sends_the_typed_output(chat_setup) -> None:
    chat = await chat_setup(Kind.THREAD, tools=[WEATHER])
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        statuses = record_statuses(app)
        await send(pilot, "What is the weather in Oslo?")
        dialog = await dialog_of(app, ToolOutputsDialog, "#out0")
        assert dialog.calls[0].name == "get_weather" and "Oslo" in dialog.calls[0].arguments
        assert RunStatus.REQUIRES_ACTION in statuses
        await until(lambda: dialog.focused is dialog.query_one("#out0"), "the box to take keys")
        await pilot.press("ctrl+s")  # nothing typed: refused, nothing sent
        assert app.screen is dialog
        assert "is empty" in str(dialog.query_one("#refused").render())
        await pilot.press(*'{"temp_c": 7}')  # typed, not set
        await pilot.press("ctrl+s")
        await until(lambda: finished(app), "the run to complete")
        assert statuses[-1] is RunStatus.COMPLETED
        steps = chat.sdk.beta.threads.runs.steps.list(
            chat.sdk.beta.threads.runs.list(chat.item_id).data[0].id, thread_id=chat.item_id
        )
        outputs = [
            c.function.output
            for s in steps.data
            if s.type == "tool_calls"
            for c in s.step_details.tool_calls
        ]
        assert '{"temp_c": 7}' in outputs
        assert texts(app, "assistant")


async def test_the_run_is_polled_when_the_server_will_not_stream(chat_setup) -> None:
    chat = await chat_setup(Kind.THREAD, no_stream=True, token_delay_ms=5)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        statuses = record_statuses(app)
        await send(pilot, "Hello there")
        await until(lambda: finished(app), "the polled run to complete")
        assert statuses[-1] is RunStatus.COMPLETED
        assert len(texts(app, "assistant")) == 1 and not app.query(LiveReply)


async def test_an_active_run_is_explained_and_x_cancels_it(chat_setup) -> None:
    chat = await chat_setup(Kind.THREAD, token_delay_ms=100)
    chat.sdk.beta.threads.messages.create(chat.item_id, role="user", content="a long one")
    other = chat.sdk.beta.threads.runs.create(chat.item_id, assistant_id=chat.assistant)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "May I?", expect_run=False)
        await until(lambda: "Another run" in app.query_one(RunStatusLine).describe(), "refusal")
        line = app.query_one(RunStatusLine).describe()
        assert "Another run" in line and other.id in line and "press x" in line
        assert app.query_one(Composer).text == "May I?"  # nothing lost
        await app.main.run_action("cancel_run")
        await until(
            lambda: (
                chat.sdk.beta.threads.runs.retrieve(other.id, thread_id=chat.item_id).status
                in ("cancelling", "cancelled")
            ),
            "the other run to be cancelled",
        )


async def test_sending_is_refused_while_a_reply_runs_and_for_huge_pastes(
    chat_setup, pieces
) -> None:
    chat = await chat_setup(Kind.CONVERSATION, token_delay_ms=60)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "First question")
        await until(lambda: pieces, "the reply to start")
        composer = app.query_one(Composer)
        composer.insert("Second question")
        composer.action_send()
        await pilot.pause()
        assert composer.text == "Second question"
        assert len(app.main.chat._runs) == 1
        await until(lambda: finished(app), "the first reply to end")
        composer.clear()
        composer.insert("x" * 300_000)
        composer.action_send()
        await pilot.pause()
        assert len(composer.text) == 300_000 and not app.main.chat._runs
        assert len(texts(app, "user")) == 1


async def test_choosing_a_model_is_remembered(chat_setup) -> None:
    chat = await chat_setup(Kind.CONVERSATION, choose=False)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Which model are you?")
        dialog = await dialog_of(app, ChoiceDialog, "#search")
        await until(lambda: dialog.choices, "the models")
        dialog.query_one("#search").value = "gpt-4.1-mini"
        await pilot.press("enter")
        await until(lambda: finished(app) and texts(app, "assistant"), "the reply")
        item = await app.svc.registry.get(Connection(chat.server.base_url), chat.item_id)
        assert item.choice == "gpt-4.1-mini"


async def test_a_dropped_connection_keeps_the_partial_reply_and_retry_duplicates_nothing(
    chat_setup, pieces
) -> None:
    chat = await chat_setup(Kind.THREAD, token_delay_ms=40)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Tell me a long story.")
        await until(lambda: len(pieces) > 5, "some text")
        live = pieces[0][0]
        emulator, port = chat.server.emulator, chat.server.port
        chat.server.stop()
        await until(lambda: finished(app), "the error")
        partial = live.text
        assert partial and app.query_one(RunStatusLine).has_class("-bad")
        assert "Press r" in " ".join(str(s.render()) for s in live.query(".note"))
        restarted = EmulatorServer(emulator, port=port).start()
        try:
            app.query_one(MessagePane).focus()
            await pilot.press("r")
            await until(lambda: texts(app, "assistant"), "the reply from the server")
            await settle(pilot)
            assert texts(app, "user") == ["Tell me a long story."]
            assert len(texts(app, "assistant")) == 1
            assert not app.query(LiveReply)
        finally:
            restarted.stop()


async def test_ctrl_b_sends_a_background_response_that_is_polled(chat_setup, pieces) -> None:
    chat = await chat_setup(Kind.CONVERSATION, token_delay_ms=5)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        statuses = record_statuses(app)
        await pilot.press("c")
        composer = app.query_one(Composer)
        composer.insert("Work on this quietly.")
        assert ("ctrl+b", "send_background") in [(b.key, b.action) for b in Composer.BINDINGS]
        composer.action_send_background()
        await until(lambda: app.main.chat._runs, "the send to start")
        await until(lambda: finished(app), "the background response to end")
        assert statuses[0] is RunStatus.QUEUED and statuses[-1] is RunStatus.COMPLETED
        assert not pieces  # nothing streamed: it was polled
        await until(lambda: texts(app, "assistant"), "the polled reply to show")
        [reply] = texts(app, "assistant")
        response = chat.sdk.responses.retrieve(app.query_one(RunStatusLine).run_id)
        assert response.background and response.output_text == reply
        item = await app.svc.registry.get(Connection(chat.server.base_url), chat.item_id)
        assert await app.svc.registry.responses.of(item) == [response.id]


async def test_an_assistant_created_from_the_picker_answers(chat_setup) -> None:
    chat = await chat_setup(Kind.THREAD, choose=False)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Who are you?", expect_run=True)
        picker = await dialog_of(app, ChoiceDialog, "#search")
        await until(lambda: picker.choices, "the assistants")
        await pilot.press("ctrl+n")
        dialog = await dialog_of(app, NewAssistantDialog, "#instructions")
        dialog.query_one("#name").value = "Pirate"
        dialog.query_one("#instructions").value = "Talk like a pirate."
        dialog.query_one("#ok").press()
        await until(lambda: finished(app) and texts(app, "assistant"), "the reply")
        item = await app.svc.registry.get(Connection(chat.server.base_url), chat.item_id)
        created = chat.sdk.beta.assistants.retrieve(item.choice)
        assert created.name == "Pirate" and created.instructions == "Talk like a pirate."
        run = chat.sdk.beta.threads.runs.list(chat.item_id).data[0]
        assert run.assistant_id == created.id


async def test_a_conversation_turn_with_a_tool_call(chat_setup) -> None:
    chat = await chat_setup(Kind.CONVERSATION)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        app.query_one(MessagePane).focus()
        await pilot.press("o")
        editor = await dialog_of(app, ToolsDialog, "#tools")
        editor.query_one("#tools").text = "get_weather"
        await pilot.press("ctrl+s")
        await until(lambda: app.main.opened.tools, "the tools to be saved")
        statuses = record_statuses(app)
        await send(pilot, "What is the weather in Oslo?")
        dialog = await dialog_of(app, ToolOutputsDialog, "#out0")
        assert dialog.calls[0].name == "get_weather"
        dialog.query_one("#out0").value = "sunny, 21 C"
        await pilot.press("ctrl+s")
        await until(lambda: finished(app), "the reply")
        assert RunStatus.REQUIRES_ACTION in statuses and statuses[-1] is RunStatus.COMPLETED
        items = chat.sdk.conversations.items.list(chat.item_id, order="asc").data
        kinds = [i.type for i in items]
        assert kinds == ["message", "function_call", "function_call_output", "message"]
        assert items[2].output == "sunny, 21 C"

        def roles() -> list[str]:
            return [v.turn.role for v in app.query(MessageView)]

        await until(lambda: len(roles()) == 4, "the whole turn on screen")
        assert roles()[0] == "user" and roles()[-1] == "assistant"
        item = await app.svc.registry.get(Connection(chat.server.base_url), chat.item_id)
        assert [t["name"] for t in item.tools] == ["get_weather"]
        # the call's response and the one that answered the tool output, both noted
        noted = await app.svc.registry.responses.of(item)
        assert len(noted) == 2 and noted[-1] == app.query_one(RunStatusLine).run_id
        assert {chat.sdk.responses.retrieve(r).conversation.id for r in noted} == {chat.item_id}


@pytest.mark.parametrize(
    ("directive", "status", "words"),
    [
        ("#incomplete", RunStatus.INCOMPLETE, "incomplete"),
        ("#expire", RunStatus.EXPIRED, "expired"),
    ],
)
async def test_incomplete_and_expired_runs_end_in_plain_words(
    chat_setup, directive: str, status: RunStatus, words: str
) -> None:
    chat = await chat_setup(Kind.THREAD)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await send(pilot, f"Tell me everything {directive}")
        await until(lambda: finished(app), "the run to end")
        line = app.query_one(RunStatusLine)
        assert line.status is status and line.has_class("-bad")
        assert line.describe().startswith(f"✗ {words}")
        run = chat.sdk.beta.threads.runs.list(chat.item_id).data[0]
        assert run.status == status.value
        if run.incomplete_details is not None:
            assert run.incomplete_details.reason in line.describe()
        assert app.query_one(Composer).text == ""  # the message itself was accepted


async def test_enter_on_an_empty_picker_takes_the_first_entry(chat_setup) -> None:
    chat = await chat_setup(Kind.CONVERSATION, choose=False)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Hi")
        dialog = await dialog_of(app, ChoiceDialog, "#search")
        await until(lambda: dialog.choices, "the models")
        first = dialog.choices[0].id
        labels = [str(o.prompt) for o in dialog.query_one("#choices")._options]
        assert labels[0] == first  # a model's name and ID are the same: shown once
        await pilot.press("enter")
        await until(lambda: finished(app) and texts(app, "assistant"), "the reply")
        assert app.main.opened.choice == first


async def test_a_reply_continues_a_response_chain_which_takes_its_id(chat_setup, pieces) -> None:
    chat = await chat_setup(Kind.RESPONSE)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        assert texts(app, "user") == ["Where is 京都?"]
        await send(pilot, "And how far is Osaka?")
        await until(lambda: pieces, "text to stream in")
        await until(lambda: finished(app), "the run to end")
        await until(lambda: app.main.opened.id != chat.item_id, "the chain to move on")
        head = app.main.opened
        assert head.kind is Kind.RESPONSE and head.title == "Where is 京都?"
        assert chat.sdk.responses.retrieve(head.id).previous_response_id == chat.item_id
        said = ["Where is 京都?", "And how far is Osaka?"]
        await until(lambda: texts(app, "user") == said, "the chain to be shown again")
        await until(lambda: len(texts(app, "assistant")) == 2, "both replies")
        registry = app.svc.registry
        assert await registry.get(Connection(chat.server.base_url), chat.item_id) is None
        assert await registry.chains.older(head) == [chat.item_id]
        archived = await registry.archive.page(head, limit=10)
        assert [t.role for t in archived.turns] == ["user", "assistant"] * 2
        assert app.query_one(ThreadList).current.id == head.id


@pytest.mark.parametrize("kind", CHATTING)
async def test_a_reply_in_a_conversation_is_noted_under_it(chat_setup, kind: Kind) -> None:
    chat = await chat_setup(kind)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("c", *"Hello there", "ctrl+s")  # the keys a user presses
        await until(lambda: finished(app) and texts(app, "assistant"), "the reply")
        assert texts(app, "user") == ["Hello there"]
        registry = app.svc.registry
        item = await registry.get(Connection(chat.server.base_url), chat.item_id)
        noted = await registry.responses.of(item)
        if kind is Kind.THREAD:
            assert noted == []  # a thread's runs are part of it
            return
        [response_id] = noted
        assert response_id == app.query_one(RunStatusLine).run_id
        assert chat.sdk.responses.retrieve(response_id).conversation.id == chat.item_id
        events = [e for e in await registry.journal(item) if e.event == "response written"]
        assert [(e.source, e.detail) for e in events] == [("app", response_id)]
