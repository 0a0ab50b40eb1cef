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

import json
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


def transaction(db: sqlite3.Connection, path: str, plan: Plan[T]) -> T:
    """Run ``plan`` in a write transaction of its own on a sqlite3 connection.

    The transaction starts as :func:`files.begin_immediate` starts one (waiting for other
    writers, refusing a newer schema) and is rolled back whole when anything fails.
    """
    from tui.store import files

    files.begin_immediate(db, path)
    try:
        result = run(db, plan)
        db.execute("COMMIT")
    except BaseException:
        files.rollback(db)
        raise
    return result


async def in_one_hop(db: aiosqlite.Connection, path: str, plan: Plan[T]) -> T:
    """:func:`transaction` on an aiosqlite connection's own thread, in one hop.

    Each statement sent through aiosqlite waits for its thread and then for the event
    loop; a write of a page of a hundred items took a dozen such round trips. The whole
    transaction runs on that thread instead (aiosqlite's queue of calls, the one road to
    its thread and its connection), and only its result comes back.
    """
    return await db._execute(lambda: transaction(db._conn, path, plan))


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
    chunks: Sequence[list[Any]], connection: Connection, *, source: str, event: str
) -> Plan[set[str]]:
    """Record many items, a chunk to a statement; the IDs inserted (each journaled).

    Each chunk is :func:`sql.item_row` values, one row after another (see
    :func:`sql.items_rows`), their connection filled in here. An ID already tracked is
    skipped by the insert's conflict clause, keeping what it has.

    The rows inserted are those above the largest row key before (SQLite gives a new row
    the largest key plus one, and no other writer runs inside the transaction): their IDs,
    journal lines and metadata rows are read and made by SQL, one statement each. (Each
    row a statement returns, or each run of one, is a step that gives back and takes
    Python's lock again, which a busy event loop beside it holds for milliseconds.)
    """
    conn_id = yield from connection_id(connection)
    before = (yield Statement(sql.NEWEST_PK)).rows[0][0]
    width = len(sql.ITEM_FIELDS)
    at = sql.ITEM_FIELDS.index("connection_id")
    for values in chunks:
        count = len(values) // width
        values[at::width] = [conn_id] * count
        yield Statement(sql.items_insert(count, returning=False), values)
    found = (yield Statement(sql.IDS_NEW, (before,))).rows[0][0]
    added = {str(item_id) for item_id in json.loads(found)}
    if added:
        yield Statement(sql.JOURNAL_NEW, (time.time(), event, source, before))
        yield Statement(sql.META_NEW, (before,))
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


def retitle_placeholder(
    connection: Connection, item_id: str, placeholder: str, title: str
) -> Plan[None]:
    """Replace an automatic title that is still ``placeholder`` (never a user's or metadata's)."""
    conn_id = yield from connection_id(connection)
    yield Statement(
        "UPDATE items SET title = ? WHERE connection_id = ? AND id = ? AND title = ? "
        "AND title_source = 'message'",
        (title, conn_id, item_id, placeholder),
    )


def touch(connection: Connection, item_id: str, at: int) -> Plan[None]:
    """Move an item's ``last_activity`` forward to ``at`` (never back)."""
    conn_id = yield from connection_id(connection)
    yield Statement(sql.TOUCH, (at, conn_id, item_id))


CHAIN_LINK = "INSERT OR IGNORE INTO chain_links (response_id, item_pk, at) VALUES (?, ?, ?)"
CHAIN_ITEM = "SELECT pk FROM items WHERE connection_id = ? AND id = ? AND kind = 'response'"
CHAIN_HOLDER = (  # the chain a response is an older part of
    "SELECT chain_links.item_pk FROM chain_links JOIN items ON items.pk = chain_links.item_pk "
    "WHERE items.connection_id = ? AND chain_links.response_id = ? "
    "ORDER BY chain_links.at DESC LIMIT 1"
)
CHAIN_REKEY = (
    "UPDATE items SET id = ?, title = CASE WHEN title_source = 'id' THEN ? ELSE title END, "
    "last_activity = max(last_activity, ?) WHERE pk = ?"
)


def chained(
    connection: Connection,
    previous_id: str | None,
    response_id: str,
    *,
    source: str,
    metadata: Mapping[str, str] | None = None,
    created_at: int | None = None,
    first_user_text: str | None = None,
    event: str = "tracked",
) -> Plan[tuple[int, bool]]:
    """Record a stored response: the chain it continues now ends at it, or a new chain.

    A response that continues a tracked chain's newest response gives that item its ID
    (the old one kept as a link); one that continues an older response, or one not
    tracked, starts a chain of its own, linked to the response it stands on. A response
    that is already part of a tracked chain (its ID now, or an older one) stays in it.
    Returns the chain's row key and whether it is a new item.
    """
    conn_id = yield from connection_id(connection)
    now = time.time()
    found = (yield Statement(CHAIN_ITEM, (conn_id, response_id))).rows
    found = found or (yield Statement(CHAIN_HOLDER, (conn_id, response_id))).rows
    if found:
        pk = int(found[0][0])
        if previous_id:
            yield Statement(CHAIN_LINK, (previous_id, pk, now))
        return pk, False
    if previous_id:
        head = (yield Statement(CHAIN_ITEM, (conn_id, previous_id))).rows
        if head:
            pk = int(head[0][0])
            yield Statement(CHAIN_REKEY, (response_id, response_id, int(now), pk))
            yield Statement(CHAIN_LINK, (previous_id, pk, now))
            yield from journal(pk, "continued", source, f"{previous_id} -> {response_id}")
            return pk, False
    pk, added = yield from track(
        response_id,
        Kind.RESPONSE,
        connection,
        source=source,
        metadata=metadata or {},
        created_at=created_at,
        first_user_text=first_user_text,
        event=event,
    )
    if previous_id:
        yield Statement(CHAIN_LINK, (previous_id, pk, now))
    return pk, added


WROTE_INTO = "INSERT OR IGNORE INTO item_responses (item_pk, response_id, at) VALUES (?, ?, ?)"
CONVERSATION_PK_ON = ITEM_PK_ON + " AND items.kind = 'conversation'"
RESPONSE_WRITTEN = "response written"


def wrote_into(
    connection: Connection, conversation_id: str, response_id: str, *, source: str
) -> Plan[bool]:
    """Note that the response ``response_id`` wrote into a conversation; whether it is new.

    Deleting a conversation leaves the stored responses that wrote into it readable, so a
    deletion of it needs their IDs. The link is kept (and journaled, once) when the
    conversation is tracked on ``connection``; an untracked one stays untracked, as every
    other use of a conversation leaves it (only what creates one tracks it).
    """
    key = sql.connection_params(connection)
    found = (yield Statement(CONVERSATION_PK_ON, (conversation_id, *key))).rows
    if not found:
        return False
    pk = int(found[0][0])
    added = (yield Statement(WROTE_INTO, (pk, response_id, time.time()))).rowcount == 1
    if added:
        yield from journal(pk, RESPONSE_WRITTEN, source, response_id)
    return added
