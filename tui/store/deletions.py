"""Deletion bookkeeping: which confirmed deletions are still open, across crashes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.model import ItemState, Tracked
from tui.store import rows, writes

if TYPE_CHECKING:
    from tui.store.registry import Registry

CONFIRM = (
    "INSERT OR IGNORE INTO deletions (item_pk, job, prior_state, archive, confirmed_at) "
    "SELECT pk, ?, state, ?, ? FROM items WHERE pk = ? AND state != 'deleted'"
)
PAUSED = "deletion paused"  # journal event of an item a run left to be resumed on purpose
MARK = "UPDATE items SET state = 'deleting' WHERE pk = ? AND state != 'deleted'"


@dataclass(frozen=True, slots=True)
class Pending:
    """A confirmed deletion whose outcome was never recorded (a crash or a kill)."""

    item: Tracked
    job: str
    archive: bool
    confirmed_at: float


class Deletions:
    """Records confirmed deletions before their requests and their outcomes after."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def confirm(self, items: Sequence[Tracked], *, archive: bool, source: str) -> str:
        """Record ``items`` as confirmed for deletion (state ``deleting``); the job's name."""
        job = uuid.uuid4().hex[:12]
        now = time.time()
        async with self.registry.writing() as db:
            for item in items:
                cursor = await db.execute(CONFIRM, (job, int(archive), now, item.pk))
                if cursor.rowcount:
                    await db.execute(MARK, (item.pk,))
                    await self.registry.journal_add(db, item.pk, "deleting", source, job)
        return job

    async def finish(self, item: Tracked, *, gone: bool, source: str) -> Tracked:
        """The server deleted it (or had no such item): ``deleted``, archive kept.

        Journaled once: an item the user's own code deleted meanwhile is already settled.
        """
        detail = "already gone on the server (404)" if gone else ""
        deleted = writes.set_state(item.pk, ItemState.DELETED, source=source, detail=detail)
        await self.registry.apply(deleted)
        return await self._get(item)

    async def release(self, item: Tracked, *, reason: str, source: str) -> Tracked:
        """Not deleted (failed or stopped): the item goes back to its state before."""
        async with self.registry.writing() as db:
            await db.execute(
                "UPDATE items SET state = coalesce("
                "(SELECT prior_state FROM deletions WHERE item_pk = ?), ?) "
                "WHERE pk = ? AND state = 'deleting'",
                (item.pk, ItemState.ACTIVE.value, item.pk),
            )
            await db.execute("DELETE FROM deletions WHERE item_pk = ?", (item.pk,))
            await self.registry.journal_add(db, item.pk, "not deleted", source, reason)
        return await self._get(item)

    async def pause(self, item: Tracked, *, reason: str, source: str) -> None:
        """Leave the item confirmed, ``deleting``, for ``delete --resume``.

        The run stopped on purpose (the server asked for a long wait); the journal says why.
        """
        async with self.registry.writing() as db:
            await self.registry.journal_add(db, item.pk, PAUSED, source, reason)

    async def pending(self) -> list[Pending]:
        """Every confirmed deletion still open, oldest confirmation first."""
        found = await self.registry.fetchall(
            f"SELECT deletions.job, deletions.archive, deletions.confirmed_at, "
            f"{rows.ITEM_COLUMNS} FROM deletions "
            "CROSS JOIN items ON items.pk = deletions.item_pk "
            "JOIN connections ON connections.id = items.connection_id "
            "ORDER BY deletions.confirmed_at, items.pk"
        )
        return [Pending(rows.tracked(tuple(r)[3:]), r[0], bool(r[1]), r[2]) for r in found]

    async def _get(self, item: Tracked) -> Tracked:
        fresh = await self.registry.get_pk(item.pk)
        assert fresh is not None
        return fresh
