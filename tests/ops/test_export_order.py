"""A thread's run tool calls: shown and exported before the reply they led to, with outputs."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from tui.app.widgets.message_view import render_turn
from tui.model import Connection, ItemState, Kind, Part, TitleSource, ToolCall, Tracked, Turn
from tui.ops.exporting import History, markdown

NOW = datetime(2026, 11, 2, tzinfo=UTC)
ITEM = Tracked(
    1, "thread_" + "a" * 24, Kind.THREAD, Connection("http://127.0.0.1:1/v1"), "Weather",
    TitleSource.METADATA, NOW, NOW, {}, 1, True, ItemState.ACTIVE, (), "", "test",
)  # fmt: skip
REPLY = Turn(
    "msg_1",
    "assistant",
    parts=(Part("text", "It is sunny in Lisbon."),),
    tool_calls=(
        ToolCall("call_1", "get_weather", '{"city": "Lisbon"}', output='{"sky": "clear"}'),
    ),
)


def test_the_export_puts_the_call_and_its_output_before_the_reply() -> None:
    text = markdown(History(ITEM, [REPLY], "api"))
    call, output, reply = (text.index(s) for s in ("get_weather", '{"sky": "clear"}', "sunny"))
    assert call < output < reply


def test_the_pane_shows_the_call_before_the_reply() -> None:
    out = io.StringIO()
    Console(file=out, width=100, color_system=None).print(render_turn(REPLY))
    shown = out.getvalue()
    assert shown.index("get_weather") < shown.index("sunny")
