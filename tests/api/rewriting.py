"""An ASGI app in front of another that rewrites the JSON of chosen replies.

For what a well-behaved emulator never sends (an unreadable entry, a cursor that never
moves): the app behind answers, and ``rewrite`` changes the reply's JSON on its way out.
Every request is counted by path.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Rewrite = Callable[[str, dict[str, Any]], dict[str, Any]]
"""Gets a request's path and the reply's JSON object; gives the JSON to send instead."""


class Rewriting:
    """Serves ``app``, rewriting the JSON replies of requests ``wanted`` picks.

    ``query`` may change a picked request's query string first (``b"after=x&limit=100"``).
    """

    def __init__(
        self,
        app: ASGIApp,
        wanted: Callable[[str, str], bool],
        rewrite: Rewrite,
        query: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.app = app
        self.wanted = wanted
        self.rewrite = rewrite
        self.query = query
        self.requests: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request (others than HTTP pass through)."""
        if scope["type"] != "http" or not self.wanted(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        self.requests[scope["path"]] += 1
        if self.query is not None:
            scope = {**scope, "query_string": self.query(scope["query_string"])}
        start: Message = {}
        body = bytearray()

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    await self._send(scope["path"], start, bytes(body), send)

        await self.app(scope, receive, keep)

    async def _send(self, path: str, start: Message, body: bytes, send: Send) -> None:
        if start.get("status") == 200:
            body = json.dumps(self.rewrite(path, json.loads(body))).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
