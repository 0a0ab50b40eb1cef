"""Contract of the emulator's Chat Completions: create, stream, tools, and the stored ones."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest
from openai import OpenAI

from tests.conftest import TEST_KEY

MODEL = "gpt-4.1"
HI = [{"role": "user", "content": "Explain cursor pagination"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}


def lenient_client(base_url: str) -> OpenAI:
    """For ``messages.list`` only: the SDK types every stored message as ``role: "assistant"``
    (the spec's ``ChatCompletionMessageList`` too), while the real API lists the input
    messages with their own roles, as the spec's own example shows (``"role": "user"``)."""
    return OpenAI(api_key=TEST_KEY, base_url=base_url, max_retries=0)


def error_of(caught: pytest.ExceptionInfo[openai.APIStatusError]) -> dict:
    return caught.value.response.json()["error"]


def stored(client, n: int, **kw) -> list[str]:
    return [
        client.chat.completions.create(
            model=kw.get("model", MODEL),
            messages=[{"role": "user", "content": f"question {i}"}],
            store=True,
            metadata=kw.get("metadata", {"n": str(i)}),
        ).id
        for i in range(n)
    ]


def test_a_completion_has_the_real_shape_and_is_not_kept_without_store(client) -> None:
    done = client.chat.completions.create(model=MODEL, messages=HI)
    assert done.id.startswith("chatcmpl-") and len(done.id) == len("chatcmpl-") + 29
    assert done.object == "chat.completion" and done.model == MODEL
    assert isinstance(done.created, int) and done.service_tier == "default"
    assert done.system_fingerprint and done.system_fingerprint.startswith("fp_")
    choice = done.choices[0]
    assert choice.index == 0 and choice.finish_reason == "stop" and choice.logprobs is None
    assert choice.message.role == "assistant" and choice.message.refusal is None
    assert "cursor pagination" in choice.message.content
    assert choice.message.tool_calls is None
    usage = done.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0

    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.retrieve(done.id)
    assert error_of(caught)["message"] == f"No chat completion found with id '{done.id}'."
    assert client.chat.completions.list().data == []


def test_a_stored_completion_is_retrieved_with_its_metadata(client) -> None:
    done = client.chat.completions.create(
        model=MODEL, messages=HI, store=True, metadata={"topic": "paging"}
    )
    got = client.chat.completions.retrieve(done.id)
    assert got.id == done.id and got.created == done.created
    assert got.choices[0].message.content == done.choices[0].message.content
    assert got.metadata == {"topic": "paging"} and got.usage == done.usage


def test_metadata_is_refused_without_store(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=HI, metadata={"topic": "x"})
    error = error_of(caught)
    assert error["message"] == "The 'metadata' parameter is only allowed when 'store' is enabled."
    assert error["param"] == "metadata"


def test_the_list_holds_only_stored_completions_filtered_by_metadata_and_model(client) -> None:
    client.chat.completions.create(model=MODEL, messages=HI)  # not stored
    red = stored(client, 2, metadata={"colour": "red"})
    blue = stored(client, 1, metadata={"colour": "blue", "size": "big"})
    mini = stored(client, 1, model="gpt-4.1-mini", metadata={"colour": "red"})
    everything = client.chat.completions.list()
    assert [c.id for c in everything.data] == [*red, *blue, *mini]
    reds = client.chat.completions.list(metadata={"colour": "red"})
    assert [c.id for c in reds.data] == [*red, *mini]
    both = client.chat.completions.list(metadata={"colour": "blue", "size": "big"})
    assert [c.id for c in both.data] == blue
    assert [c.id for c in client.chat.completions.list(model="gpt-4.1-mini").data] == mini
    narrow = client.chat.completions.list(model=MODEL, metadata={"colour": "red"})
    assert [c.id for c in narrow.data] == red
    assert client.chat.completions.list(metadata={"colour": "green"}).data == []


def test_the_list_pages_with_after_limit_and_order(client) -> None:
    ids = stored(client, 5)
    raw = client.chat.completions.with_raw_response.list(limit=2).http_response.json()
    assert [c["id"] for c in raw["data"]] == ids[:2]  # ascending unless asked
    assert raw["first_id"] == ids[0] and raw["last_id"] == ids[1] and raw["has_more"] is True
    rest = client.chat.completions.list(limit=2, after=ids[3])
    assert [c.id for c in rest.data] == ids[4:] and rest.has_more is False
    newest = client.chat.completions.list(limit=2, order="desc")
    assert [c.id for c in newest.data] == [ids[4], ids[3]]
    assert [c.id for c in client.chat.completions.list(limit=2)] == ids  # auto-paging


def test_update_changes_only_the_metadata(client) -> None:
    done = client.chat.completions.create(model=MODEL, messages=HI, store=True, metadata={"a": "1"})
    updated = client.chat.completions.update(done.id, metadata={"b": "2"})
    assert updated.metadata == {"b": "2"} and updated.choices == done.choices
    assert client.chat.completions.retrieve(done.id).metadata == {"b": "2"}
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.update("chatcmpl-missing", metadata={"b": "2"})


def test_delete_removes_the_completion_and_its_messages(client, server) -> None:
    keep, gone = stored(client, 2)
    deleted = client.chat.completions.delete(gone)
    assert deleted.id == gone and deleted.deleted is True
    assert deleted.object == "chat.completion.deleted"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(gone)
    with pytest.raises(openai.NotFoundError):
        lenient_client(server.base_url).chat.completions.messages.list(gone)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.delete(gone)
    assert [c.id for c in client.chat.completions.list().data] == [keep]


def test_messages_lists_the_stored_input_messages(client, server) -> None:
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "first"}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "second", "name": "ana"},
    ]
    done = client.chat.completions.create(model=MODEL, messages=messages, store=True)
    lenient = lenient_client(server.base_url)
    page = lenient.chat.completions.messages.list(done.id)
    assert [m.id for m in page.data] == [f"{done.id}-{i}" for i in range(4)]
    assert [m.role for m in page.data] == ["developer", "user", "assistant", "user"]
    assert [m.content for m in page.data] == ["Be brief.", "first", "ok", "second"]
    assert page.data[1].content_parts[0].text == "first" and page.data[0].content_parts is None
    assert page.data[3].model_extra["name"] == "ana"
    newest = lenient.chat.completions.messages.list(done.id, limit=1, order="desc")
    assert [m.id for m in newest.data] == [f"{done.id}-3"] and newest.has_more is True
    assert [m.id for m in lenient.chat.completions.messages.list(done.id, limit=3)] == [
        f"{done.id}-{i}" for i in range(4)
    ]


