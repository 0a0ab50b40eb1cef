"""Deletion bookkeeping: which confirmed deletions are still open, across crashes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.model import ItemState, ObjectKind, ObjectState, ServerObject, Tracked
from tui.store import receipts, rows, writes

if TYPE_CHECKING:
    from tui.store.registry import Registry

CONFIRM = (
    "INSERT OR IGNORE INTO deletions (item_pk, job, prior_state, archive, confirmed_at) "
    "SELECT pk, ?, state, ?, ? FROM items WHERE pk = ? AND state != 'deleted'"
)
PAUSED = "deletion paused"  # journal event of an item a run left to be resumed on purpose
MARK = "UPDATE items SET state = 'deleting' WHERE pk = ? AND state != 'deleted'"
PLAN_OBJECT = (
    "INSERT OR IGNORE INTO deletion_objects (item_pk, kind, object_id, parent, seq, state, "
    "detail) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
OBJECTS = (
    "SELECT kind, object_id, parent, state, detail, requested_at, verified_at "
    "FROM deletion_objects WHERE item_pk = ? ORDER BY seq"
)
FORGET = "DELETE FROM deletion_objects WHERE item_pk = ?"
MARK_OBJECT = (
    "UPDATE deletion_objects SET state = ?, detail = ?, requested_at = coalesce(?, "
    "requested_at), verified_at = coalesce(?, verified_at) "
    "WHERE item_pk = ? AND kind = ? AND object_id = ?"
)
JOB = "SELECT job FROM deletions WHERE item_pk = ?"


def new_job() -> str:
    """A new name for a deletion run (its receipts are kept under it)."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True, slots=True)
class Planned:
    """One server object of an item's deletion, and where it stands."""

    object: ServerObject
    state: ObjectState
    detail: str = ""
    requested_at: float | None = None
    verified_at: float | None = None

    def line(self) -> receipts.Line:
        """The object's receipt line."""
        return receipts.Line(
            self.object, self.state, self.requested_at, self.verified_at, self.detail
        )


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an item's receipt says: its objects as they ended, and what stays here."""

    lines: tuple[receipts.Line, ...]
    kept_locally: str


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

    async def confirm(
        self, items: Sequence[Tracked], *, archive: bool, source: str, job: str | None = None
    ) -> str:
        """Record ``items`` as confirmed for deletion (state ``deleting``); the job's name.

        ``job`` names the run (its receipts go under it); a new name by default.
        """
        job = job or new_job()
        now = time.time()
        async with self.registry.writing() as db:
            for item in items:
                cursor = await db.execute(CONFIRM, (job, int(archive), now, item.pk))
                if cursor.rowcount:
                    await db.execute(MARK, (item.pk,))
                    await self.registry.journal_add(db, item.pk, "deleting", source, job)
        return job

    async def finish(
        self, item: Tracked, *, gone: bool, source: str, receipt: Receipt | None = None
    ) -> Tracked:
        """The server deleted it (or had no such item): ``deleted``, archive kept.

        Journaled once: an item the user's own code deleted meanwhile is already settled.
        Its objects' record ends with it, and ``receipt`` is kept, in the same transaction.
        """
        detail = "already gone on the server (404)" if gone else ""
        await self.registry.apply(self._finished(item, detail, source, receipt))
        return await self._get(item)

    def _finished(
        self, item: Tracked, detail: str, source: str, receipt: Receipt | None
    ) -> writes.Plan[None]:
        job = (yield writes.Statement(JOB, (item.pk,))).rows
        yield from _receipt(item, job[0][0] if job else "", receipt)
        yield from writes.set_state(item.pk, ItemState.DELETED, source=source, detail=detail)

    async def release(
        self, item: Tracked, *, reason: str, source: str, receipt: Receipt | None = None
    ) -> Tracked:
        """Not deleted (failed, stopped, still on the server): back to its state before.

        Its objects' record ends with it, and ``receipt`` is kept, in the same transaction.
        """
        async with self.registry.writing() as db:
            job = list(await (await db.execute(JOB, (item.pk,))).fetchall())
            await writes.arun(db, _receipt(item, job[0][0] if job else "", receipt))
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

    async def objects(self, item: Tracked) -> list[Planned]:
        """The objects recorded for the item's deletion, in the order they are deleted."""
        found = await self.registry.fetchall(OBJECTS, (item.pk,))
        return [_planned(tuple(row)) for row in found]

    async def plan(self, item: Tracked, planned: Sequence[Planned]) -> list[Planned]:
        """Record the objects of an item's deletion before any of their requests."""
        values = [
            (
                item.pk,
                p.object.kind.value,
                p.object.id,
                p.object.parent,
                seq,
                p.state.value,
                p.detail,
            )
            for seq, p in enumerate(planned)
        ]
        async with self.registry.writing() as db:
            await db.executemany(PLAN_OBJECT, values)
        return await self.objects(item)

    async def mark_many(
        self, item: Tracked, marks: Sequence[tuple[ServerObject, ObjectState, str]]
    ) -> None:
        """Record where objects stand, in one write.

        ``requested`` before their requests; their outcomes, each with its detail, after.
        """
        if not marks:
            return
        now = time.time()
        rows = [
            (
                state.value,
                detail,
                now if state is ObjectState.REQUESTED else None,
                now if state is ObjectState.VERIFIED else None,
                item.pk,
                obj.kind.value,
                obj.id,
            )
            for obj, state, detail in marks
        ]
        async with self.registry.writing() as db:
            await db.executemany(MARK_OBJECT, rows)

    async def response_counts(self, item_pks: Sequence[int]) -> dict[int, tuple[int, int]]:
        """Per item: the responses known to have written into it, and its archived asks."""
        counts: dict[int, tuple[int, int]] = {}
        for start in range(0, len(item_pks), 500):
            chunk = list(item_pks[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            found = await self.registry.fetchall(
                f"SELECT items.pk, (SELECT count(*) FROM item_responses WHERE item_pk = items.pk), "
                "(SELECT count(*) FROM messages WHERE messages.item_pk = items.pk "
                f"AND messages.role = 'user') FROM items WHERE items.pk IN ({marks})",
                chunk,
            )
            counts.update({int(r[0]): (int(r[1]), int(r[2])) for r in found})
        return counts

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


def _planned(row: tuple[object, ...]) -> Planned:
    kind, object_id, parent, state, detail, requested, verified = row
    return Planned(
        ServerObject(ObjectKind(str(kind)), str(object_id), str(parent)),
        ObjectState(str(state)),
        str(detail),
        None if requested is None else float(str(requested)),
        None if verified is None else float(str(verified)),
    )


def _receipt(item: Tracked, job: str, receipt: Receipt | None) -> writes.Plan[None]:
    """Keep an item's receipt lines (if any) and end its objects' record."""
    if receipt is not None and receipt.lines:
        values = receipts.rows(job, item, receipt.lines, receipt.kept_locally)
        yield writes.Statement(receipts.INSERT, values, many=True)
    yield writes.Statement(FORGET, (item.pk,))
