"""What a server offers is learnt as it is met, kept per connection, and shown by doctor."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cli.conftest import cli_env
from tests.conftest import TEST_KEY
from tests.kit.misbehave import Kit
from tests.kit.switches import Faults
from tui.api import adapter_for
from tui.api.client import make_client
from tui.model import Connection, Kind
from tui.ops.exporting import load_history
from tui.ops.metadata import save_metadata
from tui.store import Registry


@pytest.fixture
def kit() -> Iterator[tuple[Kit, Connection]]:
    kit = Kit(size=12)
    server = kit.serve()
    yield kit, Connection(server.base_url)
    server.stop()


async def test_metadata_a_server_drops_is_not_applied_and_remembered(kit, tmp_path) -> None:
    served, connection = kit
    served.faults = Faults(metadata_dropped=True)
    db = tmp_path / "registry.sqlite3"
    async with await Registry.open(db) as registry:
        item, _ = await registry.track(
            served.conversation.id, Kind.CONVERSATION, connection, source="test"
        )
        client = make_client(connection, TEST_KEY, max_retries=0)
        api = adapter_for(Kind.CONVERSATION, client, connection)
        saved = await save_metadata(registry, item, api, {"title": "Renamed"}, source="test")
        assert not saved.applied and saved.dropped == ("title",)
        assert "Not applied" in saved.message() and "title" in saved.message()
        assert saved.item.metadata.get("title") != "Renamed"  # what the server holds
        known = {c.name: c for c in await registry.capabilities.of(connection)}
        assert known["metadata"].offered is False
        assert known["conversations"].offered is True
        await client.close()
    served.faults = Faults()
    async with await Registry.open(db) as registry:
        client = make_client(connection, TEST_KEY, max_retries=0)
        api = adapter_for(Kind.CONVERSATION, client, connection)
        saved = await save_metadata(registry, item, api, {"title": "Renamed"}, source="test")
        assert saved.applied and saved.item.metadata["title"] == "Renamed"
        known = {c.name: c for c in await registry.capabilities.of(connection)}
        assert known["metadata"].offered is True
        await client.close()


async def test_a_missing_api_is_remembered_and_shown_by_doctor(kit, tmp_path) -> None:
    served, served_on = kit
    connection = Connection(served_on.base_url.removesuffix("/v1") + "/elsewhere/v1")
    db = tmp_path / "registry.sqlite3"
    async with await Registry.open(db) as registry:
        item, _ = await registry.track(served.thread.id, Kind.THREAD, connection, source="t")
        client = make_client(connection, TEST_KEY, max_retries=0)
        api = adapter_for(Kind.THREAD, client, connection)
        history = await load_history(registry, item, api)
        assert history.source == "archive" and "Assistants API" in history.note
        await client.close()
    done = subprocess.run(
        [sys.executable, "-m", "tui", "doctor", "--json", "--db", str(db)],
        capture_output=True,
        text=True,
        env=cli_env(None, db),
        timeout=120,
    )
    report = json.loads(done.stdout)
    servers = {s["name"]: s for s in report["servers"]}
    assert servers["threads"]["offered"] is False, report["servers"]
    text = subprocess.run(
        [sys.executable, "-m", "tui", "doctor", "--db", str(db)],
        capture_output=True,
        text=True,
        env=cli_env(None, db),
        timeout=120,
    ).stdout
    assert "What the servers were found to offer" in text and "threads: no" in text
