"""What each connection's server was found to offer or refuse, learnt as it is met."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.model import Connection
from tui.store import sql

if TYPE_CHECKING:
    import sqlite3

    from tui.store.registry import Registry

LEARN = """
INSERT INTO capabilities (connection_id, name, offered, detail, seen_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (connection_id, name) DO UPDATE SET
    offered = excluded.offered, detail = excluded.detail, seen_at = excluded.seen_at
"""


@dataclass(frozen=True, slots=True)
class Capability:
    """One thing a server offers or refuses (``threads``, ``metadata``...), and how we know."""

    name: str
    offered: bool
    detail: str
    seen_at: float


def _capability(row: sqlite3.Row | tuple[Any, ...]) -> Capability:
    name, offered, detail, seen_at = tuple(row)
    return Capability(str(name), bool(offered), str(detail), float(seen_at))


class Capabilities:
    """The capabilities of every connection, as last seen."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def learn(
        self, connection: Connection, name: str, *, offered: bool, detail: str = ""
    ) -> None:
        """Record what was just seen; nothing is written when it is what was known already."""
        reg = self.registry
        if reg.read_only:
            return
        known = {c.name: c for c in await self.of(connection)}
        old = known.get(name)
        if old is not None and old.offered == offered and old.detail == detail:
            return
        async with reg.writing() as db:
            connection_id = await reg.connection_id(db, connection)
            await db.execute(LEARN, (connection_id, name, int(offered), detail, time.time()))

    async def of(self, connection: Connection) -> list[Capability]:
        """What is known of this connection's server, by name."""
        found = await self.registry.fetchall(
            "SELECT name, offered, detail, seen_at FROM capabilities JOIN connections "
            "ON connections.id = capabilities.connection_id WHERE connections.base_url = ? "
            "AND connections.organization = ? AND connections.project = ? ORDER BY name",
            sql.connection_params(connection),
        )
        return [_capability(r) for r in found]

    async def all(self) -> list[tuple[str, Capability]]:
        """Every connection's capabilities, as (connection label, capability)."""
        found = await self.registry.fetchall(
            "SELECT connections.base_url, connections.organization, connections.project, "
            "name, offered, detail, seen_at FROM capabilities JOIN connections "
            "ON connections.id = capabilities.connection_id ORDER BY connections.id, name"
        )
        return [
            (Connection(r[0], r[1] or None, r[2] or None).label, _capability(r[3:7])) for r in found
        ]
