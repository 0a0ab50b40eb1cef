"""Search: full text over titles, metadata, IDs and archived text; filters; keyset pages."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tui.model import Connection, ItemState, Kind, Tracked
from tui.store import rows, sql

if TYPE_CHECKING:
    from tui.store.registry import Registry

VISIBLE = (ItemState.ACTIVE, ItemState.MISSING, ItemState.DELETING)
_WORD = re.compile(r"\w+", re.UNICODE)
_META = re.compile(r"(?<!\S)([\w.\-]+)=(\"[^\"]*\"|\S*)")
# What one filter may cost: each word is a prefix lookup that every item row and archived
# message must pass, so 1,400 words took 23 s and 4 GB; 8 take what 1 does.
MAX_TERMS = 8
MAX_TERM = 64
MAX_PAIRS = 16
# A filter longer than this is a paste, not a filter: only its start is read (in ~10 ms).
MAX_FILTER = 10_000


@dataclass(frozen=True, slots=True)
class Terms:
    """The words a filter searches for, and how many of its words were not used."""

    words: tuple[str, ...] = ()
    left_out: int = 0
    shortened: int = 0


def terms(text: str) -> Terms:
    """The distinct words of ``text``: at most :data:`MAX_TERMS`, each :data:`MAX_TERM` long.

    Only the first :data:`MAX_FILTER` characters are read. A word that repeats another, or
    starts one already kept (``ref`` with ``refund``), changes nothing (every word must
    match as a prefix) and is dropped silently.
    """
    kept: list[str] = []
    left_out = shortened = 0
    for match in _WORD.finditer(text, 0, MAX_FILTER):
        word = match.group().lower()
        if len(word) > MAX_TERM:
            word, shortened = word[:MAX_TERM], shortened + 1
        if any(k.startswith(word) for k in kept):
            continue
        wider = [k for k in kept if word.startswith(k)]
        if wider:
            kept[kept.index(wider[0])] = word
            kept = [k for k in kept if k not in wider[1:]]
        elif len(kept) < MAX_TERMS:
            kept.append(word)
        else:
            left_out += 1
    return Terms(tuple(kept), left_out, shortened)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Query:
    """What to list: text, kind, states, ``metadata key=value`` pairs, age, connection.

    A filter's cost is bounded: :attr:`terms` holds the words searched for (see
    :func:`terms`), a filter box (:meth:`parse`) gives its first :data:`MAX_PAIRS`
    distinct ``key=value`` pairs, and :attr:`notice` says what was left out, for the caller
    to show. Leaving words out widens a match: act on every item of a query (delete, mark
    all) only when its :attr:`notice` is empty, or after saying it.
    """

    text: str = ""
    kind: Kind | None = None
    states: tuple[ItemState, ...] = VISIBLE
    meta: tuple[tuple[str, str], ...] = ()
    older_than: datetime | None = None  # by last activity; see rows.activity_sql
    connection: Connection | None = None
    unread: int = field(default=0, compare=False)
    pairs_left_out: int = field(default=0, compare=False)
    terms: Terms = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", terms(self.text))
        object.__setattr__(self, "meta", tuple(dict.fromkeys(self.meta)))

    @property
    def unread_text(self) -> int:
        """Characters of the filter not read: cut by :meth:`parse`, or past :data:`MAX_FILTER`."""
        return self.unread + max(0, len(self.text) - MAX_FILTER)

    @classmethod
    def parse(cls, text: str, **filters: object) -> Query:
        """A query from a filter box: ``key=value`` words are metadata, the rest text.

        Only the first :data:`MAX_FILTER` characters are read (:attr:`unread` counts the
        rest), and the first :data:`MAX_PAIRS` distinct pairs kept (:attr:`pairs_left_out`).
        """
        head = text[:MAX_FILTER]
        pairs = tuple(dict.fromkeys((k, v.strip('"')) for k, v in _META.findall(head)))
        rest = " ".join(_META.sub(" ", head).split())
        return cls(
            text=rest,
            meta=pairs[:MAX_PAIRS],
            unread=len(text) - len(head),
            pairs_left_out=max(0, len(pairs) - MAX_PAIRS),
            **filters,  # type: ignore[arg-type]  # Query's own keyword fields, passed on
        )

    @property
    def match(self) -> str | None:
        """The FTS5 query of the words searched for, or ``None`` when there are none."""
        return _fts(self.terms.words)

    @property
    def notice(self) -> str:
        """What of the filter was not used, in words for the user; empty when all was."""
        said = []
        if self.unread_text:
            said.append(
                f"only the first {MAX_FILTER:,} characters of the filter are read "
                f"({_plural(self.unread_text, 'more character')} left out)"
            )
        if self.terms.left_out:
            said.append(
                f"the filter searches for its first {_plural(MAX_TERMS, 'word')} only "
                f"({_plural(self.terms.left_out, 'more word')} left out)"
            )
        if self.terms.shortened:
            said.append(
                f"{_plural(self.terms.shortened, 'word')} longer than {MAX_TERM} characters "
                f"{'was' if self.terms.shortened == 1 else 'were'} searched for by "
                f"{'its' if self.terms.shortened == 1 else 'their'} first {MAX_TERM}"
            )
        if self.pairs_left_out:
            said.append(
                f"only the first {MAX_PAIRS} key=value pairs are used "
                f"({_plural(self.pairs_left_out, 'more pair')} left out)"
            )
        if not said:
            return ""
        text = "; ".join(said)
        return f"{text[0].upper()}{text[1:]}. Narrow the filter to the words that matter."


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ended: the sort key of its last item."""

    last_activity: int
    pk: int


