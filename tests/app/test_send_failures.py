"""A send that fails in any way ends with a reason, and a kept message is never sent twice."""

from __future__ import annotations

import logging
import re

import pytest

from tests.app.failure_kit import (
    SIZE,
    break_after,
    fail,
    finished,
    item_setup,
    note_titled,
    notes,
    validation_error,
)
from tests.app.test_chat import opened
from tests.conftest import CHATTING, TEST_KEY, until
from tui.api.conversations import ConversationsAdapter
from tui.api.threads import ThreadsAdapter
from tui.app.widgets.composer import Composer
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.run_status import RunStatusLine
from tui.model import Kind

ADAPTERS = {Kind.THREAD: ThreadsAdapter, Kind.CONVERSATION: ConversationsAdapter}
TEXT = "Remember the spring tides."

__all__ = ["item_setup"]


async def write_and_send(pilot, text: str) -> None:
    """Open the composer, write ``text`` and send it (ctrl+s's action)."""
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


async def resend(pilot) -> None:
    """ctrl+s again on whatever the composer holds (nothing happens when it is empty)."""
    app = pilot.app
    line = app.query_one(RunStatusLine)
    before = line.started
    app.query_one(Composer).action_send()
    await pilot.pause()
    if app.main.chat._runs:
        await until(lambda: line.started != before and finished(app), "the second send to end")


def users_on_server(chat, text: str) -> int:
    return sum(1 for role, said in chat.server_texts() if role == "user" and said == text)


def user_views(app) -> list[str]:
    return [v.turn.text for v in app.query(MessageView) if v.turn.role == "user"]


@pytest.mark.parametrize("kind", CHATTING)
async def test_a_send_broken_after_the_server_kept_the_message_is_not_offered_again(
    item_setup, monkeypatch, caplog, kind
) -> None:
    """The stream dies (ValidationError) right after the server took the message."""
    chat = await item_setup(kind)
    break_after(monkeypatch, ADAPTERS[kind], "send", validation_error(), 1)
    app = chat.app()
    caplog.set_level(logging.ERROR, logger="tui.app")
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await write_and_send(pilot, TEXT)
        await until(lambda: finished(app), "the spinner to stop")
        line = app.query_one(RunStatusLine)
        assert line.has_class("-bad")
        message = await until(lambda: note_titled(app, "No reply started"), "the reason")
        assert "Unexpected failure: ValidationError" in message
        assert "the server has it" in message and "add it twice" in message
        assert "tool_choice: Input should be a valid string (got None)" in message
        assert message in line.describe()
        assert app.query_one(Composer).text == ""  # nothing left to resend by accident
        assert TEXT in user_views(app)
        await resend(pilot)
        assert users_on_server(chat, TEXT) == 1
        await until(lambda: not chat.server_busy(), "the server's reply to end")
    assert any("ValidationError" in r.getMessage() for r in caplog.records)


async def test_a_send_that_never_reached_the_server_keeps_the_text_and_says_so(
    item_setup, monkeypatch, caplog
) -> None:
    """A RuntimeError before any request: checked, not found, the text stays for a resend."""
    chat = await item_setup(Kind.CONVERSATION)
    with monkeypatch.context() as patch:
        break_after(patch, ConversationsAdapter, "send", RuntimeError(f"bad {TEST_KEY}"), 0)
        app = chat.app()
        caplog.set_level(logging.ERROR, logger="tui.app")
        async with app.run_test(size=SIZE) as pilot:
            await opened(pilot)
            await write_and_send(pilot, TEXT)
            await until(lambda: finished(app), "the spinner to stop")
            message = await until(lambda: note_titled(app, "Not sent"), "the reason")
            assert "Unexpected failure: RuntimeError: bad [redacted]." in message
            assert "does not have it (checked" in message and "still in the composer" in message
            assert app.query_one(Composer).text == TEXT
            assert users_on_server(chat, TEXT) == 0
            patch.undo()
            await resend(pilot)
            assert "completed" in app.query_one(RunStatusLine).describe()
            assert users_on_server(chat, TEXT) == 1
            assert app.query_one(Composer).text == ""
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and "RuntimeError" in logged
    assert TEST_KEY not in logged
    assert all(TEST_KEY not in message for _, message, _ in notes(app))


async def test_when_the_check_fails_too_the_text_stays_with_a_warning(
    item_setup, monkeypatch
) -> None:
    chat = await item_setup(Kind.CONVERSATION)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        break_after(monkeypatch, ConversationsAdapter, "send", KeyError("output"), 1)
        fail(monkeypatch, ConversationsAdapter, "history", TypeError("odd timestamp"))
        await write_and_send(pilot, TEXT)
        await until(lambda: finished(app), "the spinner to stop")
        message = await until(lambda: note_titled(app, "Send unconfirmed"), "the reason")
        assert "Unexpected failure: KeyError: 'output'." in message
        assert "could not be checked (Unexpected failure: TypeError: odd timestamp.)" in message
        assert "press r" in message and "added twice" in message
        assert app.query_one(Composer).text == TEXT
        await until(lambda: not chat.server_busy(), "the server's reply to end")


def garble_response_streams(inner):
    """An ASGI wrapper: every event of a POST /responses stream carries broken JSON."""

    async def app(scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await inner(scope, receive, send)
        if not scope["path"].endswith("/responses"):
            return await inner(scope, receive, send)

        async def garbled(message):
            if message["type"] == "http.response.body" and message.get("body"):
                body = re.sub(rb"data: \{", b'data: {"', message["body"])
                message = {**message, "body": body}
            await send(message)

        return await inner(scope, receive, garbled)

    return app


async def test_a_stream_of_unreadable_events_ends_with_a_reason_and_no_duplicate(
    item_setup,
) -> None:
    """Over real HTTP: the server keeps the message, then sends events nobody can parse."""
    chat = await item_setup(Kind.CONVERSATION, wrap=garble_response_streams)
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await write_and_send(pilot, TEXT)
        await until(lambda: finished(app), "the spinner to stop")
        line = app.query_one(RunStatusLine)
        assert line.has_class("-bad") and "x cancels" not in line.describe()
        errors = await until(
            lambda: [(t, m) for t, m, severity in notes(app) if severity == "error"], "a reason"
        )
        assert not [t for t, _ in errors if t == "That failed"]
        await resend(pilot)  # a kept message is not offered again; a lost one is
        await until(lambda: not chat.server_busy(), "the server's reply to end")
        assert users_on_server(chat, TEXT) == 1
        pane = app.query_one(MessagePane)
        assert pane.item is not None
