"""The emulator keeps responses the way the real API does: chains, store, background, deletion."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import OTHER_KEY, strict_client

MODEL = "gpt-4.1"
NO_SUCH_RESPONSE = "resp_" + "0" * 48
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def texts(client, response_id: str) -> list[tuple[str, str]]:
    """(role, text) of a response's input items, oldest first."""
    items = client.responses.input_items.list(response_id, order="asc").data
    return [(i.role, "".join(p.text for p in i.content)) for i in items if i.type == "message"]


def refused_link(caught: pytest.ExceptionInfo[openai.BadRequestError], response_id: str) -> None:
    assert caught.value.status_code == 400
    assert caught.value.code == "previous_response_not_found"
    assert caught.value.param == "previous_response_id"
    assert caught.value.body["message"] == f"Previous response with id '{response_id}' not found."


# chains


def test_a_chained_response_reads_the_whole_chain(client) -> None:
    first = client.responses.create(model=MODEL, input="My name is Ada.")
    second = client.responses.create(
        model=MODEL, input="What is my name?", previous_response_id=first.id
    )
    third = client.responses.create(model=MODEL, input="Thanks.", previous_response_id=second.id)
    assert second.previous_response_id == first.id and third.previous_response_id == second.id
    assert texts(client, second.id) == [
        ("user", "My name is Ada."),
        ("assistant", first.output_text),
        ("user", "What is my name?"),
    ]
    assert texts(client, third.id) == [
        *texts(client, second.id),
        ("assistant", second.output_text),
        ("user", "Thanks."),
    ]
    # The first response is untouched by what was chained to it.
    assert texts(client, first.id) == [("user", "My name is Ada.")]


def test_a_tool_output_must_answer_a_call_the_chain_holds(client) -> None:
    first = client.responses.create(model=MODEL, input="Weather in Lima?", tools=[WEATHER_TOOL])
    call = next(o for o in first.output if o.type == "function_call")
    output = [{"type": "function_call_output", "call_id": call.call_id, "output": "19C, fog"}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input=output, tools=[WEATHER_TOOL])
    assert caught.value.param == "input"
    assert caught.value.body["message"] == (
        f"No tool call found for function call output with call_id {call.call_id}."
    )
    second = client.responses.create(
        model=MODEL, input=output, tools=[WEATHER_TOOL], previous_response_id=first.id
    )
    assert second.status == "completed" and "19C, fog" in second.output_text
    kinds = [i.type for i in client.responses.input_items.list(second.id, order="asc").data]
    assert kinds == ["message", "function_call", "function_call_output"]


def test_an_unknown_previous_response_is_refused(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", previous_response_id=NO_SUCH_RESPONSE)
    refused_link(caught, NO_SUCH_RESPONSE)


def test_a_deleted_previous_response_is_refused(client) -> None:
    first = client.responses.create(model=MODEL, input="Remember me.")
    client.responses.delete(first.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="Do you?", previous_response_id=first.id)
    refused_link(caught, first.id)


def test_another_keys_response_cannot_be_continued(server, client) -> None:
    first = client.responses.create(model=MODEL, input="Mine.")
    other = strict_client(server.base_url, key=OTHER_KEY)
    with other, pytest.raises(openai.BadRequestError) as caught:
        other.responses.create(model=MODEL, input="Yours?", previous_response_id=first.id)
    refused_link(caught, first.id)


def test_a_chain_and_a_conversation_are_mutually_exclusive(client) -> None:
    conv = client.conversations.create()
    first = client.responses.create(model=MODEL, input="a")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODEL, input="b", conversation=conv.id, previous_response_id=first.id
        )
    assert caught.value.code == "mutually_exclusive_parameters"
    assert "'previous_response_id' or 'conversation'" in caught.value.body["message"]


# store: false


def test_an_unstored_response_is_answered_and_kept_nowhere(client) -> None:
    resp = client.responses.create(model=MODEL, input="Keep this off the record.", store=False)
    assert resp.status == "completed" and resp.output_text and resp.store is False
    missing = f"Response with id '{resp.id}' not found."
    for call in (
        lambda: client.responses.retrieve(resp.id),
        lambda: client.responses.input_items.list(resp.id),
        lambda: client.responses.delete(resp.id),
    ):
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        assert caught.value.body["message"] == missing
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model=MODEL, input="And then?", previous_response_id=resp.id)
    refused_link(refused, resp.id)


