"""Rows to dataclasses."""

from __future__ import annotations

import functools
import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from tui.model import Connection, ItemState, JournalEntry, Kind, TitleSource, Tracked

ITEM_COLUMNS = (
    "items.pk, items.id, items.kind, items.title, items.title_source, items.created_at, "
    "items.last_activity, items.metadata, items.message_count, items.history_complete, "
    "items.state, items.tags, items.notes, items.source, items.choice, items.tools, "
    "items.history_doubt, "
    "connections.base_url, connections.organization, connections.project, "
    "(SELECT linked.id FROM migrations JOIN items AS linked "
    "ON linked.pk = migrations.conversation_pk "
    "WHERE migrations.thread_pk = items.pk AND migrations.complete) AS migrated_to"
)
ITEM_FROM = "items JOIN connections ON connections.id = items.connection_id"

# A server's time is trusted as an age only between these bounds: before 2023-01-01 no
# item of these APIs existed (a 0 or a small number is a placeholder, not a date), and a
# time more than a day ahead of this machine's clock has not happened yet.
PLAUSIBLE_FROM = 1_672_531_200  # 2023-01-01 00:00 UTC
CLOCK_SLACK = 86_400  # seconds a server's clock may run ahead of ours


def plausible(seconds: float, now: float) -> bool:
    """Whether a server's Unix time can stand for when something happened."""
    return PLAUSIBLE_FROM <= seconds <= now + CLOCK_SLACK


def activity_sql(now: float) -> tuple[str, list[object]]:
    """The SQL of an item's age reference, and its parameters.

    ``last_activity`` when :func:`plausible`, else ``tracked_at`` (when this registry first
    saw the item, by its own clock).
    """
    return (
        "(CASE WHEN items.last_activity BETWEEN ? AND ? THEN items.last_activity "
        "ELSE items.tracked_at END)",
        [PLAUSIBLE_FROM, int(now) + CLOCK_SLACK],
    )


def when(value: float | None) -> datetime | None:
    """A stored Unix time as an aware datetime."""
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


@functools.lru_cache(maxsize=256)
def connection(base_url: str, org: str | None, project: str | None) -> Connection:
    """The connection of a row (one immutable object per connection, made once)."""
    return Connection(base_url, org or None, project or None)


def tracked(row: sqlite3.Row | tuple[Any, ...]) -> Tracked:
    """A row of :data:`ITEM_COLUMNS` as a :class:`Tracked`."""
    (
        pk,
        item_id,
        kind,
        title,
        title_source,
        created_at,
        last_activity,
        metadata,
        count,
        complete,
        state,
        tags,
        notes,
        source,
        choice,
        tools,
        doubt,
        base_url,
        org,
        project,
        migrated_to,
    ) = tuple(row)
    return Tracked(
        pk=pk,
        id=item_id,
        kind=Kind(kind),
        connection=connection(base_url, org, project),
        title=title,
        title_source=TitleSource(title_source),
        created_at=when(created_at),
        last_activity=when(last_activity) or datetime.now(UTC),
        metadata=json.loads(metadata),
        message_count=count,
        history_complete=bool(complete),
        state=ItemState(state),
        tags=tuple(json.loads(tags)) if tags else (),
        notes=notes,
        source=source,
        choice=choice,
        tools=tuple(json.loads(tools)) if tools else (),
        migrated_to=migrated_to,
        history_doubt=doubt,
    )


def journal(row: sqlite3.Row | tuple[Any, ...]) -> JournalEntry:
    """A journal row (at, item id, event, source, detail) as a :class:`JournalEntry`."""
    at, item_id, event, source, detail = tuple(row)
    return JournalEntry(when(at) or datetime.now(UTC), item_id, event, source, detail)
