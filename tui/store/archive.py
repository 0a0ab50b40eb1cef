"""The message archive: every history page loaded, kept in order, readable offline.

The archive only ever adds. When the server answers an archived message differently, the
version it replaces is kept in ``message_versions`` (never changed, never deleted) and the
message row holds the newest one. Readers (:meth:`Archive.page`, :meth:`Archive.all`, and
so every export) show the newest version, with one exception: when the newest holds no
content (no text but a placeholder such as "[removed]", and no file or image) while an
older version did, they show the newest such older version, its status set to
:data:`REMOVED_STATUS` and :data:`REMOVED_NOTE` added as its last part. Search indexes
the text readers show.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.model import Part, TitleSource, Tracked, Turn
from tui.store.titles import derive

if TYPE_CHECKING:
    import aiosqlite
    from pydantic import TypeAdapter

    from tui.store.registry import Registry


@functools.cache
def _turns() -> TypeAdapter[Turn]:
    """The reader and writer of an archived turn (pydantic loads on the first one)."""
    from pydantic import TypeAdapter

    return TypeAdapter(Turn)


ANCHOR = 1 << 40
UPSERT = """
INSERT INTO messages (item_pk, id, seq, role, created_at, body, data, shown_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (item_pk, id) DO UPDATE SET
    seq = excluded.seq, role = excluded.role, created_at = excluded.created_at,
    body = excluded.body,
    data = excluded.data,
    shown_version = excluded.shown_version
"""
KEEP_VERSION = (
    "INSERT INTO message_versions (message_pk, data, body, has_content, kept_at) "
    "VALUES (?, ?, ?, ?, ?)"
)
# Each message with the kept version shown in its place (NULL: the message itself).
SHOWN = (
    "SELECT messages.seq, messages.data, message_versions.data FROM messages "
    "LEFT JOIN message_versions ON message_versions.pk = messages.shown_version"
)
PLACEHOLDERS = frozenset({"", "[removed]", "[deleted]"})
REMOVED_STATUS = "removed on the server"
REMOVED_NOTE = (
    "[The server now holds this message as removed; the text above is the copy archived before.]"
)


# When nothing was known of an item's activity, last_activity fell back to the time it
# was tracked; the newest archived message replaces that guess.
LAST_ACTIVITY = (
    "CASE WHEN created_at IS NULL AND last_activity = tracked_at AND ? > 0 THEN ? "
    "ELSE max(last_activity, ?) END"
)


def encode(turn: Turn) -> str:
    """A turn as JSON."""
    return _turns().dump_json(turn).decode()


def decode(data: str | bytes) -> Turn:
    """A turn from JSON."""
    return _turns().validate_json(data)


def searchable(turn: Turn) -> str:
    """The text of a turn that search should find (text, tool names, arguments, outputs)."""
    pieces = [turn.text]
    for call in turn.tool_calls:
        pieces += [call.name, call.arguments, call.output or ""]
    return "\n".join(p for p in pieces if p)


def holds_content(turn: Turn) -> bool:
    """Whether a turn says anything: text other than a placeholder, or a file or image."""
    return turn.text.strip().lower() not in PLACEHOLDERS or any(p.ref for p in turn.parts)


def shown(data: str, kept: str | None) -> Turn:
    """The turn readers show: the message, or the kept version with its text (see above)."""
    if kept is None:
        return decode(data)
    old = decode(kept)
    note = Part("note", REMOVED_NOTE)
    return dataclasses.replace(old, status=REMOVED_STATUS, parts=(*old.parts, note))


@dataclass(frozen=True, slots=True)
class _Archived:
    """A message row as archived before this page came."""

    pk: int
    data: str
    body: str
    shown_version: int | None


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """A page of archived turns, oldest first, with the cursor of older ones."""

    turns: tuple[Turn, ...]
    older_seq: int | None


class Archive:
    """Stores history pages in their order and serves them back, newest page first."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def attached_elsewhere(self, item: Tracked, file_ids: Sequence[str]) -> dict[str, str]:
        """Which of ``file_ids`` a message of another tracked, undeleted item has attached.

        Each with the first such item's ID (what a deletion of ``item`` must not take).
        """
        if not file_ids:
            return {}
        marks = ", ".join("?" * len(file_ids))
        found = await self.registry.fetchall(
            "SELECT attached.value, min(items.id) FROM messages "
            "JOIN items ON items.pk = messages.item_pk, "
            "json_each(messages.data, '$.attachments') AS attached "
            f"WHERE messages.item_pk != ? AND items.state != 'deleted' "
            f"AND attached.value IN ({marks}) GROUP BY attached.value",
            (item.pk, *file_ids),
        )
        return {str(row[0]): str(row[1]) for row in found}

    async def store(
        self,
        item: Tracked,
        turns: Sequence[Turn],
        *,
        older_than: str | None = None,
        complete: bool = False,
    ) -> Tracked:
        """Archive one page (oldest first).

        ``older_than`` is the ID of the turn just newer than this page (the cursor it was
        fetched with), ``None`` for the newest page; ``complete`` says no older page exists.
        A read-only registry keeps nothing and says nothing: the archive is a copy, and the
        user was told once that nothing is saved.
        """
        reg = self.registry
        if reg.read_only:
            return item
        seqs = await self._place(item, turns, older_than)
        newest = max((t.created_at for t in turns if t.created_at), default=None)
        async with reg.writing() as db:
            before = await _archived(db, item, [t.id for t in turns])
            rows = []
            for turn, seq in zip(turns, seqs, strict=True):
                data = encode(turn)
                body, version = await _keep(db, turn, data, before.get(turn.id))
                when = int(turn.created_at.timestamp()) if turn.created_at else None
                rows.append((item.pk, turn.id, seq, turn.role, when, body, data, version))
            await db.executemany(UPSERT, rows)
            await db.execute(
                "UPDATE items SET message_count = "
                "(SELECT count(*) FROM messages WHERE item_pk = ?), "
                "history_complete = max(history_complete, ?), "
                f"last_activity = {LAST_ACTIVITY} WHERE pk = ?",
                (item.pk, int(complete), *[int(newest.timestamp()) if newest else 0] * 3, item.pk),
            )
        if item.title_source is TitleSource.ID:
            await self._title_from_first_message(item)
        fresh = await reg.get_pk(item.pk)
        assert fresh is not None
        return fresh

    async def settle(
        self, item: Tracked, *, complete: bool, doubt: str | None, source: str
    ) -> Tracked:
        """Record the verdict of a walk through the whole history.

        ``complete`` says its oldest page was verifiably reached; ``doubt`` says why it may
        be incomplete (journalled when it is new). A read-only registry records nothing.
        """
        reg = self.registry
        if reg.read_only:
            return item
        async with reg.writing() as db:
            await db.execute(
                "UPDATE items SET history_complete = ?, history_doubt = ? WHERE pk = ?",
                (int(complete and doubt is None), doubt, item.pk),
            )
            if doubt is not None and doubt != item.history_doubt:
                await reg.journal_add(db, item.pk, "history in doubt", source, doubt)
        if complete and item.title_source is TitleSource.ID:
            await self._title_from_first_message(item)
        fresh = await reg.get_pk(item.pk)
        assert fresh is not None
        return fresh

    async def _place(
        self, item: Tracked, turns: Sequence[Turn], older_than: str | None
    ) -> list[int]:
        """The sequence numbers that keep this page in order among archived turns."""
        count = len(turns)
        if older_than is not None:
            anchor = await self._seq_of(item, older_than)
            if anchor is None:
                anchor = await self._edge(item, "min") or ANCHOR
            return [anchor - count + i for i in range(count)]
        known = await self._known(item, [t.id for t in turns])
        for index in range(count - 1, -1, -1):
            seq = known.get(turns[index].id)
            if seq is not None:
                return [seq + (i - index) for i in range(count)]
        top = await self._edge(item, "max")
        start = ANCHOR if top is None else top + 1
        return [start + i for i in range(count)]

    async def _seq_of(self, item: Tracked, turn_id: str) -> int | None:
        row = await self.registry.fetchone(
            "SELECT seq FROM messages WHERE item_pk = ? AND id = ?", (item.pk, turn_id)
        )
        return None if row is None else int(row[0])

    async def _edge(self, item: Tracked, which: str) -> int | None:
        row = await self.registry.fetchone(
            f"SELECT {which}(seq) FROM messages WHERE item_pk = ?", (item.pk,)
        )
        return None if row is None or row[0] is None else int(row[0])

    async def _known(self, item: Tracked, ids: list[str]) -> dict[str, int]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        found = await self.registry.fetchall(
            f"SELECT id, seq FROM messages WHERE item_pk = ? AND id IN ({marks})",
            (item.pk, *ids),
        )
        return {row[0]: int(row[1]) for row in found}

    async def _title_from_first_message(self, item: Tracked) -> None:
        fresh = await self.registry.get_pk(item.pk)
        if fresh is None or not fresh.history_complete:
            return
        row = await self.registry.fetchone(
            "SELECT body FROM messages WHERE item_pk = ? AND role = 'user' "
            "ORDER BY seq, pk LIMIT 1",
            (item.pk,),
        )
        if row is None:
            return
        title, source = derive(item.id, fresh.metadata, row[0])
        if source is TitleSource.MESSAGE:
            async with self.registry.writing() as db:
                await db.execute(
                    "UPDATE items SET title = ?, title_source = ? WHERE pk = ? "
                    "AND title_source = 'id'",
                    (title, source.value, item.pk),
                )

    async def page(
        self, item: Tracked, *, before_seq: int | None = None, limit: int = 50
    ) -> ArchivedPage:
        """A page of archived turns, newest first by page, oldest first within it."""
        bound = "AND messages.seq < ?" if before_seq is not None else ""
        params: tuple[object, ...] = (item.pk,)
        if before_seq is not None:
            params += (before_seq,)
        found = await self.registry.fetchall(
            f"{SHOWN} WHERE messages.item_pk = ? {bound} "
            "ORDER BY messages.seq DESC, messages.pk DESC LIMIT ?",
            (*params, limit + 1),
        )
        more = len(found) > limit
        kept = found[:limit]
        turns = tuple(shown(r[1], r[2]) for r in reversed(kept))
        return ArchivedPage(turns, int(kept[-1][0]) if more and kept else None)

    async def all(self, item: Tracked) -> list[Turn]:
        """Every archived turn of the item, oldest first (as readers show it)."""
        found = await self.registry.fetchall(
            f"{SHOWN} WHERE messages.item_pk = ? ORDER BY messages.seq, messages.pk",
            (item.pk,),
        )
        return [shown(r[1], r[2]) for r in found]

    async def versions(self, item: Tracked, turn_id: str) -> list[Turn]:
        """Every version of one archived turn the server replaced, oldest first."""
        found = await self.registry.fetchall(
            "SELECT message_versions.data FROM message_versions JOIN messages "
            "ON messages.pk = message_versions.message_pk "
            "WHERE messages.item_pk = ? AND messages.id = ? ORDER BY message_versions.pk",
            (item.pk, turn_id),
        )
        return [decode(r[0]) for r in found]


async def _archived(
    db: aiosqlite.Connection, item: Tracked, ids: list[str]
) -> dict[str, _Archived]:
    """The archived rows of these turn IDs, by ID."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    cursor = await db.execute(
        "SELECT id, pk, data, body, shown_version FROM messages "
        f"WHERE item_pk = ? AND id IN ({marks})",
        (item.pk, *ids),
    )
    return {r[0]: _Archived(int(r[1]), r[2], r[3], r[4]) for r in await cursor.fetchall()}


async def _keep(
    db: aiosqlite.Connection, turn: Turn, data: str, before: _Archived | None
) -> tuple[str, int | None]:
    """Keep the version ``turn`` replaces; the text to index and the kept version to show."""
    if before is None:
        return searchable(turn), None
    if before.data == data:
        return before.body, before.shown_version
    old = decode(before.data)
    had = holds_content(old)
    cursor = await db.execute(
        KEEP_VERSION, (before.pk, before.data, searchable(old), int(had), time.time())
    )
    if holds_content(turn):
        return searchable(turn), None
    if had:
        return searchable(old), cursor.lastrowid
    return before.body, before.shown_version
