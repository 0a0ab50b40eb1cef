"""The contract recorder: it tees what the emulator sends, and the check finds what is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.conftest import CHATTING, TEST_KEY
from tests.contract import check
from tests.contract.check import CLIENT, DEFECT, EMULATOR, Known, Tally, record_of
from tui.api import adapter_for
from tui.api.client import USER_AGENT, make_client
from tui.emulator import recording
from tui.emulator.recording import Exchange, Recording, add_recorder, parse_events, remove_recorder
from tui.model import Connection, Kind

ROOT = Path(__file__).resolve().parents[2]

# A complete Responses object, as the real API sends it (user null: a patched spec defect).
GOOD_RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1700000000,
    "status": "completed",
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "metadata": {},
    "model": "gpt-4.1",
    "output": [],
    "parallel_tool_calls": True,
    "temperature": 1.0,
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "user": None,
}


def _sse(*events: tuple[str, Any]) -> bytes:
    return b"".join(f"event: {n}\ndata: {json.dumps(d)}\n\n".encode() for n, d in events)


def _fake_api(body: Any, stream: bytes = b"") -> ASGIApp:
    """An app answering ``POST /v1/responses`` with ``body`` (or ``stream`` when asked)."""

    async def create(request: Request) -> Response:
        sent = await request.json()
        if sent.get("stream"):
            return Response(stream, media_type="text/event-stream")
        return JSONResponse(body)

    return Recording(Starlette(routes=[Route("/v1/responses", create, methods=["POST"])]))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Records of every exchange served during the test, kept from any other recorder.

    The session's own recorder (when the plugin is loaded) must not see the wrong bodies
    these tests send on purpose, or the session would fail for them.
    """
    records: list[dict[str, Any]] = []

    def keep(exchange: Exchange) -> None:
        records.append(record_of(exchange))

    monkeypatch.setattr(recording, "_recorders", [])
    add_recorder(keep)
    yield records
    remove_recorder(keep)


async def _post(app: ASGIApp, body: dict[str, Any], agent: str = "OpenAI/Python") -> None:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
        await http.post("/v1/responses", json=body, headers={"user-agent": agent})


def _tally(records: list[dict[str, Any]]) -> Tally:
    result = Tally()
    for record in records:
        result.add(record)
    return result


async def test_a_wrong_body_is_reported(recorded: list[dict[str, Any]]) -> None:
    wrong = {**GOOD_RESPONSE, "status": "finished"}
    del wrong["output"]
    await _post(_fake_api(wrong), {"model": "gpt-4.1", "input": "hi"})
    result = _tally(recorded)
    assert (result.answers_valid, result.answers) == (0, 1)
    problems = sorted(v.problem for v in result.failed)
    assert any(p.startswith("status: 'finished' is not one of") for p in problems)
    assert any("'output' is a required property" in p for p in problems)
    assert {(v.side, v.what, v.route) for v in result.failed} == {
        (EMULATOR, "body", "POST /responses")
    }


async def test_a_patched_spec_defect_is_not_reported(recorded: list[dict[str, Any]]) -> None:
    await _post(_fake_api(GOOD_RESPONSE), {"model": "gpt-4.1", "input": "hi"})
    result = _tally(recorded)
    assert (result.answers_valid, result.answers) == (1, 1)
    assert not result.violations


