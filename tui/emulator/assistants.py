"""Assistants v2 routes: assistants, threads and messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tui.emulator import objects
from tui.emulator.errors import invalid, not_found
from tui.emulator.http import JSONResponse
from tui.emulator.paging import OrderedStore
from tui.emulator.state import Namespace, ThreadRec
from tui.emulator.validate import json_body, list_params, metadata, require

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec

Obj = dict[str, Any]
MAX_INITIAL_MESSAGES = 32


def find_thread(ns: Namespace, thread_id: str) -> ThreadRec:
    """The thread with this ID, or the API's 404."""
    rec = ns.threads.get(thread_id)
    if rec is None:
        raise not_found("thread", thread_id)
    return rec


def message_content(content: Any) -> list[Obj]:
    """Message content blocks from a create body (a string or a list of parts)."""
    if isinstance(content, str):
        return [objects.text_block(content)]
    if not isinstance(content, list) or not content:
        raise invalid("Invalid 'content': expected a string or a non-empty array.", "content")
    blocks: list[Obj] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append(objects.text_block(str(part.get("text", ""))))
        elif kind in ("image_file", "image_url"):
            blocks.append({"type": kind, kind: part.get(kind) or {}})
        else:
            raise invalid(f"Invalid content part type: {kind!r}.", "content")
    return blocks


