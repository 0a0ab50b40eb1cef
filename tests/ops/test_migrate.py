"""Migrating a thread into a conversation, over real HTTP against the emulator."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, strict_client
from tui.api.client import make_client
from tui.api.conversations import ConversationsAdapter
from tui.api.errors import ServerError
from tui.api.threads import ThreadsAdapter
from tui.emulator import EmulatorServer
from tui.model import Connection, Kind, Tracked, TurnKind
from tui.ops.exporting import load_history
from tui.ops.migrating import BATCH, convert, migrate
from tui.store import Registry

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    },
}
TOOL_ROUNDS = 5


def build_thread(server: EmulatorServer) -> str:
    """A 150-message thread: plain turns, an image, and five function-call rounds."""
    sdk = strict_client(server.base_url)
    asst = sdk.beta.assistants.create(model="gpt-4.1", name="helper", tools=[WEATHER])
    thread = sdk.beta.threads.create(metadata={"title": "Old support thread", "team": "ops"})
    sdk.beta.threads.messages.create(
        thread.id,
        role="user",
        content=[
            {"type": "text", "text": "Here is the screenshot"},
            {"type": "image_url", "image_url": {"url": "https://example.invalid/shot.png"}},
        ],
    )
    count = 1
    rounds = 0
    while count < 150:
        if count % 28 == 1 and rounds < TOOL_ROUNDS:
            sdk.beta.threads.messages.create(thread.id, role="user", content=f"Weather {count}?")
            run = sdk.beta.threads.runs.create(thread.id, assistant_id=asst.id)
            run = wait(sdk, thread.id, run.id, "requires_action")
            call = run.required_action.submit_tool_outputs.tool_calls[0]
            sdk.beta.threads.runs.submit_tool_outputs(
                run.id,
                thread_id=thread.id,
                tool_outputs=[{"tool_call_id": call.id, "output": f"{count}C and sunny"}],
            )
            wait(sdk, thread.id, run.id, "completed")
            count += 2
            rounds += 1
            continue
        role = "user" if count % 2 else "assistant"
        sdk.beta.threads.messages.create(thread.id, role=role, content=f"{role} says {count}")
        count += 1
    return thread.id


def wait(sdk, thread_id: str, run_id: str, status: str):
    deadline = time.monotonic() + 15
    run = sdk.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    while run.status != status:
        assert time.monotonic() < deadline, f"run stuck in {run.status}"
        time.sleep(0.01)
        run = sdk.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    return run


@pytest.fixture
def thread_id(server: EmulatorServer) -> str:
    return build_thread(server)


class Apis:
    def __init__(self, server: EmulatorServer) -> None:
        self.connection = Connection(server.base_url)
        # the app's own client (its user agent marks what the contract test checks as ours)
        self.client = make_client(self.connection, TEST_KEY, strict=True, max_retries=0)
        self.threads = ThreadsAdapter(self.client, self.connection)
        self.conversations = ConversationsAdapter(self.client, self.connection)


async def tracked(reg: Registry, server: EmulatorServer, thread_id: str) -> Tracked:
    item, _ = await reg.track(
        thread_id,
        Kind.THREAD,
        Connection(server.base_url),
        source="test",
        metadata={"title": "Old support thread", "team": "ops"},
    )
    return item


def server_items(server: EmulatorServer, conv_id: str) -> list[dict]:
    rec = server.emulator.namespace(TEST_KEY).conversations[conv_id]
    return [dict(i) for i in rec.items]


async def conversation_turns(apis: Apis, conv_id: str):
    turns = []
    page = await apis.conversations.history(conv_id, limit=100)
    turns = list(page.turns)
    while page.older_cursor:
        page = await apis.conversations.history(conv_id, before=page.older_cursor, limit=100)
        turns = list(page.turns) + turns
    return turns


async def test_a_150_message_thread_with_tool_calls_is_carried_item_by_item(
    server: EmulatorServer, thread_id: str, tmp_path: Path
) -> None:
    apis = Apis(server)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        thread = await tracked(reg, server, thread_id)
        done = await migrate(reg, thread, apis.threads, apis.conversations)
        assert done.conversation is not None and done.source == "api"
        history = await load_history(reg, thread, apis.threads)
        source = await apis.threads.enrich(thread_id, history.turns)
        assert len(source) == 150
        expected = convert(source).items
        assert done.items == len(expected) == 150 + 2 * TOOL_ROUNDS
        assert done.notes == []

        conv = done.conversation
        remote = server.emulator.namespace(TEST_KEY).conversations[conv.id].obj
        meta = dict(remote["metadata"])
        assert len(meta.pop("migration_attempt")) == 16  # the marker that finds an orphan
        assert meta == {"title": "Old support thread", "team": "ops", "migrated_from": thread_id}
        carried = await conversation_turns(apis, conv.id)
        assert len(carried) == len(expected)
        messages = list(source)
        carried_messages = [t for t in carried if t.kind is TurnKind.MESSAGE]
        assert [(t.role, t.text) for t in carried_messages] == [(t.role, t.text) for t in messages]
        assert carried_messages[0].parts[1].ref == "https://example.invalid/shot.png"
        calls = [t for t in carried if t.kind is TurnKind.TOOL_CALL]
        outputs = [t for t in carried if t.kind is TurnKind.TOOL_OUTPUT]
        source_calls = [c for t in source for c in t.tool_calls]
        assert len(calls) == len(outputs) == len(source_calls) == TOOL_ROUNDS
        for call, output, original in zip(calls, outputs, source_calls, strict=True):
            assert call.tool_calls[0].call_id == original.call_id
            assert call.tool_calls[0].name == "get_weather"
            assert json.loads(call.tool_calls[0].arguments) == json.loads(original.arguments)
            assert output.tool_calls[0].output == original.output
        first_call = carried.index(calls[0])
        assert carried[first_call + 1] is outputs[0]
        assert carried[first_call + 2].role == "assistant"  # the reply follows its call

        fresh = await reg.get_pk(thread.pk)
        assert fresh.migrated_to == conv.id
        again = await migrate(reg, fresh, apis.threads, apis.conversations)
        assert again.already and again.conversation.id == conv.id and again.added == 0
        assert len(server_items(server, conv.id)) == len(expected)
    await apis.client.close()


async def test_a_failure_midway_resumes_without_duplicates(
    server: EmulatorServer, thread_id: str, tmp_path: Path
) -> None:
    apis = Apis(server)
    calls = 0
    add_items = apis.conversations.add_items
    healthy = server.emulator.config

    async def failing_after_three(conv_id: str, items) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:  # the server breaks down before the fourth batch
            server.emulator.config = dataclasses.replace(healthy, error_rate=1.0)
        await add_items(conv_id, items)

    apis.conversations.add_items = failing_after_three  # type: ignore[method-assign]
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        thread = await tracked(reg, server, thread_id)
        with pytest.raises(ServerError):
            await migrate(reg, thread, apis.threads, apis.conversations)
        link = await reg.migrations.link(thread)
        assert link is not None and not link.complete
        assert link.carried == BATCH * 4  # the create call, then three batches
        server.emulator.config = healthy
        done = await migrate(reg, thread, apis.threads, apis.conversations)
        assert done.conversation.id == link.conversation.id
        assert done.added == done.items - BATCH * 4
        items = server_items(server, done.conversation.id)
        assert len(items) == done.items
        texts = [json.dumps(i.get("content")) for i in items if i["type"] == "message"]
        assert len(texts) == len(set(texts)) == 150  # every message once, none twice
        assert (await reg.migrations.link(thread)).complete
    await apis.client.close()


async def test_a_dry_run_creates_nothing(
    server: EmulatorServer, thread_id: str, tmp_path: Path
) -> None:
    apis = Apis(server)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        thread = await tracked(reg, server, thread_id)
        before = set(server.emulator.namespace(TEST_KEY).conversations)
        done = await migrate(reg, thread, apis.threads, apis.conversations, dry_run=True)
        assert done.dry_run and done.items == 160 and done.conversation is None
        assert set(server.emulator.namespace(TEST_KEY).conversations) == before
        assert await reg.migrations.link(thread) is None
    await apis.client.close()


async def test_after_the_sunset_the_archive_is_carried(
    server: EmulatorServer, thread_id: str, tmp_path: Path
) -> None:
    apis = Apis(server)
    async with await Registry.open(tmp_path / "r.sqlite3") as reg:
        thread = await tracked(reg, server, thread_id)
        await load_history(reg, thread, apis.threads)  # archived while it was served
        server.emulator.config = dataclasses.replace(server.emulator.config, sunset=True)
        done = await migrate(reg, thread, apis.threads, apis.conversations)
        assert done.source == "archive"
        assert any("no longer serves the Assistants API" in n for n in done.notes)
        assert len(server_items(server, done.conversation.id)) == 160
    await apis.client.close()
