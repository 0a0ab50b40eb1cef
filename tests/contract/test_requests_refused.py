"""Requests the spec's schemas refuse are refused by the emulator, as the real API does.

Each case is sent with the real SDK over HTTP to an emulator on 127.0.0.1 and must come back
400 ``invalid_request_error`` with the ``param`` and ``code`` the real API gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from tests.conftest import strict_client
from tui.emulator import EmulatorServer

MODEL = "gpt-4.1"
BETA = {"OpenAI-Beta": "assistants=v2"}
Send = Callable[[openai.OpenAI, dict[str, str]], Any]


@dataclass(frozen=True)
class Case:
    """A request the real API refuses, and the ``param`` and ``code`` of its refusal."""

    name: str
    send: Send
    param: str | None
    code: str


def respond(**body: Any) -> Send:
    """``responses.create`` with this body (unknown keys go in ``extra_body``)."""
    known = {"model", "input", "stream", "temperature", "top_p", "max_output_tokens"}
    known |= {"truncation", "include", "tool_choice", "text", "tools", "background"}
    known |= {"reasoning", "previous_response_id", "parallel_tool_calls", "conversation"}
    typed = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    return lambda c, _ids: c.responses.create(**typed, extra_body=extra or None)


def post(path: str, body: dict[str, Any], *, beta: bool = False) -> Send:
    """A raw POST through the SDK (``{thread}`` in ``path`` is a fresh thread's ID)."""
    headers = BETA if beta else {}
    return lambda c, ids: c.post(
        path.format(**ids), body=body, cast_to=object, options={"headers": headers}
    )


def get(path: str, query: dict[str, Any], *, beta: bool = False) -> Send:
    """A raw GET through the SDK with these query parameters."""
    headers = BETA if beta else {}
    return lambda c, ids: c.get(
        path.format(**ids), cast_to=object, options={"params": query, "headers": headers}
    )


FN = {"type": "function", "parameters": {"type": "object", "properties": {}}}
CASES = [
    Case(
        "misspelt metadata",
        respond(model=MODEL, input="hi", metdata={}),
        "metdata",
        "unknown_parameter",
    ),
    Case(
        "stream as a string",
        respond(model=MODEL, input="hi", stream="yes"),
        "stream",
        "invalid_type",
    ),
    Case(
        "temperature 5",
        respond(model=MODEL, input="hi", temperature=5),
        "temperature",
        "decimal_above_max_value",
    ),
    Case("top_p 3", respond(model=MODEL, input="hi", top_p=3), "top_p", "decimal_above_max_value"),
    Case(
        "max_output_tokens 5",
        respond(model=MODEL, input="hi", max_output_tokens=5),
        "max_output_tokens",
        "integer_below_min_value",
    ),
    Case(
        "bad truncation",
        respond(model=MODEL, input="hi", truncation="bogus"),
        "truncation",
        "invalid_value",
    ),
    Case(
        "bad include",
        respond(model=MODEL, input="hi", include=["bogus"]),
        "include[0]",
        "invalid_value",
    ),
    Case(
        "bad tool_choice",
        respond(model=MODEL, input="hi", tool_choice="bogus"),
        "tool_choice",
        "invalid_value",
    ),
    Case(
        "bad text.format.type",
        respond(model=MODEL, input="hi", text={"format": {"type": "bogus"}}),
        "text.format.type",
        "invalid_value",
    ),
    Case(
        "file_search without vector stores",
        respond(model=MODEL, input="hi", tools=[{"type": "file_search"}]),
        "tools[0].vector_store_ids",
        "missing_required_parameter",
    ),
    Case(
        "function tool without name",
        respond(model=MODEL, input="hi", tools=[FN]),
        "tools[0].name",
        "missing_required_parameter",
    ),
    Case(
        "background function tool without name",
        respond(model=MODEL, input="hi", tools=[FN], background=True),
        "tools[0].name",
        "missing_required_parameter",
    ),
    Case(
        "v1 retrieval tool",
        respond(model=MODEL, input="hi", tools=[{"type": "retrieval"}]),
        "tools[0].type",
        "invalid_value",
    ),
    Case("unknown model", respond(model="gpt-bogus-9", input="hi"), "model", "model_not_found"),
    Case(
        "chat-style messages",
        respond(model=MODEL, messages=[{"role": "user", "content": "hi"}]),
        "messages",
        "unknown_parameter",
    ),
    Case(
        "chat-style max_tokens",
        respond(model=MODEL, input="hi", max_tokens=50),
        "max_tokens",
        "unknown_parameter",
    ),
    Case(
        "background as a string",
        respond(model=MODEL, input="hi", background="no"),
        "background",
        "invalid_type",
    ),
    Case(
        "bad reasoning effort",
        respond(model=MODEL, input="hi", reasoning={"effort": "extreme"}),
        "reasoning.effort",
        "invalid_value",
    ),
    Case(
        "previous_response_id a number",
        respond(model=MODEL, input="hi", previous_response_id=5),
        "previous_response_id",
        "invalid_type",
    ),
    Case(
        "parallel_tool_calls a string",
        respond(model=MODEL, input="hi", parallel_tool_calls="yes"),
        "parallel_tool_calls",
        "invalid_type",
    ),
    Case(
        "input content a number",
        respond(model=MODEL, input=[{"role": "user", "content": 5}]),
        "input[0].content",
        "invalid_type",
    ),
    Case(
        "conversation with previous_response_id",
        respond(model=MODEL, input="hi", conversation="conv_x", previous_response_id="resp_x"),
        "conversation",
        "mutually_exclusive_parameters",
    ),
    Case(
        "conversation misspelt metadata",
        post("/conversations", {"metdata": {}}),
        "metdata",
        "unknown_parameter",
    ),
    Case(
        "conversation items missing",
        post("/conversations/{conversation}/items", {}),
        "items",
        "missing_required_parameter",
    ),
    Case(
        "assistant without model",
        post("/assistants", {"name": "x"}, beta=True),
        "model",
        "missing_required_parameter",
    ),
    Case(
        "assistant v1 file_ids",
        post("/assistants", {"model": MODEL, "file_ids": ["file-1"]}, beta=True),
        "file_ids",
        "unknown_parameter",
    ),
    Case(
        "assistant v1 retrieval tool",
        post("/assistants", {"model": MODEL, "tools": [{"type": "retrieval"}]}, beta=True),
        "tools[0].type",
        "invalid_value",
    ),
    Case(
        "assistant unknown model",
        post("/assistants", {"model": "gpt-bogus-9"}, beta=True),
        "model",
        "model_not_found",
    ),
    Case(
        "message v1 file_ids",
        post(
            "/threads/{thread}/messages",
            {"role": "user", "content": "hi", "file_ids": ["file-1"]},
            beta=True,
        ),
        "file_ids",
        "unknown_parameter",
    ),
    Case(
        "message bad role",
        post("/threads/{thread}/messages", {"role": "system", "content": "hi"}, beta=True),
        "role",
        "invalid_value",
    ),
    Case(
        "message without content",
        post("/threads/{thread}/messages", {"role": "user"}, beta=True),
        "content",
        "missing_required_parameter",
    ),
    Case(
        "run without assistant",
        post("/threads/{thread}/runs", {}, beta=True),
        "assistant_id",
        "missing_required_parameter",
    ),
    Case(
        "run stream as a string",
        post("/threads/{thread}/runs", {"assistant_id": "asst_x", "stream": "yes"}, beta=True),
        "stream",
        "invalid_type",
    ),
    Case(
        "run temperature 5",
        post("/threads/{thread}/runs", {"assistant_id": "asst_x", "temperature": 5}, beta=True),
        "temperature",
        "decimal_above_max_value",
    ),
    Case(
        "run bad truncation_strategy",
        post(
            "/threads/{thread}/runs",
            {"assistant_id": "asst_x", "truncation_strategy": {"type": "bogus"}},
            beta=True,
        ),
        "truncation_strategy.type",
        "invalid_value",
    ),
    Case(
        "resume cursor not a number",
        get("/responses/resp_x", {"stream": "true", "starting_after": "abc"}),
        "starting_after",
        "invalid_type",
    ),
    Case(
        "list order bogus",
        get("/threads/{thread}/messages", {"order": "up"}, beta=True),
        "order",
        "invalid_value",
    ),
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """One emulator for every case (a refused request changes nothing)."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture(scope="module")
def sent(emulator: EmulatorServer) -> Iterator[tuple[openai.OpenAI, dict[str, str]]]:
    """A strict SDK client without retries, and the IDs the cases' paths name."""
    client = strict_client(emulator.base_url, max_retries=0)
    ids = {
        "thread": client.beta.threads.create().id,
        "conversation": client.conversations.create().id,
    }
    yield client, ids
    client.close()


def refusal(case: Case, client: openai.OpenAI, ids: dict[str, str]) -> openai.APIError | None:
    """The error the case was refused with (or the connection's), ``None`` if accepted."""
    try:
        case.send(client, ids)
    except openai.APIError as exc:
        return exc
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refused_with_param_and_code(
    case: Case, sent: tuple[openai.OpenAI, dict[str, str]]
) -> None:
    error = refusal(case, *sent)
    assert error is not None, f"{case.name}: accepted"
    assert isinstance(error, openai.APIStatusError), f"{case.name}: {error!r}"
    assert error.status_code == 400, f"{case.name}: {error.status_code} {error.message}"
    body = error.body
    assert isinstance(body, dict) and body.get("type") == "invalid_request_error"
    assert (error.param, error.code) == (case.param, case.code), error.message
    assert error.message.rstrip().endswith(".")


def test_refused_count(
    sent: tuple[openai.OpenAI, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    refused = 0
    for case in CASES:
        error = refusal(case, *sent)
        refused += isinstance(error, openai.APIStatusError) and error.status_code == 400
    with capsys.disabled():
        print(f"\nrefused {refused} / tried {len(CASES)}")
    assert len(CASES) >= 28
    assert refused == len(CASES)


def test_messages_read_like_the_real_api(sent: tuple[openai.OpenAI, dict[str, str]]) -> None:
    expected = {
        "misspelt metadata": "Unknown parameter: 'metdata'.",
        "function tool without name": "Missing required parameter: 'tools[0].name'.",
        "stream as a string": (
            "Invalid type for 'stream': expected a boolean, but got a string instead."
        ),
        "bad truncation": "Invalid value: 'bogus'. Supported values are: 'auto' and 'disabled'.",
    }
    by_name = {c.name: c for c in CASES}
    for name, message in expected.items():
        error = refusal(by_name[name], *sent)
        assert isinstance(error, openai.APIStatusError)
        assert error.body["message"] == message  # type: ignore[index]
