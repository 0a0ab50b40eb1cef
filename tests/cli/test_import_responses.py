"""``thread-browser import`` of a response made in a conversation notes it under the
conversation, when the conversation is tracked (a response's ``conversation`` field)."""

from __future__ import annotations

import json

from tests.conftest import strict_client
from tui.model import Connection
from tui.store import Registry

MODEL = "gpt-4o-mini"


async def test_an_imported_response_is_noted_under_its_tracked_conversation(
    server, cli, tmp_path
) -> None:
    client = strict_client(server.base_url)
    conv = client.conversations.create(metadata={"title": "Trip"})
    early = client.responses.create(model=MODEL, input="Plan a trip", conversation=conv.id)
    later = client.responses.create(model=MODEL, input="by train?", conversation=conv.id)
    other = client.conversations.create()
    elsewhere = client.responses.create(model=MODEL, input="hello", conversation=other.id)
    run = cli(server.base_url)
    done = run("import", "--json", "-", input=f"{early.id}\n")  # its conversation untracked yet
    assert done.returncode == 0, done.stderr
    # in one batch, the response before its conversation: checked at once, noted after
    done = run("import", "--json", "-", input=f"{later.id} {elsewhere.id} {conv.id}\n")
    assert done.returncode == 0, done.stderr
    results = [json.loads(line)["result"] for line in done.stdout.splitlines()]
    assert results == ["added"] * 3
    async with await Registry.open(tmp_path / "registry.sqlite3") as registry:
        connection = Connection(server.base_url)
        item = await registry.get(connection, conv.id)
        assert item is not None
        # the one imported before its conversation was tracked was not seen to belong to it
        assert await registry.responses.of(item) == [later.id]
        assert await registry.get(connection, other.id) is None  # it stays untracked
