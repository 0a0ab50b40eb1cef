"""Message content is data: markup shows literally, control sequences never pass."""

from __future__ import annotations

import io

from rich.console import Console

from tests.app.conftest import SIZE
from tests.conftest import settle
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView, render_turn
from tui.app.widgets.thread_list import ThreadList
from tui.model import Kind

HOSTILE = (
    "[bold red]not markup[/] [link=https://evil.example]click[/link] "
    "\x1b]52;c;ZXZpbA==\x07 \x1b]0;pwned title\x07 \x1b[31mred\x1b[0m \x07bell "
    "\x9b31m c1 \x00nul \u202eevil\u202c"
)


def plain(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None, legacy_windows=False).print(renderable)
    return out.getvalue()


async def test_hostile_message_and_title_render_literally(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        api = app.services.api_for_kind(Kind.CONVERSATION)
        remote = await api.create(metadata={"title": "[b]T[/b] \x1b[2J"}, first_message=HOSTILE)
        item, _ = await app.services.registry.track_remote(
            remote, app.services.profile.connection, source="test"
        )
        await app.main.reload_list(select_pk=item.pk)
        app.main.open_item(item)
        await settle(pilot)
        [view] = app.query_one(MessagePane).query(MessageView)
        text = plain(render_turn(view.turn))
        assert "[bold red]not markup[/]" in text
        assert "[link=https://evil.example]click[/link]" in text
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "\x00" not in text
        listing = app.query_one(ThreadList)
        rows = "".join(seg.text for y in range(4) for seg in listing.render_line(y)._segments)
        assert "[b]T[/b]" in rows and "\x1b" not in rows
