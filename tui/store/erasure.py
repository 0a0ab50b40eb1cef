"""Erasure: the local content of items taken out of the registry, leaving no copy in the file.

What an item's content is, here: its archived messages and every kept version of them, the
text the search index holds of them, a title taken from a message or written by the user,
the user's notes, and the user's titles quoted in the journal. What stays: the item's row
(ID, kind, connection, times, state, metadata, tags), so that receipts and the journal
still name what was erased.

SQLite leaves deleted bytes where they were until the space is used again, so the erase
runs with ``PRAGMA secure_delete`` (deleted rows and freed pages are overwritten with
zeros); the full-text indexes are merged whole (``optimize``), since deleting from FTS5
adds a tombstone and leaves the words in the older segments; and the write-ahead log,
which still holds the pages as they were, is checkpointed and truncated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.model import TitleSource
from tui.store.titles import derive

if TYPE_CHECKING:
    import aiosqlite

    from tui.store.registry import Registry

# The archive's guard: kept message versions are never deleted, except by an erase (the
# trigger is dropped and made again, with its own text, inside the erase's transaction).
GUARD = "message_versions_never_deleted"
PKS = "(SELECT value FROM json_each(?))"
ERASED_TITLE = "[erased]"  # what a journal line that quoted a title of the user's says now
FTS_TABLES = ("messages_fts", "items_fts")
COUNTS = f"""
SELECT items.pk,
    (SELECT count(*) FROM messages WHERE messages.item_pk = items.pk),
    (SELECT count(*) FROM message_versions JOIN messages
        ON messages.pk = message_versions.message_pk WHERE messages.item_pk = items.pk),
    items.title_source IN ('message', 'user'),
    items.notes != ''
FROM items WHERE items.pk IN {PKS}
"""


@dataclass(frozen=True, slots=True)
class Held:
    """What the registry holds of one item's content (what an erase would take)."""

    messages: int = 0
    versions: int = 0
    title: bool = False  # a title from a message or of the user's own
    notes: bool = False

    @property
    def anything(self) -> bool:
        """Whether there is any content to erase."""
        return bool(self.messages or self.versions or self.title or self.notes)

    def describe(self) -> str:
        """In words, without any of the content: ``3 messages, 1 older version, title``."""
        parts = []
        if self.messages:
            parts.append(f"{self.messages:,} message{'s' if self.messages != 1 else ''}")
        if self.versions:
            noun = "older version" if self.versions == 1 else "older versions"
            parts.append(f"{self.versions:,} {noun}")
        if self.title:
            parts.append("title")
        if self.notes:
            parts.append("notes")
        return ", ".join(parts) or "no content"


@dataclass(frozen=True, slots=True)
class Cleared:
    """What an erase did to the file after taking the rows out."""

    wal_emptied: bool  # the write-ahead log was checkpointed whole and truncated to 0 bytes
    at: float


class Erasure:
    """Takes the local content of items out of the registry (see the module's docstring)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def held(self, pks: Sequence[int]) -> dict[int, Held]:
        """What the registry holds of each item's content, by row key."""
        if not pks:
            return {}
        found = await self.registry.fetchall(COUNTS, (json.dumps(list(pks)),))
        return {int(r[0]): Held(int(r[1]), int(r[2]), bool(r[3]), bool(r[4])) for r in found}

    async def erase(self, pks: Sequence[int], *, source: str, detail: str) -> dict[int, Held]:
        """Erase the content of the items ``pks``, in one transaction; what each held.

        Each item's journal gets an ``erased`` line saying what went (counts, never the
        content) and ``detail`` (why).
        """
        if not pks:
            return {}
        keys = json.dumps(list(pks))
        registry = self.registry
        async with registry.writing() as db:
            await db.execute("PRAGMA secure_delete = ON")
            try:
                before = await _held(db, keys)
                await _erase_messages(db, keys)
                await _erase_titles_and_notes(db, keys)
                for pk, held in before.items():
                    what = f"erased: {held.describe()}"
                    await registry.journal_add(db, pk, "erased", source, f"{what} ({detail})")
                for table in FTS_TABLES:  # one segment each: no older one keeps a word
                    await db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
            finally:
                await db.execute("PRAGMA secure_delete = OFF")
        return before

    async def clear_log(self) -> Cleared:
        """Checkpoint the write-ahead log whole and truncate it (it holds pages as they were).

        ``wal_emptied`` is false when another connection still reads an older state of the
        file: the log is then emptied by the next checkpoint that finds no reader.
        """
        with self.registry.translated():
            async with self.registry.db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                row = await cursor.fetchone()
        busy = row is None or int(row[0]) != 0
        return Cleared(wal_emptied=not busy, at=time.time())

    async def remaining(self, pks: Sequence[int]) -> int:
        """How many archived messages and kept versions of these items are still here."""
        held = await self.held(pks)
        return sum(h.messages + h.versions for h in held.values())


async def _held(db: aiosqlite.Connection, keys: str) -> dict[int, Held]:
    async with db.execute(COUNTS, (keys,)) as cursor:
        found = await cursor.fetchall()
    return {int(r[0]): Held(int(r[1]), int(r[2]), bool(r[3]), bool(r[4])) for r in found}


async def _erase_messages(db: aiosqlite.Connection, keys: str) -> None:
    """Messages, their kept versions and their index entries (the delete trigger's)."""
    async with db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (GUARD,)
    ) as cursor:
        guard = await cursor.fetchone()
    await db.execute(f"UPDATE messages SET shown_version = NULL WHERE item_pk IN {PKS}", (keys,))
    if guard is not None:
        await db.execute(f"DROP TRIGGER {GUARD}")
    await db.execute(
        "DELETE FROM message_versions WHERE message_pk IN "
        f"(SELECT pk FROM messages WHERE item_pk IN {PKS})",
        (keys,),
    )
    if guard is not None:
        await db.execute(guard[0])
    await db.execute(f"DELETE FROM messages WHERE item_pk IN {PKS}", (keys,))
    await db.execute(
        "UPDATE items SET message_count = 0, history_complete = 0, "
        f"history_doubt = 'its archived history was erased here' WHERE pk IN {PKS}",
        (keys,),
    )


async def _erase_titles_and_notes(db: aiosqlite.Connection, keys: str) -> None:
    """Titles from a message or of the user's own go back to automatic; notes go.

    The journal lines that quoted a title of the user's (``renamed``) say
    :data:`ERASED_TITLE` instead.
    """
    async with db.execute(
        "SELECT pk, id, metadata FROM items WHERE title_source IN ('message', 'user') "
        f"AND pk IN {PKS}",
        (keys,),
    ) as cursor:
        titled = await cursor.fetchall()
    rows = []
    for pk, item_id, metadata in titled:
        try:
            meta = {str(k): str(v) for k, v in dict(json.loads(metadata)).items()}
        except (ValueError, TypeError):
            meta = {}
        title, title_source = derive(str(item_id), meta)
        assert title_source is not TitleSource.MESSAGE
        rows.append((title, title_source.value, int(pk)))
    await db.executemany("UPDATE items SET title = ?, title_source = ? WHERE pk = ?", rows)
    await db.execute(f"UPDATE items SET notes = '' WHERE notes != '' AND pk IN {PKS}", (keys,))
    await db.execute(
        f"UPDATE journal SET detail = ? WHERE event = 'renamed' AND item_pk IN {PKS}",
        (ERASED_TITLE, keys),
    )