@dataclass(frozen=True, slots=True)
class ResultPage:
    """A page of items, newest activity first, and the cursor of the next page."""

    items: list[Tracked] = field(default_factory=list)
    next: Cursor | None = None


def _fts(words: tuple[str, ...]) -> str | None:
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def fts_query(text: str) -> str | None:
    """A safe FTS5 query: every word must match, each as a prefix (see :func:`terms`)."""
    return _fts(terms(text).words)


# An item's row in ``items_fts`` has this rowid (schema V2): sorting by it is sorting by
# (last_activity, pk), so a text search walks the index newest first and stops early.
ACTIVITY_SHIFT = 1 << 29


def activity_key(last_activity: int, pk: int) -> int:
    """The ``items_fts`` rowid of an item: its place in the activity order."""
    return last_activity * ACTIVITY_SHIFT + pk


ITEMS_BY_TEXT = (
    f"items_fts JOIN items ON items.pk = items_fts.rowid % {ACTIVITY_SHIFT} "
    "JOIN connections ON connections.id = items.connection_id"
)
MESSAGE_MATCH = (
    "items.pk IN (SELECT messages.item_pk FROM messages WHERE messages.pk IN "
    "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?))"
)


def where(query: Query, *, for_count: bool = False) -> tuple[str, list[object]]:
    """The WHERE clause of every filter but the text, and its parameters.

    For pages, the unary ``+`` keeps the planner on the activity index (no sort of every
    row); for counts, the plain column lets it use the state index instead.
    """
    clauses: list[str] = []
    params: list[object] = []
    if len(query.states) == 1:
        # One state (say, only the deleted): its index serves both the filter and the order.
        clauses.append("items.state = ?")
        params.append(query.states[0].value)
    elif query.states and set(query.states) != set(ItemState):
        state = "items.state" if for_count else "+items.state"
        clauses.append(f"{state} IN ({','.join('?' * len(query.states))})")
        params += [s.value for s in query.states]
    if query.kind is not None:
        clauses.append("items.kind = ?")
        params.append(query.kind.value)
    for key, value in query.meta:
        clauses.append("items.pk IN (SELECT item_pk FROM item_meta WHERE key = ? AND value = ?)")
        params += [key, value]
    if query.older_than is not None:
        activity, bounds = rows.activity_sql(time.time())
        clauses.append(f"{activity} < ?")
        params += [*bounds, int(query.older_than.timestamp())]
    if query.connection is not None:
        clauses.append(
            "connections.base_url = ? AND connections.organization = ? AND connections.project = ?"
        )
        params += list(sql.connection_params(query.connection))
    return " AND ".join(clauses) or "1", params


