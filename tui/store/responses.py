"""The responses known to have written into a tracked conversation.

Deleting a conversation on the server leaves every stored response that wrote into it
retrievable, each until it is deleted on its own. The registry keeps the IDs of the
responses seen to write into a conversation (a message sent in the app, a response made
through the tracking hook, an import that learned it), so a deletion of the conversation
can delete them too. Both faces write them with :func:`writes.wrote_into`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.model import Connection, Tracked
from tui.store import writes

if TYPE_CHECKING:
    from tui.store.registry import Registry


class Responses:
    """The registry's record of which responses wrote into which conversations."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def wrote_into(
        self, connection: Connection, conversation_id: str, response_id: str, *, source: str
    ) -> bool:
        """Note that ``response_id`` wrote into the conversation, if it is tracked.

        Returns whether the link is new (``False`` too when the conversation is not
        tracked on ``connection``).
        """
        plan = writes.wrote_into(connection, conversation_id, response_id, source=source)
        return await self.registry.apply(plan)

    async def of(self, item: Tracked) -> list[str]:
        """The IDs of the responses known to have written into ``item``, oldest first."""
        rows = await self.registry.fetchall(
            "SELECT response_id FROM item_responses WHERE item_pk = ? ORDER BY at, response_id",
            (item.pk,),
        )
        return [str(row[0]) for row in rows]
