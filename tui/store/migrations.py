"""Threads carried into conversations: the link, how far the carrying got, what was counted.

A conversation create is recorded as an attempt (its token) before it is sent, so a create
whose answer never came is known: the server may hold that conversation untracked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.model import Connection, Tracked
from tui.store import sql

if TYPE_CHECKING:
    from tui.store.registry import Registry


@dataclass(frozen=True, slots=True)
class Link:
    """A thread's conversation, and how many of its items are in it."""

    conversation: Tracked
    carried: int
    total: int
    complete: bool
    found: int | None = None  # what the conversation held when counted at the end


@dataclass(frozen=True, slots=True)
class Attempt:
    """A conversation create sent for a thread whose outcome is not known."""

    token: str
    at: float


class Migrations:
    """Records each migration as it goes, so a failure midway resumes where it stopped."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def link(self, thread: Tracked) -> Link | None:
        """The conversation ``thread`` is (being) carried into, if any."""
        row = await self.registry.fetchone(
            "SELECT conversation_pk, carried, total, complete, found FROM migrations "
            "WHERE thread_pk = ?",
            (thread.pk,),
        )
        if row is None:
            return None
        conversation = await self.registry.get_pk(int(row[0]))
        if conversation is None:
            return None
        found = None if row[4] is None else int(row[4])
        return Link(conversation, int(row[1]), int(row[2]), bool(row[3]), found)

    async def attempt(self, thread: Tracked, connection: Connection, token: str) -> None:
        """A conversation create marked ``token`` is about to be sent: record it first."""
        async with self.registry.writing() as db:
            connection_id = await self.registry.connection_id(db, connection)
            await db.execute(
                "INSERT INTO migration_attempts (token, thread_pk, connection_id, at) "
                "VALUES (?, ?, ?, ?)",
                (token, thread.pk, connection_id, time.time()),
            )
            await self.registry.journal_add(db, thread.pk, "migration attempt", "migrate", token)

    async def attempts(self, thread: Tracked, connection: Connection) -> list[Attempt]:
        """The creates for ``thread`` on ``connection`` whose outcome is unknown, oldest first."""
        rows = await self.registry.fetchall(
            "SELECT token, at FROM migration_attempts JOIN connections "
            "ON connections.id = migration_attempts.connection_id WHERE thread_pk = ? "
            "AND base_url = ? AND organization = ? AND project = ? ORDER BY at, token",
            (thread.pk, *sql.connection_params(connection)),
        )
        return [Attempt(str(r[0]), float(r[1])) for r in rows]

    async def settle(self, thread: Tracked, token: str, outcome: str) -> None:
        """The outcome of the create marked ``token`` is known (``outcome`` says which)."""
        async with self.registry.writing() as db:
            await db.execute("DELETE FROM migration_attempts WHERE token = ?", (token,))
            detail = f"{token}: {outcome}"
            await self.registry.journal_add(
                db, thread.pk, "migration attempt settled", "migrate", detail
            )

    async def counted(self, thread: Tracked, found: int) -> None:
        """The conversation held ``found`` items when counted after the last batch."""
        async with self.registry.writing() as db:
            await db.execute(
                "UPDATE migrations SET found = ? WHERE thread_pk = ?", (found, thread.pk)
            )

    async def start(self, thread: Tracked, conversation: Tracked, total: int) -> None:
        """The conversation exists: link it before anything else is sent."""
        async with self.registry.writing() as db:
            await db.execute(
                "INSERT INTO migrations (thread_pk, conversation_pk, total, at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (thread_pk) DO UPDATE SET "
                "conversation_pk = excluded.conversation_pk, total = excluded.total, carried = 0, "
                "complete = 0, found = NULL, at = excluded.at",
                (thread.pk, conversation.pk, total, time.time()),
            )
            await self.registry.journal_add(db, thread.pk, "migrating", "migrate", conversation.id)

    async def progress(self, thread: Tracked, carried: int, *, complete: bool) -> None:
        """``carried`` items are in the conversation; ``complete`` when that is all."""
        async with self.registry.writing() as db:
            await db.execute(
                "UPDATE migrations SET carried = ?, complete = ? WHERE thread_pk = ?",
                (carried, int(complete), thread.pk),
            )
            if complete:
                cursor = await db.execute(
                    "SELECT items.id FROM migrations JOIN items "
                    "ON items.pk = migrations.conversation_pk WHERE thread_pk = ?",
                    (thread.pk,),
                )
                row = await cursor.fetchone()
                detail = row[0] if row else ""
                await self.registry.journal_add(db, thread.pk, "migrated", "migrate", detail)
