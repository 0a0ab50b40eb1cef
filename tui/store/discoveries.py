"""Discovery's record: items a server listed, stored a page at a time with where it stopped.

A page's items and the cursor after them are written in one transaction, so a discovery
that is interrupted (Ctrl+C, a lost connection, a killed process) resumes exactly after the
last page it kept: nothing listed twice, nothing skipped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.model import Connection, Kind, RemoteItem
from tui.store import intake, sql, writes

if TYPE_CHECKING:
    from tui.store.registry import Registry

SAVE = """
INSERT INTO discoveries (connection_id, endpoint, cursor, listed, finished_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (connection_id, endpoint) DO UPDATE SET
    cursor = excluded.cursor, listed = excluded.listed,
    finished_at = coalesce(excluded.finished_at, discoveries.finished_at),
    updated_at = excluded.updated_at
"""


CHUNK = 1_000  # rows to an insert statement: within SQLite's 32,766 parameters


@dataclass(frozen=True, slots=True)
class Progress:
    """Where discovery of one list stands: the cursor to resume after, and the count so far."""

    cursor: str | None
    listed: int
    finished_at: float | None


class Discoveries:
    """Every connection's discovery progress, and the items it lists."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def progress(self, connection: Connection, endpoint: str) -> Progress:
        """Where the last discovery of ``endpoint`` stopped (nothing yet: no cursor, 0)."""
        row = await self.registry.fetchone(
            "SELECT cursor, listed, finished_at FROM discoveries JOIN connections "
            "ON connections.id = discoveries.connection_id WHERE connections.base_url = ? "
            "AND connections.organization = ? AND connections.project = ? AND endpoint = ?",
            (*sql.connection_params(connection), endpoint),
        )
        if row is None:
            return Progress(None, 0, None)
        return Progress(row[0], int(row[1]), row[2])

    async def keep(
        self,
        connection: Connection,
        endpoint: str,
        listed: Sequence[RemoteItem],
        progress: Progress,
        *,
        source: str,
    ) -> int:
        """Track a page of listed items and save ``progress``, in one transaction.

        Returns how many items this page added (items already tracked are left as they are).
        """
        return await self.registry.apply(_kept(connection, endpoint, listed, progress, source))


def _kept(
    connection: Connection,
    endpoint: str,
    listed: Sequence[RemoteItem],
    progress: Progress,
    source: str,
) -> writes.Plan[int]:
    """The write of one page: its items, then where the walk stands."""
    if listed and listed[0].kind is Kind.RESPONSE:
        added = yield from _chained(listed, connection, source)
    else:
        added = (yield from _inserted(listed, connection, source)) if listed else 0
    conn_id = yield from writes.connection_id(connection)
    stamp = time.time()
    saved = (conn_id, endpoint, progress.cursor, progress.listed, progress.finished_at, stamp)
    yield writes.Statement(SAVE, saved)
    return added


def _chained(listed: Sequence[RemoteItem], connection: Connection, source: str) -> writes.Plan[int]:
    """Record listed responses one by one: each moves the chain it continues on to it."""
    added = 0
    for item in listed:
        _, new = yield from writes.chained(
            connection,
            item.previous,
            item.id,
            source=source,
            metadata=intake.metadata(item.metadata),
            created_at=intake.seconds(item.created_at.timestamp()),
            event="discovered",
        )
        added += bool(new)
    return added


def _inserted(
    listed: Sequence[RemoteItem], connection: Connection, source: str
) -> writes.Plan[int]:
    """Insert the items not tracked yet, with their metadata and a journal line each."""
    stamp = int(time.time())
    rows: list[object] = []
    for item in {item.id: item for item in listed}.values():
        meta = intake.metadata(item.metadata)
        created = intake.seconds(item.created_at.timestamp())
        rows += sql.item_row(item.id, item.kind, 0, meta, created, source, stamp)
    width = CHUNK * len(sql.ITEM_FIELDS)
    chunks = [rows[start : start + width] for start in range(0, len(rows), width)]
    added = yield from writes.track_many(chunks, connection, source=source, event="discovered")
    return len(added)
