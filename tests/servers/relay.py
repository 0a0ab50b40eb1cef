"""Serve the ``openai-responses`` package's Assistants state over real HTTP.

``openai-responses`` answers OpenAI SDK calls from an in-memory state store through a
RESPX router. This relay turns each HTTP request into an ``httpx.Request`` for that router
and sends its answer back, so threads, messages and runs are served by code the project
did not write. The package leaves runs ``queued`` forever (a test is meant to set their
state); the relay gives each new run a reply through the package's own run and message
builders, completed at once, streamed as Assistants SSE events when the run asks to stream.

Run with the package's virtualenv: ``python relay.py --port N`` (listens on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import respx
import uvicorn
from openai.types.beta.threads.message import Message
from openai.types.beta.threads.run import Run
from openai_responses import OpenAIMock
from openai_responses.helpers.builders.messages import build_message
from openai_responses.stores import StateStore
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

BASE = "http://relay.invalid/v1"


def _reply_text(state: StateStore, thread_id: str) -> str:
    messages = state.beta.threads.messages.list(thread_id, None, "desc", None, None)
    for message in messages:
        if message.role == "user":
            text = " ".join(p.text.value for p in message.content if p.type == "text")
            return f"Echo: {text}"
    return "Echo: (nothing)"


def _complete(state: StateStore, run: Run) -> tuple[Run, Message]:
    text = _reply_text(state, run.thread_id)
    message = build_message(
        {
            "thread_id": run.thread_id,
            "role": "assistant",
            "status": "completed",
            "assistant_id": run.assistant_id,
            "run_id": run.id,
            "content": [{"type": "text", "text": {"value": text, "annotations": []}}],
            "attachments": [],
            "metadata": {},
        }
    )
    state.beta.threads.messages.put(message)
    now = int(time.time())
    words = len(text.split())
    usage = {"prompt_tokens": 5, "completion_tokens": words, "total_tokens": 5 + words}
    changes = {"status": "completed", "started_at": now, "completed_at": now, "usage": usage}
    done = Run.model_validate({**run.model_dump(), **changes})
    state.beta.threads.runs.put(done)
    return done, message


def _sse(event: str, data: Any) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data.model_dump(mode="json"))
    return f"event: {event}\ndata: {payload}\n\n".encode()


def _events(queued: Run, done: Run, message: Message) -> Iterator[bytes]:
    yield _sse("thread.run.created", queued)
    yield _sse("thread.run.in_progress", queued.model_copy(update={"status": "in_progress"}))
    yield _sse("thread.message.created", message)
    for index, part in enumerate(message.content):
        delta = {
            "id": message.id,
            "object": "thread.message.delta",
            "delta": {
                "content": [{"index": index, "type": "text", "text": {"value": part.text.value}}]
            },  # type: ignore[union-attr]
        }
        yield f"event: thread.message.delta\ndata: {json.dumps(delta)}\n\n".encode()
    yield _sse("thread.message.completed", message)
    yield _sse("thread.run.completed", done)
    yield b"event: done\ndata: [DONE]\n\n"


def install_runner(mock: OpenAIMock) -> None:
    """Make each created run complete with a reply (streamed when asked)."""
    create = mock.beta.threads.runs.create
    default = create._handler

    def run_create(request: httpx.Request, route: respx.Route, **kw: Any) -> httpx.Response:
        answer = default(request, route, **kw)
        if answer.status_code >= 400:
            return answer
        queued = Run.model_validate(answer.json())
        done, message = _complete(mock.state, queued)
        if json.loads(request.content or b"{}").get("stream"):
            body = b"".join(_events(queued, done, message))
            return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})
        return httpx.Response(answer.status_code, json=queued.model_dump(mode="json"))

    create.response = run_create


def relay_app(mock: OpenAIMock) -> Starlette:
    """An ASGI app that answers every request from ``mock``'s router."""

    async def relay(request: Request) -> Response:
        path = request.url.path.removeprefix("/v1")
        query = f"?{request.url.query}" if request.url.query else ""
        outgoing = httpx.Request(
            request.method,
            f"{BASE}{path}{query}",
            headers={"content-type": "application/json"},
            content=await request.body(),
        )
        try:
            answer = mock.router.handler(outgoing)
        except (AssertionError, respx.models.AllMockedAssertionError):
            error = {
                "message": f"No route {request.method} {path}",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
            return JSONResponse({"error": error}, status_code=404)
        kind = answer.headers.get("content-type", "application/json")
        if kind.startswith("text/event-stream"):
            return StreamingResponse(iter([answer.content]), media_type="text/event-stream")
        return Response(answer.content, status_code=answer.status_code, media_type=kind)

    methods = ["GET", "POST", "DELETE"]
    return Starlette(routes=[Route("/v1/{path:path}", relay, methods=methods)])


def main() -> None:
    """Serve the relay on 127.0.0.1."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    mock = OpenAIMock(base_url=BASE)
    install_runner(mock)
    uvicorn.run(relay_app(mock), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