def test_a_stream_sends_chunks_then_done_and_the_stored_copy_matches(client, server) -> None:
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=HI,
            stream=True,
            store=True,
            stream_options={"include_usage": True},
        )
    )
    ids = {c.id for c in chunks}
    assert len(ids) == 1 and all(c.object == "chat.completion.chunk" for c in chunks)
    first, last = chunks[0], chunks[-1]
    assert first.choices[0].delta.role == "assistant" and first.choices[0].delta.content == ""
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert last.choices == [] and last.usage.total_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    kept = client.chat.completions.retrieve(ids.pop())
    assert kept.choices[0].message.content == text and kept.usage == last.usage

    body = {"model": MODEL, "messages": HI, "stream": True}
    headers = {"Authorization": f"Bearer {TEST_KEY}"}
    with httpx2.stream(
        "POST", f"{server.base_url}/chat/completions", json=body, headers=headers
    ) as reply:
        lines = [line for line in reply.iter_lines() if line]
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert lines[-1] == "data: [DONE]" and all(line.startswith("data: ") for line in lines)


def test_a_function_tool_is_called_and_its_output_answered(client) -> None:
    ask = [{"role": "user", "content": "What is the weather in Lisbon for 3 days?"}]
    done = client.chat.completions.create(model=MODEL, messages=ask, tools=[WEATHER])
    choice = done.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_") and call.type == "function"
    assert call.function.name == "get_weather"
    args = json.loads(call.function.arguments)  # valid against the schema, read from the prompt
    assert args["city"] == "Lisbon" and isinstance(args["days"], int)

    follow = [
        *ask,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 24 C"},
    ]
    answer = client.chat.completions.create(model=MODEL, messages=follow, tools=[WEATHER])
    assert answer.choices[0].finish_reason == "stop"
    assert "sunny, 24 C" in answer.choices[0].message.content

    quiet = client.chat.completions.create(
        model=MODEL, messages=ask, tools=[WEATHER], tool_choice="none"
    )
    assert quiet.choices[0].finish_reason == "stop" and quiet.choices[0].message.tool_calls is None


def test_a_streamed_tool_call_arrives_in_pieces(client) -> None:
    ask = [{"role": "user", "content": "Weather in Oslo for 2 days"}]
    chunks = list(
        client.chat.completions.create(model=MODEL, messages=ask, tools=[WEATHER], stream=True)
    )
    deltas = [d for c in chunks for d in c.choices[0].delta.tool_calls or []]
    assert deltas[0].id.startswith("call_") and deltas[0].function.name == "get_weather"
    assert all(d.index == 0 for d in deltas)
    arguments = "".join(d.function.arguments or "" for d in deltas)
    args = json.loads(arguments)
    assert args["city"] == "Oslo" and isinstance(args["days"], int)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_max_completion_tokens_cuts_the_reply_with_finish_reason_length(client) -> None:
    done = client.chat.completions.create(model=MODEL, messages=HI, max_completion_tokens=3)
    assert done.choices[0].finish_reason == "length"
    assert done.usage.completion_tokens == 3


def test_an_unknown_model_is_404_model_not_found(client) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-nope", messages=HI)
    error = error_of(caught)
    assert error["code"] == "model_not_found" and error["type"] == "invalid_request_error"
    assert error["message"] == (
        "The model `gpt-nope` does not exist or you do not have access to it."
    )


@pytest.mark.parametrize(
    ("kw", "param", "message"),
    [
        ({"messages": []}, "messages", None),
        ({"messages": [{"role": "bot", "content": "x"}]}, "messages[0].role", None),
        (
            {"messages": [{"role": "tool", "tool_call_id": "call_1", "content": "x"}]},
            "messages[0].role",
            "messages with role 'tool' must be a response to a preceeding message with "
            "'tool_calls'",
        ),
        (
            {"messages": HI, "stream_options": {"include_usage": True}},
            "stream_options",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        ),
        (
            {"messages": HI, "tool_choice": "auto"},
            "tool_choice",
            "'tool_choice' is only allowed when 'tools' are specified.",
        ),
    ],
)
def test_a_request_the_real_api_refuses_is_a_400(client, kw, param, message) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, **kw)
    error = error_of(caught)
    assert error["param"] == param and error["type"] == "invalid_request_error"
    if message is not None:
        assert message in error["message"]


def test_keys_do_not_see_each_other_s_completions(server) -> None:
    from tests.conftest import OTHER_KEY, strict_client

    with strict_client(server.base_url) as mine, strict_client(server.base_url, OTHER_KEY) as other:
        done = mine.chat.completions.create(model=MODEL, messages=HI, store=True)
        assert other.chat.completions.list().data == []
        with pytest.raises(openai.NotFoundError):
            other.chat.completions.retrieve(done.id)
