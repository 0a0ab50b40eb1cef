"""The sidebar: a virtual list of tracked items, two lines each, any number of rows."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.app.failures import guarded
from tui.app.list_source import ListSource
from tui.durations import describe
from tui.model import ItemState, Kind, Tracked
from tui.text import clean

ROW = 2
BADGES = {
    ItemState.MISSING: "missing",
    ItemState.DELETING: "deleting",
    ItemState.DELETED: "deleted",
}


def fit(text: str, width: int) -> str:
    """Text cut or padded to exactly ``width`` cells (CJK-aware)."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


@lru_cache(maxsize=512)
def _combine(widget: Style, segment: Style, cursor: Style) -> Style:
    """A segment's style: the widget's, then the segment's, then the cursor's."""
    return widget + segment + cursor


MARKS = {
    Kind.THREAD: "◆ ",
    Kind.CONVERSATION: "● ",
    Kind.COMPLETION: "■ ",
    Kind.RESPONSE: "▲ ",
    Kind.SESSION: "◇ ",
}


class ThreadList(ScrollView, can_focus=True):
    """Tracked threads and conversations, most recently active first.

    Rows come from a :class:`ListSource`; only the rows on screen are rendered, and
    missing pages are fetched in a worker while a placeholder shows.
    """

    COMPONENT_CLASSES = {
        "thread-list--cursor",
        "thread-list--dim",
        "thread-list--badge",
        "thread-list--marked",
    }
    DEFAULT_CSS = """
    ThreadList { background: $surface; overflow-x: hidden; scrollbar-size-vertical: 1; }
    ThreadList > .thread-list--cursor { background: $accent 40%; }
    ThreadList:focus > .thread-list--cursor { background: $accent; color: $text; }
    ThreadList > .thread-list--dim { color: $text-muted; }
    ThreadList > .thread-list--badge { color: $warning; text-style: bold; }
    ThreadList > .thread-list--marked { color: $error; text-style: bold; }
    """
    BINDINGS = [
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "open", "Open", show=False),
    ]

    cursor: reactive[int] = reactive(0)

    class Highlighted(Message):
        """The cursor moved onto an item."""

        def __init__(self, item: Tracked) -> None:
            super().__init__()
            self.item = item

    class Opened(Message):
        """The user chose an item (enter or click)."""

        def __init__(self, item: Tracked) -> None:
            super().__init__()
            self.item = item

    def __init__(
        self,
        source: ListSource | None = None,
        *,
        now: datetime | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.source = source
        self.now = now
        self.unconfigured: set[str] = set()
        self.marked: set[int] = set()  # row keys of the items marked for deletion

    @property
    def count(self) -> int:
        """How many rows the list has."""
        return (self.source.count or 0) if self.source else 0

    def set_source(self, source: ListSource) -> None:
        """Show another query's rows (count must be loaded)."""
        self.source = source
        self.virtual_size = Size(self.scrollable_content_region.width, self.count * ROW)
        self.cursor = min(self.cursor, max(0, self.count - 1))
        self.scroll_to(y=0, animate=False)
        self.refresh()
        self._request_visible()
        self._announce()

    def recount(self) -> None:
        """The source's count changed (counted, or grown by a page): resize, keep place."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.count * ROW)
        self.cursor = min(self.cursor, max(0, self.count - 1))
        self.refresh()

    @property
    def current(self) -> Tracked | None:
        """The item under the cursor, if loaded."""
        return self.source.get(self.cursor) if self.source and self.count else None

    # rendering

    def render_line(self, y: int) -> Strip:
        """One screen line: line 1 of a row is the title, line 2 the details."""
        line = round(self.scroll_offset.y) + y
        index, part = divmod(line, ROW)
        width = self.scrollable_content_region.width
        plain = self.rich_style  # computed from the CSS on every access: once per line
        if self.source is None or index >= self.count:
            return Strip.blank(width, plain)
        item = self.source.get(index)
        cursor = Style()
        if index == self.cursor:
            cursor = self.get_component_rich_style("thread-list--cursor")
        if item is None:
            self._request_visible()
            return Strip([Segment(fit("  …", width), plain + cursor)])
        segments = self._title(item, width) if part == 0 else self._details(item, width)
        return Strip([Segment(text, _combine(plain, style, cursor)) for text, style in segments])

    def _title(self, item: Tracked, width: int) -> list[tuple[str, Style]]:
        age = describe((self.now or datetime.now(item.last_activity.tzinfo)) - item.last_activity)
        mark, mark_style = MARKS[item.kind], Style(bold=True)
        if item.pk in self.marked:
            mark, mark_style = "✗ ", self.get_component_rich_style("thread-list--marked")
        title = clean(item.title).replace("\n", " ")
        room = width - len(mark) - len(age) - 2
        return [
            (mark, mark_style),
            (fit(title, room), Style(bold=True)),
            (" " + age.rjust(len(age)) + " ", self.get_component_rich_style("thread-list--dim")),
        ]

    def _details(self, item: Tracked, width: int) -> list[tuple[str, Style]]:
        dim = self.get_component_rich_style("thread-list--dim")
        badge_style = self.get_component_rich_style("thread-list--badge")
        count = (
            "?"
            if not item.message_count and not item.history_complete
            else (f"{item.message_count}{'' if item.history_complete else '+'}")
        )
        badges = [BADGES[item.state]] if item.state in BADGES else []
        if item.migrated_to:
            badges.append("migrated")
        if item.connection.key in self.unconfigured:
            badges.append("no profile")
        badge = (" " + " ".join(badges)) if badges else ""
        tail = f" {count} msg"
        room = width - 2 - cell_len(tail) - cell_len(badge)
        return [("  ", dim), (fit(item.id, room), dim), (badge, badge_style), (tail, dim)]

    # loading

    def _request_visible(self) -> None:
        if self.source is None:
            return
        top = round(self.scroll_offset.y) // ROW
        bottom = top + self.size.height // ROW + 2
        if not self.source.loaded(top, bottom):
            self.run_worker(
                self._load(top, bottom),
                group="pages",
                exclusive=True,
                exit_on_error=False,
                description="reading rows of the list",
            )

    @guarded("reading the list", "Scroll or change the filter to try again.")
    async def _load(self, start: int, stop: int) -> None:
        assert self.source is not None
        await self.source.ensure(start, stop)
        self.recount()
        self._announce()

    # movement

    def watch_cursor(self, old: int, new: int) -> None:
        """Keep the cursor on screen and tell the app what is highlighted."""
        if self.size.height:
            region = Region(0, new * ROW, self.size.width, ROW)
            self.scroll_to_region(region, animate=False, immediate=True, force=True)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        item = self.current
        if item is not None:
            self.post_message(self.Highlighted(item))

    def action_move(self, delta: int) -> None:
        """Move the cursor by ``delta`` rows."""
        if self.count:
            self.cursor = max(0, min(self.count - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        """Move the cursor by a screenful."""
        self.action_move(direction * max(1, self.size.height // ROW - 1))

    def action_jump(self, index: int) -> None:
        """Move to the first (0) or last (-1) row."""
        if self.count:
            self.cursor = self.count - 1 if index < 0 else index

    def action_open(self) -> None:
        """Open the highlighted item."""
        item = self.current
        if item is not None:
            self.post_message(self.Opened(item))

    def on_click(self, event: Click) -> None:
        """Clicking a row moves there and opens it."""
        index = (round(self.scroll_offset.y) + event.y) // ROW
        if 0 <= index < self.count:
            self.cursor = index
            self.action_open()

    def on_resize(self) -> None:
        """Keep the virtual size in step with the width."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.count * ROW)
        self._request_visible()

    def refresh_item(self, item: Tracked) -> None:
        """Redraw after an item changed."""
        if self.source is not None:
            self.source.replace(item)
        self.refresh()

    def watch_scroll_y(self, old: float, new: float) -> None:
        """Scrolling reveals rows that may need loading."""
        super().watch_scroll_y(old, new)
        self._request_visible()
