"""Contract of the emulator's conversations and conversation items, through the real SDK."""

from __future__ import annotations

import openai
import pytest

MODEL = "gpt-4.1"


def user(text: str) -> dict:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def item_text(item) -> str:
    return "".join(part.text for part in item.content if hasattr(part, "text"))


def test_conversation_create_with_items_retrieve_update_delete(client) -> None:
    conv = client.conversations.create(
        items=[
            {"type": "message", "role": "user", "content": "What is a cursor?"},
            {"type": "message", "role": "assistant", "content": "A pointer into a list."},
        ],
        metadata={"title": "paging", "user_id": "u7"},
    )
    assert conv.id.startswith("conv_") and len(conv.id) == len("conv_") + 48
    assert conv.object == "conversation"
    assert conv.metadata == {"title": "paging", "user_id": "u7"}

    items = client.conversations.items.list(conv.id, order="asc").data
    assert [(i.type, i.role, item_text(i)) for i in items] == [
        ("message", "user", "What is a cursor?"),
        ("message", "assistant", "A pointer into a list."),
    ]
    assert items[0].content[0].type == "input_text"
    assert items[1].content[0].type == "output_text"
    assert all(i.id.startswith("msg_") and i.status == "completed" for i in items)

    assert client.conversations.retrieve(conv.id) == conv
    updated = client.conversations.update(conv.id, metadata={"title": "renamed"})
    assert updated.metadata == {"title": "renamed"}
    assert client.conversations.retrieve(conv.id).metadata == {"title": "renamed"}

    deleted = client.conversations.delete(conv.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (conv.id, True, "conversation.deleted")
    with pytest.raises(openai.NotFoundError) as caught:
        client.conversations.retrieve(conv.id)
    assert caught.value.status_code == 404
    assert caught.value.body["message"] == f"Conversation with id '{conv.id}' not found."
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list(conv.id)


def test_update_metadata_null_clears_and_missing_is_400(client) -> None:
    conv = client.conversations.create(metadata={"a": "1"})
    assert client.conversations.update(conv.id, metadata=None).metadata == {}
    with pytest.raises(openai.BadRequestError) as caught:
        client.post(f"/conversations/{conv.id}", body={}, cast_to=object)
    assert caught.value.param == "metadata"
    assert caught.value.code == "missing_required_parameter"


async def test_conversation_lifecycle_async(aclient) -> None:
    conv = await aclient.conversations.create(metadata={"a": "1"})
    assert (await aclient.conversations.retrieve(conv.id)).metadata == {"a": "1"}
    assert (await aclient.conversations.update(conv.id, metadata={"a": "2"})).metadata == {"a": "2"}
    page = await aclient.conversations.items.list(conv.id)
    assert page.data == [] and page.has_more is False
    assert (await aclient.conversations.delete(conv.id)).deleted is True
    with pytest.raises(openai.NotFoundError):
        await aclient.conversations.retrieve(conv.id)


def test_items_create_retrieve_delete(client) -> None:
    conv = client.conversations.create()
    created = client.conversations.items.create(
        conv.id, items=[user("one"), user("two"), user("three")]
    )
    assert [item_text(i) for i in created.data] == ["one", "two", "three"]
    assert created.first_id == created.data[0].id
    assert created.last_id == created.data[-1].id
    assert created.has_more is False

    second = created.data[1]
    fetched = client.conversations.items.retrieve(second.id, conversation_id=conv.id)
    assert fetched.id == second.id and item_text(fetched) == "two"

    after_delete = client.conversations.items.delete(second.id, conversation_id=conv.id)
    assert after_delete.id == conv.id and after_delete.object == "conversation"
    remaining = client.conversations.items.list(conv.id, order="asc").data
    assert [item_text(i) for i in remaining] == ["one", "three"]
    with pytest.raises(openai.NotFoundError) as caught:
        client.conversations.items.retrieve(second.id, conversation_id=conv.id)
    assert caught.value.body["message"] == f"Item with id '{second.id}' not found."


def test_function_call_items_round_trip(client) -> None:
    conv = client.conversations.create(
        items=[
            user("weather?"),
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city": "Rome"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "25C"},
        ]
    )
    items = client.conversations.items.list(conv.id, order="asc").data
    assert [i.type for i in items] == ["message", "function_call", "function_call_output"]
    assert (items[1].name, items[1].call_id, items[1].arguments) == (
        "get_weather",
        "call_1",
        '{"city": "Rome"}',
    )
    assert (items[2].call_id, items[2].output) == ("call_1", "25C")


@pytest.mark.parametrize("count", [20, 21])
def test_items_create_is_limited_to_20(client, count) -> None:
    conv = client.conversations.create()
    items = [user(f"item {i}") for i in range(count)]
    if count <= 20:
        created = client.conversations.items.create(conv.id, items=items)
        assert len(created.data) == count
        return
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.items.create(conv.id, items=items)
    assert caught.value.param == "items"
    assert caught.value.code == "array_above_max_length"
    assert client.conversations.items.list(conv.id).data == []


def test_conversation_create_is_limited_to_20_items(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.create(items=[user(str(i)) for i in range(21)])
    assert caught.value.param == "items"


@pytest.fixture
def conv_with_25(client):
    conv = client.conversations.create()
    ids: list[str] = []
    for start in (0, 20):
        batch = [user(f"i{i:02d}") for i in range(start, min(start + 20, 25))]
        ids += [i.id for i in client.conversations.items.create(conv.id, items=batch).data]
    return conv.id, ids


def test_items_default_order_is_desc_and_limit_20(client, conv_with_25) -> None:
    conv_id, ids = conv_with_25
    page = client.conversations.items.list(conv_id)
    assert [i.id for i in page.data] == ids[::-1][:20]
    assert page.has_more is True
    assert (page.first_id, page.last_id) == (ids[24], ids[5])


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_items_after_cursor_walks_everything(client, conv_with_25, order) -> None:
    conv_id, ids = conv_with_25
    expected = ids if order == "asc" else ids[::-1]
    seen: list[str] = []
    more = []
    after = None
    for _ in range(10):
        kw = {"after": after} if after else {}
        page = client.conversations.items.list(conv_id, limit=10, order=order, **kw)
        seen += [i.id for i in page.data]
        more.append(page.has_more)
        if not page.has_more:
            break
        after = page.last_id
    assert seen == expected
    assert more == [True, True, False]


def test_items_auto_pagination(client, conv_with_25) -> None:
    conv_id, ids = conv_with_25
    assert [i.id for i in client.conversations.items.list(conv_id, limit=6, order="asc")] == ids
    assert [i.id for i in client.conversations.items.list(conv_id, limit=9)] == ids[::-1]


async def test_items_auto_pagination_async(aclient) -> None:
    conv = await aclient.conversations.create()
    ids = [
        i.id
        for i in (
            await aclient.conversations.items.create(
                conv.id, items=[user(str(n)) for n in range(7)]
            )
        ).data
    ]
    got = [i.id async for i in aclient.conversations.items.list(conv.id, limit=3, order="asc")]
    assert got == ids


@pytest.mark.parametrize("limit", [0, 101])
def test_items_limit_out_of_range(client, limit) -> None:
    conv = client.conversations.create()
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.items.list(conv.id, limit=limit)
    assert caught.value.param == "limit"


def test_responses_add_their_items_to_the_conversation(client) -> None:
    conv = client.conversations.create(items=[user("context first")])
    resp = client.responses.create(model=MODEL, input="Now the question", conversation=conv.id)
    assert resp.status == "completed"
    assert resp.conversation is not None and resp.conversation.id == conv.id
    items = client.conversations.items.list(conv.id, order="asc").data
    assert [(i.role, i.type) for i in items] == [
        ("user", "message"),
        ("user", "message"),
        ("assistant", "message"),
    ]
    assert item_text(items[1]) == "Now the question"
    assert items[2].id == resp.output[0].id
    assert item_text(items[2]) == resp.output_text


def test_unknown_conversation_for_a_response_is_404(client) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model=MODEL, input="hi", conversation="conv_missing")
    assert caught.value.body["message"] == "Conversation with id 'conv_missing' not found."
