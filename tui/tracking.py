"""``track(client)``: record the threads and conversations your own code creates.

```python
from openai import OpenAI
from tui import track

client = track(OpenAI())            # or track(AsyncOpenAI(), db="registry.sqlite3")
thread = client.beta.threads.create()   # now in `thread-browser list`
```

The hook reads the client's HTTP responses: it records what ``threads.create``,
``threads.create_and_run`` and ``conversations.create`` made, the chat completions
created with ``store=True`` (plain or streamed), and the responses stored outside a
conversation, as response chains (one that continues a tracked chain's newest response
by ``previous_response_id`` moves that chain on to it); a stored response made in a
tracked conversation, or whose output is then added to one (an Agents SDK session's), is
noted under it (deleting the conversation leaves the response readable, so a deletion of
it deletes them too); it marks deletions, and moves
``last_activity`` on messages, runs and responses. It never raises into your code: a
registry it cannot write (read-only, full disk, damaged, from a newer version) is named
once in a warning on the ``tui.tracking`` logger, and your program goes on. Each record
costs one local SQLite write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import httpx2

from tui.model import Connection, Kind
from tui.store import Recorder, intake
from tui.store.errors import (
    RegistryBusy,
    RegistryCorrupt,
    RegistryError,
    RegistryFull,
    RegistryTooNew,
)
from tui.store.titles import MAX_TITLE, first_line

log = logging.getLogger("tui.tracking")
SOURCE = "track"
_MARK = "_thread_browser_tracked"
_ROUTE = re.compile(r"/(threads|conversations|responses|chat/completions)(?:/([^/]+))?(?:/(.*))?$")
CHAT = "chat/completions"
# The Agents SDK's OpenAIConversationsSession makes its conversation with
# ``conversations.create(items=[])`` and nothing else: no metadata, no header of its own.
# That exact body is the one sign of it, so such a conversation is titled AGENTS_SESSION
# until the session's first user message arrives (``conversations.items.create``), then
# "Agents session: <that message>". The session's ID is the conversation's own ID.
AGENTS_BODY: dict[str, Any] = {"items": []}
AGENTS_SESSION = "Agents session"
_SCAN_LIMIT = 64 * 1024
# An Agents SDK session (OpenAIConversationsSession) makes its responses outside the
# conversation and then adds their output items to it (``conversations.items.create``,
# without the items' IDs): such a response is noted under the conversation when an item
# added is one of its outputs (the same function call, or the same assistant text). The
# outputs of this many of the client's newest stored responses are remembered for it.
RECENT_RESPONSES = 256

ClientT = TypeVar("ClientT")


class _Writer:
    """Registry writes from any thread of the user's program, through the store's own face.

    A registry problem never reaches the user's code: it is logged once per kind (on the
    ``tui.tracking`` logger) and later records are skipped until it clears. A damaged
    registry, or one from a newer Thread Browser, is not touched again by this writer.
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.registry = Recorder(path)
        self.path = self.registry.path
        self._lock = threading.Lock()
        self._stopped = False
        self._warned: set[type[Exception]] = set()

    def _write(self, write: Callable[[], object]) -> None:
        with self._lock:
            if self._stopped:
                return
            try:
                write()
            except RegistryError as exc:
                self._failed(exc)

    def _failed(self, exc: RegistryError) -> None:
        """Warn once per kind of problem; stop for good on a damaged or newer registry."""
        final = isinstance(exc, (RegistryCorrupt, RegistryTooNew))
        if final:
            self._stopped = True
        if final or not isinstance(exc, (RegistryFull, RegistryBusy)):
            self.registry.close()  # opened afresh next time, so a fixed file is noticed
        if type(exc) in self._warned:
            log.debug("thread-browser tracking skipped a record: %s", exc)
            return
        self._warned.add(type(exc))
        then = (
            "Nothing more is recorded while this program runs; your program goes on."
            if final
            else "Your program goes on; later records that fail the same way are skipped "
            "without another warning."
        )
        log.warning("thread-browser tracking skipped a record. %s %s", exc, then)

    def created(
        self, connection: Connection, kind: Kind, obj: dict[str, Any], first_user_text: str | None
    ) -> None:
        """Record a new item, made fit to store first (an unfit one is skipped, said once)."""
        try:
            item_id = intake.item_id(obj.get("id"), kind)
        except intake.Unfit as exc:
            self._unfit(exc)
            return
        record = partial(
            self.registry.track,
            item_id,
            kind,
            connection,
            source=SOURCE,
            metadata=intake.metadata(obj.get("metadata")),
            created_at=intake.moment(obj.get("created_at")),
            first_user_text=intake.first_text(first_user_text),
        )
        self._write(record)

    def _unfit(self, exc: intake.Unfit) -> None:
        """Warn once about records that cannot be stored; later ones are logged quietly."""
        with self._lock:
            if intake.Unfit in self._warned:
                log.debug("thread-browser tracking skipped a record: %s", exc)
                return
            self._warned.add(intake.Unfit)
        log.warning(
            "thread-browser tracking skipped a record: %s. It is not in the registry; your "
            "program goes on, and later records that cannot be stored are skipped without "
            "another warning.",
            exc,
        )

    def responded(
        self, connection: Connection, response: dict[str, Any], first_user_text: str | None
    ) -> None:
        """Record a stored response: its chain ends at it now, or it starts one."""
        try:
            response_id = intake.item_id(response.get("id"), Kind.RESPONSE)
            previous = response.get("previous_response_id")
            previous_id = intake.item_id(previous, Kind.RESPONSE) if previous else None
        except intake.Unfit as exc:
            self._unfit(exc)
            return
        record = partial(
            self.registry.chained,
            connection,
            previous_id,
            response_id,
            source=SOURCE,
            metadata=intake.metadata(response.get("metadata")),
            created_at=intake.moment(response.get("created_at")),
            first_user_text=intake.first_text(first_user_text),
        )
        self._write(record)

    def wrote_into(self, connection: Connection, conversation: object, response: object) -> None:
        """Note the response a tracked conversation was written by (an unfit ID is skipped)."""
        try:
            conversation_id = intake.item_id(conversation, Kind.CONVERSATION)
            response_id = intake.item_id(response, Kind.RESPONSE)
        except intake.Unfit as exc:
            self._unfit(exc)
            return
        record = partial(
            self.registry.wrote_into, connection, conversation_id, response_id, source=SOURCE
        )
        self._write(record)

    def deleted(self, connection: Connection, item_id: str) -> None:
        """Mark an item deleted (a pending deletion of it is settled with it)."""
        self._write(partial(self.registry.mark_deleted, connection, item_id, source=SOURCE))

    def session_titled(self, connection: Connection, item_id: str, first_user_text: str) -> None:
        """Title an Agents session's conversation after its first user message."""
        line = first_line(first_user_text[: intake.MAX_TEXT])
        if not line:
            return
        title = f"{AGENTS_SESSION}: {line}"[:MAX_TITLE]
        write = partial(
            self.registry.retitle_placeholder, connection, item_id, AGENTS_SESSION, title
        )
        self._write(write)

    def touched(self, connection: Connection, item_id: str) -> None:
        """Move an item's last activity to now."""
        self._write(partial(self.registry.touch, connection, item_id, datetime.now(UTC)))


