"""The registry's writes of tracked items, each written once and run by either face.

A write is a plan: a generator that yields :class:`Statement` s and is sent back what
each one did (:class:`Done`). The async :class:`~tui.store.registry.Registry` runs a plan
on its aiosqlite connection (:func:`arun`); the synchronous
:class:`~tui.store.recorder.Recorder` of the tracking hook runs the same plan on a plain
sqlite3 connection (:func:`run`). Both run it inside a write transaction they opened, so
a rule of a write (marking an item deleted settles a pending deletion of it) holds
whoever writes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import aiosqlite

from tui.model import Connection, ItemState, Kind
from tui.store import sql

T = TypeVar("T")

EVENTS = {
    ItemState.MISSING: "found missing",
    ItemState.DELETING: "deleting",
    ItemState.DELETED: "deleted",
    ItemState.ACTIVE: "found again",
}
SETTLE = "DELETE FROM deletions WHERE item_pk = ?"
ITEM_PK_ON = (
    "SELECT items.pk FROM items JOIN connections ON connections.id = items.connection_id "
    "WHERE items.id = ? AND connections.base_url = ? AND connections.organization = ? "
    "AND connections.project = ?"
)


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement of a plan; ``many`` runs it once per row of ``params``."""

    sql: str
    params: Any = ()
    many: bool = False


@dataclass(frozen=True, slots=True)
class Done:
    """What a statement did: rows changed, and the rows it returned."""

    rowcount: int
    rows: list[Any]


Plan = Generator[Statement, Done, T]


@dataclass(frozen=True, slots=True)
class Returned(Generic[T]):
    """What a plan returned once its last statement was done."""

    value: T


def advance(plan: Plan[T], done: Done | None) -> Statement | Returned[T]:
    """The plan's next statement (given what the last one did), or what it returned."""
    try:
        return next(plan) if done is None else plan.send(done)
    except StopIteration as stop:
        return Returned(stop.value)


def run(db: sqlite3.Connection, plan: Plan[T]) -> T:
    """Run ``plan`` on a sqlite3 connection, inside the caller's transaction."""
    step = advance(plan, None)
    while not isinstance(step, Returned):
        run_one = db.executemany if step.many else db.execute
        cursor = run_one(step.sql, step.params)
        step = advance(plan, Done(cursor.rowcount, cursor.fetchall()))
    return step.value


async def arun(db: aiosqlite.Connection, plan: Plan[T]) -> T:
    """Run ``plan`` on an aiosqlite connection, inside the caller's transaction."""
    step = advance(plan, None)
    while not isinstance(step, Returned):
        run_one = db.executemany if step.many else db.execute
        async with run_one(step.sql, step.params) as cursor:
            done = Done(cursor.rowcount, list(await cursor.fetchall()))
        step = advance(plan, done)
    return step.value


def journal(item_pk: int | None, event: str, source: str, detail: str = "") -> Plan[None]:
    """Add a journal row, stamped now."""
    yield Statement(sql.JOURNAL_INSERT, (time.time(), item_pk, event, source, detail))


def connection_id(connection: Connection) -> Plan[int]:
    """The row key of ``connection``, recorded first if new."""
    key = sql.connection_params(connection)
    yield Statement(sql.CONNECTION_UPSERT, key)
    found = yield Statement(sql.CONNECTION_ID, key)
    return int(found.rows[0][0])


def track(
    item_id: str,
    kind: Kind,
    connection: Connection,
    *,
    source: str,
    metadata: Mapping[str, str],
    created_at: int | None,
    first_user_text: str | None = None,
    event: str = "tracked",
) -> Plan[tuple[int, bool]]:
    """Record an item (journaled when new); its row key and whether it was new."""
    conn_id = yield from connection_id(connection)
    params = sql.item_params(
        item_id,
        kind,
        conn_id,
        metadata=metadata,
        source=source,
        created_at=created_at,
        first_user_text=first_user_text,
    )
    added = (yield Statement(sql.ITEM_INSERT, params)).rowcount == 1
    pk = int((yield Statement(sql.ITEM_PK, (conn_id, item_id))).rows[0][0])
    if added:
        yield Statement(sql.META_INSERT, sql.meta_rows(pk, metadata), many=True)
        yield from journal(pk, event, source)
    return pk, added


def track_many(
    chunks: Sequence[list[Any]],
    connection: Connection,
    *,
    source: str,
    event: str,
    metadata: Mapping[str, Mapping[str, str]],
) -> Plan[set[str]]:
    """Record many items, a chunk to a statement; the IDs inserted (each journaled).

    Each chunk is the parameters of :func:`sql.items_insert` (see :func:`sql.items_rows`),
    their connection filled in here. An ID already tracked is skipped by the insert's
    conflict clause, keeping what it has.
    """
    conn_id = yield from connection_id(connection)
    stamp = time.time()
    added: set[str] = set()
    width = len(sql.ITEM_FIELDS)
    at = sql.ITEM_FIELDS.index("connection_id")
    for values in chunks:
        count = len(values) // width
        values[at::width] = [conn_id] * count
        made = (yield Statement(sql.items_insert(count), values)).rows
        journaled = [(stamp, pk, event, source, "") for pk, _ in made]
        yield Statement(sql.JOURNAL_INSERT, journaled, many=True)
        meta = [row for pk, i in made for row in sql.meta_rows(pk, metadata.get(i, {}))]
        if meta:
            yield Statement(sql.META_INSERT, meta, many=True)
        added.update(str(item_id) for _, item_id in made)
    return added


def set_state(item_pk: int, state: ItemState, *, source: str, detail: str = "") -> Plan[bool]:
    """Move an item to ``state``, journaled once; whether it changed.

    ``deleted`` also settles a pending deletion of the item: whoever saw it deleted (a
    bulk run, the user's own code through the tracking hook), no run is left to resume.
    """
    if state is ItemState.DELETED:
        yield Statement(SETTLE, (item_pk,))
    changed = (yield Statement(sql.SET_STATE, (state.value, item_pk, state.value))).rowcount
    if changed:
        yield from journal(item_pk, EVENTS[state], source, detail)
    return bool(changed)


def mark_deleted(connection: Connection, item_id: str, *, source: str) -> Plan[bool]:
    """:func:`set_state` ``deleted`` by ID; ``False`` when not tracked or already deleted."""
    key = sql.connection_params(connection)
    found = (yield Statement(ITEM_PK_ON, (item_id, *key))).rows
    if not found:
        return False
    return (yield from set_state(int(found[0][0]), ItemState.DELETED, source=source))


def touch(connection: Connection, item_id: str, at: int) -> Plan[None]:
    """Move an item's ``last_activity`` forward to ``at`` (never back)."""
    conn_id = yield from connection_id(connection)
    yield Statement(sql.TOUCH, (at, conn_id, item_id))
