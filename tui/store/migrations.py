"""Threads carried into conversations: the link, and how far the carrying got."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.model import Tracked

if TYPE_CHECKING:
    from tui.store.registry import Registry


@dataclass(frozen=True, slots=True)
class Link:
    """A thread's conversation, and how many of its items are in it."""

    conversation: Tracked
    carried: int
    total: int
    complete: bool


class Migrations:
    """Records each migration as it goes, so a failure midway resumes where it stopped."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def link(self, thread: Tracked) -> Link | None:
        """The conversation ``thread`` is (being) carried into, if any."""
        row = await self.registry.fetchone(
            "SELECT conversation_pk, carried, total, complete FROM migrations WHERE thread_pk = ?",
            (thread.pk,),
        )
        if row is None:
            return None
        conversation = await self.registry.get_pk(int(row[0]))
        if conversation is None:
            return None
        return Link(conversation, int(row[1]), int(row[2]), bool(row[3]))

    async def start(self, thread: Tracked, conversation: Tracked, total: int) -> None:
        """The conversation exists: link it before anything else is sent."""
        async with self.registry.writing() as db:
            await db.execute(
                "INSERT INTO migrations (thread_pk, conversation_pk, total, at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (thread_pk) DO UPDATE SET "
                "conversation_pk = excluded.conversation_pk, total = excluded.total",
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
