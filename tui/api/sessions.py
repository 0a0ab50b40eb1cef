"""The Agents SDK session adapter: a ``SQLiteSession`` of a local file, read-only.

A session's history is the Responses-API input items its program stored (messages,
function calls and their outputs, reasoning…), oldest first, read a page at a time with
the converter of conversation items. An item that cannot be read shows as a note saying
so, never as a failure of the page. Nothing is ever written: sending, editing metadata and
deleting are refused with the reason, and no server is ever asked anything (there is no
client: the item's connection names the file, ``file:///…``).

The file itself is read by a :class:`SessionReader` the caller gives (the registry layer
reads SQLite; see :mod:`tui.ops.sessions`): this module holds no SQL.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC, datetime
from typing import Protocol

from tui.api import convert
from tui.api.errors import ApiError, Invalid, NotFound, Unsupported
from tui.api.protocol import MESSAGE_PAGE, Tool
from tui.model import (
    Choice,
    Connection,
    HistoryPage,
    Kind,
    Part,
    RemoteItem,
    RunStatus,
    ServerObject,
    StreamEvent,
    ToolOutput,
    Turn,
    TurnKind,
)
from tui.text import clean
from tui.timestamps import moment

READ_ONLY = (
    "read-only: Thread Browser never writes a session file. An Agents SDK session goes on "
    "in the program that owns it (session.add_items, or Runner.run with session=…)."
)
NO_SERVER_OBJECTS = (
    "An Agents session lives in a local file, not on a server: it has no server objects to "
    "delete or check, and the file is never written (clear it with session.clear_session() "
    "in the program that owns it)."
)
REFUSED = 405  # a refusal, as a server refuses a method: nothing was sent, nothing to check
MAX_ITEM = 4_000_000  # characters of one stored item read as JSON; longer ones are a note


class FileUnreadable(ApiError):
    """The local file an item lives in cannot be read now (gone, busy, damaged)."""


class SessionInfo(Protocol):
    """One session as its file has it."""

    @property
    def session_id(self) -> object: ...  # noqa: D102 - named by the class docstring
    @property
    def created_at(self) -> object: ...  # noqa: D102
    @property
    def updated_at(self) -> object: ...  # noqa: D102
    @property
    def messages(self) -> int: ...  # noqa: D102


class StoredItem(Protocol):
    """One stored item of a session: its row number, JSON text and time."""

    @property
    def id(self) -> int: ...  # noqa: D102 - named by the class docstring
    @property
    def data(self) -> object: ...  # noqa: D102
    @property
    def created_at(self) -> object: ...  # noqa: D102


class SessionReader(Protocol):
    """Reads one session file; raises :class:`FileUnreadable` when it cannot."""

    async def session(self, session_id: str) -> SessionInfo | None:
        """The session, or ``None`` when the file has no such session."""
        ...

    async def messages(
        self, session_id: str, *, before: int | None, limit: int, newest: bool
    ) -> Sequence[StoredItem]:
        """Up to ``limit`` items, oldest first.

        The newest ones before row ``before``, or with ``newest=False`` the oldest ones.
        """
        ...


def stored_turn(row: StoredItem) -> Turn:
    """One stored item as a turn; what cannot be read becomes a note that says so.

    The turn's ID is the item's row in the file (``row_12``): stable, unique in the
    session, and never one the program wrote (stored items often carry none, or repeat one).
    """
    turn_id = f"row_{row.id}"
    when = moment(row.created_at)
    data = row.data
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if not isinstance(data, str):
        return _note(turn_id, when, f"a {type(data).__name__} instead of JSON text")
    if len(data) > MAX_ITEM:
        return _note(turn_id, when, f"{len(data):,} characters, more than the app reads")
    try:
        item = json.loads(data)
        turn = convert.conversation_item(item)
    except (ValueError, RecursionError) as exc:  # BadShape and JSON errors are ValueErrors
        return _note(turn_id, when, clean(str(exc))[:200])
    return dataclasses.replace(turn, id=turn_id, created_at=turn.created_at or when)


def _note(turn_id: str, when: object, why: str) -> Turn:
    text = f"[This stored item of the session could not be read: {why}.]"
    return Turn(
        turn_id,
        "system",
        kind=TurnKind.OTHER,
        created_at=moment(when),
        parts=(Part("note", text),),
    )


class SessionsAdapter:
    """:class:`~tui.api.protocol.ConversationApi` over the sessions of one local file."""

    kind = Kind.SESSION

    def __init__(self, reader: SessionReader, connection: Connection) -> None:
        self.reader = reader
        self.connection = connection

    async def _session(self, item_id: str) -> SessionInfo:
        found = await self.reader.session(item_id)
        if found is None:
            raise NotFound(
                f"The session {item_id} is no longer in {self.connection.label} (its program "
                "cleared it?). What was archived from it stays readable here.",
                item_id=item_id,
            )
        return found

    async def retrieve(self, item_id: str) -> RemoteItem:
        """The session as its file has it (the file holds no metadata for it)."""
        found = await self._session(item_id)
        when = moment(found.created_at) or moment(found.updated_at) or datetime.now(UTC)
        return RemoteItem(item_id, Kind.SESSION, when, {})

    async def create(
        self, *, metadata: dict[str, str] | None = None, first_message: str | None = None
    ) -> RemoteItem:
        """Sessions are made by their programs."""
        raise Invalid(READ_ONLY)

    async def update_metadata(self, item_id: str, metadata: dict[str, str]) -> RemoteItem:
        """A session file is never written."""
        raise Unsupported(READ_ONLY, status=REFUSED)

    async def delete(
        self, item_id: str, *, standing: Collection[str] = (), older: Collection[str] = ()
    ) -> None:
        """A session file is never written."""
        raise Unsupported(READ_ONLY, status=REFUSED)

    async def parts(
        self, item_id: str, *, keep: Collection[str] = (), files: bool = False
    ) -> list[ServerObject]:
        """A session has no server objects."""
        return []

    async def remove(self, obj: ServerObject) -> None:
        """A session has no server objects, and its file is never written."""
        raise Unsupported(NO_SERVER_OBJECTS, status=REFUSED)

    async def exists(self, obj: ServerObject) -> bool:
        """A session has no server objects to ask a server about."""
        raise Unsupported(NO_SERVER_OBJECTS, status=REFUSED)

    async def users(self, objects: Sequence[ServerObject]) -> dict[str, str]:
        """Nothing on a server uses a local file's session."""
        return {}

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = MESSAGE_PAGE
    ) -> HistoryPage:
        """A page of the session's items, oldest first; the cursor is a row number."""
        row = _row(before)
        rows = await self.reader.messages(item_id, before=row, limit=limit + 1, newest=True)
        if not rows and before is None:
            await self._session(item_id)  # no items, or no such session: say which
        older = len(rows) > limit
        kept = list(rows)[1:] if older else list(rows)
        cursor = str(kept[0].id) if older and kept else None
        return HistoryPage(tuple(stored_turn(r) for r in kept), cursor)

    async def enrich(self, item_id: str, turns: Sequence[Turn]) -> list[Turn]:
        """Stored items are whole: nothing to add."""
        return list(turns)

    async def first_turn(self, item_id: str) -> Turn | None:
        """The oldest stored item."""
        first = await self.oldest(item_id, limit=1)
        return first[0] if first else None

    async def first_user_text(self, item_id: str, *, look: int = MESSAGE_PAGE) -> str | None:
        """The text of the first user message among the oldest ``look`` items (the title)."""
        for turn in await self.oldest(item_id, limit=look):
            if turn.role == "user" and turn.kind is TurnKind.MESSAGE and turn.text:
                return turn.text
        return None

    async def oldest(self, item_id: str, *, limit: int = MESSAGE_PAGE) -> tuple[Turn, ...]:
        """The oldest ``limit`` stored items."""
        rows = await self.reader.messages(item_id, before=None, limit=limit, newest=False)
        return tuple(stored_turn(r) for r in rows)

    async def send(
        self,
        item_id: str,
        text: str,
        *,
        choice: str,
        tools: Sequence[Tool] = (),
        background: bool = False,
    ) -> AsyncIterator[StreamEvent]:
        """A session file is never written: a message goes through its own program."""
        raise Unsupported(READ_ONLY, status=REFUSED)
        yield  # an async generator, as the protocol's callers iterate it

    async def submit_tool_outputs(
        self,
        item_id: str,
        run_id: str,
        outputs: Sequence[ToolOutput],
        *,
        choice: str,
        tools: Sequence[Tool] = (),
    ) -> AsyncIterator[StreamEvent]:
        """A session file is never written."""
        raise Unsupported(READ_ONLY, status=REFUSED)
        yield  # an async generator, as the protocol's callers iterate it

    async def cancel(self, item_id: str, run_id: str) -> RunStatus:
        """Nothing runs in a session file."""
        return RunStatus.COMPLETED

    async def list_choices(self) -> list[Choice]:
        """Replies come from the session's program, not from here."""
        return []

    async def create_choice(self, name: str, model: str, instructions: str) -> Choice:
        """Replies come from the session's program, not from here."""
        raise Invalid(READ_ONLY)

    async def active_run(self, item_id: str) -> str | None:
        """Nothing runs in a session file."""
        return None


def _row(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        return int(cursor)
    except ValueError:
        raise Invalid(f"{cursor!r} is not a position in a session file.") from None
