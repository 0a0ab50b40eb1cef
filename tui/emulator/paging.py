"""Ordered collections with the API's cursor pagination."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tui.emulator.errors import invalid

Obj = dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One page of a list: the objects and whether more lie beyond them."""

    data: list[Obj]
    has_more: bool

    def body(self, *, conversation_style: bool = False) -> Obj:
        """The list envelope (``first_id``/``last_id`` are null on an empty page)."""
        first = self.data[0]["id"] if self.data else None
        last = self.data[-1]["id"] if self.data else None
        if conversation_style:
            first, last = first or "", last or ""
        return {
            "object": "list",
            "data": self.data,
            "first_id": first,
            "last_id": last,
            "has_more": self.has_more,
        }


class OrderedStore:
    """Objects in creation order, found by ID, listed with cursors."""

    def __init__(self) -> None:
        self._items: list[Obj] = []
        self._pos: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Obj]:
        return iter(self._items)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._pos

    def add(self, obj: Obj) -> Obj:
        """Append an object (it must carry an ``id``)."""
        self._pos[obj["id"]] = len(self._items)
        self._items.append(obj)
        return obj

    def get(self, object_id: str) -> Obj | None:
        """The object with this ID, or ``None``."""
        pos = self._pos.get(object_id)
        return None if pos is None else self._items[pos]

    def remove(self, object_id: str) -> Obj | None:
        """Remove and return the object with this ID, or ``None``."""
        pos = self._pos.pop(object_id, None)
        if pos is None:
            return None
        obj = self._items.pop(pos)
        for later in self._items[pos:]:
            self._pos[later["id"]] -= 1
        return obj

    def last(self) -> Obj | None:
        """The newest object, or ``None``."""
        return self._items[-1] if self._items else None

    def page(
        self,
        *,
        limit: int = 20,
        order: str = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> Page:
        """A page in ``order``, strictly after ``after`` and/or before ``before``."""
        n = len(self._items)
        start, end = 0, n
        if after is not None:
            start = self._index(after, order, "after") + 1
        if before is not None:
            end = self._index(before, order, "before")
        if end <= start:
            return Page([], False)
        window = range(start, end)
        chosen = window[-limit:] if before is not None and after is None else window[:limit]
        data = [self._at(i, order) for i in chosen]
        return Page(data, len(window) > limit)

    def _index(self, object_id: str, order: str, param: str) -> int:
        pos = self._pos.get(object_id)
        if pos is None:
            raise invalid(
                f"Invalid '{param}': no object with id '{object_id}' in this list.",
                param=param,
            )
        return pos if order == "asc" else len(self._items) - 1 - pos

    def _at(self, index: int, order: str) -> Obj:
        return self._items[index if order == "asc" else len(self._items) - 1 - index]
