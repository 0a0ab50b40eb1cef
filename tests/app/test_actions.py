"""Every action of the app, against the emulator, through Pilot."""

from __future__ import annotations

import json

import pyperclip
import pytest

from tests.app.conftest import SIZE
from tests.conftest import settle, until
from tui.app.screens.choice import ChoiceDialog
from tui.app.screens.help import HelpScreen
from tui.app.screens.import_dialog import ImportDialog
from tui.app.screens.metadata import MetadataDialog
from tui.app.screens.new_item import NewItemDialog
from tui.app.screens.prompt import PromptDialog
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.thread_list import ThreadList
from tui.model import ItemState, TitleSource


@pytest.fixture
def clipboard(monkeypatch):
    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


async def test_move_and_open(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.query_one(ThreadList)
        await pilot.press("j", "j", "down", "k")
        assert listing.cursor == 2
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one(MessagePane).item.id == listing.current.id
        await pilot.press("tab")
        assert isinstance(app.focused, MessagePane)


async def test_long_thread_opens_newest_first_and_pages_back(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        reg = app.services.registry
        [item] = await reg.find(demo.manifest.long_thread)
        app.main.open_item(item)
        await settle(pilot)
        pane = app.query_one(MessagePane)
        views = list(pane.query(MessageView))
        assert len(views) == 50
        assert views[-1].turn.text.startswith("You asked") or views[-1].turn.role == "assistant"
        newest_first_id = views[0].turn.id
        pane.scroll_to(y=0, animate=False)
        pane.load_older()
        await settle(pilot)
        assert len(pane.query(MessageView)) == 100
        assert list(pane.query(MessageView))[50].turn.id == newest_first_id


async def test_copy_id_and_markdown(app_factory, clipboard) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        current = app.query_one(ThreadList).current
        await pilot.press("y")
        assert clipboard == [current.id]
        await pilot.press("Y")
        await settle(pilot)
        assert clipboard[-1].startswith(f"# {current.title}")


async def test_copy_falls_back_to_osc52(app_factory, monkeypatch) -> None:
    def no_clipboard(text):
        raise pyperclip.PyperclipException("no clipboard here")

    monkeypatch.setattr(pyperclip, "copy", no_clipboard)
    app = app_factory()
    sent: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app, "copy_to_clipboard", sent.append)
        await pilot.press("y")
        assert sent == [app.query_one(ThreadList).current.id]


async def test_export_to_a_file(app_factory, tmp_path) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        current = app.query_one(ThreadList).current
        await pilot.press("e")
        assert isinstance(app.screen, PromptDialog)
        target = tmp_path / "out.json"
        app.screen.query_one("#value").value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        doc = json.loads(target.read_text())
        assert doc["id"] == current.id and doc["source"] == "api" and doc["turns"]


async def test_rename_locally_and_on_the_server(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        current = app.query_one(ThreadList).current
        await pilot.press("t")
        app.screen.query_one("#value").value = "My [bold]own[/] title"
        await pilot.press("enter")
        await settle(pilot)
        item = await app.services.registry.get_pk(current.pk)
        assert (item.title, item.title_source) == ("My [bold]own[/] title", TitleSource.USER)
        await pilot.press("t")
        app.screen.query_one("#value").value = "Server title"
        app.screen.query_one("#flag").value = True
        await pilot.press("enter")
        await settle(pilot)
        api, _ = app.services.api_for(item)
        remote = await api.retrieve(item.id)
        assert remote.metadata["title"] == "Server title"


async def test_metadata_limits_are_checked_before_sending(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        current = app.query_one(ThreadList).current
        await pilot.press("m")
        dialog = app.screen
        assert isinstance(dialog, MetadataDialog)
        dialog.query_one("#editor").text = "\n".join(f"k{n} = v" for n in range(17))
        await pilot.press("ctrl+s")
        assert app.screen is dialog
        assert "at most 16" in str(dialog.query_one("#problems").render())
        dialog.query_one("#editor").text = "user_id = u-9\ntitle = Renamed by metadata"
        await pilot.press("ctrl+s")
        await settle(pilot)
        item = await app.services.registry.get_pk(current.pk)
        assert item.metadata == {"user_id": "u-9", "title": "Renamed by metadata"}
        api, _ = app.services.api_for(item)
        assert (await api.retrieve(item.id)).metadata == item.metadata


async def test_new_conversation_with_first_message(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        dialog = app.screen
        assert isinstance(dialog, NewItemDialog)
        dialog.query_one("#title").value = "Fresh one"
        dialog.query_one("#metadata").text = "user_id = u1"
        dialog.query_one("#first").text = "Hello there"
        await pilot.press("ctrl+s")
        # the first message asks what replies come from
        await until(
            lambda: isinstance(app.screen, ChoiceDialog) and app.screen.query("#search"),
            "the choice of model",
        )
        app.screen.query_one("#search").value = "gpt-4.1"
        await pilot.press("enter")
        await settle(pilot)
        listing = app.query_one(ThreadList)
        assert listing.count == 62
        item = listing.current
        assert item.title == "Fresh one" and item.id.startswith("conv_")
        assert item.metadata == {"title": "Fresh one", "user_id": "u1"}
        assert app.query_one(MessagePane).item.id == item.id
        assert item.choice == "gpt-4.1" and item.message_count == 2
        shown = [(v.turn.role, v.turn.text) for v in app.query(MessageView)]
        assert shown[0] == ("user", "Hello there") and shown[1][0] == "assistant"


async def test_import_dialog_reports_per_id(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        api = app.services.api_for_kind
        from tui.model import Kind

        fresh = await api(Kind.THREAD).create(metadata={"title": "Imported"})
        dialog.query_one("#paste").text = (
            f"log: {fresh.id} and run_zdE51vuY4FlBpEy2dYb3870E and thread_" + "Q" * 24
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        lines = [str(line.text) for line in dialog.query_one("#results").lines]
        text = "\n".join(lines)
        assert "added" in text and fresh.id in text
        assert "wrong kind" in text and "not found" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.query_one(ThreadList).count == 62


async def test_refresh_and_missing_items(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        current = app.query_one(ThreadList).current
        api, _ = app.services.api_for(current)
        await api.delete(current.id)
        await pilot.press("r")
        await settle(pilot)
        item = await app.services.registry.get_pk(current.pk)
        assert item.state is ItemState.MISSING
        notices = " ".join(str(w.render()) for w in app.query_one(MessagePane).query(".problem"))
        assert "another project" in notices
        assert len(app.query_one(MessagePane).query(MessageView)) > 0


async def test_toggle_deleted_and_help_and_quit(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        current = app.query_one(ThreadList).current
        await app.services.registry.set_state(current, ItemState.DELETED, source="test")
        await app.main.reload_list()
        assert app.query_one(ThreadList).count == 60
        await pilot.press("A")
        await settle(pilot)
        assert app.query_one(ThreadList).count == 61
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_palette_lists_the_actions(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Import IDs", "Export", "Edit metadata", "Copy as Markdown", "Keys"):
            assert wanted in titles


async def test_thread_runs_show_tool_calls_and_usage(app_factory, demo) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        [item] = await app.services.registry.find(demo.manifest.tool_thread)
        app.main.open_item(item)
        await settle(pilot)
        views = list(app.query_one(MessagePane).query(MessageView))
        calls = [c for v in views for c in v.turn.tool_calls]
        assert [(c.name, c.output) for c in calls] == [
            ("get_weather", '{"temp_c": 21, "sky": "clear"}')
        ]
        assert all(v.turn.usage is not None for v in views if v.turn.role == "assistant")
        archived = await app.services.registry.archive.all(item)
        assert any(t.tool_calls for t in archived)


async def test_a_failing_task_is_a_notification_not_a_crash(app_factory, monkeypatch) -> None:
    from tui.store import RegistryFull

    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        async def full(*args, **kwargs):
            raise RegistryFull("The disk holding the registry is full. Free some space.")

        monkeypatch.setattr(app.services.registry, "rename", full)
        await pilot.press("t")
        app.screen.query_one("#value").value = "x"
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any("disk holding the registry is full" in m for m in messages)
