"""The registry: every thread and conversation the user has, and what happened to them."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import aiosqlite

from tui.model import Connection, ItemState, JournalEntry, Kind, RemoteItem, TitleSource, Tracked
from tui.store import files, rows, sql, writes
from tui.store.errors import RegistryCorrupt, translated
from tui.store.titles import derive, first_line

if TYPE_CHECKING:
    from tui.store.pager import Pager

CHUNK = 500
# The page cache of a connection that writes many items at once (SQLite's default is 2 MiB):
# a registry of a million items writes its indexes twice as fast with it.
BULK_CACHE_KIB = 64 * 1024
# ...and checkpoints less often (SQLite's default is every 1,000 pages of the WAL file): a
# page written again by the next batches (an index's) is copied into the file once.
BULK_CHECKPOINT_PAGES = 10_000
T = TypeVar("T")

log = logging.getLogger(__name__)


class Registry:
    """Async access to the registry file; the only writer of local state.

    Open with ``await Registry.open(path)`` (or ``async with``); ``archive`` and
    ``search`` hold the message archive and the search index, ``responses`` the responses
    known to have written into each conversation.
    """

    def __init__(self, db: aiosqlite.Connection, target: files.Target) -> None:
        from tui.store.archive import Archive
        from tui.store.capabilities import Capabilities
        from tui.store.chains import Chains
        from tui.store.deletions import Deletions
        from tui.store.discoveries import Discoveries
        from tui.store.erasure import Erasure
        from tui.store.migrations import Migrations
        from tui.store.receipts import Receipts
        from tui.store.responses import Responses
        from tui.store.search import Search

        self.db = db
        self.path = target.path
        self.target = target
        self.damaged = ""
        self._reader: aiosqlite.Connection | None = None
        self._pager: Pager | None = None
        self._write_lock = asyncio.Lock()
        self._bulk_cache = False
        self.archive = Archive(self)
        self.capabilities = Capabilities(self)
        self.chains = Chains(self)
        self.deletions = Deletions(self)
        self.discoveries = Discoveries(self)
        self.erasure = Erasure(self)
        self.migrations = Migrations(self)
        self.receipts = Receipts(self)
        self.responses = Responses(self)
        self.search = Search(self)

    @classmethod
    async def open(
        cls,
        path: str | Path | None = None,
        *,
        target: files.Target | None = None,
        upgrade: bool = True,
    ) -> Registry:
        """Open (creating and migrating as needed) the registry at ``path``.

        ``target`` is a registry :func:`files.prepare` checked already (then ``path`` is
        not used). ``upgrade=False`` (a command that only reads) refuses an older schema
        instead of migrating it. A registry the user cannot write opens read-only: reads
        work, and every write raises :class:`RegistryReadOnly` saying why (see
        :attr:`read_only`).
        """
        target = target or files.prepare(files.resolve_path(path), upgrade=upgrade)
        with translated(target.path):
            db = await files.aconnect(target)
        return cls(db, target)

    @property
    def read_only(self) -> str:
        """Why changes cannot be saved, or ``""`` when they can."""
        return self.target.read_only

    async def close(self) -> None:
        """Close the file."""
        if self._pager is not None:
            self._pager.close()
            self._pager = None
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        await self.db.close()

    async def __aenter__(self) -> Registry:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # plumbing

    @contextmanager
    def translated(self) -> Iterator[None]:
        """Translate SQLite errors; remember damage, so nothing is written after it."""
        try:
            with translated(self.path):
                yield
        except RegistryCorrupt as exc:
            self.damaged = self.damaged or str(exc)
            raise

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction that takes the lock up front (no upgrade deadlocks).

        Tasks of this process take turns; other processes are waited for (the busy
        timeout, then retries up to ``files.BEGIN_PATIENCE_S``). A read-only registry, or
        one found damaged, refuses before anything is sent to SQLite. When the write fails
        (a full disk, damage) the transaction is rolled back whole.
        """
        async with self._write_lock:
            self.target.refuse_writes()
            if self.damaged:
                raise RegistryCorrupt(self.damaged)
            with self.translated():
                await files.abegin_immediate(self.db, self.path)
                try:
                    yield self.db
                    await self.db.execute("COMMIT")
                except BaseException:
                    await files.arollback(self.db)
                    raise

    async def fetchall(self, query: str, params: Any = ()) -> list[sqlite3.Row]:
        """Rows of a read query, with SQLite errors translated.

        A read is patient as a write is: WAL readers rarely wait, but a registry another
        program is recovering or checkpointing answers "busy" after the busy timeout; the
        read is then tried again, up to ``files.BEGIN_PATIENCE_S`` in all (and logged).
        """

        def said_busy() -> None:
            log.warning("registry busy reading %r; trying again", " ".join(query.split())[:80])

        with self.translated():
            rows = await files.patiently(
                lambda: self.db.execute_fetchall(query, params), on_busy=said_busy
            )
        return list(rows)

    async def fetchone(self, query: str, params: Any = ()) -> Any:
        """The first row of a read query, or ``None``."""
        found = await self.fetchall(query, params)
        return found[0] if found else None

    async def read_one(self, query: str, params: Any = ()) -> Any:
        """One row of a long read on a second connection, so it never holds up the first.

        Cancelling the caller interrupts the query in SQLite (a count over a million
        rows stops at once when the filter text changes again).
        """
        with self.translated():
            if self._reader is None:
                self._reader = await files.aconnect(self.target, writer=False)
            reader = self._reader
            try:
                async with reader.execute(query, params) as cursor:
                    return await cursor.fetchone()
            except asyncio.CancelledError:
                await reader.interrupt()
                raise

    @property
    def pager(self) -> Pager:
        """Reads list pages on a thread of their own (see :class:`Pager`)."""
        if self._pager is None:
            from tui.store.pager import Pager

            self._pager = Pager(self.target)
        return self._pager

    async def apply(self, plan: writes.Plan[T]) -> T:
        """Run one write of :mod:`tui.store.writes` in a write transaction of its own.

        The whole transaction runs on the database's thread in one hop (see
        :func:`writes.in_one_hop`), with the same checks and translation as :meth:`writing`.
        """
        async with self._write_lock:
            self.target.refuse_writes()
            if self.damaged:
                raise RegistryCorrupt(self.damaged)
            with self.translated():
                return await writes.in_one_hop(self.db, str(self.path), plan)

    @staticmethod
    async def connection_id(db: aiosqlite.Connection, connection: Connection) -> int:
        """The row key of ``connection`` (recorded if new), inside the caller's write."""
        return await writes.arun(db, writes.connection_id(connection))

    async def journal_add(
        self,
        db: aiosqlite.Connection,
        item_pk: int | None,
        event: str,
        source: str,
        detail: str = "",
    ) -> None:
        """Append a journal row inside the caller's transaction."""
        await writes.arun(db, writes.journal(item_pk, event, source, detail))

    # reading

    async def get(self, connection: Connection, item_id: str) -> Tracked | None:
        """The item with this ID on this connection."""
        row = await self.fetchone(
            f"SELECT {rows.ITEM_COLUMNS} FROM {rows.ITEM_FROM} WHERE items.id = ? "
            "AND connections.base_url = ? AND connections.organization = ? "
            "AND connections.project = ?",
            (item_id, *sql.connection_params(connection)),
        )
        return rows.tracked(row) if row else None

    async def get_pk(self, pk: int) -> Tracked | None:
        """The item with this row key."""
        row = await self.fetchone(
            f"SELECT {rows.ITEM_COLUMNS} FROM {rows.ITEM_FROM} WHERE items.pk = ?", (pk,)
        )
        return rows.tracked(row) if row else None

    async def get_many(self, pks: Sequence[int]) -> list[Tracked]:
        """The items with these row keys (missing ones left out), most recent first."""
        found: list[Tracked] = []
        for start in range(0, len(pks), CHUNK):
            chunk = list(pks[start : start + CHUNK])
            marks = ",".join("?" * len(chunk))
            rows_ = await self.fetchall(
                f"SELECT {rows.ITEM_COLUMNS} FROM {rows.ITEM_FROM} WHERE items.pk IN ({marks})",
                chunk,
            )
            found += [rows.tracked(r) for r in rows_]
        found.sort(key=lambda i: (i.last_activity, i.pk), reverse=True)
        return found

    async def find(self, item_id: str) -> list[Tracked]:
        """Every tracked item with this ID, on any connection."""
        found = await self.fetchall(
            f"SELECT {rows.ITEM_COLUMNS} FROM {rows.ITEM_FROM} WHERE items.id = ?", (item_id,)
        )
        return [rows.tracked(r) for r in found]

    async def journal(self, item: Tracked | None = None, limit: int = 100) -> list[JournalEntry]:
        """The newest journal rows, of one item or of all."""
        where, params = ("WHERE journal.item_pk = ?", (item.pk, limit)) if item else ("", (limit,))
        found = await self.fetchall(
            "SELECT journal.at, items.id, journal.event, journal.source, journal.detail "
            f"FROM journal LEFT JOIN items ON items.pk = journal.item_pk {where} "
            "ORDER BY journal.pk DESC LIMIT ?",
            params,
        )
        return [rows.journal(r) for r in found]

    # writing

    async def track(
        self,
        item_id: str,
        kind: Kind,
        connection: Connection,
        *,
        source: str,
        metadata: Mapping[str, str] | None = None,
        created_at: datetime | None = None,
        first_user_text: str | None = None,
        event: str = "tracked",
    ) -> tuple[Tracked, bool]:
        """Record an item; returns it and whether it was new (else already tracked)."""
        pk, added = await self.apply(
            writes.track(
                item_id,
                kind,
                connection,
                source=source,
                metadata=dict(metadata or {}),
                created_at=int(created_at.timestamp()) if created_at else None,
                first_user_text=first_user_text,
                event=event,
            )
        )
        item = await self.get_pk(pk)
        assert item is not None
        return item, added

    async def known_ids(self, connection: Connection, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are already tracked on this connection."""
        found: set[str] = set()
        key = sql.connection_params(connection)
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            rows_ = await self.fetchall(
                "SELECT items.id FROM items JOIN connections ON connections.id = "
                "items.connection_id WHERE connections.base_url = ? AND "
                "connections.organization = ? AND connections.project = ? AND items.id IN "
                f"({','.join('?' * len(chunk))})",
                (*key, *chunk),
            )
            found.update(r[0] for r in rows_)
        return found

    async def bulk(self) -> None:
        """Ready this connection to write many items: a larger page cache, fewer checkpoints.

        For the rest of the connection's life (a bulk import, a discovery): a few megabytes
        more memory, and the file's WAL grows larger between checkpoints.
        """
        if self._bulk_cache:
            return
        with self.translated():
            await self.db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            await self.db.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
        self._bulk_cache = True

    async def track_many(
        self,
        entries: Sequence[tuple[str, Kind]],
        connection: Connection,
        *,
        source: str,
        event: str = "tracked",
        metadata: Mapping[str, Mapping[str, str]] | None = None,
    ) -> set[str]:
        """Record many IDs in one transaction; returns the IDs this call inserted.

        ``metadata`` gives an ID's metadata (already within the API's limits: see
        ``store.intake``); an ID it does not name is recorded bare. Only the rows the
        insert itself made are returned and journaled: an ID already tracked (by another
        process too) is neither, and keeps the metadata it has.
        """
        fresh = list({i: (i, k) for i, k in entries}.values())
        if not fresh:
            return set()
        if len(fresh) > CHUNK:
            await self.bulk()
        meta = metadata or {}
        # The rows are made here, so that the writing thread only writes.
        chunks = sql.items_rows(fresh, metadata=meta, source=source, chunk=CHUNK)
        plan = writes.track_many(chunks, connection, source=source, event=event)
        return await self.apply(plan)

    async def track_remote(
        self,
        remote: RemoteItem,
        connection: Connection,
        *,
        source: str,
        first_user_text: str | None = None,
        event: str = "tracked",
    ) -> tuple[Tracked, bool]:
        """Record an item the server described; refresh its metadata if already tracked."""
        item, added = await self.track(
            remote.id,
            remote.kind,
            connection,
            source=source,
            metadata=remote.metadata,
            created_at=remote.created_at,
            first_user_text=first_user_text,
            event=event,
        )
        if not added:
            item = await self.set_metadata(item, remote.metadata, source=source)
        if remote.previous:
            await self.chains.stands_on(item, remote.previous)
        return item, added

    async def set_metadata(
        self, item: Tracked, metadata: Mapping[str, str], *, source: str
    ) -> Tracked:
        """Store the item's metadata (and its title, unless the user named it)."""
        meta = dict(metadata)
        if meta == item.metadata:
            return item
        title, title_source = item.title, item.title_source
        if title_source is not TitleSource.USER:
            title, title_source = self._retitle(item, meta)
        async with self.writing() as db:
            await db.execute(
                "UPDATE items SET metadata = ?, title = ?, title_source = ? WHERE pk = ?",
                (
                    json.dumps(meta, ensure_ascii=False, sort_keys=True),
                    title,
                    title_source.value,
                    item.pk,
                ),
            )
            await db.execute(sql.META_DELETE, (item.pk,))
            await db.executemany(sql.META_INSERT, sql.meta_rows(item.pk, meta))
            await self.journal_add(
                db,
                item.pk,
                "metadata changed",
                source,
                json.dumps(meta, ensure_ascii=False, sort_keys=True),
            )
        return await self._reload(item)

    def _retitle(self, item: Tracked, meta: Mapping[str, str]) -> tuple[str, TitleSource]:
        if item.title_source is TitleSource.MESSAGE:
            title, title_source = derive(item.id, meta, item.title)
        else:
            title, title_source = derive(item.id, meta)
        return title, title_source

    async def rename(self, item: Tracked, title: str, *, source: str) -> Tracked:
        """Give the item a local title of the user's own (an empty one restores the automatic)."""
        clean = first_line(title)
        if clean:
            new_title, new_source = clean, TitleSource.USER
        else:
            new_title, new_source = derive(item.id, item.metadata)
        async with self.writing() as db:
            await db.execute(
                "UPDATE items SET title = ?, title_source = ? WHERE pk = ?",
                (new_title, new_source.value, item.pk),
            )
            await self.journal_add(db, item.pk, "renamed", source, new_title)
        return await self._reload(item)

    async def set_state(
        self, item: Tracked, state: ItemState, *, source: str, detail: str = ""
    ) -> Tracked:
        """Move the item to ``state`` and journal it (no row when nothing changes).

        ``deleted`` also settles a pending deletion of it (see :func:`writes.set_state`).
        """
        await self.apply(writes.set_state(item.pk, state, source=source, detail=detail))
        return await self._reload(item)

    async def set_choice(self, item: Tracked, choice: str, *, source: str) -> Tracked:
        """Remember the assistant or model replies on this item come from."""
        async with self.writing() as db:
            await db.execute("UPDATE items SET choice = ? WHERE pk = ?", (choice, item.pk))
            await self.journal_add(db, item.pk, "reply choice", source, choice)
        return await self._reload(item)

    async def set_tools(
        self, item: Tracked, tools: Sequence[Mapping[str, Any]], *, source: str
    ) -> Tracked:
        """Remember the function tools offered with this conversation's messages."""
        text = json.dumps(list(tools), ensure_ascii=False, sort_keys=True)
        async with self.writing() as db:
            await db.execute("UPDATE items SET tools = ? WHERE pk = ?", (text, item.pk))
            names = ", ".join(str(t.get("name", "?")) for t in tools) or "none"
            await self.journal_add(db, item.pk, "tools", source, names)
        return await self._reload(item)

    async def touch(self, connection: Connection, item_id: str, at: datetime) -> None:
        """Move ``last_activity`` forward (never back)."""
        await self.apply(writes.touch(connection, item_id, int(at.timestamp())))

    async def _reload(self, item: Tracked) -> Tracked:
        fresh = await self.get_pk(item.pk)
        assert fresh is not None
        return fresh