def test_an_unstored_response_streams_and_is_then_gone(client) -> None:
    events = list(client.responses.create(model=MODEL, input="stream it", store=False, stream=True))
    assert events[-1].type == "response.completed"
    done = events[-1].response
    assert done.store is False and done.output_text
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(done.id)


def test_an_unstored_response_may_continue_a_stored_chain(client) -> None:
    first = client.responses.create(model=MODEL, input="Stored.")
    second = client.responses.create(
        model=MODEL, input="Not stored.", previous_response_id=first.id, store=False
    )
    assert second.status == "completed" and second.previous_response_id == first.id
    assert client.responses.retrieve(first.id).id == first.id


# background and resuming


def test_background_needs_a_stored_response(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="later", background=True, store=False)
    assert caught.value.param == "background"
    assert caught.value.code == "unsupported_parameter"
    assert "store" in caught.value.body["message"]


def test_only_a_background_response_resumes_its_stream(client) -> None:
    plain = client.responses.create(model=MODEL, input="in the foreground")
    with pytest.raises(openai.BadRequestError) as caught:
        list(client.responses.retrieve(plain.id, stream=True))
    assert caught.value.param == "stream"
    assert caught.value.body["message"] == (
        "This response cannot be streamed because it was not created with background=true."
    )
    streamed = list(client.responses.create(model=MODEL, input="streamed", stream=True))
    with pytest.raises(openai.BadRequestError):
        list(client.responses.retrieve(streamed[-1].response.id, stream=True))
    queued = client.responses.create(model=MODEL, input="behind", background=True, stream=True)
    first = next(iter(queued))
    queued.close()
    resumed = list(client.responses.retrieve(first.response.id, stream=True, starting_after=0))
    assert resumed[0].sequence_number == 1 and resumed[-1].type == "response.completed"


def test_a_resume_point_that_is_not_a_number_is_a_400(client) -> None:
    resp = client.responses.create(model=MODEL, input="bg", background=True)
    with pytest.raises(openai.BadRequestError) as caught:
        client.get(
            f"/responses/{resp.id}",
            cast_to=object,
            options={"params": {"stream": "true", "starting_after": "abc"}},
        )
    assert caught.value.param == "starting_after" and caught.value.code == "invalid_type"


def test_a_foreground_response_cannot_be_cancelled(client) -> None:
    resp = client.responses.create(model=MODEL, input="done already")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.cancel(resp.id)
    assert "background" in caught.value.body["message"]


# deleting a conversation


def test_deleting_a_conversation_keeps_the_responses_that_wrote_into_it(client) -> None:
    conv = client.conversations.create()
    first = client.responses.create(model=MODEL, input="Hello there.", conversation=conv.id)
    second = client.responses.create(model=MODEL, input="Still here?", conversation=conv.id)
    assert client.conversations.delete(conv.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conv.id)
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list(conv.id)
    kept = client.responses.retrieve(first.id)
    assert kept.output_text == first.output_text
    assert kept.conversation is not None and kept.conversation.id == conv.id
    assert texts(client, first.id) == [("user", "Hello there.")]
    assert texts(client, second.id) == [("user", "Still here?")]
    # Each response goes only when it is deleted itself.
    client.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)
    assert client.responses.retrieve(second.id).id == second.id


def test_a_manual_chain_sends_the_output_back_as_input(client) -> None:
    """``input += response.output`` then the tool's output: how the docs chain by hand."""
    prompt = {"role": "user", "content": "What is the weather in Oslo?"}
    first = client.responses.create(
        model="o4-mini", input=[prompt], tools=[WEATHER_TOOL], tool_choice="required"
    )
    kinds = [item.type for item in first.output]
    assert kinds[0] == "reasoning" and "function_call" in kinds
    call = next(item for item in first.output if item.type == "function_call")
    chained = [
        prompt,
        *[item.model_dump(exclude_none=True) for item in first.output],
        {"type": "function_call_output", "call_id": call.call_id, "output": '{"temp_c": 7}'},
    ]
    second = client.responses.create(model="o4-mini", input=chained, tools=[WEATHER_TOOL])
    assert second.status == "completed"
    assert '{"temp_c": 7}' in second.output_text
    sent = [item.id for item in first.output]
    kept = [item.id for item in client.responses.input_items.list(second.id).data]
    assert set(sent) <= set(kept), "the items sent back keep their IDs"
