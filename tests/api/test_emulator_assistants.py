"""Contract of the emulator's assistants, threads and messages, through the real SDK."""

from __future__ import annotations

import time

import openai
import pytest

MODEL = "gpt-4.1"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def text_of(message) -> str:
    return "".join(block.text.value for block in message.content if block.type == "text")


def wait_terminal(client, thread_id: str, run_id: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    while run.status in ("queued", "in_progress", "cancelling"):
        assert time.monotonic() < deadline, f"run stuck in {run.status}"
        time.sleep(0.02)
        run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    return run


@pytest.fixture
def thread_with_25(client):
    """A thread of 25 user messages ``m00``…``m24``; yields (thread_id, ids oldest first)."""
    thread = client.beta.threads.create()
    ids = [
        client.beta.threads.messages.create(thread.id, role="user", content=f"m{i:02d}").id
        for i in range(25)
    ]
    return thread.id, ids


# assistants


def test_assistant_create_retrieve_update_delete(client) -> None:
    created = client.beta.assistants.create(
        model=MODEL,
        name="Math tutor",
        description="Solves equations",
        instructions="Answer briefly.",
        tools=[WEATHER_TOOL],
        metadata={"team": "qa"},
    )
    assert created.id.startswith("asst_") and len(created.id) == len("asst_") + 24
    assert created.object == "assistant"
    assert (created.name, created.model, created.instructions) == (
        "Math tutor",
        MODEL,
        "Answer briefly.",
    )
    assert created.metadata == {"team": "qa"}
    assert created.tools[0].type == "function"
    assert created.tools[0].function.name == "get_weather"

    fetched = client.beta.assistants.retrieve(created.id)
    assert fetched.model_dump() == created.model_dump()

    updated = client.beta.assistants.update(
        created.id, name="Algebra tutor", metadata={"team": "qa", "v": "2"}
    )
    assert updated.name == "Algebra tutor"
    assert updated.metadata == {"team": "qa", "v": "2"}
    assert updated.instructions == "Answer briefly."
    assert client.beta.assistants.retrieve(created.id).name == "Algebra tutor"

    deleted = client.beta.assistants.delete(created.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "assistant.deleted")
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.assistants.retrieve(created.id)
    assert caught.value.status_code == 404
    assert caught.value.body["message"] == f"No assistant found with id '{created.id}'."


async def test_assistant_list_pages_async(aclient) -> None:
    ids = [(await aclient.beta.assistants.create(model=MODEL, name=f"a{i}")).id for i in range(5)]
    first = await aclient.beta.assistants.list(limit=2, order="asc")
    assert [a.id for a in first.data] == ids[:2]
    assert first.has_more is True
    second = await aclient.beta.assistants.list(limit=2, order="asc", after=first.data[-1].id)
    assert [a.id for a in second.data] == ids[2:4]
    newest_first = [a.id async for a in aclient.beta.assistants.list(limit=2)]
    assert newest_first == ids[::-1]


# threads


def test_thread_create_with_messages_and_metadata(client) -> None:
    thread = client.beta.threads.create(
        messages=[
            {"role": "user", "content": "What is 2 + 2?", "metadata": {"n": "1"}},
            {"role": "assistant", "content": [{"type": "text", "text": "It is 4."}]},
        ],
        metadata={"title": "arithmetic", "user_id": "u1"},
    )
    assert thread.id.startswith("thread_") and len(thread.id) == len("thread_") + 24
    assert thread.object == "thread"
    assert thread.metadata == {"title": "arithmetic", "user_id": "u1"}
    assert abs(thread.created_at - time.time()) < 120

    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert [(m.role, text_of(m)) for m in messages] == [
        ("user", "What is 2 + 2?"),
        ("assistant", "It is 4."),
    ]
    assert messages[0].metadata == {"n": "1"}
    assert all(m.thread_id == thread.id and m.status == "completed" for m in messages)

    fetched = client.beta.threads.retrieve(thread.id)
    assert fetched.model_dump() == thread.model_dump()


def test_thread_update_and_delete(client) -> None:
    thread = client.beta.threads.create(metadata={"title": "old"})
    updated = client.beta.threads.update(thread.id, metadata={"title": "new", "tag": "x"})
    assert updated.metadata == {"title": "new", "tag": "x"}
    assert client.beta.threads.retrieve(thread.id).metadata == {"title": "new", "tag": "x"}

    deleted = client.beta.threads.delete(thread.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (thread.id, True, "thread.deleted")
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.threads.retrieve(thread.id)
    assert caught.value.body["message"] == f"No thread found with id '{thread.id}'."
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list(thread.id)


async def test_thread_lifecycle_async(aclient) -> None:
    thread = await aclient.beta.threads.create(metadata={"k": "v"})
    assert (await aclient.beta.threads.retrieve(thread.id)).metadata == {"k": "v"}
    assert (await aclient.beta.threads.update(thread.id, metadata={})).metadata == {}
    assert (await aclient.beta.threads.delete(thread.id)).deleted is True
    with pytest.raises(openai.NotFoundError):
        await aclient.beta.threads.retrieve(thread.id)


# messages


def test_message_create_retrieve_update_delete(client) -> None:
    thread = client.beta.threads.create()
    msg = client.beta.threads.messages.create(
        thread.id, role="user", content="Hello there", metadata={"source": "test"}
    )
    assert msg.id.startswith("msg_") and msg.object == "thread.message"
    assert (msg.thread_id, msg.role, msg.status) == (thread.id, "user", "completed")
    assert text_of(msg) == "Hello there"
    assert msg.content[0].text.annotations == []
    assert msg.run_id is None and msg.assistant_id is None
    assert msg.metadata == {"source": "test"}

    assert client.beta.threads.messages.retrieve(msg.id, thread_id=thread.id) == msg

    updated = client.beta.threads.messages.update(
        msg.id, thread_id=thread.id, metadata={"source": "edited"}
    )
    assert updated.metadata == {"source": "edited"}
    assert text_of(updated) == "Hello there"

    deleted = client.beta.threads.messages.delete(msg.id, thread_id=thread.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (
        msg.id,
        True,
        "thread.message.deleted",
    )
    assert client.beta.threads.messages.list(thread.id).data == []
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.threads.messages.retrieve(msg.id, thread_id=thread.id)
    assert caught.value.body["message"] == f"No message found with id '{msg.id}'."


async def test_message_crud_async(aclient) -> None:
    thread = await aclient.beta.threads.create()
    msg = await aclient.beta.threads.messages.create(
        thread.id, role="user", content=[{"type": "text", "text": "part one"}]
    )
    got = await aclient.beta.threads.messages.retrieve(msg.id, thread_id=thread.id)
    assert text_of(got) == "part one"
    upd = await aclient.beta.threads.messages.update(
        msg.id, thread_id=thread.id, metadata={"a": "b"}
    )
    assert upd.metadata == {"a": "b"}
    assert (await aclient.beta.threads.messages.delete(msg.id, thread_id=thread.id)).deleted
    assert (await aclient.beta.threads.messages.list(thread.id)).data == []


def test_messages_list_filters_by_run_id(client) -> None:
    asst = client.beta.assistants.create(model=MODEL)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "first question"}])
    run1 = client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    assert wait_terminal(client, thread.id, run1.id).status == "completed"
    client.beta.threads.messages.create(thread.id, role="user", content="second question")
    run2 = client.beta.threads.runs.create(thread.id, assistant_id=asst.id)
    assert wait_terminal(client, thread.id, run2.id).status == "completed"

    everything = client.beta.threads.messages.list(thread.id).data
    assert [m.role for m in everything] == ["assistant", "user", "assistant", "user"]
    for run in (run1, run2):
        only = client.beta.threads.messages.list(thread.id, run_id=run.id).data
        assert len(only) == 1
        assert (only[0].role, only[0].run_id, only[0].assistant_id) == (
            "assistant",
            run.id,
            asst.id,
        )
    assert client.beta.threads.messages.list(thread.id, run_id="run_unknown").data == []


