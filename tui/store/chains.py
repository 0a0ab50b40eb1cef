"""Response chains: tracked under their newest response, with every ID they were known by.

A reply that continues a chain makes a new response; the chain's item takes its ID (the
newest response is what a user copies to continue it in code). The IDs it had before are
kept as links, so a response met again finds its chain, and deleting one chain leaves the
responses another chain still stands on (a fork shares its older part).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from tui.model import Connection, Tracked
from tui.store import sql, writes
from tui.store.registry import CHUNK

if TYPE_CHECKING:
    from tui.store.registry import Registry

_ON_CONNECTION = (
    "JOIN items ON items.pk = chain_links.item_pk "
    "JOIN connections ON connections.id = items.connection_id "
    "WHERE connections.base_url = ? AND connections.organization = ? "
    "AND connections.project = ?"
)


class Chains:
    """The registry's record of response chains."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def advance(self, item: Tracked, response_id: str, *, source: str) -> Tracked:
        """The chain now ends at ``response_id``: the item takes that ID, the old one a link.

        When ``response_id`` is tracked already on the connection (imported on its own),
        that item is the chain from now on: the old ID is linked to it, and it is returned.
        """
        if response_id == item.id:
            return item
        pk, _ = await self.registry.apply(
            writes.chained(item.connection, item.id, response_id, source=source)
        )
        found = await self.registry.get_pk(pk)
        assert found is not None
        return found

    async def stands_on(self, item: Tracked, response_id: str) -> None:
        """Note that the chain continues ``response_id`` (it is part of its history)."""
        await self.registry.apply(_link(response_id, item.pk))

    async def older(self, item: Tracked) -> list[str]:
        """The chain's older responses the registry knows, oldest first.

        The IDs it was tracked under before its newest, and the responses it was seen to
        continue.
        """
        rows = await self.registry.fetchall(
            "SELECT response_id FROM chain_links WHERE item_pk = ? ORDER BY at, response_id",
            (item.pk,),
        )
        return [str(row[0]) for row in rows]

    async def holders(self, connection: Connection, ids: Sequence[str]) -> dict[str, Tracked]:
        """The chains of those of ``ids`` that are an older response of a tracked chain."""
        found: dict[str, int] = {}
        params = sql.connection_params(connection)
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            rows = await self.registry.fetchall(
                f"SELECT chain_links.response_id, chain_links.item_pk FROM chain_links "
                f"{_ON_CONNECTION} AND chain_links.response_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY chain_links.at",
                (*params, *chunk),
            )
            found.update((str(rid), int(pk)) for rid, pk in rows)  # the newest link wins
        chains = {i.pk: i for i in await self.registry.get_many(sorted(set(found.values())))}
        return {
            rid: chains[pk] for rid, pk in found.items() if pk in chains and rid != chains[pk].id
        }

    async def holder(self, connection: Connection, response_id: str) -> Tracked | None:
        """The chain ``response_id`` is part of, as tracked: by its own ID or by a link."""
        found = await self.registry.get(connection, response_id)
        return found or (await self.holders(connection, [response_id])).get(response_id)

    async def standing(self, connection: Connection, leaving: Collection[int]) -> set[str]:
        """Responses the chains not in ``leaving`` (row keys) stand on, on ``connection``.

        Their IDs now and before: a deletion of another chain stops at any of them.
        """
        params = sql.connection_params(connection)
        links = await self.registry.fetchall(
            "SELECT chain_links.response_id, chain_links.item_pk FROM chain_links "
            + _ON_CONNECTION,
            params,
        )
        heads = await self.registry.fetchall(
            "SELECT items.id, items.pk FROM items JOIN connections "
            "ON connections.id = items.connection_id WHERE items.kind = 'response' "
            "AND connections.base_url = ? AND connections.organization = ? "
            "AND connections.project = ?",
            params,
        )
        return {str(rid) for rid, pk in (*links, *heads) if pk not in leaving}


def _link(response_id: str, item_pk: int) -> writes.Plan[None]:
    yield writes.Statement(writes.CHAIN_LINK, (response_id, item_pk, time.time()))
