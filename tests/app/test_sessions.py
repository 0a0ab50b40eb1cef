"""An Agents SDK session in the app: its history shown, read-only, its file never written."""

from __future__ import annotations

from tests.app.conftest import SIZE
from tests.app.test_hostile import OWN_SEQUENCES, TerminalTap
from tests.conftest import frame, settle, until
from tests.hostile import FORBIDDEN
from tests.kit.agents_sessions import HOSTILE, conversation, digest, make_session_file
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.thread_list import ThreadList
from tui.model import Kind, TurnKind
from tui.ops.sessions import import_sessions
from tui.store import Registry


async def test_a_session_opens_with_its_history_and_refuses_to_write(
    app_factory, demo, tmp_path
) -> None:
    hostile = {"role": "user", "content": [{"type": "input_text", "text": HOSTILE}]}
    items = [*conversation(7), hostile]
    path = make_session_file(tmp_path / "agents.db", {"weather_bot": items})
    before = digest(path)
    async with await Registry.open(demo.db_path) as registry:
        (result,) = (await import_sessions(path, registry)).results
    assert result.ok
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        tap = TerminalTap(app)
        await settle(pilot)
        listing = app.query_one(ThreadList)
        await pilot.press("slash", *"Question 7", "enter")
        await until(lambda: listing.count == 1, "the filter to find the session")
        item = listing.source.get(0)
        assert item is not None and item.kind is Kind.SESSION and item.id == "weather_bot"
        await pilot.press("enter")
        pane = app.query_one(MessagePane)
        await until(lambda: len(pane.query(MessageView)) == 6, "the session's history")
        turns = [v.turn for v in pane.query(MessageView)]
        assert turns[0].text.startswith("Question 7") and turns[4].text == "Answer 7: sunny."
        assert turns[2].kind is TurnKind.TOOL_CALL and turns[3].kind is TurnKind.TOOL_OUTPUT
        await settle(pilot)
        shown = tap.check()  # no escape, bidi override or control character reached it
        assert "[bold red]pwned[/bold red]" in shown
        await pilot.press("c", *"hello", "ctrl+s")
        await until(
            lambda: "never writes a session file" in OWN_SEQUENCES.sub("", frame(app)),
            "the refusal",
        )
        said = [n.message for n in app._notifications]
        assert not any("checked after" in m for m in said)  # nothing sent, nothing to check
        await settle(pilot)
        text = OWN_SEQUENCES.sub("", frame(app))
        assert "read-only: Thread Browser never writes" in text
        assert not FORBIDDEN.findall(text)
    assert digest(path) == before
