"""An Agents SDK OpenAIConversationsSession on a tracked client: its conversation is known."""

from __future__ import annotations

import json

from tests.conftest import strict_async_client
from tui import track


def listed(cli, base_url) -> dict[str, dict]:
    done = cli(base_url)("list", "--json")
    assert done.returncode == 0, done.stderr
    return {row["id"]: row for row in map(json.loads, done.stdout.splitlines())}


async def test_the_sessions_conversation_is_titled_after_the_session(server, cli, tmp_path) -> None:
    from agents.memory import OpenAIConversationsSession

    client = track(strict_async_client(server.base_url), db=tmp_path / "registry.sqlite3")
    session = OpenAIConversationsSession(openai_client=client)
    conv_id = await session._get_session_id()  # made lazily, as a run's first read makes it
    assert listed(cli, server.base_url)[conv_id]["title"] == "Agents session"
    await session.add_items(
        [
            {"role": "user", "content": "Book a table for two\nat eight"},
            {"type": "message", "role": "assistant", "content": "Done."},
        ]
    )
    await session.add_items([{"role": "user", "content": "And a taxi?"}])
    row = listed(cli, server.base_url)[conv_id]
    assert row["kind"] == "conversation" and row["title"] == "Agents session: Book a table for two"
    assert session.session_id == conv_id  # the session's ID is the conversation's
    assert len(await session.get_items()) == 3  # the program goes on with its session
    await client.close()


async def test_a_conversation_made_by_hand_is_not_called_a_session(server, cli, tmp_path) -> None:
    client = track(strict_async_client(server.base_url), db=tmp_path / "registry.sqlite3")
    plain = await client.conversations.create()
    named = await client.conversations.create(items=[], metadata={"title": "Mine"})
    await client.conversations.items.create(plain.id, items=[{"role": "user", "content": "hello"}])
    await client.close()
    rows = listed(cli, server.base_url)
    assert rows[plain.id]["title"] == plain.id and rows[named.id]["title"] == "Mine"