async def test_a_known_deviation_is_counted_valid(
    recorded: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    known = Known("POST /responses", r"^background:", "the real API sends it (a test entry)")
    monkeypatch.setattr(check, "KNOWN", (known,))
    await _post(
        _fake_api({**GOOD_RESPONSE, "background": "no"}), {"model": "gpt-4.1", "input": "x"}
    )
    result = _tally(recorded)
    assert (result.answers_valid, result.answers) == (1, 1)
    assert [v.side for v in result.violations] == [DEFECT] and not result.failed


async def test_each_stream_event_is_checked(recorded: list[dict[str, Any]]) -> None:
    good = {"type": "response.created", "sequence_number": 0, "response": GOOD_RESPONSE}
    bad = {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1"}
    stream = _sse(("response.created", good), ("response.output_text.delta", bad))
    await _post(_fake_api({}, stream + b"event: response.comp"), {"stream": True})
    result = _tally(recorded)
    assert (result.answers_valid, result.answers) == (1, 2)  # the cut event is not one
    assert {v.what for v in result.failed} == {"event"}
    assert all(v.problem.startswith("response.output_text.delta ") for v in result.failed)
    assert recorded[0]["complete"]  # the answer ended: only its last event was unfinished


async def test_only_our_requests_are_checked(recorded: list[dict[str, Any]]) -> None:
    app = _fake_api(GOOD_RESPONSE)
    await _post(app, {"model": "gpt-4.1", "input": "hi", "metdata": {}})  # a test's raw call
    await _post(app, {"model": "gpt-4.1", "input": "hi", "metdata": {}}, agent=USER_AGENT)
    await _post(app, {"model": "gpt-4.1", "input": "hi"}, agent=USER_AGENT)
    result = _tally(recorded)
    assert (result.ours_valid, result.ours) == (1, 2)
    [wrong] = result.failed
    assert (wrong.side, wrong.what) == (CLIENT, "request")
    assert wrong.problem == "metdata: Unknown parameter: 'metdata'."


def test_events_are_read_whole_and_in_order() -> None:
    body = b"event: a\ndata: {}\n\ndata: x\ndata: y\n\n: comment\n\nevent: b\ndata: {"
    assert [(e.event, e.data) for e in parse_events(body)] == [("a", "{}"), ("message", "x\ny")]


async def test_nothing_registered_passes_straight_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording, "_recorders", [])
    seen: list[tuple[Receive, Send]] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((receive, send))
        await JSONResponse({})(scope, receive, send)

    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=Recording(inner)),
        base_url="http://t",
    ) as http:
        await http.get("/v1/models")
    [(receive, send)] = seen
    assert getattr(send, "__name__", "") != "tapped_send"
    assert getattr(receive, "__name__", "") != "tapped_receive"


@pytest.mark.parametrize("kind", CHATTING)
async def test_our_adapters_and_the_emulator_agree_with_the_spec(
    server: Any, recorded: list[dict[str, Any]], kind: Kind
) -> None:
    connection = Connection(server.base_url)
    client = make_client(connection, TEST_KEY, strict=True, max_retries=0)
    api = adapter_for(kind, client, connection)
    choice = "gpt-4.1"
    if kind is Kind.THREAD:
        choice = (await client.beta.assistants.create(model="gpt-4.1", name="c")).id
    item = await api.create(metadata={"title": "Contract"}, first_message="first")
    await api.update_metadata(item.id, {"title": "Renamed"})
    [_ async for _ in api.send(item.id, "Say hello in a few languages.", choice=choice)]
    await api.history(item.id, limit=2)
    await api.list_choices()
    await api.delete(item.id)
    await client.close()
    result = _tally(recorded)
    assert result.answers > 10 and result.ours > 5
    assert [f"{v.route}: {v.problem}" for v in result.failed] == []


PLUGIN_RUN = """
import httpx2
from tests.contract.test_contract import GOOD_RESPONSE, _fake_api, _post

async def test_sends_a_wrong_body():
    await _post(_fake_api({**GOOD_RESPONSE, "status": "finished"}), {"model": "m", "input": "x"})
"""


def _clean_environ() -> dict[str, str]:
    """This process's environment without what pytest and xdist set for it."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


@pytest.mark.long
@pytest.mark.parametrize("workers", ["0", "1"])
def test_the_plugin_fails_the_session_with_a_summary(tmp_path: Path, workers: str) -> None:
    (tmp_path / "test_wrong.py").write_text(PLUGIN_RUN)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.contract.recorder",
            "-n",
            workers,
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={**_clean_environ(), "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert "bodies and events valid: 0 / 1" in run.stdout
    assert "our requests valid: 0 / 0" in run.stdout
    assert "[emulator wrong] body POST /responses (1x): status:" in run.stdout


def test_chat_chunks_are_checked_and_done_ends_them() -> None:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4.1",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
    }
    record = {
        "method": "POST",
        "path": "/v1/chat/completions",
        "ours": False,
        "events": [
            ["message", json.dumps(chunk)],
            ["message", json.dumps({"id": 1})],
            ["message", "[DONE]"],
        ],
    }
    checked = check.check(record)
    assert [c.valid for c in checked] == [True, False, True]
