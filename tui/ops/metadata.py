"""Saving an item's metadata on its server, and noticing a server that drops it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tui.api.protocol import ConversationApi
from tui.model import Tracked
from tui.ops.capabilities import remember
from tui.store import Registry
from tui.text import clean

CAPABILITY = "metadata"


@dataclass(frozen=True, slots=True)
class Saved:
    """The item as the registry now holds it, and the keys the server did not keep."""

    item: Tracked
    dropped: tuple[str, ...] = ()

    @property
    def applied(self) -> bool:
        """True when the server keeps every key and value that was sent."""
        return not self.dropped

    def message(self) -> str:
        """What to tell the user."""
        if self.applied:
            return "Metadata saved on the server."
        keys = ", ".join(clean(k)[:64] for k in self.dropped[:8])
        more = f" and {len(self.dropped) - 8} more" if len(self.dropped) > 8 else ""
        return (
            f"Not applied: the server answered without {keys}{more}, so it does not keep "
            "this metadata (it may not support metadata at all). The registry shows what "
            "the server holds; titles and notes can still be kept here."
        )


def _dropped(wanted: Mapping[str, str], kept: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(k for k, v in wanted.items() if kept.get(k) != v)


async def save_metadata(
    registry: Registry,
    item: Tracked,
    api: ConversationApi,
    wanted: Mapping[str, str],
    *,
    source: str,
) -> Saved:
    """Replace the item's metadata on its server, then record what the server kept.

    An answer that lacks what was sent is checked once more by reading the item back;
    what is still missing is reported as not applied, and the connection is noted as one
    whose server does not keep metadata.
    """
    remote = await api.update_metadata(item.id, dict(wanted))
    dropped = _dropped(wanted, remote.metadata)
    if dropped:
        remote = await api.retrieve(item.id)
        dropped = _dropped(wanted, remote.metadata)
    detail = f"dropped {', '.join(dropped[:8])} on {item.id}" if dropped else ""
    await registry.capabilities.learn(
        item.connection, CAPABILITY, offered=not dropped, detail=clean(detail)[:500]
    )
    await remember(registry, api)
    fresh = await registry.set_metadata(item, remote.metadata, source=source)
    return Saved(fresh, dropped)
