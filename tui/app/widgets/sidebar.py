"""The sidebar: the count, the filter box, the list of tracked items, and Details.

It owns the list's query (the filter's text and the deleted toggle), reloads and counts
it, and keeps the marks; what an item does when opened is the screen's business (the
list's ``Opened`` message goes on up).
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.app.failures import guarded
from tui.app.list_source import ListSource, Query, ResultPage, list_query, read_quickly
from tui.app.services import Services
from tui.app.widgets.details import Details
from tui.app.widgets.filter_box import FilterBox
from tui.app.widgets.thread_list import ThreadList
from tui.model import Tracked
from tui.text import clean

QUICK_PAGE_BUDGET = 0.025  # seconds a keystroke's first page may take on the event loop
FIRST_ROWS = 50  # rows read before the list is shown
EMPTY = (
    "Nothing tracked here yet. Press i to import IDs from any text, n to create a thread or "
    "conversation, or track your code's client with `from tui import track`."
)


class Sidebar(Vertical):
    """Count, filter, list and Details of the tracked items."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services: Services | None = None  # set once the registry is open
        self.filter_text = ""
        self.show_deleted = False
        self._filter_notice = ""

    def compose(self) -> ComposeResult:
        """The count line, the filter box, the list, Details."""
        yield Static("", id="count", markup=False)
        yield FilterBox(self.filter_now, placeholder="/ filter: words, or key=value", id="filter")
        yield ThreadList(id="list")
        yield Details(id="details")

    @property
    def svc(self) -> Services:
        """The services (open once the screen mounted)."""
        assert self.services is not None, "the registry is not open yet"
        return self.services

    @property
    def items(self) -> ThreadList:
        """The list widget."""
        return self.query_one(ThreadList)

    @property
    def marked(self) -> set[int]:
        """Row keys of the items marked for deletion."""
        return self.items.marked

    # the list

    def current_query(self) -> Query:
        """The query of the filter box and the deleted toggle."""
        return list_query(self.filter_text, show_deleted=self.show_deleted)

    def show_first(self, source: ListSource) -> None:
        """Rows read before the registry opened, shown at once."""
        self.items.set_source(source)
        self.show_count(source)

    def adopt_first(self, source: ListSource) -> None:
        """The rows shown at start, now backed by the open registry (counted if need be)."""
        source.registry = self.svc.registry
        self.items.recount()
        if not source.exact:
            self._count(source)

    async def reload(self, select_pk: int | None = None) -> None:
        """Re-run the query and redraw the list (keeping or moving the cursor).

        The first page shows at once; the count follows from a worker (a count over a
        million rows takes longer than a keystroke).
        """
        source = ListSource(self.svc.registry, self.current_query())
        await source.ensure(0, FIRST_ROWS)
        self._show_source(source, select_pk)

    def _show_source(self, source: ListSource, select_pk: int | None = None) -> None:
        """Put a source with its first page loaded in the list; count it in a worker."""
        items = self.items
        items.unconfigured = {
            item.connection.key
            for item in (source.get(i) for i in range(min(source.count or 0, FIRST_ROWS)))
            if item is not None and not self.svc.configured(item)
        }
        items.set_source(source)
        if select_pk is not None:
            index = source.index_of(select_pk)
            if index is not None:
                items.cursor = index
        self.show_count(source)
        if not source.exact:
            self._count(source)

    @work(exclusive=True, group="count", exit_on_error=False, description="counting the list")
    @guarded("counting the list", "The list still works; the count returns with the next filter.")
    async def _count(self, source: ListSource) -> None:
        await source.load_count()
        if self.items.source is source:
            self.items.recount()
            self.show_count(source)

    def show_count(self, source: ListSource | None = None) -> None:
        """The count line: how many match, whether deleted ones show, how many are marked."""
        source = source or self.items.source
        if source is None:
            return
        count = source.count or 0
        shown = f"{count:,}" if source.exact else f"{max(0, count - 1):,}+"
        title = f"{shown} tracked" + (" (with deleted)" if self.show_deleted else "")
        marks = f" · {len(self.marked):,} marked" if self.marked else ""
        self.query_one("#count", Static).update(title + marks)
        if count == 0:
            self.query_one(Details).say(self._nothing())

    def _nothing(self) -> str:
        """Why the list is empty: the filter (the registry may hold much else), or nothing."""
        if not self.filter_text.strip():
            return EMPTY
        shown = clean(self.filter_text)[:60]
        return (
            f'Nothing here matches the filter "{shown}". Press / to change it (escape '
            "leaves it), or A to show deleted items too."
        )

    async def toggle_deleted(self) -> None:
        """Show or hide deleted items."""
        self.show_deleted = not self.show_deleted
        await self.reload()

    # the filter

    def filter_now(self, text: str) -> None:
        """Filter as the user types, with no debounce.

        The first page is read on the registry's pager thread. A page read within
        QUICK_PAGE_BUDGET is shown in the frame that echoes the keystroke; a slower one is
        awaited in a worker, and the next keystroke interrupts it.
        """
        if text == self.filter_text:
            return
        self.filter_text = text
        if self.services is None:
            return
        self.workers.cancel_group(self, "filter")
        query = self.current_query()
        self._say_filter_notice(query.notice)
        read = read_quickly(self.svc.registry, query, QUICK_PAGE_BUDGET)
        if read.page is not None:
            self._show_page(query, read.page)
        else:  # still reading, or failed: read again in a worker that reports failures
            self._refilter(query, read.pending)

    def _say_filter_notice(self, notice: str) -> None:
        """Say once what of a long filter was left out (words past the cap, repeats)."""
        if notice and notice != self._filter_notice:
            self.notify(notice, title="Filter shortened", severity="warning", markup=False)
        self._filter_notice = notice

    @work(exclusive=True, group="filter", exit_on_error=False, description="filtering")
    @guarded("filtering", "Change the filter to try again.")
    async def _refilter(
        self, query: Query, future: concurrent.futures.Future[ResultPage] | None
    ) -> None:
        if future is None:
            await self.reload()
        else:
            self._show_page(query, await asyncio.wrap_future(future))

    def _show_page(self, query: Query, page: ResultPage) -> None:
        source = ListSource.from_page(query, page)
        source.registry = self.svc.registry
        self._show_source(source)

    @on(Input.Submitted, "#filter")
    def filter_done(self) -> None:
        """Enter in the filter moves to the list."""
        self.items.focus()

    # details and marks

    def on_thread_list_highlighted(self, event: ThreadList.Highlighted) -> None:
        """Show the highlighted item's details."""
        self.show_details(event.item)

    def show_details(self, item: Tracked) -> None:
        """Details of ``item``, saying whether a profile here reaches its server.

        Before the registry opens (rows read at start) there is nothing to say yet: the
        screen shows the current item's details once it opens.
        """
        if self.services is not None:
            self.query_one(Details).show(item, self.services.configured(item))

    def refresh_item(self, item: Tracked) -> None:
        """Redraw the item's row in the list."""
        self.items.refresh_item(item)

    def marks_changed(self) -> None:
        """Redraw the marks in the list and the count."""
        self.items.refresh()
        self.show_count()

    def toggle_mark(self) -> None:
        """Mark or unmark the highlighted item, and move down."""
        item = self.items.current
        if item is None:
            return
        self.marked.symmetric_difference_update({item.pk})
        self.items.action_move(1)
        self.marks_changed()

    async def mark_all(self) -> None:
        """Mark every item the filter matches (refused when the filter had to be shortened)."""
        query = self.current_query()
        if query.notice:
            self.notify(
                "Not marked: the filter was shortened, so it matches more than it says "
                f"({query.notice}). Narrow it to fewer words first.",
                severity="warning",
                markup=False,
            )
            return
        keys = await self.svc.registry.search.keys(query)
        self.marked.update(keys)
        self.marks_changed()
        self.notify(f"{len(keys):,} items marked: every one the filter matches.")

    def clear_marks(self) -> None:
        """Unmark everything."""
        self.marked.clear()
        self.marks_changed()
