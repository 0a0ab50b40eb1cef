"""When the emulator cannot answer, the response or run fails as the real API's do: never a hang."""

from __future__ import annotations

import time

from tests.conftest import PATIENCE, strict_client
from tui.emulator import EmulatorServer

SELF_REQUIRED = {  # a tree whose every node must hold another: no value can end it
    "type": "object",
    "properties": {"next": {"$ref": "#"}},
    "required": ["next"],
}
TEXT_COUNTS = {  # counts written as strings: a schema the real API would refuse
    "type": "object",
    "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": "2"}},
    "required": ["tags"],
}


def required_call(parameters: dict, prompt: str) -> dict:
    """The arguments of ``responses.create`` that make the model call a tool of ``parameters``."""
    tool = {"type": "function", "name": "walk", "parameters": parameters, "strict": False}
    return {"model": "gpt-4.1", "input": prompt, "tools": [tool], "tool_choice": "required"}


def test_a_reply_the_emulator_cannot_make_fails_the_streamed_response(
    server: EmulatorServer,
) -> None:
    with strict_client(server.base_url) as sdk:
        stream = sdk.responses.create(**required_call(SELF_REQUIRED, "walk the tree"), stream=True)
        events = list(stream)
        assert events[0].type == "response.created"
        assert events[-1].type == "response.failed"
        failed = events[-1].response  # type: ignore[union-attr]
        assert failed.status == "failed" and failed.error is not None
        assert failed.error.code == "server_error"
        assert sdk.responses.retrieve(failed.id).status == "failed"


def test_a_background_response_the_emulator_cannot_make_ends_failed(
    server: EmulatorServer,
) -> None:
    with strict_client(server.base_url) as sdk:
        created = sdk.responses.create(
            **required_call(SELF_REQUIRED, "walk the tree"), background=True
        )
        done = sdk.responses.retrieve(created.id)
        deadline = time.monotonic() + PATIENCE
        while done.status in ("queued", "in_progress") and time.monotonic() < deadline:
            done = sdk.responses.retrieve(created.id)
        assert done.status == "failed"
        assert done.error is not None and done.error.code == "server_error"


def test_counts_written_as_text_are_read_leniently(server: EmulatorServer) -> None:
    with strict_client(server.base_url) as sdk:
        reply = sdk.responses.create(**required_call(TEXT_COUNTS, "tag it"))
        assert reply.status == "completed"
        assert reply.output[-1].type == "function_call"
