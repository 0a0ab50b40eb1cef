"""The message pane: archived history at once, then the API's, older pages on scroll up."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.api.errors import ApiError
from tui.app.failures import guarded, report
from tui.app.services import Services
from tui.app.widgets.message_view import MessageView, estimated_height
from tui.model import Tracked, Turn

if TYPE_CHECKING:
    from tui.app.widgets.live_reply import LiveReply
    from tui.ops.history import HistoryReader, Newest

FIRST_SCREEN = 4  # newest messages mounted first when the pane has no size yet
CHUNK = 8
LOADING_NOTICE = 0.15  # seconds before a blank pane says its history is on its way
NOT_FOUND_HELP = (
    "This item was not found on its server. Its archived history stays readable here. "
    "That happens when it belongs to another project or organization (check the key and "
    "OPENAI_PROJECT_ID), when it expired, or when it was deleted elsewhere."
)


class MessagePane(VerticalScroll, can_focus=True):
    """History of one item, newest at the bottom."""

    DEFAULT_CSS = """
    MessagePane { padding: 0 1; scrollbar-gutter: stable; }
    MessagePane > .notice { color: $text-muted; padding: 1; text-style: italic; }
    MessagePane > .problem { color: $warning; padding: 1; }
    """

    class Loaded(Message):
        """History of an item was shown (from the archive or the API)."""

        def __init__(self, item: Tracked, source: str, error: Exception | None = None) -> None:
            super().__init__()
            self.item = item
            self.source = source
            self.error = error

    def __init__(self, services: Services | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._services = services
        self.item: Tracked | None = None
        self.turns: list[Turn] = []
        self.reader: HistoryReader | None = None  # the opened item's history
        self._showing = asyncio.Lock()  # one replacement of the pane's children at a time
        self._loading_older = False
        self._generation = 0  # bumped on every replace: stale chunk mounts stop
        self._mounting = False  # older views of the last replace are still being mounted
        self._doubt_said = False

    @property
    def services(self) -> Services:
        """The app's services (set once the registry is open)."""
        assert self._services is not None, "the registry is not open yet"
        return self._services

    @services.setter
    def services(self, services: Services) -> None:
        self._services = services

    def compose(self) -> ComposeResult:
        """A hint until an item is opened."""
        yield Static(
            "Choose a thread or conversation on the left and press enter. Press ? for every key.",
            classes="notice",
        )

    def show(self, item: Tracked) -> None:
        """Show an item: its archive now, the API's newest page in a worker.

        The item opened before is closed first: its older page still loading is stopped,
        and whatever arrives for it is dropped (its reader is no longer the pane's).
        """
        self.workers.cancel_group(self, "older")
        self._loading_older = False
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        self.item = item
        self.turns = []  # what is on screen is no longer this item's history
        self._doubt_said = False
        self.run_worker(
            self._open(item),
            group="history",
            exclusive=True,
            exit_on_error=False,
            description=f"opening {item.id}",
        )

    def _current(self, reader: HistoryReader) -> bool:
        """Whether ``reader`` still reads the item on show."""
        return reader is self.reader

    async def _open(self, item: Tracked) -> None:
        """Open the item; a failure is said in the pane and logged, the archive kept.

        The SDK loads in a thread first (on the first opening only), so the screen keeps
        answering keys meanwhile; opening another item cancels this one's worker.
        """
        from tui.ops.history import open_history  # with the API's paging, on first open

        await self.services.sdk_ready()
        try:
            api, why = self.services.api_for(item)
        except Exception as exc:  # the SDK would not load: the archive still shows
            api, why = None, report(self, "loading the OpenAI SDK", exc, "Reinstall the app.")
        reader = self.reader = open_history(self.services.registry, item, api, why)
        try:
            await self._open_history(reader)
        except Exception as exc:
            message = report(
                self, "loading the history", exc, "Archived messages stay; press r to try again."
            )
            if self._current(reader):
                await self._clear_if_empty(item)
                await self._notice(message, problem=True)
            self.post_message(self.Loaded(item, "archive", exc))
        finally:
            reader.close()

    async def _open_history(self, reader: HistoryReader) -> None:
        item = reader.item
        archived = await reader.archived()
        if not self._current(reader):
            return
        if archived:
            await self._replace(archived, item)
            self.post_message(self.Loaded(item, "archive"))
        else:
            # The previous item stays until this one's first page is in (one frame
            # instead of a blank frame then the page), or LOADING_NOTICE passes.
            self.turns = []
            self._generation += 1
            self.set_timer(LOADING_NOTICE, partial(self._loading, self._generation, reader))
        if reader.api is None:
            await self._clear_if_empty(item)
            await self._notice(f"Showing the archive only: {reader.why}")
            self.post_message(self.Loaded(item, "archive", RuntimeError(reader.why)))
            return
        await self._show_newest(reader)

    @guarded("loading the history", "Archived messages stay; press r to try again.")
    async def _loading(self, generation: int, reader: HistoryReader) -> None:
        """Say the history is on its way, if it still is.

        The blank pane and its notice go up together: a page arriving meanwhile waits, so
        it is never shown with a stale "Loading" line under it.
        """
        async with self._showing:
            if generation == self._generation and self._current(reader):
                await self._show([], reader.item)
                await self._notice(f"Loading {reader.item.id} from its server…")

    async def _show_newest(self, reader: HistoryReader) -> None:
        """The server's newest page on screen (first, if nothing was), then archived."""
        newest = await reader.newest()
        if not self._current(reader):
            return
        self.item = newest.item
        if newest.turns is None:
            await self._no_newest(newest)
            return
        if not self.turns:
            await self._replace(newest.turns, newest.item)  # on screen first, archived next
        turns = await reader.keep(newest, shown=len(self.turns))
        if not self._current(reader):
            return
        self.item = reader.item
        self._say_doubt(reader)
        if turns != self.turns:
            await self._replace(turns, reader.item)
        if not turns:
            await self._notice("No messages yet.")
        self.post_message(self.Loaded(reader.item, "api"))
        await self._enrich(reader, newest.turns, older_than=None)
        await reader.learned()

    async def _no_newest(self, newest: Newest) -> None:
        """Say why the server's page is not there (404, or another failure)."""
        if newest.missing:
            await self._clear_if_empty(newest.item)
            await self._notice(NOT_FOUND_HELP, problem=True)
        elif not self.turns:
            await self._replace([], newest.item)
            await self._notice(
                "Nothing of this item is archived yet; its history loads once the server "
                "answers (press r to retry)."
            )
        self.post_message(self.Loaded(newest.item, "archive", newest.error))

    async def _clear_if_empty(self, item: Tracked) -> None:
        """Take the previous item's history off screen when this one has none to show."""
        if not self.turns:
            await self._replace([], item)

    async def _enrich(
        self, reader: HistoryReader, turns: list[Turn], *, older_than: str | None
    ) -> None:
        """After the page is on screen: add run usage and tool calls, redraw them."""
        changed = await reader.enrich(turns, older_than)
        if not changed or not self._current(reader):
            return
        self.item = reader.item
        for view in self.query(MessageView):
            new = changed.get(view.turn.id)
            if new is not None:
                view.set_turn(new)
        self.turns = [changed.get(t.id, t) for t in self.turns]

    async def _replace(self, turns: list[Turn], item: Tracked) -> None:
        """Show ``turns``: the newest screenful now, the older ones after the frame."""
        async with self._showing:
            await self._show(turns, item)

    async def _show(self, turns: list[Turn], item: Tracked) -> None:
        """:meth:`_replace`, for a caller that holds ``_showing``."""
        self._generation += 1
        generation = self._generation
        self.turns = turns
        split = len(turns) - self._screenful(turns)
        with self.app.batch_update():  # one frame: the old history never shows blank
            await self.remove_children()
            await self.mount_all([MessageView(t) for t in turns[split:]])
        self.call_after_refresh(self.scroll_end, animate=False)
        self._mounting = bool(split)
        if split:
            self.call_after_refresh(self._mount_older_views, turns[:split], generation)

    def _screenful(self, turns: list[Turn]) -> int:
        """How many of the newest turns fill the pane (estimated from their text)."""
        width = max(20, self.size.width - 4)
        room = self.size.height or FIRST_SCREEN * 10
        count = 0
        for turn in reversed(turns):
            if room <= 0:
                break
            room -= estimated_height(turn, width)
            count += 1
        return count

    async def _mount_older_views(self, turns: list[Turn], generation: int) -> None:
        """Mount the rest of a replaced page above the shown part, a chunk per frame."""
        if generation != self._generation or not turns or not self.children:
            return
        head, rest = turns[:-CHUNK], turns[-CHUNK:]
        latest = {t.id: t for t in self.turns}  # enrichment may have replaced some
        await self._mount_above([MessageView(latest.get(t.id, t)) for t in rest])
        if head:
            self.call_after_refresh(self._mount_older_views, head, generation)
        else:
            self._mounting = False

    async def _mount_above(self, views: list[MessageView]) -> None:
        """Mount views above the first child, keeping what is on screen where it is."""
        at_bottom = self.scroll_y >= self.max_scroll_y
        before_height = self.virtual_size.height
        await self.mount_all(views, before=self.children[0])
        if at_bottom:
            self.call_after_refresh(self.scroll_end, animate=False)
        else:
            self.call_after_refresh(
                lambda: self.scroll_to(
                    y=self.scroll_y + self.virtual_size.height - before_height, animate=False
                )
            )

    # live chat

    async def add_turn(self, turn: Turn) -> None:
        """Append a turn at the bottom (a message sent or a reply completed)."""
        await self.query(".notice").remove()
        self.turns = [*self.turns, turn]
        await self.mount(MessageView(turn))
        self.follow()

    async def start_live(self) -> LiveReply:
        """Append a reply that streams in."""
        await self.query(".notice").remove()
        from tui.app.widgets.live_reply import LiveReply  # Markdown streaming, on first use

        live = LiveReply()
        await self.mount(live)
        self.follow()
        return live

    def follow(self) -> None:
        """Keep the bottom in view while the user has not scrolled away from it."""
        if self.max_scroll_y - self.scroll_y <= 3:
            self.call_after_refresh(self.scroll_end, animate=False)

    async def settle(self, item: Tracked, turns: list[Turn]) -> None:
        """After a run: show the server's newest page as archived (IDs replace local ones)."""
        self.item = item
        reader = self.reader
        if reader is None or reader.item.pk != item.pk:
            return
        if turns != self.turns or self.query("LiveReply"):
            archived = await reader.after_run(item)
            if self._current(reader):
                await self._replace(archived, item)

    async def _notice(self, text: str, problem: bool = False) -> None:
        await self.mount(Static(text, classes="problem" if problem else "notice", markup=False))
        self.call_after_refresh(self.scroll_end, animate=False)

    def watch_scroll_y(self, old: float, new: float) -> None:
        """Reaching the top loads the page before."""
        super().watch_scroll_y(old, new)
        if new <= 0 and old > 0 and self.item is not None and not self._busy:
            self.load_older()

    @property
    def _busy(self) -> bool:
        return self._loading_older or self._mounting

    def load_older(self) -> None:
        """Load the page before the oldest shown turn (archive first, then the API)."""
        reader = self.reader
        if reader is None or not reader.has_older or self._mounting:
            return
        self._loading_older = True
        self.run_worker(
            self._older(reader),
            group="older",
            exclusive=True,
            exit_on_error=False,
            description=f"older messages of {reader.item.id}",
        )

    @guarded("loading older messages", "Scroll to the top again to retry.")
    async def _older(self, reader: HistoryReader) -> None:
        try:
            older = await reader.older(self.turns[0].id if self.turns else None)
            if older is None or not self._current(reader):
                self._say_doubt(reader)
                return
            self.item = reader.item
            await self._prepend(older.turns)
            if older.from_api:
                await self._enrich(reader, older.turns, older_than=older.older_than)
        except ApiError as exc:
            if self._current(reader):
                self.notify(str(exc), severity="warning", title="Older messages", markup=False)
        finally:
            if self._current(reader):
                self._loading_older = False

    def _say_doubt(self, reader: HistoryReader) -> None:
        """Say once that a finished walk could not prove the history whole."""
        if reader.doubt and self._current(reader) and not self._doubt_said:
            self._doubt_said = True
            self.notify(
                f"Older messages may be missing: {reader.doubt}.",
                severity="warning",
                title="Possibly incomplete",
                markup=False,
            )

    async def _prepend(self, turns: list[Turn]) -> None:
        if not turns:
            return
        known = {t.id for t in self.turns}
        fresh = [t for t in turns if t.id not in known]
        if not fresh:
            return
        views = [MessageView(t) for t in fresh]
        first = self.children[0] if self.children else None
        before_height = self.virtual_size.height
        if first is not None:
            await self.mount_all(views, before=first)
        else:
            await self.mount_all(views)
        self.turns = fresh + self.turns
        self.call_after_refresh(
            lambda: self.scroll_to(y=self.virtual_size.height - before_height, animate=False)
        )
