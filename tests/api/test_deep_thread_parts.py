"""A thread's deep deletion over real HTTP against the emulator: its files and vector stores.

A thread names files in its messages (attachments, image parts) and in its
``tool_resources``, with its vector store; an assistant may use the same ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from openai import OpenAI

from tests.conftest import TEST_KEY, strict_client
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import NotFound
from tui.api.threads import ThreadsAdapter
from tui.emulator import EmulatorServer
from tui.model import Connection, Kind, ObjectKind, ServerObject

FILLER = 120  # messages between the first attachment and the last: more than a page


@dataclass
class Made:
    """A thread and what it names: its files, in the order named, and its vector store."""

    thread: str
    files: list[str]
    store: str


def upload(client: OpenAI, name: str, purpose: Any = "assistants") -> str:
    return client.files.create(file=(name, f"{name} says hi".encode()), purpose=purpose).id


def thread_with_files(client: OpenAI) -> Made:
    """A thread whose first and last messages attach files (pages apart), one shows an
    image file, and whose tool_resources name a file (one attached too) and a store."""
    attached, image, coded, last = (upload(client, f"{n}.txt") for n in "abcd")
    store = client.vector_stores.create(name="notes").id
    resources: Any = {
        "code_interpreter": {"file_ids": [coded, attached]},
        "file_search": {"vector_store_ids": [store]},
    }
    tools: Any = [{"type": "code_interpreter"}]
    thread = client.beta.threads.create(
        tool_resources=resources,
        messages=[
            {
                "role": "user",
                "content": "see",
                "attachments": [{"file_id": attached, "tools": tools}],
            },
            {"role": "user", "content": [{"type": "image_file", "image_file": {"file_id": image}}]},
        ],
    ).id
    for n in range(FILLER):
        client.beta.threads.messages.create(thread, role="user", content=f"filler {n}")
    attachment: Any = [{"file_id": last, "tools": tools}, {"file_id": image, "tools": tools}]
    client.beta.threads.messages.create(thread, role="user", content="end", attachments=attachment)
    return Made(thread, [attached, image, last, coded], store)


@pytest.fixture
async def api(server: EmulatorServer) -> AsyncIterator[ThreadsAdapter]:
    """The product's threads adapter on the emulator, closed after."""
    connection = Connection(server.base_url)
    async with make_client(connection, TEST_KEY, max_retries=0) as client:
        made = adapter_for(Kind.THREAD, client, connection)
        assert isinstance(made, ThreadsAdapter)
        yield made


def files(*ids: str) -> list[ServerObject]:
    return [ServerObject(ObjectKind.FILE, i) for i in ids]


async def test_a_threads_files_and_store_are_parts_only_when_asked_for(
    server: EmulatorServer, api: ThreadsAdapter
) -> None:
    made = thread_with_files(strict_client(server.base_url))
    assert await api.parts(made.thread) == []
    parts = await api.parts(made.thread, files=True)
    assert parts == [*files(*made.files), ServerObject(ObjectKind.VECTOR_STORE, made.store)]
    assert api.skipped == 0
    whole = [*parts, ServerObject(ObjectKind.THREAD, made.thread)]
    assert [await api.exists(o) for o in whole] == [True] * len(whole)
    for obj in whole:
        await api.remove(obj)
    assert [await api.exists(o) for o in whole] == [False] * len(whole)
    with pytest.raises(NotFound):
        await api.remove(whole[0])
    with pytest.raises(NotFound):
        await api.parts(made.thread, files=True)


async def test_users_names_the_assistant_whose_tools_use_an_object(
    server: EmulatorServer, api: ThreadsAdapter
) -> None:
    client = strict_client(server.base_url)
    made = thread_with_files(client)
    for n in range(3):  # others, before and after it
        client.beta.assistants.create(model="gpt-4.1", name=f"idle {n}")
    resources: Any = {"file_search": {"vector_store_ids": [made.store]}}
    bot = client.beta.assistants.create(
        model="gpt-4.1",
        name="Support bot",
        tools=[{"type": "file_search"}],
        tool_resources=resources,
    )
    client.beta.assistants.create(model="gpt-4.1")
    parts = await api.parts(made.thread, files=True)
    assert await api.users(parts) == {made.store: f"assistant {bot.id} (Support bot)"}
    assert await api.users([ServerObject(ObjectKind.THREAD, made.thread)]) == {}
