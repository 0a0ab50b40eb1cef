"""The sidebar's data: registry pages under a query, cached, walked by keyset."""

from __future__ import annotations

import concurrent.futures
from collections import OrderedDict
from dataclasses import dataclass

from tui.model import ItemState, Tracked
from tui.store import Cursor, Query, Registry
from tui.store.errors import RegistryError
from tui.store.search import VISIBLE, ResultPage

ROW_PAGE = 200
MAX_PAGES = 64
__all__ = [
    "ROW_PAGE",
    "ListSource",
    "Query",
    "QuickRead",
    "ResultPage",
    "list_query",
    "read_quickly",
]


class ListSource:
    """Rows of a query by index, loaded a page at a time and kept in an LRU cache.

    Page ``k`` is fetched with the keyset cursor where page ``k - 1`` ended; cursors are
    kept for every page seen, so going back is one query and going forward walks on.

    The rows show before they are counted: until :meth:`load_count` finishes, ``count``
    is what the loaded pages prove (plus one row when more follow) and ``exact`` is false.
    """

    def __init__(self, registry: Registry | None, query: Query) -> None:
        self.registry = registry
        self.query = query
        self.count: int | None = None
        self.exact = False
        self._pages: OrderedDict[int, list[Tracked]] = OrderedDict()
        self._cursors: dict[int, Cursor | None] = {0: None}
        self._end: int | None = None

    @classmethod
    def from_page(cls, query: Query, page: ResultPage) -> ListSource:
        """A source whose first page was read already (the registry is attached later)."""
        source = cls(None, query)
        source._store(0, page.items)
        source._grow(0, len(page.items), page.next is not None)
        if page.next is None:
            source._end = 0
        else:
            source._cursors[1] = page.next
        return source

    async def load_count(self) -> int:
        """Count the rows of the query."""
        assert self.registry is not None
        count = await self.registry.search.count(self.query)
        self.count, self.exact = count, True
        return count

    def _grow(self, number: int, rows: int, more: bool) -> None:
        """Raise an estimated count to what page ``number`` proves."""
        if self.exact:
            return
        seen = number * ROW_PAGE + rows + (1 if more else 0)
        self.count = max(self.count or 0, seen)
        self.exact = not more  # every page before the last is full: nothing is left

    def get(self, index: int) -> Tracked | None:
        """The row at ``index`` if its page is cached (``None`` means not loaded yet)."""
        page = self._pages.get(index // ROW_PAGE)
        if page is None:
            return None
        self._pages.move_to_end(index // ROW_PAGE)
        offset = index % ROW_PAGE
        return page[offset] if offset < len(page) else None

    def loaded(self, start: int, stop: int) -> bool:
        """True when every page covering ``[start, stop)`` is cached."""
        return all(
            k in self._pages or (self._end is not None and k > self._end)
            for k in self._page_range(start, stop)
        )

    def _page_range(self, start: int, stop: int) -> range:
        last = max(start, stop - 1)
        if self.exact and self.count is not None:
            last = min(last, max(0, self.count - 1))
        return range(start // ROW_PAGE, last // ROW_PAGE + 1)

    async def ensure(self, start: int, stop: int) -> None:
        """Load the pages covering ``[start, stop)``, walking the keyset as needed."""
        for number in self._page_range(start, stop):
            await self._load(number)

    async def _load(self, number: int) -> None:
        if number in self._pages or (self._end is not None and number > self._end):
            return
        if self.registry is None:
            return  # not attached yet: the list shows placeholders until it is
        known = max(k for k in self._cursors if k <= number)
        for step in range(known, number + 1):
            if step in self._pages and step != number:
                continue
            if self._end is not None and step > self._end:
                return
            result = await self.registry.search.page(
                self.query, after=self._cursors[step], limit=ROW_PAGE
            )
            self._store(step, result.items)
            self._grow(step, len(result.items), result.next is not None)
            if result.next is None:
                self._end = step
                return
            self._cursors[step + 1] = result.next

    def _store(self, number: int, items: list[Tracked]) -> None:
        self._pages[number] = items
        self._pages.move_to_end(number)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)

    def index_of(self, pk: int) -> int | None:
        """Where a cached row is, by its registry key."""
        for number, page in self._pages.items():
            for offset, item in enumerate(page):
                if item.pk == pk:
                    return number * ROW_PAGE + offset
        return None

    def replace(self, item: Tracked) -> None:
        """Update a cached row in place (after a rename, a state change…)."""
        for page in self._pages.values():
            for offset, old in enumerate(page):
                if old.pk == item.pk:
                    page[offset] = item


def list_query(text: str, *, show_deleted: bool) -> Query:
    """The list's query: the filter box's text, with deleted items or without."""
    states = (*VISIBLE, ItemState.DELETED) if show_deleted else VISIBLE
    return Query.parse(text, states=states)


@dataclass(frozen=True, slots=True)
class QuickRead:
    """A first page read within a keystroke's budget, or the read still under way.

    ``page`` when it came in time; else ``pending`` (await it in a worker), or neither
    when the read failed (read again in a worker that reports the failure).
    """

    page: ResultPage | None = None
    pending: concurrent.futures.Future[ResultPage] | None = None


def read_quickly(registry: Registry, query: Query, budget: float) -> QuickRead:
    """Read the query's first page on the registry's pager thread, waiting ``budget`` s."""
    future = registry.pager.read(query, ROW_PAGE)
    try:
        return QuickRead(page=future.result(timeout=budget))
    except concurrent.futures.TimeoutError:
        return QuickRead(pending=future)
    except (RegistryError, concurrent.futures.CancelledError):
        return QuickRead()
