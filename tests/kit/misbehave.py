"""A misbehaving OpenAI-compatible server: both API kinds, seeded, one switch per fault.

``Kit`` is an ASGI app (Starlette) holding a thread and a conversation of ``size``
messages each. Its :class:`~tests.kit.switches.Faults` can be changed at any time, and it
counts every request by route so a test can assert a bound. ``Kit.serve()`` serves it
over real HTTP on 127.0.0.1 (the emulator's server class).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.kit import streams, wire
from tests.kit.switches import INJECTION, RETRY_AFTER, Faults
from tests.kit.wire import Entry, Holder, Obj
from tui.emulator import EmulatorServer, objects
from tui.emulator.ids import IdFactory

SIZE = 140  # messages in each seeded item: more than one page of 100
HTML_502 = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>nginx</center></body></html>"
)
DETAIL = "Conversation store unavailable: upstream returned an unexpected status"
_ID = re.compile(r"^([a-z]+)_[A-Za-z0-9-]+$")
_RUN_ROUTE = re.compile(r"/threads/[^/]+/runs")
_UPDATE_ROUTE = re.compile(r"^/v1/(threads|conversations)/[^/]+$")
Handler = Callable[[Request], Awaitable[Response]]
BUSY = "The item is locked by another operation"  # what DELETE says with ``hostile_text``


def hostile_id(item_id: str) -> str:
    """An ID as a hostile server answers it: path characters, a newline, ``INJECTION``."""
    return f"{item_id}/../../etc\n{INJECTION}"


def other_id(item_id: str) -> str:
    """Another well-formed ID of the same kind (its last four characters changed)."""
    return item_id[:-4] + ("ffff" if not item_id.endswith("ffff") else "eeee")


def _hostile_metadata(metadata: dict[str, str]) -> dict[str, str]:
    title = metadata.get("title", "Kit item")
    return {**metadata, "title": f"{title} {INJECTION}", f"note{INJECTION}": INJECTION}


def route_of(method: str, path: str) -> str:
    """``METHOD /v1/threads/{thread}/messages``: the path with its IDs named by prefix."""
    parts = [f"{{{m.group(1)}}}" if (m := _ID.match(p)) else p for p in path.rstrip("/").split("/")]
    return f"{method} {'/'.join(parts)}"


def _error(status: int, message: str, **headers: str) -> Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    body["error"]["code"] = None
    return Response(json.dumps(body), status, headers, media_type="application/json")


class Kit:
    """The misbehaving server's state, switches and counters, and its ASGI app."""

    def __init__(self, faults: Faults | None = None, *, size: int = SIZE, seed: int = 14) -> None:
        self.faults = faults or Faults()
        self.ids = IdFactory(seed)
        self.holders: dict[str, Holder] = {}
        self.thread = self._add(wire.seed(self.ids, "thread", size))
        self.conversation = self._add(wire.seed(self.ids, "conversation", size))
        self.runs: dict[str, tuple[str, str]] = {}  # run ID -> (thread ID, status)
        for entry in self.thread.entries:
            if entry.run_id:
                self.runs[entry.run_id] = (self.thread.id, "completed")
        self.responses: dict[str, tuple[str | None, Obj]] = {}
        self.deleted: set[str] = set()
        # Not a fault switch: what it creates is answered with a hostile ID, and the server
        # keeps it. ``doctor`` rightly names that conversation as a migration's orphan, which
        # the matrix's healthy-registry check does not allow.
        self.hostile_creates = False
        self.counts: Counter[str] = Counter()
        self.keys_seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._app = Starlette(routes=self._routes())

    def _add(self, holder: Holder) -> Holder:
        self.holders[holder.id] = holder
        return holder

    # -- what tests read ------------------------------------------------------------

    @property
    def total(self) -> int:
        """Requests served so far."""
        return sum(self.counts.values())

    def requests(self, fragment: str = "") -> int:
        """Requests whose route (``METHOD /v1/...``) contains ``fragment``."""
        return sum(n for route, n in self.counts.items() if fragment in route)

    def reset_counts(self) -> None:
        """Forget the requests counted so far."""
        with self._lock:
            self.counts.clear()

    def held(self, item_id: str) -> list[str]:
        """The IDs of the entries the server holds (or held before deleting) for an item."""
        return [e.id for e in self.holders[item_id].entries]

    def exists(self, item_id: str) -> bool:
        """True while the item has not been deleted on the server."""
        return item_id in self.holders and item_id not in self.deleted

    def asgi(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        """The ASGI app (what :class:`EmulatorServer` serves)."""
        return self

    def serve(self) -> EmulatorServer:
        """Serve the kit on a free loopback port (started; stop it when done)."""
        return EmulatorServer(self).start()  # type: ignore[arg-type]

    # -- the door every request goes through ----------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request, answer for the fault switched on, else route it."""
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        with self._lock:
            self.counts[route_of(request.method, request.url.path)] += 1
            key = request.headers.get("authorization", "").removeprefix("Bearer ")
            self.keys_seen[key] += 1
        refusal = self._refusal(request, key)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def _refusal(self, request: Request, key: str) -> Response | None:
        faults, path, method = self.faults, request.url.path, request.method
        if faults.redirect_to:
            target = faults.redirect_to.rstrip("/") + path.removeprefix("/v1")
            query = f"?{request.url.query}" if request.url.query else ""
            return Response(status_code=307, headers={"location": target + query})
        if faults.html_502:
            return Response(HTML_502, 502, media_type="text/html")
        if faults.detail_errors:
            return Response(json.dumps({"detail": DETAIL}), 400, media_type="application/json")
        if not key:
            return _error(401, "You didn't provide an API key.")
        updating = method == "POST" and _UPDATE_ROUTE.match(path)
        if faults.not_allowed and (_RUN_ROUTE.search(path) or method == "DELETE" or updating):
            body = json.dumps({"detail": "Method Not Allowed"})
            return Response(body, 405, {"allow": "GET"}, media_type="application/json")
        if faults.hostile_text and method == "DELETE":
            return _error(409, f"{BUSY} {INJECTION}; try later.")
        if faults.retry_after and method == "DELETE":
            return _error(429, "Rate limit reached; slow down.", **{"retry-after": RETRY_AFTER})
        return None

    # -- routes -----------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/assistants", self.assistants, methods=["GET", "POST"]),
            Route("/v1/threads/{id}", self.container, methods=["GET", "POST", "DELETE"]),
            Route("/v1/threads/{id}/messages", self.thread_messages, methods=["GET", "POST"]),
            Route("/v1/threads/{id}/runs", self.runs_route, methods=["GET", "POST"]),
            Route("/v1/threads/{id}/runs/{run}", self.run_route, methods=["GET"]),
            Route("/v1/threads/{id}/runs/{run}/cancel", self.run_route, methods=["POST"]),
            Route("/v1/threads/{id}/runs/{run}/steps", self.steps, methods=["GET"]),
            Route("/v1/conversations", self.create_conversation, methods=["POST"]),
            Route("/v1/conversations/{id}", self.container, methods=["GET", "POST", "DELETE"]),
            Route("/v1/conversations/{id}/items", self.items, methods=["GET", "POST"]),
            Route("/v1/responses", self.respond, methods=["POST"]),
            Route("/v1/responses/{id}", self.response_route, methods=["GET"]),
            Route("/{path:path}", self.unknown, methods=["GET", "POST", "DELETE"]),
        ]

    def _json(self, obj: object, status: int = 200) -> Response:
        return Response(wire.encode(obj, self.faults), status, media_type="application/json")

    def _holder(self, request: Request) -> Holder | None:
        item_id = request.path_params["id"]
        holder = self.holders.get(item_id)
        return None if holder is None or item_id in self.deleted else holder

    def _missing(self, request: Request) -> Response:
        said = INJECTION if self.faults.hostile_text else ""
        return _error(
            404, f"No thread or conversation found with id '{request.path_params['id']}'.{said}"
        )

    def _shown(self, obj: Obj, method: str) -> Obj:
        """A thread or conversation object with the injection switches applied."""
        if self.faults.hostile_ids or (self.hostile_creates and method == "CREATE"):
            obj["id"] = hostile_id(obj["id"])
        if self.faults.other_id and method == "GET":
            obj["id"] = other_id(obj["id"])
        if self.faults.hostile_text and isinstance(obj.get("metadata"), dict):
            obj["metadata"] = _hostile_metadata(obj["metadata"])
        return obj

    def _entry(self, obj: Obj) -> Obj:
        """A message or item with the injection switches applied."""
        if self.faults.hostile_ids:
            obj["id"] = hostile_id(obj["id"])
        if self.faults.hostile_text:
            obj["role"] = f"{obj['role']}{INJECTION}"
            obj["status"] = f"completed{INJECTION}"
        return obj

    async def unknown(self, request: Request) -> Response:
        """Any route the kit does not serve."""
        return _error(404, f"Invalid URL ({request.method} {request.url.path})")

    async def models(self, request: Request) -> Response:
        """The one model."""
        model = {"id": wire.MODEL, "object": "model", "created": wire.EPOCH, "owned_by": "kit"}
        return self._json(wire.listing([model], False))

    async def assistants(self, request: Request) -> Response:
        """The one assistant (a create returns it too)."""
        asst = objects.assistant(wire.ASSISTANT["id"], {"model": wire.MODEL}, wire.EPOCH)
        if request.method == "POST":
            return self._json(asst)
        return self._json(wire.listing([asst], False))

    async def container(self, request: Request) -> Response:
        """Retrieve, update (metadata) or delete a thread or conversation."""
        holder = self._holder(request)
        if holder is None:
            return self._missing(request)
        if request.method == "DELETE":
            self.deleted.add(holder.id)
            kind = "thread" if holder.kind == "thread" else "conversation"
            return self._json({"id": holder.id, "object": f"{kind}.deleted", "deleted": True})
        if request.method == "POST":
            body = await request.json()
            if not self.faults.metadata_dropped:
                holder.metadata = dict(body.get("metadata") or {})
        return self._json(self._shown(wire.container(holder, self.faults), request.method))

    def _list(self, holder: Holder, request: Request) -> Response:
        chosen, more = wire.page(holder, dict(request.query_params), self.faults)
        data = [self._entry(wire.message(holder, at, self.faults)) for at in chosen]
        return self._json(wire.listing(data, more))

    def _append(self, holder: Holder, role: str, text: str, run_id: str | None = None) -> int:
        msg_id = self.ids.new("msg") if holder.kind == "thread" else self.ids.conversation_message()
        stamp = wire.EPOCH + 60 * len(holder.entries)
        holder.entries.append(Entry(msg_id, role, text, stamp, run_id))
        return len(holder.entries) - 1

    async def thread_messages(self, request: Request) -> Response:
        """List a thread's messages, or add one."""
        holder = self._holder(request)
        if holder is None:
            return self._missing(request)
        if request.method == "GET":
            return self._list(holder, request)
        body = await request.json()
        at = self._append(holder, body.get("role", "user"), _text(body.get("content")))
        return self._json(wire.message(holder, at, self.faults))

    async def items(self, request: Request) -> Response:
        """List a conversation's items, or add some."""
        holder = self._holder(request)
        if holder is None:
            return self._missing(request)
        if request.method == "GET":
            return self._list(holder, request)
        body = await request.json()
        added = [self._append(holder, *_role_text(i)) for i in body.get("items") or []]
        data = [wire.message(holder, at, self.faults) for at in added]
        return self._json(wire.listing(data, False))

    async def create_conversation(self, request: Request) -> Response:
        """A new conversation, with its first items."""
        body = await request.json()
        metadata = {} if self.faults.metadata_dropped else dict(body.get("metadata") or {})
        holder = self._add(Holder(self.ids.new("conv"), "conversation", wire.EPOCH, metadata))
        for item in body.get("items") or []:
            self._append(holder, *_role_text(item))
        return self._json(self._shown(wire.container(holder, self.faults), "CREATE"))

    async def runs_route(self, request: Request) -> Response:
        """List a thread's runs, or start one (streamed or not)."""
        holder = self._holder(request)
        if holder is None:
            return self._missing(request)
        if request.method == "GET":
            mine = [r for r, (t, _) in self.runs.items() if t == holder.id][::-1][:20]
            data = [wire.run_object(r, holder.id, self.runs[r][1], self.faults) for r in mine]
            return self._json(wire.listing(data, False))
        body = await request.json()
        run_id = self.ids.new("run")
        self.runs[run_id] = (holder.id, "completed")
        if not body.get("stream"):
            self._append(holder, "assistant", streams.reply_text(self.faults), run_id)
            return self._json(wire.run_object(run_id, holder.id, "completed", self.faults))
        return self._stream(streams.run_events(*self._run_parts(holder, run_id), self.faults))

    def _run_parts(self, holder: Holder, run_id: str) -> tuple[Any, Any]:
        msg_id = self.ids.new("msg")

        def run(status: str) -> Obj:
            if status == "completed":
                self._append(holder, "assistant", streams.reply_text(self.faults), run_id)
                holder.entries[-1].id = msg_id
            return wire.run_object(run_id, holder.id, status, self.faults)

        def message(status: str, content: list[Any]) -> Obj:
            obj = objects.message(
                wire.dashed(msg_id, self.faults) or "",
                holder.id,
                "assistant",
                content,
                wire.EPOCH,
                run_id=wire.dashed(run_id, self.faults),
                status=status,
            )
            return wire.times(obj, self.faults)

        return run, message

    def _stream(self, events: Iterator[streams.Event]) -> Response:
        return StreamingResponse(streams.paced(events, self.faults), media_type="text/event-stream")

    async def run_route(self, request: Request) -> Response:
        """Retrieve or cancel a run."""
        run_id = wire.undashed(request.path_params["run"]) or ""
        if run_id not in self.runs:
            return _error(404, f"No run found with id '{run_id}'.")
        thread_id, status = self.runs[run_id]
        if request.url.path.endswith("/cancel"):
            status = "cancelled"
            self.runs[run_id] = (thread_id, status)
        return self._json(wire.run_object(run_id, thread_id, status, self.faults))

    async def steps(self, request: Request) -> Response:
        """A run's steps: none (the kit's runs call no tools)."""
        return self._json(wire.listing([], False))

    async def respond(self, request: Request) -> Response:
        """A response in a conversation: streamed, or finished at once."""
        body = await request.json()
        conv = body.get("conversation")
        conv_id = conv.get("id") if isinstance(conv, dict) else conv
        holder = self.holders.get(conv_id or "")
        if conv_id and (holder is None or conv_id in self.deleted):
            return _error(404, f"Conversation with id '{conv_id}' not found.")
        for item in _inputs(body.get("input")):
            if holder is not None:
                self._append(holder, *_role_text(item))
        resp_id, item_id = self.ids.new("resp"), self.ids.conversation_message()

        def response(status: str, output: list[Obj]) -> Obj:
            obj = wire.response_object(resp_id, conv_id, status, self.faults)
            obj["output"] = output
            if status == "completed":
                obj["usage"] = objects.response_usage(5, 7)
                if holder is not None:
                    self._append(holder, "assistant", streams.reply_text(self.faults))
                    holder.entries[-1].id = item_id
            self.responses[resp_id] = (conv_id, obj)
            return obj

        if body.get("stream"):
            return self._stream(streams.response_events(response, item_id, self.faults))
        text = streams.reply_text(self.faults)
        done = objects.input_message(item_id, "assistant", [objects.output_text(text)])
        return self._json(response("completed", [done]))

    async def response_route(self, request: Request) -> Response:
        """Retrieve a response."""
        resp_id = wire.undashed(request.path_params["id"]) or ""
        if resp_id not in self.responses:
            return _error(404, f"Response with id '{resp_id}' not found.")
        return self._json(self.responses[resp_id][1])


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _inputs(value: object) -> list[Obj]:
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return [v for v in value or [] if isinstance(v, dict)]  # type: ignore[attr-defined]


def _role_text(item: Obj) -> tuple[str, str]:
    if item.get("type", "message") == "message":
        return str(item.get("role", "user")), _text(item.get("content"))
    return "tool", json.dumps(item)