def _first_user_text(entries: Any) -> str | None:
    """The text of the first user message in a create body's messages, items or input."""
    if isinstance(entries, str):
        return entries  # a response's input given as plain text
    for entry in entries or []:
        if not isinstance(entry, dict) or entry.get("role") != "user":
            continue
        content = entry.get("content")
        if isinstance(content, str):
            return content
        for part in content or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                return part["text"]
    return None


def _output_key(item: Any) -> str | None:
    """What tells an output item again once it is added to a conversation without its ID.

    A function call by its call ID; an assistant message by its text. Anything else (a
    user's message, reasoning, an item of no usable shape) is ``None``.
    """
    if not isinstance(item, dict):
        return None
    kind = item.get("type", "message")
    call_id = item.get("call_id")
    if kind == "function_call" and isinstance(call_id, str) and call_id:
        return f"call {call_id}"
    if kind != "message" or item.get("role") != "assistant":
        return None
    content = item.get("content")
    parts = [content] if isinstance(content, str) else content
    if not isinstance(parts, list):
        return None
    texts = [p if isinstance(p, str) else _mapping(p).get("text") for p in parts]
    said = "\n".join(t for t in texts if isinstance(t, str))
    if not said:
        return None
    return "said " + hashlib.blake2b(said.encode("utf-8", "replace"), digest_size=16).hexdigest()