class AssistantsApi:
    """Handlers for ``/assistants``, ``/threads`` and ``/threads/{id}/messages``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[RouteSpec]:
        """Path, methods and handler of every route."""
        return [
            ("/assistants", ["POST"], self.create_assistant),
            ("/assistants", ["GET"], self.list_assistants),
            ("/assistants/{assistant_id}", ["GET"], self.get_assistant),
            ("/assistants/{assistant_id}", ["POST"], self.update_assistant),
            ("/assistants/{assistant_id}", ["DELETE"], self.delete_assistant),
            ("/threads", ["POST"], self.create_thread),
            ("/threads/{thread_id}", ["GET"], self.get_thread),
            ("/threads/{thread_id}", ["POST"], self.update_thread),
            ("/threads/{thread_id}", ["DELETE"], self.delete_thread),
            ("/threads/{thread_id}/messages", ["POST"], self.create_message),
            ("/threads/{thread_id}/messages", ["GET"], self.list_messages),
            ("/threads/{thread_id}/messages/{message_id}", ["GET"], self.get_message),
            ("/threads/{thread_id}/messages/{message_id}", ["POST"], self.update_message),
            ("/threads/{thread_id}/messages/{message_id}", ["DELETE"], self.delete_message),
        ]

    # assistants

    async def create_assistant(self, request: Request, ns: Namespace) -> Response:
        """``POST /assistants``."""
        body = await json_body(request)
        require(body, "model")
        body["metadata"] = metadata(body.get("metadata"))
        obj = objects.assistant(self.emu.ids.new("asst"), body, objects.now())
        ns.assistants.add(obj)
        return JSONResponse(obj)

    async def list_assistants(self, request: Request, ns: Namespace) -> Response:
        """``GET /assistants``."""
        return JSONResponse(ns.assistants.page(**list_params(request)).body())

    def _assistant(self, ns: Namespace, assistant_id: str) -> Obj:
        obj = ns.assistants.get(assistant_id)
        if obj is None:
            raise not_found("assistant", assistant_id)
        return obj

    async def get_assistant(self, request: Request, ns: Namespace) -> Response:
        """``GET /assistants/{id}``."""
        return JSONResponse(self._assistant(ns, request.path_params["assistant_id"]))

    async def update_assistant(self, request: Request, ns: Namespace) -> Response:
        """``POST /assistants/{id}``."""
        obj = self._assistant(ns, request.path_params["assistant_id"])
        body = await json_body(request)
        if "metadata" in body:
            obj["metadata"] = metadata(body["metadata"])
        for name in ("name", "description", "model", "instructions", "tools"):
            if name in body:
                obj[name] = body[name]
        return JSONResponse(obj)

    async def delete_assistant(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /assistants/{id}``."""
        assistant_id = request.path_params["assistant_id"]
        self._assistant(ns, assistant_id)
        ns.assistants.remove(assistant_id)
        return JSONResponse({"id": assistant_id, "object": "assistant.deleted", "deleted": True})

    # threads

    def new_thread(self, ns: Namespace, body: Obj) -> ThreadRec:
        """Create a thread (with its initial messages) from a create body."""
        meta = metadata(body.get("metadata"))
        initial = body.get("messages") or []
        if not isinstance(initial, list) or len(initial) > MAX_INITIAL_MESSAGES:
            raise invalid(
                f"Invalid 'messages': expected an array of at most {MAX_INITIAL_MESSAGES} "
                "messages.",
                "messages",
            )
        created = objects.now()
        rec = ThreadRec(objects.thread(self.emu.ids.new("thread"), meta, created))
        for index, spec in enumerate(initial):
            self._add_message(rec, spec, created, param=f"messages[{index}]")
        ns.threads[rec.obj["id"]] = rec
        return rec

    def _add_message(self, rec: ThreadRec, body: Obj, created: int, param: str) -> Obj:
        where = f"{param}." if param else ""  # a top-level message body has no prefix
        role = body.get("role")
        if role not in ("user", "assistant"):
            raise invalid(
                f"Invalid value for '{where}role': expected one of 'user' or 'assistant'.",
                f"{where}role",
            )
        msg = objects.message(
            self.emu.ids.new("msg"),
            rec.obj["id"],
            role,
            message_content(body.get("content")),
            created,
            attachments=body.get("attachments"),
            metadata=metadata(body.get("metadata"), f"{where}metadata"),
        )
        return rec.messages.add(msg)

    async def create_thread(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads``."""
        rec = self.new_thread(ns, await json_body(request))
        return JSONResponse(rec.obj)

    async def get_thread(self, request: Request, ns: Namespace) -> Response:
        """``GET /threads/{id}``."""
        return JSONResponse(find_thread(ns, request.path_params["thread_id"]).obj)

    async def update_thread(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads/{id}`` (metadata)."""
        rec = find_thread(ns, request.path_params["thread_id"])
        body = await json_body(request)
        if "metadata" in body:
            rec.obj["metadata"] = metadata(body["metadata"])
        return JSONResponse(rec.obj)

    async def delete_thread(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /threads/{id}``."""
        thread_id = request.path_params["thread_id"]
        rec = find_thread(ns, thread_id)
        for run in rec.runs.values():
            run.cancel_requested = True
            run.resumed.set()
        del ns.threads[thread_id]
        return JSONResponse({"id": thread_id, "object": "thread.deleted", "deleted": True})

    # messages

    async def create_message(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads/{id}/messages``."""
        rec = find_thread(ns, request.path_params["thread_id"])
        active = rec.active_run()
        if active is not None:
            raise invalid(
                f"Can't add messages to {rec.obj['id']} while a run {active.obj['id']} is active."
            )
        msg = self._add_message(rec, await json_body(request), objects.now(), param="")
        return JSONResponse(msg)

    async def list_messages(self, request: Request, ns: Namespace) -> Response:
        """``GET /threads/{id}/messages`` (with ``run_id`` filter)."""
        rec = find_thread(ns, request.path_params["thread_id"])
        params = list_params(request)
        run_id = request.query_params.get("run_id")
        if run_id:
            subset = OrderedStore()
            for msg in rec.messages:
                if msg["run_id"] == run_id:
                    subset.add(msg)
            return JSONResponse(subset.page(**params).body())
        return JSONResponse(rec.messages.page(**params).body())

    def _message(self, request: Request, ns: Namespace) -> tuple[ThreadRec, Obj]:
        rec = find_thread(ns, request.path_params["thread_id"])
        message_id = request.path_params["message_id"]
        msg = rec.messages.get(message_id)
        if msg is None:
            raise not_found("message", message_id)
        return rec, msg

    async def get_message(self, request: Request, ns: Namespace) -> Response:
        """``GET /threads/{id}/messages/{message_id}``."""
        return JSONResponse(self._message(request, ns)[1])

    async def update_message(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads/{id}/messages/{message_id}`` (metadata)."""
        _, msg = self._message(request, ns)
        body = await json_body(request)
        if "metadata" in body:
            msg["metadata"] = metadata(body["metadata"])
        return JSONResponse(msg)

    async def delete_message(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /threads/{id}/messages/{message_id}``."""
        rec, msg = self._message(request, ns)
        rec.messages.remove(msg["id"])
        return JSONResponse({"id": msg["id"], "object": "thread.message.deleted", "deleted": True})
