"""Stored values of the wrong type or shape: finding them (doctor) and fixing them (repair).

The registry's own writers store whole seconds and well-formed IDs (see ``store.intake``),
but a file written by an older tracking hook or by another program may hold times as text,
fractions or milliseconds, and IDs that name nothing. A time that cannot be read breaks
``list`` and the app; a millisecond time cannot be keyed in the search index.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

import aiosqlite

from tui.ids import extract
from tui.model import Kind
from tui.store import intake
from tui.store.registry import Registry


@dataclass(frozen=True, slots=True)
class TimeColumn:
    """A column of whole seconds since the epoch."""

    table: str
    column: str
    nullable: bool

    @property
    def name(self) -> str:
        """``table.column``."""
        return f"{self.table}.{self.column}"

    @property
    def wrong(self) -> str:
        """An SQL condition true where the column holds no time the registry can use."""
        col = self.column
        fits = f"typeof({col}) = 'integer' AND {col} BETWEEN 0 AND {intake.LATEST}"
        return f"NOT ({col} IS NULL OR ({fits}))" if self.nullable else f"NOT ({fits})"


TIMES = (
    TimeColumn("items", "created_at", nullable=True),
    TimeColumn("items", "last_activity", nullable=False),
    TimeColumn("items", "tracked_at", nullable=False),
    TimeColumn("messages", "created_at", nullable=True),
)
# IDs that may be wrong: anything but a prefix of their kind, then letters, digits and
# dashes in a body of 16 to 256. Each is then judged by ``tui.ids`` itself.
_SUSPECT_IDS = (
    "SELECT pk, id, kind, connection_id FROM items WHERE typeof(id) != 'text' "
    "OR id GLOB '*[^A-Za-z0-9_-]*' OR substr(id, instr(id, '_') + 1) GLOB '*[_]*' "
    "OR NOT ((kind = 'thread' AND id GLOB 'thread_*' AND length(id) BETWEEN 23 AND 263) "
    "OR (kind = 'conversation' AND id GLOB 'conv_*' AND length(id) BETWEEN 21 AND 261)) "
    "OR (kind = 'conversation' AND length(id) = 53 AND substr(id, 6) GLOB '*[^0-9a-f]*') "
    "OR id GLOB '*-*'"
)


@dataclass(frozen=True, slots=True)
class WrongTimes:
    """The rows of one time column that hold no usable time."""

    column: TimeColumn
    count: int
    samples: list[str]


async def wrong_times(registry: Registry) -> list[WrongTimes]:
    """Every time column with values of the wrong type or size, and samples of each."""
    found = []
    for col in TIMES:
        label = "id" if col.table == "items" else "pk"
        where = f"FROM {col.table} WHERE {col.wrong}"
        [(count,)] = await registry.fetchall(f"SELECT count(*) {where}")
        if count:
            rows = await registry.fetchall(f"SELECT {label} {where} LIMIT 3")
            found.append(WrongTimes(col, int(count), [str(r[0]) for r in rows]))
    return found


def _usable(value: object, kind: str) -> str | None:
    try:
        return intake.item_id(value, Kind(kind))
    except (intake.Unfit, ValueError):
        return None


def _held(value: object, kind: str) -> str | None:
    """The one usable ID of ``kind`` that a stored value holds (in quotes, with spaces)."""
    if not isinstance(value, str):
        return None
    found = {f.text for f in extract(value[:4096]) if f.kind is Kind(kind)}
    return found.pop() if len(found) == 1 else None


async def wrong_ids(registry: Registry) -> list[tuple[int, object, str, int]]:
    """Items whose ID is not a usable ID of their kind: (pk, id, kind, connection)."""
    rows = await registry.fetchall(_SUSPECT_IDS)
    return [
        (int(r[0]), r[1], str(r[2]), int(r[3])) for r in rows if _usable(r[1], str(r[2])) != r[1]
    ]


async def _rows(
    db: aiosqlite.Connection, query: str, params: tuple[object, ...] = ()
) -> list[sqlite3.Row]:
    async with db.execute(query, params) as cursor:
        return list(await cursor.fetchall())


async def _fix_times(db: aiosqlite.Connection) -> int:
    now = int(time.time())
    fixed = 0
    for col in TIMES:
        rows = await _rows(db, f"SELECT rowid, {col.column} FROM {col.table} WHERE {col.wrong}")
        for rowid, value in rows:
            seconds = intake.seconds(value)
            if seconds is None and col.column == "last_activity":
                seconds = await _fallback(db, rowid, now)
            elif seconds is None and not col.nullable:
                seconds = now
            await db.execute(
                f"UPDATE {col.table} SET {col.column} = ? WHERE rowid = ?", (seconds, rowid)
            )
            fixed += 1
    return fixed


async def _fallback(db: aiosqlite.Connection, pk: int, now: int) -> int:
    """An item's last activity when its own is unreadable: when it was made or tracked."""
    [(created, tracked)] = await _rows(
        db, "SELECT created_at, tracked_at FROM items WHERE pk = ?", (pk,)
    )
    return intake.seconds(created) or intake.seconds(tracked) or now


async def _fix_ids(db: aiosqlite.Connection, wrong: list[tuple[int, object, str, int]]) -> int:
    """Rewrite IDs that hold a usable one; remove items that hold nothing but a bad ID."""
    fixed = 0
    for pk, value, kind, connection_id in wrong:
        usable = _held(value, kind)
        if usable is not None and not await _rows(
            db, "SELECT 1 FROM items WHERE connection_id = ? AND id = ?", (connection_id, usable)
        ):
            await db.execute("UPDATE items SET id = ? WHERE pk = ?", (usable, pk))
            fixed += 1
        elif await _removable(db, pk):
            await _remove(db, pk, value)
            fixed += 1
    return fixed


async def _removable(db: aiosqlite.Connection, pk: int) -> bool:
    """True when the item holds nothing a user could want: no archive, migration, deletion.

    Nor responses known to have written into it (a deletion of it needs them).
    """
    for table, column in (
        ("messages", "item_pk"),
        ("item_responses", "item_pk"),
        ("migrations", "thread_pk"),
        ("migrations", "conversation_pk"),
        ("migration_attempts", "thread_pk"),
        ("deletions", "item_pk"),
    ):
        if await _rows(db, f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1", (pk,)):
            return False
    return True


async def _remove(db: aiosqlite.Connection, pk: int, value: object) -> None:
    detail = f"removed an item whose ID is no ID: {str(value)[:80]!r}"
    await db.execute("DELETE FROM item_meta WHERE item_pk = ?", (pk,))
    await db.execute("UPDATE journal SET item_pk = NULL WHERE item_pk = ?", (pk,))
    await db.execute("DELETE FROM items WHERE pk = ?", (pk,))
    await db.execute(
        "INSERT INTO journal (at, item_pk, event, source, detail) VALUES (?, NULL, ?, ?, ?)",
        (time.time(), "repaired", "doctor", detail),
    )


async def fix(registry: Registry, db: aiosqlite.Connection) -> tuple[int, int]:
    """Fix what :func:`wrong_times` and :func:`wrong_ids` find, inside the caller's write.

    Returns how many times and IDs were fixed. Times go first: an item removed for its ID
    leaves the search index by its activity key. The caller rebuilds the search index.
    """
    times = await _fix_times(db)
    return times, await _fix_ids(db, await wrong_ids(registry))
