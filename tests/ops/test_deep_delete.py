"""Deep deletion over real HTTP: every object of an item deleted, then fetched again.

A conversation's items and the responses known to have written into it (recorded by the
tracking hook, as in a user's program) go with it; a server that answers a delete as done
and deletes nothing is caught; each run leaves receipts, and never content in them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

from tests.conftest import TEST_KEY, ServerFactory, strict_client
from tests.ops.test_bulk import KEY_ENV, run, settings_for
from tui import track
from tui.api import adapter_for
from tui.api.client import make_client
from tui.emulator import EmulatorServer
from tui.model import Connection, ItemState, Kind, ObjectKind, ObjectState
from tui.ops.deleting import Result
from tui.store import Registry

SECRET = "the plan for the merger"  # content: never in a receipt


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, TEST_KEY)


def conversation_with_responses(server: EmulatorServer, db: Path) -> tuple[str, list[str]]:
    """A conversation with three items and two stored responses written into it."""
    sdk = track(strict_client(server.base_url), db=db)
    conv = sdk.conversations.create(
        items=[
            {"type": "message", "role": "user", "content": SECRET},
            {"type": "message", "role": "assistant", "content": "noted"},
            {"type": "message", "role": "user", "content": "and then?"},
        ]
    )
    said = [
        sdk.responses.create(model="gpt-4.1", input=f"step {n}", conversation=conv.id).id
        for n in range(2)
    ]
    return conv.id, said


def fetchable(server: EmulatorServer, conv: str, responses: list[str]) -> list[str]:
    """Every ID of the conversation the server still gives."""
    sdk = strict_client(server.base_url)
    found = []
    try:
        sdk.conversations.retrieve(conv)
        found.append(conv)
    except openai.NotFoundError:
        pass
    for response in responses:
        try:
            sdk.responses.retrieve(response)
            found.append(response)
        except openai.NotFoundError:
            pass
    return found


async def tracked(reg: Registry, server: EmulatorServer, item_id: str):
    item = await reg.get(Connection(server.base_url), item_id)
    assert item is not None
    return item


async def test_a_conversation_goes_with_its_items_and_known_responses(
    server: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "r.sqlite3"
    conv, said = conversation_with_responses(server, db)
    items = [i.id for i in strict_client(server.base_url).conversations.items.list(conv)]
    assert len(items) >= 5  # three made, and what each response wrote
    async with await Registry.open(db) as reg:
        item = await tracked(reg, server, conv)
        progress, _ = await run(reg, settings_for(server), [item])
        [outcome] = progress.outcomes
        assert outcome.result is Result.DELETED, outcome.reason
        assert outcome.ended is not None
        kinds = [p.object.kind for p in outcome.ended.objects]
        assert kinds.count(ObjectKind.CONVERSATION_ITEM) == len(items)
        assert kinds.count(ObjectKind.RESPONSE) == len(said)
        assert kinds[-1] is ObjectKind.CONVERSATION
        assert outcome.ended.count(ObjectState.VERIFIED) == len(outcome.ended.objects)
        assert (await reg.get_pk(item.pk)).state is ItemState.DELETED
        receipts = await reg.receipts.since()
        assert {r.object_id for r in receipts} == {*items, *said, conv}
        assert all(r.outcome is ObjectState.VERIFIED and r.verified_at for r in receipts)
        assert await reg.deletions.objects(item) == []
    assert fetchable(server, conv, said) == []
    wal = db.parent / (db.name + "-wal")  # gone when the last connection closed it
    raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert TEST_KEY.encode() not in raw


async def test_a_shallow_delete_leaves_the_responses_readable(
    server: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "r.sqlite3"
    conv, said = conversation_with_responses(server, db)
    async with await Registry.open(db) as reg:
        item = await tracked(reg, server, conv)
        progress, _ = await run(reg, settings_for(server), [item], deep=False)
        assert [o.result for o in progress.outcomes] == [Result.DELETED]
    assert fetchable(server, conv, said) == said


async def test_a_server_that_deletes_nothing_is_caught(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server(hollow_deletes=True)
    db = tmp_path / "r.sqlite3"
    conv, said = conversation_with_responses(server, db)
    async with await Registry.open(db) as reg:
        item = await tracked(reg, server, conv)
        progress, _ = await run(reg, settings_for(server), [item])
        [outcome] = progress.outcomes
        assert outcome.result is Result.STILL_THERE
        assert "still on the server" in outcome.reason
        fresh = await reg.get_pk(item.pk)
        assert fresh.state is ItemState.ACTIVE  # not marked deleted
        *parts, container = await reg.receipts.since()
        assert parts and all(r.outcome is ObjectState.STILL_THERE for r in parts)
        # its parts stayed: the conversation itself was never asked for (they'd be lost)
        assert (container.object_id, container.outcome) == (conv, ObjectState.PLANNED)
        assert container.requested_at is None
    assert fetchable(server, conv, said) == [conv, *said]


async def test_a_receipt_holds_no_content(server: EmulatorServer, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    conv, _ = conversation_with_responses(server, db)
    async with await Registry.open(db) as reg:
        item = await tracked(reg, server, conv)
        await run(reg, settings_for(server), [item])
        rows = await reg.fetchall("SELECT * FROM receipts")
    assert rows
    assert not any(SECRET in str(value) for row in rows for value in tuple(row))


@pytest.mark.parametrize("kind", [Kind.COMPLETION])
async def test_a_stored_completion_is_deleted_and_verified(
    server: EmulatorServer, tmp_path: Path, kind: Kind
) -> None:
    db = tmp_path / "r.sqlite3"
    sdk = track(strict_client(server.base_url), db=db)
    made = sdk.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], store=True
    )
    async with await Registry.open(db) as reg:
        item = await tracked(reg, server, made.id)
        assert item.kind is kind
        progress, _ = await run(reg, settings_for(server), [item])
        [outcome] = progress.outcomes
        assert outcome.result is Result.DELETED, outcome.reason
        [line] = await reg.receipts.since()
        assert (line.object_kind, line.outcome) == (ObjectKind.COMPLETION, ObjectState.VERIFIED)
    with pytest.raises(openai.NotFoundError):
        strict_client(server.base_url).chat.completions.retrieve(made.id)


async def test_a_threads_files_go_with_it_unless_something_else_uses_them(
    server: EmulatorServer, tmp_path: Path
) -> None:
    sdk = strict_client(server.base_url)

    def upload(name: str) -> str:
        return sdk.files.create(file=(name, b"some words"), purpose="assistants").id

    own, shared = upload("own.txt"), upload("shared.txt")
    store = sdk.vector_stores.create(name="notes").id
    sdk.beta.assistants.create(
        model="gpt-4.1",
        name="Support bot",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store]}},
    )
    tools: Any = [{"type": "code_interpreter"}]

    def thread(*file_ids: str) -> str:
        attachments: Any = [{"file_id": f, "tools": tools} for f in file_ids]
        return sdk.beta.threads.create(
            messages=[{"role": "user", "content": "see", "attachments": attachments}],
            tool_resources={"file_search": {"vector_store_ids": [store]}},
        ).id

    doomed, other = thread(own, shared), thread(shared)
    connection = Connection(server.base_url)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        mine, _ = await reg.track(doomed, Kind.THREAD, connection, source="t")
        theirs, _ = await reg.track(other, Kind.THREAD, connection, source="t")
        async with make_client(connection, TEST_KEY) as client:  # the other one is archived
            page = await adapter_for(Kind.THREAD, client, connection).history(other)
        await reg.archive.store(theirs, page.turns, complete=True)
        progress, _ = await run(reg, settings_for(server), [mine], files=True)
        [outcome] = progress.outcomes
        assert outcome.result is Result.DELETED, outcome.reason
        assert outcome.ended is not None
        states = {p.object.id: (p.state, p.detail) for p in outcome.ended.objects}
    assert states[own][0] is ObjectState.VERIFIED
    assert states[shared] == (ObjectState.KEPT, f"kept: tracked item {other} still uses it")
    assert states[store][0] is ObjectState.KEPT and "(Support bot)" in states[store][1]
    assert states[doomed][0] is ObjectState.VERIFIED
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(own)
    sdk.files.retrieve(shared)  # kept
    sdk.vector_stores.retrieve(store)  # kept
