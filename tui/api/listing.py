"""The lists a server offers of what a key made, read a page at a time.

Stored completions are listed by the API itself; threads (Azure's agents), conversations
and responses (OGX) only by some servers.

One request is one page, read oldest first after a cursor; what the server sent is read
leniently: an entry that cannot be read is counted and skipped, the rest of the page kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tui.api import convert
from tui.api.convert import get
from tui.api.errors import BadShape, translate
from tui.api.polling import Reply
from tui.model import Connection, Kind, RemoteItem

if TYPE_CHECKING:  # the SDK loads with the client that is passed in, not with this module
    from openai import AsyncOpenAI

WIDEST = 100  # the most entries one list request may ask for (the API's limit)
PATHS = {
    Kind.COMPLETION: "/chat/completions",
    Kind.THREAD: "/threads",
    Kind.CONVERSATION: "/conversations",
    Kind.RESPONSE: "/responses",
}


class ListPage:
    """One page of a list: its entries as sent, the server's word, and the cursor after it.

    The entries are read into items when first asked for, so a walk can ask for the next
    page (its cursor is the last entry's ID) before it reads this one. An entry that cannot
    be read is counted and skipped, the rest kept.
    """

    def __init__(
        self, entries: Sequence[Any], kind: Kind, has_more: bool, last_id: str | None
    ) -> None:
        self.entries = entries
        self.kind = kind
        self.has_more = has_more
        self.last_id = last_id  # the last entry's ID, read or not: the cursor of the next page
        self._read: tuple[tuple[RemoteItem, ...], int] | None = None

    def _items(self) -> tuple[tuple[RemoteItem, ...], int]:
        if self._read is None:
            items: list[RemoteItem] = []
            for entry in self.entries:
                try:
                    items.append(_item(entry, self.kind))
                except BadShape:
                    continue
            self._read = tuple(items), len(self.entries) - len(items)
        return self._read

    @property
    def items(self) -> tuple[RemoteItem, ...]:
        """The entries that could be read."""
        return self._items()[0]

    @property
    def unreadable(self) -> int:
        """How many entries could not be read."""
        return self._items()[1]


def _item(entry: Any, kind: Kind) -> RemoteItem:
    if kind is Kind.COMPLETION:
        return convert.completion_item(entry)
    if kind is Kind.RESPONSE:
        return convert.response_item(entry)
    return convert.remote_item(entry, kind)


def _page(body: Any, kind: Kind) -> ListPage:
    data = convert.list_data(body)
    more = get(body, "has_more") in (True, "true")
    return ListPage(data, kind, more, last_id(body))


def last_id(body: Any) -> str | None:
    """The cursor after a list page: its ``last_id``, else its last entry's ID (if readable)."""
    data = convert.list_data(body)
    for where, name in ((body, "last_id"), (data[-1] if data else None, "id")):
        try:
            found = convert.optional_ident(where, name)
        except BadShape:
            continue
        if found:
            return found
    return None


async def list_page(
    client: AsyncOpenAI,
    connection: Connection,
    kind: Kind,
    after: str | None,
    limit: int = WIDEST,
) -> ListPage:
    """The page of ``kind`` items after ``after`` (``None``: the first), oldest first.

    Raises the :mod:`tui.api.errors` errors: a server without the list gives
    ``NotFound``, ``Unsupported`` or ``RouteMissing``; a page that is not a list,
    ``Unreadable``.
    """
    path = PATHS[kind]
    params: dict[str, Any] = {"limit": limit, "order": "asc"}
    if after:
        params["after"] = after
    headers = {"OpenAI-Beta": "assistants=v2"} if kind is Kind.THREAD else {}
    options: Any = {"params": params, "headers": headers}
    import httpx2

    with translate(connection):
        response = await client.get(path, cast_to=httpx2.Response, options=options)
    reply = Reply(connection, f"GET {path}", response.headers, response.content)
    return reply.read(lambda body: _page(body, kind))
