"""Every background task of the app ends in a reason the user sees, never a silent death."""

from __future__ import annotations

from textual.widgets import OptionList, RichLog, Static, TextArea

import tui.ops.migrating as migrate_module  # the screen imports it on first use
import tui.ops.roads as roads_module
from tests.app.failure_kit import (
    SIZE,
    fail,
    item_setup,
    note_titled,
    notes,
    validation_error,
)
from tests.app.test_chat import opened
from tests.conftest import until
from tui.api.conversations import ConversationsAdapter
from tui.app.screens.choice import ChoiceDialog
from tui.app.screens.confirm_delete import ConfirmDelete
from tui.app.screens.delete_progress import DeleteProgress
from tui.app.screens.import_dialog import ImportDialog
from tui.app.screens.new_item import NewItem
from tui.app.screens.prompt import PromptResult
from tui.app.widgets.composer import Composer
from tui.app.widgets.message_pane import MessagePane
from tui.model import Kind
from tui.ops.deleting import BulkDelete

__all__ = ["item_setup"]
UNEXPECTED = "Unexpected failure: RuntimeError: server said no."


def pane_problems(app) -> str:
    return " ".join(str(w.render()) for w in app.query_one(MessagePane).query(".problem"))


async def test_a_history_that_cannot_be_read_says_why_in_the_pane(item_setup, monkeypatch) -> None:
    chat = await item_setup(Kind.CONVERSATION)
    fail(monkeypatch, ConversationsAdapter, "history", TypeError("year 58888 is out of range"))
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        shown = await until(lambda: pane_problems(app), "the reason in the pane")
        assert "Unexpected failure: TypeError: year 58888 is out of range." in shown
        assert "press r" in shown
        assert note_titled(app, "Loading the history failed")
        monkeypatch.undo()
        app.query_one(MessagePane).focus()
        await pilot.press("r")  # usable: the next open works
        await until(lambda: "No messages yet" in notices(app), "the history to load")


def notices(app) -> str:
    return " ".join(str(w.render()) for w in app.query_one(MessagePane).query(".notice"))


def opening(app) -> bool:
    """Whether the pane is still opening its item (reading the newest page, archiving it)."""
    return any(w.group == "history" and w.is_running for w in app.workers)


async def test_an_older_page_that_fails_says_why(item_setup, monkeypatch) -> None:
    chat = await item_setup(Kind.CONVERSATION)
    for batch in range(3):
        words = [f"message {batch * 20 + n}" for n in range(20)]
        chat.sdk.conversations.items.create(
            chat.item_id, items=[{"role": "user", "content": w} for w in words]
        )
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        pane = app.query_one(MessagePane)
        await until(
            lambda: len(pane.turns) == 50 and not opening(app), "the newest page from the server"
        )
        await until(lambda: not pane._mounting, "the page to be mounted")
        original = ConversationsAdapter.history

        async def history(self, item_id, *, before=None, limit=50):
            if before:
                raise RuntimeError("server said no")
            return await original(self, item_id, before=before, limit=limit)

        monkeypatch.setattr(ConversationsAdapter, "history", history)
        pane.load_older()
        message = await until(
            lambda: note_titled(app, "Loading older messages failed"), "the reason"
        )
        assert UNEXPECTED in message and "Scroll to the top again" in message
        await until(lambda: not pane._loading_older, "the pane to be ready again")
        monkeypatch.setattr(ConversationsAdapter, "history", original)
        pane.load_older()  # scrolling up again retries, from the oldest message shown
        await until(lambda: len(pane.turns) == 60, "the older page after the retry")


async def test_create_failing_says_why(item_setup, monkeypatch) -> None:
    chat = await item_setup(Kind.CONVERSATION)
    fail(monkeypatch, ConversationsAdapter, "create", validation_error())
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        app.main._create(NewItem(Kind.CONVERSATION, {"title": "New"}, "First words"))
        message = await until(lambda: note_titled(app, "Creating failed"), "the reason")
        assert "Unexpected failure: ValidationError" in message
        assert "may have created it" in message


async def test_rename_and_metadata_failing_say_why(item_setup, monkeypatch) -> None:
    chat = await item_setup(Kind.CONVERSATION)
    fail(monkeypatch, ConversationsAdapter, "update_metadata", RuntimeError("server said no"))
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        item = app.main.opened
        app.main._rename(item, PromptResult("A title", flag=True))
        message = await until(lambda: note_titled(app, "Renaming failed"), "the rename's reason")
        assert UNEXPECTED in message and "press r" in message
        app.main._metadata(item, {"team": "tides"})
        message = await until(lambda: note_titled(app, "Saving metadata failed"), "the reason")
        assert UNEXPECTED in message


async def test_import_failing_says_why_in_the_dialog(item_setup, monkeypatch) -> None:
    chat = await item_setup(Kind.CONVERSATION)
    fail(monkeypatch, roads_module, "import_road", RuntimeError("server said no"))
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("i")
        dialog = await until(lambda: isinstance(app.screen, ImportDialog) and app.screen, "dialog")
        dialog.query_one("#paste", TextArea).insert("conv_abc123")
        dialog.action_run()
        results = dialog.query_one("#results", RichLog)

        def shown() -> str:
            return "\n".join(line.text for line in results.lines)

        await until(lambda: UNEXPECTED in shown(), "the reason in the results")
        assert "ctrl+s to try again" in shown()


async def test_migrate_failing_says_why(item_setup, monkeypatch) -> None:
    chat = await item_setup(Kind.THREAD)
    fail(monkeypatch, migrate_module, "migrate", RuntimeError("server said no"))
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("M")
        message = await until(lambda: note_titled(app, "Migrating failed"), "the reason")
        assert UNEXPECTED in message and "Press M to try again" in message


async def test_delete_failing_says_why_in_its_summary(item_setup, monkeypatch) -> None:
    chat = await item_setup(Kind.CONVERSATION)
    fail(monkeypatch, BulkDelete, "run", RuntimeError("server said no"))
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmDelete), "the confirmation")
        await pilot.press("y")
        screen = await until(
            lambda: isinstance(app.screen, DeleteProgress) and app.screen, "the progress"
        )
        await until(lambda: screen.finished, "the deletion to end")
        text = "\n".join(str(w.render()) for w in screen.query(Static))
        assert "Deletion stopped" in str(screen.query_one("#title").render())
        assert UNEXPECTED in text
        assert note_titled(app, "Deleting failed")
        assert chat.sdk.conversations.retrieve(chat.item_id).id == chat.item_id  # not deleted


async def test_a_list_of_models_that_fails_says_why_and_the_send_can_be_left(
    item_setup, monkeypatch
) -> None:
    chat = await item_setup(Kind.CONVERSATION, choose=False)
    fail(monkeypatch, ConversationsAdapter, "list_choices", RuntimeError("server said no"))
    app = chat.app()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("c")
        app.query_one(Composer).insert("Hello")
        app.query_one(Composer).action_send()
        dialog = await until(lambda: isinstance(app.screen, ChoiceDialog) and app.screen, "dialog")
        options = dialog.query_one(OptionList)

        def listed() -> str:
            return " ".join(
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            )

        await until(lambda: UNEXPECTED in listed(), "the reason in the list")
        await pilot.press("escape")
        await until(lambda: not app.main.chat._runs, "the send to be left")
        assert app.query_one(Composer).text == "Hello"
        assert not [t for t, _, _ in notes(app) if t == "That failed"]
