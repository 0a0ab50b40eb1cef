"""SQL statements of tracked items, shared by the registry's writes and its readers."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from tui.model import Connection, Kind
from tui.store.titles import derive

CONNECTION_UPSERT = (
    "INSERT INTO connections (base_url, organization, project) VALUES (?, ?, ?) "
    "ON CONFLICT (base_url, organization, project) DO NOTHING"
)
CONNECTION_ID = "SELECT id FROM connections WHERE base_url = ? AND organization = ? AND project = ?"
ITEM_INSERT = """
INSERT INTO items (id, kind, connection_id, title, title_source, created_at, last_activity,
                   metadata, source, tracked_at)
VALUES (:id, :kind, :connection_id, :title, :title_source, :created_at, :last_activity,
        :metadata, :source, :tracked_at)
ON CONFLICT (connection_id, id) DO NOTHING
"""
ITEM_FIELDS = (
    "id",
    "kind",
    "connection_id",
    "title",
    "title_source",
    "created_at",
    "last_activity",
    "metadata",
    "source",
    "tracked_at",
)
ITEM_PK = "SELECT pk FROM items WHERE connection_id = ? AND id = ?"
META_DELETE = "DELETE FROM item_meta WHERE item_pk = ?"
META_INSERT = "INSERT OR IGNORE INTO item_meta (item_pk, key, value) VALUES (?, ?, ?)"
JOURNAL_INSERT = "INSERT INTO journal (at, item_pk, event, source, detail) VALUES (?, ?, ?, ?, ?)"
TOUCH = "UPDATE items SET last_activity = max(last_activity, ?) WHERE connection_id = ? AND id = ?"
SET_STATE = "UPDATE items SET state = ? WHERE pk = ? AND state != ?"


def connection_params(connection: Connection) -> tuple[str, str, str]:
    """The key columns of a connection."""
    return connection.base_url, connection.organization or "", connection.project or ""


def item_params(
    item_id: str,
    kind: Kind,
    connection_id: int,
    *,
    metadata: Mapping[str, str],
    created_at: int | None,
    source: str,
    first_user_text: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Named parameters of :data:`ITEM_INSERT`."""
    stamp = int(now if now is not None else time.time())
    title, title_source = derive(item_id, metadata, first_user_text)
    return {
        "id": item_id,
        "kind": kind.value,
        "connection_id": connection_id,
        "title": title,
        "title_source": title_source.value,
        "created_at": created_at,
        "last_activity": created_at if created_at is not None else stamp,
        "metadata": json.dumps(dict(metadata), ensure_ascii=False, sort_keys=True),
        "source": source,
        "tracked_at": stamp,
    }


def meta_rows(item_pk: int, metadata: Mapping[str, str]) -> list[tuple[int, str, str]]:
    """Rows of :data:`META_INSERT` for an item's metadata."""
    return [(item_pk, str(k), str(v)) for k, v in metadata.items()]


def items_insert(count: int) -> str:
    """:data:`ITEM_INSERT` of ``count`` rows in one statement, returning ``pk, id``.

    Only the rows this statement inserted come back: an ID already tracked (by another
    process too) is skipped by the conflict clause and returns nothing. Its parameters are
    :func:`items_values`.
    """
    row = "(" + ", ".join("?" * len(ITEM_FIELDS)) + ")"
    return (
        f"INSERT INTO items ({', '.join(ITEM_FIELDS)}) VALUES {', '.join([row] * count)} "
        "ON CONFLICT (connection_id, id) DO NOTHING RETURNING pk, id"
    )


def items_values(params: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The positional parameters of :func:`items_insert` for :func:`item_params` rows."""
    return [row[field] for row in params for field in ITEM_FIELDS]


def items_rows(
    entries: Sequence[tuple[str, Kind]],
    *,
    metadata: Mapping[str, Mapping[str, str]],
    source: str,
    chunk: int,
    now: float | None = None,
) -> list[list[Any]]:
    """Parameters of :func:`items_insert` for bare items, ``chunk`` rows to a list.

    The values :func:`item_params` gives, in :data:`ITEM_FIELDS` order, made without a
    dict per row (a bulk import makes a million). Their ``connection_id`` is left 0 for
    the write to fill in (it looks it up in its own transaction), so the rows can be made
    before, away from the writing thread.
    """
    stamp = int(time.time() if now is None else now)
    chunks: list[list[Any]] = []
    for start in range(0, len(entries), chunk):
        values: list[Any] = []
        for item_id, kind in entries[start : start + chunk]:
            meta = metadata.get(item_id) or {}
            title, title_source = derive(item_id, meta)
            text = json.dumps(dict(meta), ensure_ascii=False, sort_keys=True) if meta else "{}"
            values += (item_id, kind.value, 0, title, title_source.value, None, stamp, text)
            values += (source, stamp)
        chunks.append(values)
    return chunks