def _json_object(data: str) -> dict[str, Any]:
    """A JSON object from an event's data; an empty one for anything else."""
    try:
        return _mapping(json.loads(data))
    except ValueError:
        return {}


def _mapping(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _body(request: httpx2.Request) -> dict[str, Any]:
    try:
        data = json.loads(request.content or b"{}")
    except (ValueError, httpx2.RequestNotRead):
        return {}
    return _mapping(data)


class _Observer:
    """Turns one client's responses into registry writes."""

    def __init__(self, client: Any, writer: _Writer) -> None:
        self.connection = Connection(str(client.base_url), client.organization, client.project)
        self.base_path = httpx2.URL(str(client.base_url)).path.rstrip("/")
        self.writer = writer
        self._outputs: OrderedDict[str, tuple[str, ...]] = OrderedDict()  # response: its keys
        self._outputs_lock = threading.Lock()

    def route(self, request: httpx2.Request) -> tuple[str, str | None, str | None] | None:
        path = request.url.path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :]
        match = _ROUTE.fullmatch(path)
        return (match.group(1), match.group(2), match.group(3)) if match else None

    def json_response(self, request: httpx2.Request, payload: Any) -> None:
        """Record what a JSON answer says."""
        found = self.route(request)
        if found is None or not isinstance(payload, dict):
            return
        resource, object_id, rest = found
        method = request.method
        body = _body(request)
        if method == "POST" and object_id is None and resource in ("threads", "conversations"):
            kind = Kind.THREAD if resource == "threads" else Kind.CONVERSATION
            first = _first_user_text(body.get("messages") or body.get("items"))
            if kind is Kind.CONVERSATION and body == AGENTS_BODY:
                first = AGENTS_SESSION
            self.writer.created(self.connection, kind, payload, first)
        elif method == "POST" and resource == "conversations" and object_id and rest == "items":
            first = _first_user_text(body.get("items"))
            if first:
                self.writer.session_titled(self.connection, object_id, first)
            self.outputs_added(object_id, body.get("items"))
            self.touch(method, resource, object_id, rest, body)
        elif method == "POST" and resource == "threads" and object_id == "runs":
            self._created_by_run(payload, body)
        elif method == "POST" and resource == CHAT and object_id is None:
            self.stored_completion(payload, body)
        elif method == "POST" and resource == "responses" and object_id is None:
            self.response(payload, body)
        elif method == "DELETE" and object_id and not rest and payload.get("deleted"):
            if resource in ("threads", "conversations", CHAT, "responses"):
                self.writer.deleted(self.connection, object_id)
        else:
            self.touch(method, resource, object_id, rest, body)

    def stored_completion(self, completion: dict[str, Any], body: dict[str, Any]) -> None:
        """Record a chat completion the server stores (``store: true`` in the request)."""
        if body.get("store") is not True:
            return
        obj = {
            "id": completion.get("id"),
            "created_at": completion.get("created"),
            "metadata": body.get("metadata") or completion.get("metadata") or {},
        }
        first = _first_user_text(body.get("messages"))
        self.writer.created(self.connection, Kind.COMPLETION, obj, first)

    def response(self, response: dict[str, Any], body: dict[str, Any]) -> None:
        """A response: its conversation touched, or, stored outside one, its chain recorded.

        A stored response in a conversation is noted as one that wrote into it (deleting
        the conversation leaves it readable), when the conversation is tracked.
        """
        conv = body.get("conversation") or response.get("conversation")
        conv_id = conv.get("id") if isinstance(conv, dict) else conv
        stored = body.get("store") is not False and response.get("store") is not False
        if isinstance(conv_id, str):
            self.writer.touched(self.connection, conv_id)
            if stored:
                self.writer.wrote_into(self.connection, conv_id, response.get("id"))
        elif stored:
            previous = body.get("previous_response_id")  # the request's word wins
            if previous:
                response = {**response, "previous_response_id": previous}
            self.writer.responded(self.connection, response, _first_user_text(body.get("input")))
            self.remember_outputs(response)

    def remember_outputs(self, response: dict[str, Any]) -> None:
        """Keep what tells this stored response's output items (see :data:`RECENT_RESPONSES`)."""
        response_id = response.get("id")
        output = response.get("output")
        if not isinstance(response_id, str) or not isinstance(output, list):
            return
        keys = tuple(k for k in map(_output_key, output) if k)
        if not keys:
            return
        with self._outputs_lock:
            self._outputs[response_id] = keys
            self._outputs.move_to_end(response_id)
            while len(self._outputs) > RECENT_RESPONSES:
                self._outputs.popitem(last=False)

    def outputs_added(self, conversation_id: str, items: Any) -> None:
        """Note under the conversation the responses whose output items were added to it.

        Each item added is told by the remembered response that made it; a response is
        noted once, and forgotten then (its output went into this conversation). A key
        more than one remembered response made (the same text said twice) tells none of
        them: a deletion must never take a response of another conversation.
        """
        added = {k for k in map(_output_key, items if isinstance(items, list) else []) if k}
        found: list[str] = []
        with self._outputs_lock:
            seen = Counter(k for keys in self._outputs.values() for k in set(keys))
            added = {k for k in added if seen[k] == 1}
            for response_id, keys in reversed(self._outputs.items()):
                if added.intersection(keys):
                    found.append(response_id)
                    added.difference_update(keys)
            for response_id in found:
                del self._outputs[response_id]
        for response_id in reversed(found):  # oldest first
            self.writer.wrote_into(self.connection, conversation_id, response_id)

    def _created_by_run(self, run: dict[str, Any], body: dict[str, Any]) -> None:
        thread_id = run.get("thread_id")
        if not isinstance(thread_id, str):
            return
        thread_body = _mapping(body.get("thread"))
        obj = {
            "id": thread_id,
            "created_at": run.get("created_at"),
            "metadata": thread_body.get("metadata") or {},
        }
        first = _first_user_text(thread_body.get("messages"))
        self.writer.created(self.connection, Kind.THREAD, obj, first)

    def touch(
        self,
        method: str,
        resource: str,
        object_id: str | None,
        rest: str | None,
        body: dict[str, Any],
    ) -> None:
        """Move last_activity of the thread or conversation a call worked on."""
        if method != "POST":
            return
        if resource in ("threads", "conversations") and object_id and rest:
            self.writer.touched(self.connection, object_id)
        elif resource == "responses" and object_id is None:
            conv = body.get("conversation")
            conv_id = conv.get("id") if isinstance(conv, dict) else conv
            if isinstance(conv_id, str):
                self.writer.touched(self.connection, conv_id)

    def stream_event(self, request: httpx2.Request, event: str, data: str) -> bool:
        """Record what a streamed event says; ``True`` once the stream told what it made.

        The thread of ``create_and_run`` comes in its ``thread.created`` event; a stored
        chat completion's ID in every chunk (the first one is read).
        """
        if event == "thread.created":
            thread = _json_object(data)
            first = _first_user_text(_mapping(_body(request).get("thread")).get("messages"))
            self.writer.created(self.connection, Kind.THREAD, thread, first)
            return True
        found = self.route(request)
        if event == "response.created" and found is not None and found[0] == "responses":
            self.response(_mapping(_json_object(data).get("response")), _body(request))
            return True
        if not event and found is not None and found[0] == CHAT and found[1] is None:
            chunk = _json_object(data)
            if chunk.get("object") == "chat.completion.chunk":
                self.stored_completion(chunk, _body(request))
                return True
        return False

    def streamed(self, request: httpx2.Request) -> None:
        """A streamed answer: touch what it worked on."""
        found = self.route(request)
        if found is not None:
            self.touch(request.method, *found, _body(request))