class Search:
    """Filtered, keyset-paged listing of tracked items.

    Without text, pages walk the activity index. With text, two streams are merged by
    activity: items whose ID, title or metadata match (the ``items_fts`` index, walked in
    activity order) and items whose archived messages match.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def page(
        self, query: Query, *, after: Cursor | None = None, limit: int = 200
    ) -> ResultPage:
        """The items after ``after`` (by last activity, newest first)."""
        match = query.match
        if match is None:
            found = await self._stream(query, None, after, limit + 1)
        else:
            by_item = await self._stream(query, match, after, limit + 1)
            by_message = await self._stream(query, match, after, limit + 1, messages=True)
            found = _merge(by_item, by_message)[: limit + 1]
        return _paged(found, limit)

    async def _stream(
        self,
        query: Query,
        match: str | None,
        after: Cursor | None,
        limit: int,
        *,
        messages: bool = False,
    ) -> list[Tracked]:
        text, params = page_sql(query, match, after, limit, messages=messages)
        return [rows.tracked(r) for r in await self.registry.fetchall(text, params)]

    async def untrusted_ages(self, query: Query) -> list[tuple[Tracked, datetime]]:
        """Items whose age ``query.older_than`` judged without the server's time.

        Each item matching the query's other filters (not its text) whose last activity is
        no age (see :func:`rows.plausible`) and for which that mattered: by the server's time
        or by when this registry first saw it (the time used instead, given with it), the
        item is older than ``older_than``. Empty without ``older_than``.
        """
        if query.older_than is None:
            return []
        clause, params = where(dataclasses.replace(query, older_than=None))
        cutoff = int(query.older_than.timestamp())
        found = await self.registry.fetchall(
            f"SELECT {rows.ITEM_COLUMNS}, items.tracked_at FROM {rows.ITEM_FROM} "
            f"WHERE {clause} AND items.last_activity NOT BETWEEN ? AND ? "
            "AND (items.last_activity < ? OR items.tracked_at < ?) "
            "ORDER BY items.last_activity DESC, items.pk DESC",
            [*params, *rows.activity_sql(time.time())[1], cutoff, cutoff],
        )
        return [(rows.tracked(r[:-1]), datetime.fromtimestamp(r[-1], tz=UTC)) for r in found]

    async def keys(self, query: Query) -> list[int]:
        """The row keys of every item of ``query`` (for marking them all)."""
        sql_text, params = keys_sql(query)
        return [int(r[0]) for r in await self.registry.fetchall(sql_text, params)]

    async def count(self, query: Query) -> int:
        """How many items match (on the registry's reader: cancelling interrupts it)."""
        sql_text, params = count_sql(query)
        row = await self.registry.read_one(sql_text, params)
        return int(row[0])


def page_sql(
    query: Query,
    match: str | None,
    after: Cursor | None,
    limit: int,
    *,
    messages: bool = False,
) -> tuple[str, list[object]]:
    """One stream of a page, newest activity first.

    All items when ``match`` is ``None``; else items whose ID, title or metadata values
    match it in the index, or (``messages``) items whose archived messages match it.
    """
    clause, params = where(query)
    if match is not None and not messages:
        source, order = ITEMS_BY_TEXT, "items_fts.rowid DESC"
        clause = f"items_fts MATCH ? AND {clause}"
        params = [match, *params]
        if after is not None:
            clause += " AND items_fts.rowid < ?"
            params.append(activity_key(after.last_activity, after.pk))
    else:
        source, order = rows.ITEM_FROM, "items.last_activity DESC, items.pk DESC"
        if match is not None:
            clause = f"{MESSAGE_MATCH} AND {clause}"
            params = [match, *params]
        if after is not None:
            clause += " AND (items.last_activity, items.pk) < (?, ?)"
            params += [after.last_activity, after.pk]
    text = f"SELECT {rows.ITEM_COLUMNS} FROM {source} WHERE {clause} ORDER BY {order} LIMIT ?"
    return text, [*params, limit]


def read_page(
    conn: sqlite3.Connection, query: Query, limit: int, after: Cursor | None = None
) -> ResultPage:
    """A page read synchronously on a plain sqlite3 connection (same SQL as :class:`Search`)."""
    match = query.match

    def stream(messages: bool = False) -> list[Tracked]:
        text, params = page_sql(query, match, after, limit + 1, messages=messages)
        return [rows.tracked(r) for r in conn.execute(text, params).fetchall()]

    found = stream() if match is None else _merge(stream(), stream(messages=True))[: limit + 1]
    return _paged(found, limit)


def _paged(found: list[Tracked], limit: int) -> ResultPage:
    """``limit`` items of ``found`` (read with one more) and the cursor after them."""
    items = found[:limit]
    last = items[-1] if items and len(found) > limit else None
    cursor = Cursor(int(last.last_activity.timestamp()), last.pk) if last else None
    return ResultPage(items, cursor)


def count_sql(query: Query) -> tuple[str, list[object]]:
    """The query counting the items of ``query`` (the two text streams, united)."""
    clause, params = where(query, for_count=True)
    source = rows.ITEM_FROM if query.connection is not None else "items"
    if query.match is None:
        return f"SELECT count(*) FROM {source} WHERE {clause}", params
    keys, params = keys_sql(query)
    return f"SELECT count(*) FROM ({keys})", params


def keys_sql(query: Query) -> tuple[str, list[object]]:
    """The query of the row keys (``items.pk``) of every item of ``query``."""
    clause, params = where(query, for_count=True)
    source = rows.ITEM_FROM if query.connection is not None else "items"
    match = query.match
    if match is None:
        return f"SELECT items.pk FROM {source} WHERE {clause}", params
    by_item = f"SELECT items.pk FROM {ITEMS_BY_TEXT} WHERE items_fts MATCH ? AND {clause}"
    by_message = f"SELECT items.pk FROM {source} WHERE {MESSAGE_MATCH} AND {clause}"
    return f"{by_item} UNION {by_message}", [match, *params, match, *params]


def _merge(first: list[Tracked], second: list[Tracked]) -> list[Tracked]:
    """Two activity-ordered lists as one, newest first, each item once."""
    seen: set[int] = set()
    merged = []
    for item in sorted(first + second, key=lambda i: (i.last_activity, i.pk), reverse=True):
        if item.pk not in seen:
            seen.add(item.pk)
            merged.append(item)
    return merged
