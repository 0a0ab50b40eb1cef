"""A counting proxy: every request the product sends to a server passes here and is counted."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx2
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}


@dataclass
class Counter:
    """The requests seen so far, as ``METHOD path`` lines."""

    seen: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many requests so far."""
        return len(self.seen)


class CountingProxy:
    """An ASGI app that forwards every request to ``upstream`` (same paths) and counts it."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.counter = Counter()
        self._client: httpx2.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self.counter.seen.append(f"{request.method} {request.url.path}")
        if self._client is None:
            self._client = httpx2.AsyncClient(timeout=httpx2.Timeout(120.0, connect=5.0))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        query = f"?{request.url.query}" if request.url.query else ""
        outgoing = self._client.build_request(
            request.method,
            f"{self.upstream}{request.url.path}{query}",
            headers=headers,
            content=await request.body(),
        )
        answer = await self._client.send(outgoing, stream=True)
        response = StreamingResponse(
            answer.aiter_raw(),
            status_code=answer.status_code,
            headers={k: v for k, v in answer.headers.items() if k.lower() not in HOP},
            background=BackgroundTask(answer.aclose),
        )
        await response(scope, receive, send)
