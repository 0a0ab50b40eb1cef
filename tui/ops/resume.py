"""Deletions a run left unfinished (a crash, a kill): finding them, resuming, putting back."""

from __future__ import annotations

from collections.abc import Sequence

from tui.ops.deleting import ApiFor, BulkDelete
from tui.store import Registry
from tui.store.deletions import Pending

PUT_BACK_REASON = "put back by the user"
__all__ = ["Pending", "interrupted", "put_back", "resumed"]


async def interrupted(registry: Registry) -> list[Pending]:
    """Every confirmed deletion whose outcome was never recorded, oldest first."""
    return await registry.deletions.pending()


async def put_back(registry: Registry, pending: Sequence[Pending], *, source: str) -> int:
    """Give each item its state from before the deletion; how many were put back."""
    for entry in pending:
        await registry.deletions.release(entry.item, reason=PUT_BACK_REASON, source=source)
    return len(pending)


def resumed(registry: Registry, api_for: ApiFor, pending: Sequence[Pending]) -> BulkDelete:
    """The engine that finishes ``pending`` (archiving first if any of them asked to)."""
    return BulkDelete(registry, api_for, archive=any(p.archive for p in pending))
