"""Search: full text over titles, metadata, IDs and archived text; filters; keyset pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tui.model import Connection, ItemState, Kind, Tracked
from tui.store import rows, sql

if TYPE_CHECKING:
    from tui.store.registry import Registry

VISIBLE = (ItemState.ACTIVE, ItemState.MISSING, ItemState.DELETING)
_WORD = re.compile(r"\w+", re.UNICODE)
_META = re.compile(r"(?<!\S)([\w.\-]+)=(\"[^\"]*\"|\S*)")


@dataclass(frozen=True)
class Query:
    """What to list: text, kind, states, ``metadata key=value`` pairs, age, connection."""

    text: str = ""
    kind: Kind | None = None
    states: tuple[ItemState, ...] = VISIBLE
    meta: tuple[tuple[str, str], ...] = ()
    older_than: datetime | None = None
    connection: Connection | None = None

    @classmethod
    def parse(cls, text: str, **filters: object) -> Query:
        """A query from a filter box: ``key=value`` words are metadata, the rest text."""
        meta = tuple((k, v.strip('"')) for k, v in _META.findall(text))
        rest = _META.sub(" ", text)
        return cls(text=" ".join(rest.split()), meta=meta, **filters)  # type: ignore[arg-type]


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


def fts_query(text: str) -> str | None:
    """A safe FTS5 query: every word must match, each as a prefix."""
    words = _WORD.findall(text)
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


TEXT = (
    "items.pk IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ? "
    "UNION SELECT messages.item_pk FROM messages WHERE messages.pk IN "
    "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?))"
)


def where(query: Query) -> tuple[str, list[object]]:
    """The WHERE clause (without the keyset bound) and its parameters."""
    clauses: list[str] = []
    params: list[object] = []
    if len(query.states) == 1:
        clauses.append("items.state = ?")
        params.append(query.states[0].value)
    elif query.states and set(query.states) != set(ItemState):
        # The unary + keeps the planner on the activity index (no sort of every row).
        clauses.append(f"+items.state IN ({','.join('?' * len(query.states))})")
        params += [s.value for s in query.states]
    if query.kind is not None:
        clauses.append("items.kind = ?")
        params.append(query.kind.value)
    for key, value in query.meta:
        clauses.append("items.pk IN (SELECT item_pk FROM item_meta WHERE key = ? AND value = ?)")
        params += [key, value]
    if query.older_than is not None:
        clauses.append("items.last_activity < ?")
        params.append(int(query.older_than.timestamp()))
    if query.connection is not None:
        clauses.append(
            "connections.base_url = ? AND connections.organization = ? AND connections.project = ?"
        )
        params += list(sql.connection_params(query.connection))
    match = fts_query(query.text)
    if match is not None:
        clauses.append(TEXT)
        params += [match, match]
    return " AND ".join(clauses) or "1", params


class Search:
    """Filtered, keyset-paged listing of tracked items."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def page(
        self, query: Query, *, after: Cursor | None = None, limit: int = 200
    ) -> ResultPage:
        """The items after ``after`` (by last activity, newest first)."""
        clause, params = where(query)
        if after is not None:
            clause += " AND (items.last_activity, items.pk) < (?, ?)"
            params += [after.last_activity, after.pk]
        found = await self.registry.fetchall(
            f"SELECT {rows.ITEM_COLUMNS} FROM {rows.ITEM_FROM} WHERE {clause} "
            "ORDER BY items.last_activity DESC, items.pk DESC LIMIT ?",
            (*params, limit + 1),
        )
        items = [rows.tracked(r) for r in found[:limit]]
        last = items[-1] if items and len(found) > limit else None
        cursor = Cursor(int(last.last_activity.timestamp()), last.pk) if last else None
        return ResultPage(items, cursor)

    async def count(self, query: Query) -> int:
        """How many items match."""
        clause, params = where(query)
        row = await self.registry.fetchone(
            f"SELECT count(*) FROM {rows.ITEM_FROM} WHERE {clause}", params
        )
        return int(row[0])