# pagination


def test_default_list_is_20_newest_first(client, thread_with_25) -> None:
    thread_id, ids = thread_with_25
    page = client.beta.threads.messages.list(thread_id)
    assert [m.id for m in page.data] == ids[::-1][:20]
    assert page.has_more is True
    assert page.first_id == ids[24]
    assert page.last_id == ids[5]
    assert text_of(page.data[0]) == "m24"


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_after_cursor_walks_every_message_once_in_order(client, thread_with_25, order) -> None:
    thread_id, ids = thread_with_25
    expected = ids if order == "asc" else ids[::-1]
    seen: list[str] = []
    pages = []
    after = None
    for _ in range(10):
        kw = {"after": after} if after else {}
        page = client.beta.threads.messages.list(thread_id, limit=10, order=order, **kw)
        pages.append(page)
        seen += [m.id for m in page.data]
        if not page.has_more:
            break
        after = page.last_id
    assert [len(p.data) for p in pages] == [10, 10, 5]
    assert [p.has_more for p in pages] == [True, True, False]
    assert seen == expected
    assert len(set(seen)) == 25
    for page in pages:
        assert page.first_id == page.data[0].id
        assert page.last_id == page.data[-1].id


def test_before_cursor_gives_the_previous_page(client, thread_with_25) -> None:
    thread_id, ids = thread_with_25
    asc = client.beta.threads.messages.list(thread_id, order="asc", before=ids[15], limit=5)
    assert [m.id for m in asc.data] == ids[10:15]
    assert asc.has_more is True
    assert (asc.first_id, asc.last_id) == (ids[10], ids[14])

    head = client.beta.threads.messages.list(thread_id, order="asc", before=ids[3], limit=10)
    assert [m.id for m in head.data] == ids[:3]
    assert head.has_more is False

    desc = client.beta.threads.messages.list(thread_id, order="desc", before=ids[10], limit=5)
    assert [m.id for m in desc.data] == [ids[i] for i in range(15, 10, -1)]

    nothing = client.beta.threads.messages.list(thread_id, order="asc", before=ids[0])
    assert nothing.data == [] and nothing.has_more is False
    assert nothing.first_id is None and nothing.last_id is None


