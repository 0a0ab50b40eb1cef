"""A tiny OpenAI-compatible chat-completions model: the inference a real server is given.

It answers ``GET /v1/models`` and ``POST /v1/chat/completions`` (plain and streamed) with a
deterministic reply that quotes the last user message, so a test can tell which turn a reply
belongs to. It never calls anything else.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL = "fake-model"


def reply_for(messages: list[dict[str, Any]]) -> str:
    """The reply to a conversation: an echo of its last user message."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return f"Echo: {_text(message.get('content'))}"
    return "Echo: (nothing)"


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _usage(reply: str) -> dict[str, int]:
    tokens = len(reply.split())
    return {"prompt_tokens": 5, "completion_tokens": tokens, "total_tokens": 5 + tokens}


async def models(_: Request) -> Response:
    """The one model this server has."""
    entry = {"id": MODEL, "object": "model", "created": 1_700_000_000, "owned_by": "tests"}
    return JSONResponse({"object": "list", "data": [entry]})


async def chat_completions(request: Request) -> Response:
    """A chat completion: one JSON object, or SSE chunks when ``stream`` is true."""
    body = await request.json()
    reply = reply_for(body.get("messages") or [])
    base = {"id": f"chatcmpl-{time.time_ns()}", "created": int(time.time()), "model": MODEL}
    if body.get("stream"):
        usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(_chunks(base, reply, usage), media_type="text/event-stream")
    choice = {
        "index": 0,
        "finish_reason": "stop",
        "message": {"role": "assistant", "content": reply},
    }
    return JSONResponse(
        {**base, "object": "chat.completion", "choices": [choice], "usage": _usage(reply)}
    )


async def _chunks(base: dict[str, Any], reply: str, usage: bool) -> AsyncIterator[str]:
    chunk = {**base, "object": "chat.completion.chunk"}
    words = reply.split(" ")
    for i, word in enumerate(words):
        delta: dict[str, Any] = {"content": word if i == 0 else f" {word}"}
        if i == 0:
            delta["role"] = "assistant"
        choice = {"index": 0, "delta": delta, "finish_reason": None}
        yield f"data: {json.dumps({**chunk, 'choices': [choice]})}\n\n"
    last = {"index": 0, "delta": {}, "finish_reason": "stop"}
    yield f"data: {json.dumps({**chunk, 'choices': [last]})}\n\n"
    if usage:
        yield f"data: {json.dumps({**chunk, 'choices': [], 'usage': _usage(reply)})}\n\n"
    yield "data: [DONE]\n\n"


def fake_model_app() -> Starlette:
    """The ASGI app of the fake model."""
    return Starlette(
        routes=[
            Route("/v1/models", models),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        ]
    )
