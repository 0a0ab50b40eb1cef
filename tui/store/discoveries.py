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
    ) -> set[str]:
        """Track a page of listed items and save ``progress``, in one transaction.

        Returns the IDs this page added (items already tracked are left as they are).
        """
        return await self.registry.apply(_kept(connection, endpoint, listed, progress, source))


def _kept(
    connection: Connection,
    endpoint: str,
    listed: Sequence[RemoteItem],
    progress: Progress,
    source: str,
) -> writes.Plan[set[str]]:
    """The write of one page: its items, then where the walk stands."""
    conn_id = yield from writes.connection_id(connection)
    if listed and listed[0].kind is Kind.RESPONSE:
        added = yield from _chained(listed, connection, source)
    else:
        added = (yield from _inserted(listed, conn_id, source)) if listed else set()
    stamp = time.time()
    saved = (conn_id, endpoint, progress.cursor, progress.listed, progress.finished_at, stamp)
    yield writes.Statement(SAVE, saved)
    return added


def _chained(
    listed: Sequence[RemoteItem], connection: Connection, source: str
) -> writes.Plan[set[str]]:
    """Record listed responses one by one: each moves the chain it continues on to it."""
    added: set[str] = set()
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
        if new:
            added.add(item.id)
    return added


def _inserted(listed: Sequence[RemoteItem], conn_id: int, source: str) -> writes.Plan[set[str]]:
    """Insert the items not tracked yet, with their metadata and a journal line each."""
    cleaned = {item.id: (item, intake.metadata(item.metadata)) for item in listed}
    params = [
        sql.item_params(
            item.id,
            item.kind,
            conn_id,
            metadata=meta,
            created_at=intake.seconds(item.created_at.timestamp()),
            source=source,
        )
        for item, meta in cleaned.values()
    ]
    done = yield writes.Statement(sql.items_insert(len(params)), sql.items_values(params))
    made = [(int(pk), str(item_id)) for pk, item_id in done.rows]
    meta = [row for pk, item_id in made for row in sql.meta_rows(pk, cleaned[item_id][1])]
    yield writes.Statement(sql.META_INSERT, meta, many=True)
    stamp = time.time()
    journal = [(stamp, pk, "discovered", source, "") for pk, _ in made]
    yield writes.Statement(sql.JOURNAL_INSERT, journal, many=True)
    return {item_id for _, item_id in made}
