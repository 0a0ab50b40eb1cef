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
# The rows one transaction inserted are those above the largest row key it began with.
NEWEST_PK = "SELECT coalesce(max(pk), 0) FROM items"
IDS_NEW = "SELECT json_group_array(id) FROM items WHERE pk > ?"
JOURNAL_NEW = (
    "INSERT INTO journal (at, item_pk, event, source, detail) "
    "SELECT ?, pk, ?, ?, '' FROM items WHERE pk > ?"
)
META_NEW = (
    "INSERT OR IGNORE INTO item_meta (item_pk, key, value) "
    "SELECT items.pk, meta.key, meta.value FROM items, json_each(items.metadata) AS meta "
    "WHERE items.pk > ?"
)
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
    row = item_row(item_id, kind, connection_id, metadata, created_at, source, stamp)
    if first_user_text is not None:
        title, title_source = derive(item_id, metadata, first_user_text)
        row = (*row[:3], title, title_source.value, *row[5:])
    return dict(zip(ITEM_FIELDS, row, strict=True))


def item_row(
    item_id: str,
    kind: Kind,
    connection_id: int,
    metadata: Mapping[str, str],
    created_at: int | None,
    source: str,
    stamp: int,
) -> tuple[Any, ...]:
    """An item's values in :data:`ITEM_FIELDS` order, tracked at ``stamp``.

    Made without a dict: a bulk write makes a hundred thousand.
    """
    title, title_source = derive(item_id, metadata)
    text = json.dumps(dict(metadata), ensure_ascii=False, sort_keys=True) if metadata else "{}"
    activity = created_at if created_at is not None else stamp
    return (
        item_id,
        kind.value,
        connection_id,
        title,
        title_source.value,
        created_at,
        activity,
        text,
        source,
        stamp,
    )


def meta_rows(item_pk: int, metadata: Mapping[str, str]) -> list[tuple[int, str, str]]:
    """Rows of :data:`META_INSERT` for an item's metadata."""
    return [(item_pk, str(k), str(v)) for k, v in metadata.items()]


def items_insert(count: int, *, returning: bool = True) -> str:
    """:data:`ITEM_INSERT` of ``count`` rows in one statement, returning ``pk, id``.

    Only the rows this statement inserted come back: an ID already tracked (by another
    process too) is skipped by the conflict clause and returns nothing. Its parameters are
    :func:`item_row` values, one row after another. Without ``returning``, nothing comes
    back (each row returned is a step of its own).
    """
    row = "(" + ", ".join("?" * len(ITEM_FIELDS)) + ")"
    tail = " RETURNING pk, id" if returning else ""
    return (
        f"INSERT INTO items ({', '.join(ITEM_FIELDS)}) VALUES {', '.join([row] * count)} "
        f"ON CONFLICT (connection_id, id) DO NOTHING{tail}"
    )


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
            values += item_row(item_id, kind, 0, meta, None, source, stamp)
        chunks.append(values)
    return chunks
