"""Repair: fix stored values of the wrong type, then rebuild what is derived from the rest.

Times stored as text, fractions or milliseconds are read again as whole seconds, and IDs
are made usable (see ``store.values``). The search indexes, the metadata index and the
cached message counts follow from the ``items`` and ``messages`` tables, so they can always
be built again from them; deletion records of items that no longer exist name nothing to
resume. Everything happens in one transaction and is journalled.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.store import values
from tui.store.registry import Registry
from tui.store.search import ACTIVITY_SHIFT

META_VALUES = "(SELECT coalesce(group_concat(value, ' '), '') FROM json_each(items.metadata))"
STEPS = (
    "INSERT INTO items_fts (items_fts) VALUES ('delete-all')",
    f"INSERT INTO items_fts (rowid, id, title, meta) SELECT "
    f"last_activity * {ACTIVITY_SHIFT} + pk, id, title, {META_VALUES} FROM items",
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
    "DELETE FROM item_meta",
    "INSERT OR IGNORE INTO item_meta (item_pk, key, value) "
    "SELECT items.pk, meta.key, meta.value FROM items, json_each(items.metadata) AS meta",
    "UPDATE items SET message_count = "
    "(SELECT count(*) FROM messages WHERE messages.item_pk = items.pk)",
    "DELETE FROM deletions WHERE item_pk NOT IN (SELECT pk FROM items)",
)


@dataclass(frozen=True, slots=True)
class Repaired:
    """What a repair changed besides the derived data it always rebuilds."""

    times: int = 0
    ids: int = 0


async def rebuild_derived(registry: Registry, *, source: str = "doctor") -> Repaired:
    """Fix stored values, then rebuild the search indexes, metadata index and message counts."""
    async with registry.writing() as db:
        times, ids = await values.fix(registry, db)
        for step in STEPS:
            await db.execute(step)
        detail = "search indexes, metadata index, message counts"
        if times or ids:
            detail += f"; {times} stored times, {ids} item IDs"
        await registry.journal_add(db, None, "repaired", source, detail)
    return Repaired(times, ids)