class _Scanner:
    """Finds the first events of a server-sent stream without holding it back."""

    def __init__(self, observer: _Observer, request: httpx2.Request) -> None:
        self.observer = observer
        self.request = request
        self.buffer = b""
        self.done = False

    def feed(self, chunk: bytes) -> None:
        if self.done:
            return
        self.buffer += chunk
        while b"\n\n" in self.buffer:
            block, self.buffer = self.buffer.split(b"\n\n", 1)
            fields = dict(
                line.split(": ", 1)
                for line in block.decode("utf-8", "replace").splitlines()
                if ": " in line
            )
            said = _guard(
                self.observer.stream_event,
                self.request,
                fields.get("event", ""),
                fields.get("data", ""),
            )
            if said:
                self.done = True
                return
        if len(self.buffer) > _SCAN_LIMIT:
            self.done = True


class _SyncTee(httpx2.SyncByteStream):
    def __init__(self, inner: Any, scanner: _Scanner) -> None:
        self.inner = inner
        self.scanner = scanner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.scanner.feed(chunk)
            yield chunk

    def close(self) -> None:
        self.inner.close()


class _AsyncTee(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, scanner: _Scanner) -> None:
        self.inner = inner
        self.scanner = scanner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.scanner.feed(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


def _guard(fn: Any, *args: Any) -> Any:
    """Run a recording step; never let it raise into the user's code (``None`` if it did)."""
    try:
        return fn(*args)
    except Exception as exc:
        log.warning("thread-browser tracking skipped a record: %s", exc)
        return None


def _wants_body(observer: _Observer, response: httpx2.Response, tee: type) -> bool:
    """Handle a streamed answer in place; say whether a JSON body should be read."""
    if not response.is_success:
        return False
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        _guard(observer.streamed, response.request)
        response.stream = tee(response.stream, _Scanner(observer, response.request))
        return False
    return True


def track(client: ClientT, *, db: str | os.PathLike[str] | None = None) -> ClientT:
    """Record what ``client`` (``OpenAI`` or ``AsyncOpenAI``) creates; returns the client."""
    if getattr(client, _MARK, False):
        return client
    observer = _Observer(client, _Writer(db))
    http = client._client  # type: ignore[attr-defined]  # the SDK's HTTP client (no public name)

    if isinstance(http, httpx2.AsyncClient):

        async def on_async_response(response: httpx2.Response) -> None:
            try:
                if _wants_body(observer, response, _AsyncTee):
                    await response.aread()
                    _guard(observer.json_response, response.request, response.json())
            except Exception as exc:
                log.warning("thread-browser tracking skipped a response: %s", exc)

        http.event_hooks["response"].append(on_async_response)
    else:

        def on_response(response: httpx2.Response) -> None:
            try:
                if _wants_body(observer, response, _SyncTee):
                    response.read()
                    _guard(observer.json_response, response.request, response.json())
            except Exception as exc:
                log.warning("thread-browser tracking skipped a response: %s", exc)

        http.event_hooks["response"].append(on_response)
    setattr(client, _MARK, True)
    return client
