"""Reading deletion receipts, for the CLI and the app."""

from __future__ import annotations

from datetime import datetime

from tui.store import Registry
from tui.store.receipts import Receipt

__all__ = ["Receipt", "receipts_since"]


async def receipts_since(registry: Registry, moment: datetime | None = None) -> list[Receipt]:
    """Every receipt line of runs requested at or after ``moment`` (all: ``None``)."""
    return await registry.receipts.since(moment)
