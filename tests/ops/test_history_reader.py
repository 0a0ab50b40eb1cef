"""The history reader: the newest page first, older pages after it, one request at a time."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TEST_KEY, strict_client
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.protocol import MESSAGE_PAGE
from tui.emulator import EmulatorServer
from tui.model import Connection, Kind
from tui.ops.history import open_history
from tui.store import Registry

MESSAGES = MESSAGE_PAGE * 2 + 10


def long_conversation(server: EmulatorServer) -> str:
    """A conversation of more than two pages of messages, made with the SDK."""
    with strict_client(server.base_url) as sdk:
        conv = sdk.conversations.create()
        for start in range(0, MESSAGES, 20):
            items = [
                {"type": "message", "role": "user", "content": f"message {n}"}
                for n in range(start, min(start + 20, MESSAGES))
            ]
            sdk.conversations.items.create(conv.id, items=items)  # type: ignore[arg-type]
    return conv.id


async def test_an_older_page_asked_for_before_the_newest_waits_its_turn(
    server: EmulatorServer, tmp_path: Path
) -> None:
    conv_id = long_conversation(server)
    connection = Connection(server.base_url)
    client = make_client(connection, TEST_KEY, max_retries=0)
    api = adapter_for(Kind.CONVERSATION, client, connection)
    async with await Registry.open(tmp_path / "registry.sqlite3") as reg:
        item, _ = await reg.track(conv_id, Kind.CONVERSATION, connection, source="test")
        reader = open_history(reg, item, api, "")
        assert await reader.older(None) is None  # the newest page is still on its way
        newest = await reader.newest()
        assert newest.error is None and newest.turns
        shown = await reader.keep(newest, shown=0)
        assert [t.text for t in shown][-1] == f"message {MESSAGES - 1}"
        older = await reader.older(shown[0].id)
        assert older is not None and older.turns
        assert older.turns[-1].text == f"message {MESSAGES - 1 - len(shown)}"
    await client.close()