def test_sdk_auto_pagination_yields_everything(client, thread_with_25) -> None:
    thread_id, ids = thread_with_25
    newest_first = [m.id for m in client.beta.threads.messages.list(thread_id, limit=7)]
    assert newest_first == ids[::-1]
    oldest_first = [
        m.id for m in client.beta.threads.messages.list(thread_id, order="asc", limit=4)
    ]
    assert oldest_first == ids


async def test_async_auto_pagination_yields_everything(aclient) -> None:
    thread = await aclient.beta.threads.create()
    ids = []
    for i in range(12):
        msg = await aclient.beta.threads.messages.create(thread.id, role="user", content=str(i))
        ids.append(msg.id)
    got = [m.id async for m in aclient.beta.threads.messages.list(thread.id, limit=5, order="asc")]
    assert got == ids


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_out_of_range_is_400_on_limit(client, limit) -> None:
    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.messages.list(thread.id, limit=limit)
    assert caught.value.status_code == 400
    assert caught.value.param == "limit"
    assert caught.value.body["param"] == "limit"
    assert caught.value.body["type"] == "invalid_request_error"


def test_limit_bounds_are_inclusive(client, thread_with_25) -> None:
    thread_id, ids = thread_with_25
    assert [m.id for m in client.beta.threads.messages.list(thread_id, limit=1).data] == [ids[-1]]
    assert len(client.beta.threads.messages.list(thread_id, limit=100).data) == 25


def test_unknown_after_cursor_is_400(client, thread_with_25) -> None:
    thread_id, _ = thread_with_25
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.messages.list(thread_id, after="msg_doesnotexist")
    assert caught.value.param == "after"
