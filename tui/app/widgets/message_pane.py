"""The message pane: archived history at once, then the API's, older pages on scroll up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.api.convert import carry_runs
from tui.api.paging import Step, Walk
from tui.api.protocol import ConversationApi, HistoryPage
from tui.app.failures import guarded, report
from tui.app.services import Services
from tui.app.widgets.live_reply import LiveReply
from tui.app.widgets.message_view import MessageView, estimated_height
from tui.model import ItemState, Tracked, Turn
from tui.ops.capabilities import remember

PAGE = 50
FIRST_SCREEN = 4  # newest messages mounted first when the pane has no size yet
CHUNK = 8
LOADING_NOTICE = 0.15  # seconds before a blank pane says its history is on its way
DELETED_NOTE = "it was deleted on its server; this is its archived history, read-only."
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
        self.older_seq: int | None = None
        self.api_older: str | None = None  # where a walk of older pages starts
        self._walk: Walk | None = None
        self._prefetched: Step | None = None  # an older page read ahead of the scroll
        self._steps: AsyncIterator[Step] | None = None  # the walk of older pages under way
        self._loading_older = False
        self._generation = 0  # bumped on every replace: stale chunk mounts stop
        self._mounting = False  # older views of the last replace are still being mounted
        self._known: dict[str, Turn] = {}  # archived turns of the open item, by ID

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
        """Show an item: its archive now, the API's newest page in a worker."""
        self.item = item
        self.run_worker(self._open(item), group="history", exclusive=True, exit_on_error=False)

    async def _open(self, item: Tracked) -> None:
        """Open ``item``; a failure is said in the pane and logged, the archive kept."""
        try:
            await self._open_history(item)
        except Exception as exc:
            message = report(
                self, "loading the history", exc, "Archived messages stay; press r to try again."
            )
            if self.item is item:
                await self._clear_if_empty(item)
                await self._notice(message, problem=True)
            self.post_message(self.Loaded(item, "archive", exc))

    async def _open_history(self, item: Tracked) -> None:
        api, why = self.services.api_for(item)
        if item.state is ItemState.DELETED:
            api, why = None, DELETED_NOTE
        self._prefetched = None
        self._steps = None if api is None else self._walk_from(api, item, None)
        fetch = None if self._steps is None else asyncio.create_task(anext(self._steps))
        try:
            archived = await self.services.registry.archive.page(item, limit=PAGE)
            self._known = {t.id: t for t in archived.turns}
            self.older_seq = archived.older_seq
            self.api_older = None
            if archived.turns:
                await self._replace(list(archived.turns), item)
                self.post_message(self.Loaded(item, "archive"))
            else:
                # The previous item stays until this one's first page is in (one frame
                # instead of a blank frame then the page), or LOADING_NOTICE passes.
                self.turns = []
                self._generation += 1
                self.set_timer(LOADING_NOTICE, partial(self._loading, self._generation, item))
            if api is None or fetch is None:
                await self._clear_if_empty(item)
                await self._notice(f"Showing the archive only: {why}")
                self.post_message(self.Loaded(item, "archive", RuntimeError(why)))
                return
            await self._refresh_from_api(api, item, fetch)
        finally:
            if fetch is not None and not fetch.done():
                fetch.cancel()

    async def _loading(self, generation: int, item: Tracked) -> None:
        """Say the history is on its way, if it still is."""
        if generation == self._generation and self.item is item:
            await self._replace([], item)
            await self._notice(f"Loading {item.id} from its server…")

    def _walk_from(
        self, api: ConversationApi, item: Tracked, start: str | None
    ) -> AsyncIterator[Step]:
        """A verified walk of the item's history, from the newest page or older than ``start``."""

        async def fetch(cursor: str | None, limit: int) -> HistoryPage:
            return await api.history(item.id, before=cursor, limit=limit)

        async def oldest(limit: int) -> tuple[Turn, ...]:
            return await api.oldest(item.id, limit=limit)

        self._walk = Walk(fetch, limit=PAGE, start=start, oldest=None if start else oldest)
        return aiter(self._walk)

    async def _refresh_from_api(
        self, api: ConversationApi, item: Tracked, fetch: asyncio.Task[Step]
    ) -> None:
        from tui.api.errors import ApiError, NotFound

        try:
            step = await fetch
            page = HistoryPage(carry_runs(step.turns, self._known), None)
        except NotFound as exc:
            item = await self.services.registry.set_state(
                item, ItemState.MISSING, source="app", detail="404"
            )
            self.item = item
            await self._clear_if_empty(item)
            await self._notice(NOT_FOUND_HELP, problem=True)
            self.post_message(self.Loaded(item, "archive", exc))
            return
        except ApiError as exc:
            if not self.turns:
                await self._replace([], item)
                await self._notice(
                    "Nothing of this item is archived yet; its history loads once the server "
                    "answers (press r to retry)."
                )
            self.post_message(self.Loaded(item, "archive", exc))
            return
        if not self.turns and self.item is not None and self.item.pk == item.pk:
            await self._replace(list(page.turns), item)  # on screen first, archived next
        if item.state.value == "missing":
            item = await self.services.registry.set_state(item, ItemState.ACTIVE, source="app")
        item = await self.services.registry.archive.store(item, page.turns)
        if len(page.turns) < PAGE:  # a short page may be the whole history: settle it now
            item = await self._read_ahead(item) or item
        if self.item is None or self.item.pk != item.pk:
            return
        self.item = item
        archived = await self.services.registry.archive.page(item, limit=max(PAGE, len(self.turns)))
        self.older_seq = archived.older_seq
        if archived.older_seq is not None:
            self._steps = None  # the archive's older pages come first; a walk follows them
        if list(archived.turns) != self.turns:
            await self._replace(list(archived.turns), item)
        if not archived.turns:
            await self._notice("No messages yet.")
        self.post_message(self.Loaded(item, "api"))
        await self._enrich(api, item, list(page.turns), older_than=None)
        await remember(self.services.registry, api)

    async def _clear_if_empty(self, item: Tracked) -> None:
        """Take the previous item's history off screen when this one has none to show."""
        if not self.turns:
            await self._replace([], item)

    async def _enrich(
        self,
        api: ConversationApi,
        item: Tracked,
        turns: list[Turn],
        *,
        older_than: str | None,
    ) -> None:
        """After the page is on screen: add run usage and tool calls, archive, redraw."""
        from tui.api.errors import ApiError

        done = {t.run_id for t in turns if t.usage is not None}
        todo = [t for t in turns if t.run_id and t.run_id not in done]
        if not todo:
            return  # every run's details are archived already
        try:
            enriched = await api.enrich(item.id, todo)
        except ApiError:
            return  # the history is shown; details can wait for the next refresh
        changed = {t.id: t for t, old in zip(enriched, todo, strict=True) if t != old}
        if not changed:
            return
        self.item = await self.services.registry.archive.store(
            item, [changed.get(t.id, t) for t in turns], older_than=older_than
        )
        for view in self.query(MessageView):
            new = changed.get(view.turn.id)
            if new is not None:
                view.set_turn(new)
        self.turns = [changed.get(t.id, t) for t in self.turns]

    async def _replace(self, turns: list[Turn], item: Tracked) -> None:
        """Show ``turns``: the newest screenful now, the older ones after the frame."""
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
        self.older_seq = None
        self.api_older = None
        self._steps = None
        if turns != self.turns or self.query(LiveReply):
            archived = await self.services.registry.archive.page(item, limit=PAGE)
            self._known = {t.id: t for t in archived.turns}
            self.older_seq = archived.older_seq
            await self._replace(list(archived.turns), item)

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
        nothing_older = self.older_seq is None and self.api_older is None and self._steps is None
        if self.item is None or nothing_older:
            return
        if self._mounting:
            return
        self._loading_older = True
        self.run_worker(self._older(self.item), group="older", exclusive=True, exit_on_error=False)

    @guarded("loading older messages", "Scroll to the top again to retry.")
    async def _older(self, item: Tracked) -> None:
        from tui.api.errors import ApiError

        try:
            if self.older_seq is not None:
                page = await self.services.registry.archive.page(
                    item, before_seq=self.older_seq, limit=PAGE
                )
                self.older_seq = page.older_seq
                turns = list(page.turns)
                if page.older_seq is None and not item.history_complete and turns:
                    self.api_older = turns[0].id
            else:
                api, _ = self.services.api_for(item)
                if api is None:
                    return
                if self._steps is None and self.api_older is not None:
                    self._steps = self._walk_from(api, item, self.api_older)
                    self.api_older = None
                step = await self._next_step(item)
                if step is None:
                    return
                self.item = await self.services.registry.archive.store(
                    item, step.turns, older_than=step.older_than
                )
                await self._prepend(list(step.turns))
                await self._enrich(api, item, list(step.turns), older_than=step.older_than)
                return
            await self._prepend(turns)
        except ApiError as exc:
            self.notify(str(exc), severity="warning", title="Older messages", markup=False)
        finally:
            self._loading_older = False
        self._generation = 0  # bumped on every replace: stale chunk mounts stop
        self._mounting = False  # older views of the last replace are still being mounted

    async def _next_step(self, item: Tracked) -> Step | None:
        """The walk's next older page; at its end, its verdict recorded and a doubt said."""
        if self._prefetched is not None:
            step, self._prefetched = self._prefetched, None
            return step
        if self._steps is None:
            return None
        try:
            return await anext(self._steps)
        except StopAsyncIteration:
            self._steps = None
            await self._settle_walk(item)
            return None
        except BaseException:
            self._steps = None  # a failed walk is over: the next scroll starts a new one
            self.api_older = self.turns[0].id if self.turns else None
            raise

    async def _settle_walk(self, item: Tracked) -> Tracked:
        walk = self._walk
        if walk is None:
            return item
        fresh = await self.services.registry.archive.settle(
            item, complete=walk.complete, doubt=walk.doubt, source="app"
        )
        if self.item is not None and self.item.pk == fresh.pk:
            self.item = fresh
        if walk.doubt and self.item is not None and self.item.pk == fresh.pk:
            self.notify(
                f"Older messages may be missing: {walk.doubt}.",
                severity="warning",
                title="Possibly incomplete",
                markup=False,
            )
        return fresh

    async def _read_ahead(self, item: Tracked) -> Tracked | None:
        """After a short newest page: settle a walk that ends there (no request needed).

        A walk that goes on keeps its next page for the first scroll up.
        """
        if self._steps is None:
            return None
        try:
            self._prefetched = await anext(self._steps)
        except StopAsyncIteration:
            self._steps = None
            return await self._settle_walk(item)
        return None

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
