"""Contract of the emulator's models routes and ``POST /responses/input_tokens``."""

from __future__ import annotations

import openai
import pytest

MODEL = "gpt-4.1"


def error_of(caught: pytest.ExceptionInfo[openai.APIStatusError]) -> dict:
    return caught.value.response.json()["error"]


def test_every_listed_model_is_retrieved_as_listed(client) -> None:
    listed = client.models.list().data
    assert MODEL in [m.id for m in listed]
    for model in listed:
        got = client.models.retrieve(model.id)
        assert got == model and got.object == "model"
        assert isinstance(got.created, int) and got.owned_by


def test_a_dated_snapshot_and_a_fine_tune_of_a_known_model_are_found(client) -> None:
    assert client.models.retrieve("gpt-4o-2024-08-06").id == "gpt-4o-2024-08-06"
    tuned = "ft:gpt-4.1-mini:acme::abc123"
    assert client.models.retrieve(tuned).id == tuned


def test_an_unknown_model_is_404_model_not_found(client) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-nope")
    assert caught.value.status_code == 404
    assert error_of(caught) == {
        "message": "The model 'gpt-nope' does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }


def count(client, **kw) -> int:
    got = client.responses.input_tokens.count(model=MODEL, **kw)
    assert got.object == "response.input_tokens" and isinstance(got.input_tokens, int)
    return got.input_tokens


def test_input_tokens_are_counted_the_same_way_every_time(client) -> None:
    short = count(client, input="Tell me a joke.")
    assert short > 0 and count(client, input="Tell me a joke.") == short
    assert count(client, input="Tell me a joke about cursors and pages, please.") > short
    assert count(client, input="Tell me a joke.", instructions="Be funny.") > short
    tool = {"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": False}
    assert count(client, input="Tell me a joke.", tools=[tool]) > short
    items = [{"role": "user", "content": "Tell me a joke."}]
    assert count(client, input=items) == short


def test_input_tokens_include_a_conversation_and_a_response_chain(client) -> None:
    alone = count(client, input="And then?")
    conv = client.conversations.create(items=[{"role": "user", "content": "Once upon a time"}])
    assert count(client, input="And then?", conversation=conv.id) > alone
    first = client.responses.create(model=MODEL, input="Once upon a time")
    assert count(client, input="And then?", previous_response_id=first.id) > alone


def test_input_tokens_refuse_what_the_real_api_refuses(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.input_tokens.count(model=MODEL, previous_response_id="resp_missing")
    assert error_of(caught)["code"] == "previous_response_not_found"
    assert error_of(caught)["param"] == "previous_response_id"
    with pytest.raises(openai.NotFoundError):
        client.responses.input_tokens.count(model=MODEL, input="x", conversation="conv_missing")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.input_tokens.count(model="gpt-nope", input="x")
    assert error_of(caught)["code"] == "model_not_found"
