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
from tui.emulator.validate import id_list, json_body, list_params, metadata, require
from tui.emulator.vector_stores import create_vector_store

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec

Obj = dict[str, Any]
MAX_INITIAL_MESSAGES = 32
MAX_CODE_FILES = 20


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


def _section(value: Any, param: str) -> Obj:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid type for '{param}': expected an object.", param, "invalid_type")
    return value


def _code_files(ns: Namespace, value: Any) -> list[str]:
    param = "tool_resources.code_interpreter.file_ids"
    file_ids = id_list(value, param, MAX_CODE_FILES)
    for index, file_id in enumerate(file_ids):
        if file_id not in ns.files:
            raise invalid(
                f"No file found with id '{file_id}'. Upload it with POST /v1/files first.",
                f"{param}[{index}]",
            )
    return file_ids


def _search_stores(emulator: Emulator, ns: Namespace, search: Obj) -> list[str]:
    param = "tool_resources.file_search"
    store_ids = id_list(search.get("vector_store_ids"), f"{param}.vector_store_ids", 1)
    helpers = search.get("vector_stores") or []
    if not isinstance(helpers, list) or len(store_ids) + len(helpers) > 1:
        raise invalid(
            "Invalid 'tool_resources.file_search': a thread can have at most 1 vector store, "
            "named in 'vector_store_ids' or created from 'vector_stores'.",
            param,
        )
    for index, store_id in enumerate(store_ids):
        if store_id not in ns.vector_stores:
            raise invalid(
                f"No vector store found with id '{store_id}'. Create it with POST "
                "/v1/vector_stores first.",
                f"{param}.vector_store_ids[{index}]",
            )
    for index, spec in enumerate(helpers):
        where = f"{param}.vector_stores[{index}]"
        created = create_vector_store(emulator, ns, _section(spec, where), where)
        store_ids.append(created["id"])
    return store_ids


def attachments(ns: Namespace, value: Any, param: str) -> list[Obj]:
    """A message's ``attachments`` checked as the real API checks them.

    Each names an uploaded file (``file_id``) and the tools it is for (``code_interpreter``
    or ``file_search``); a file that does not exist is refused.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"Invalid type for '{param}': expected an array.", param, "invalid_type")
    checked: list[Obj] = []
    for index, spec in enumerate(value):
        where = f"{param}[{index}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("file_id"), str):
            raise invalid(f"Missing required parameter: '{where}.file_id'.", f"{where}.file_id")
        if spec["file_id"] not in ns.files:
            raise invalid(
                f"No file found with id '{spec['file_id']}'. Upload it with POST /v1/files first.",
                f"{where}.file_id",
            )
        tools = spec.get("tools")
        kinds = [t.get("type") if isinstance(t, dict) else None for t in tools or []]
        if not isinstance(tools, list) or not set(kinds) <= {"code_interpreter", "file_search"}:
            raise invalid(
                f"Invalid '{where}.tools': expected an array of code_interpreter or "
                "file_search tools.",
                f"{where}.tools",
            )
        checked.append({"file_id": spec["file_id"], "tools": [{"type": k} for k in kinds]})
    return checked


def tool_resources(emulator: Emulator, ns: Namespace, value: Any) -> Obj:
    """Check ``tool_resources`` against what exists and give back their stored form.

    Every file and vector store named must exist; ``file_search.vector_stores`` creates
    the vector store it describes. Deleting a thread later leaves them all in place.
    """
    body = _section(value, "tool_resources")
    stored: Obj = {}
    if "code_interpreter" in body:
        code = _section(body["code_interpreter"], "tool_resources.code_interpreter")
        stored["code_interpreter"] = {"file_ids": _code_files(ns, code.get("file_ids"))}
    if "file_search" in body:
        search = _section(body["file_search"], "tool_resources.file_search")
        stored["file_search"] = {"vector_store_ids": _search_stores(emulator, ns, search)}
    return stored


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
        body["tool_resources"] = tool_resources(self.emu, ns, body.get("tool_resources"))
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
        if "tool_resources" in body:
            obj["tool_resources"] = tool_resources(self.emu, ns, body["tool_resources"])
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
            self._add_message(ns, rec, spec, created, param=f"messages[{index}]")
        rec.obj["tool_resources"] = tool_resources(self.emu, ns, body.get("tool_resources"))
        ns.threads[rec.obj["id"]] = rec
        return rec

    def _add_message(
        self, ns: Namespace, rec: ThreadRec, body: Obj, created: int, param: str
    ) -> Obj:
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
            attachments=attachments(ns, body.get("attachments"), f"{where}attachments"),
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
        """``POST /threads/{id}`` (metadata, tool_resources)."""
        rec = find_thread(ns, request.path_params["thread_id"])
        body = await json_body(request)
        if "metadata" in body:
            rec.obj["metadata"] = metadata(body["metadata"])
        if "tool_resources" in body:
            rec.obj["tool_resources"] = tool_resources(self.emu, ns, body["tool_resources"])
        return JSONResponse(rec.obj)

    async def delete_thread(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /threads/{id}`` (the files and vector stores it names stay)."""
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
        msg = self._add_message(ns, rec, await json_body(request), objects.now(), param="")
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
