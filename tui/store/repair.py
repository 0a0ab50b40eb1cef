"""Rebuild what the registry derives from its items and archive; nothing a user made.

The search indexes, the metadata index and the cached message counts follow from the
``items`` and ``messages`` tables, so they can always be built again from them; deletion
records of items that no longer exist name nothing to resume. Everything happens in one
transaction and is journalled.
"""

from __future__ import annotations

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


async def rebuild_derived(registry: Registry, *, source: str = "doctor") -> None:
    """Rebuild the search indexes, the metadata index and the message counts."""
    async with registry.writing() as db:
        for step in STEPS:
            await db.execute(step)
        await registry.journal_add(
            db, None, "repaired", source, "search indexes, metadata index, message counts"
        )
