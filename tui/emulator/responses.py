"""Responses API routes: conversations, their items, responses."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tui.emulator import objects
from tui.emulator.errors import HttpError, invalid
from tui.emulator.events import sse
from tui.emulator.http import JSONResponse
from tui.emulator.paging import OrderedStore
from tui.emulator.response_engine import ResponseEngine
from tui.emulator.state import ConversationRec, Namespace, ResponseRec
from tui.emulator.validate import json_body, list_params, metadata, parse_bool, require

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from tui.emulator.app import Emulator, RouteSpec

Obj = dict[str, Any]
MAX_ITEMS_PER_CALL = 20
_USER_ROLES = ("user", "system", "developer")
# Output items a client may send back as input (the chain of a manual conversation), with
# the ID prefix of those it sends without one.
_OUTPUT_ITEMS = {"reasoning": "rs", "web_search_call": "ws"}


def _missing(noun: str, object_id: str) -> HttpError:
    return HttpError(404, f"{noun} with id '{object_id}' not found.")


def _stored(body: Obj) -> bool:
    """Whether the response is kept (``store`` defaults to true); background needs it."""
    stored = body.get("store") is not False
    if parse_bool(body.get("background")) and not stored:
        raise HttpError(
            400,
            "Background responses require store to be enabled. Set 'store' to true, or "
            "leave out 'background'.",
            param="background",
            code="unsupported_parameter",
        )
    return stored


def _answered_calls(inputs: list[Obj], *seen: Iterable[Obj]) -> None:
    """Every tool output sent must answer a call the model can see (chain, conversation, input)."""
    outputs = [i for i in inputs if i.get("type") == "function_call_output"]
    if not outputs:
        return
    everything = itertools.chain(inputs, *seen)
    calls = {i.get("call_id") for i in everything if i.get("type") == "function_call"}
    for item in outputs:
        if item.get("call_id") not in calls:
            raise invalid(
                f"No tool call found for function call output with call_id {item.get('call_id')}.",
                "input",
            )


def _starting_after(request: Request) -> int:
    """The ``starting_after`` sequence number of a resumed stream (-1: from the start)."""
    raw = request.query_params.get("starting_after", "-1")
    try:
        return int(raw)
    except ValueError as exc:
        raise invalid(
            f"Invalid 'starting_after': expected an integer, but got '{raw}' instead.",
            "starting_after",
            code="invalid_type",
        ) from exc


class ResponsesApi:
    """Handlers for ``/conversations`` and ``/responses`` (``/models`` lives in models.py)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[RouteSpec]:
        """Path, methods and handler of every route."""
        conv = "/conversations/{conversation_id}"
        resp = "/responses/{response_id}"
        return [
            ("/conversations", ["POST"], self.create_conversation),
            (conv, ["GET"], self.get_conversation),
            (conv, ["POST"], self.update_conversation),
            (conv, ["DELETE"], self.delete_conversation),
            (conv + "/items", ["POST"], self.create_items),
            (conv + "/items", ["GET"], self.list_items),
            (conv + "/items/{item_id}", ["GET"], self.get_item),
            (conv + "/items/{item_id}", ["DELETE"], self.delete_item),
            ("/responses", ["POST"], self.create_response),
            (resp, ["GET"], self.get_response),
            (resp, ["DELETE"], self.delete_response),
            (resp + "/cancel", ["POST"], self.cancel_response),
            (resp + "/input_items", ["GET"], self.list_input_items),
        ]

    # items

    def item(self, spec: Any, param: str) -> Obj:
        """A stored conversation item from an input item."""
        if isinstance(spec, str):
            spec = {"role": "user", "content": spec}
        if not isinstance(spec, dict):
            raise invalid(f"Invalid '{param}': expected an object.", param)
        kind = spec.get("type", "message")
        ids = self.emu.ids
        if kind == "message":
            role = spec.get("role")
            if role not in (*_USER_ROLES, "assistant"):
                raise invalid(f"Invalid value for '{param}.role'.", f"{param}.role")
            return objects.input_message(
                ids.conversation_message(), role, self._content(spec.get("content"), role, param)
            )
        if kind == "function_call":
            given = spec.get("id")
            return objects.function_call(
                given if isinstance(given, str) else ids.new("fc"),
                require(spec, "call_id"),
                require(spec, "name"),
                str(spec.get("arguments", "")),
            )
        if kind == "function_call_output":
            output = spec.get("output")
            return objects.function_call_output(
                ids.new("fco"),
                require(spec, "call_id"),
                output if isinstance(output, str) else str(output),
            )
        if kind in _OUTPUT_ITEMS:  # what a response put out, passed back in as input
            stored = dict(spec)
            if not isinstance(stored.get("id"), str):
                stored["id"] = ids.new(_OUTPUT_ITEMS[kind])
            return stored
        raise invalid(
            f"Invalid value for '{param}.type': '{kind}' is not supported.", f"{param}.type"
        )

    def _content(self, content: Any, role: str, param: str) -> list[Obj]:
        text_type = "output_text" if role == "assistant" else "input_text"
        if isinstance(content, str):
            part: Obj = {"type": text_type, "text": content}
            return [objects.output_text(content)] if role == "assistant" else [part]
        if not isinstance(content, list) or not content:
            raise invalid(f"Invalid '{param}.content'.", f"{param}.content")
        parts: list[Obj] = []
        for part in content:
            if not isinstance(part, dict) or "type" not in part:
                raise invalid(f"Invalid '{param}.content': expected parts.", f"{param}.content")
            if part["type"] == "output_text":
                part = {**objects.output_text(str(part.get("text", ""))), **part}
            parts.append(part)
        return parts

    def _items(self, specs: Any, param: str = "items") -> list[Obj]:
        if specs is None:
            return []
        if isinstance(specs, str):
            return [self.item(specs, param)]
        if not isinstance(specs, list):
            raise invalid(f"Invalid '{param}': expected an array.", param)
        return [self.item(spec, f"{param}[{i}]") for i, spec in enumerate(specs)]

    # conversations

    def _conversation(self, ns: Namespace, conv_id: str) -> ConversationRec:
        rec = ns.conversations.get(conv_id)
        if rec is None:
            raise _missing("Conversation", conv_id)
        return rec

    def _limit_items(self, specs: Any) -> None:
        if isinstance(specs, list) and len(specs) > MAX_ITEMS_PER_CALL:
            raise invalid(
                f"Invalid 'items': array too long. Expected an array with maximum length "
                f"{MAX_ITEMS_PER_CALL}, but got an array with length {len(specs)} instead.",
                "items",
                code="array_above_max_length",
            )

    async def create_conversation(self, request: Request, ns: Namespace) -> Response:
        """``POST /conversations``."""
        body = await json_body(request)
        self._limit_items(body.get("items"))
        meta = metadata(body.get("metadata"))
        items = self._items(body.get("items"))
        rec = ConversationRec(objects.conversation(self.emu.ids.new("conv"), meta, objects.now()))
        for item in items:
            rec.items.add(item)
        ns.conversations[rec.obj["id"]] = rec
        return JSONResponse(rec.obj)

    async def get_conversation(self, request: Request, ns: Namespace) -> Response:
        """``GET /conversations/{id}``."""
        return JSONResponse(self._conversation(ns, request.path_params["conversation_id"]).obj)

    async def update_conversation(self, request: Request, ns: Namespace) -> Response:
        """``POST /conversations/{id}`` (metadata, required)."""
        rec = self._conversation(ns, request.path_params["conversation_id"])
        body = await json_body(request)
        if "metadata" not in body:
            raise invalid(
                "Missing required parameter: 'metadata'.",
                "metadata",
                code="missing_required_parameter",
            )
        rec.obj["metadata"] = metadata(body["metadata"])
        return JSONResponse(rec.obj)

    async def delete_conversation(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /conversations/{id}``.

        Like the real API, the items are not deleted with it: the responses that wrote into
        the conversation stay retrievable, with their input items, until each is deleted.
        """
        conv_id = request.path_params["conversation_id"]
        self._conversation(ns, conv_id)
        del ns.conversations[conv_id]
        return JSONResponse({"id": conv_id, "object": "conversation.deleted", "deleted": True})

    async def create_items(self, request: Request, ns: Namespace) -> Response:
        """``POST /conversations/{id}/items`` (at most 20 a call)."""
        rec = self._conversation(ns, request.path_params["conversation_id"])
        body = await json_body(request)
        specs = require(body, "items")
        self._limit_items(specs)
        added = [rec.items.add(item) for item in self._items(specs)]
        store = OrderedStore()
        for item in added:
            store.add(item)
        page = store.page(limit=len(added) or 1, order="asc")
        return JSONResponse(page.body(conversation_style=True))

    async def list_items(self, request: Request, ns: Namespace) -> Response:
        """``GET /conversations/{id}/items`` (``after`` cursor only, like the real API)."""
        rec = self._conversation(ns, request.path_params["conversation_id"])
        page = rec.items.page(**list_params(request, before=False))
        return JSONResponse(page.body(conversation_style=True))

    def _item(self, request: Request, ns: Namespace) -> tuple[ConversationRec, Obj]:
        rec = self._conversation(ns, request.path_params["conversation_id"])
        item_id = request.path_params["item_id"]
        item = rec.items.get(item_id)
        if item is None:
            raise _missing("Item", item_id)
        return rec, item

    async def get_item(self, request: Request, ns: Namespace) -> Response:
        """``GET /conversations/{id}/items/{item_id}``."""
        return JSONResponse(self._item(request, ns)[1])

    async def delete_item(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /conversations/{id}/items/{item_id}`` (answers the conversation)."""
        rec, item = self._item(request, ns)
        rec.items.remove(item["id"])
        return JSONResponse(rec.obj)

    # responses

    async def create_response(self, request: Request, ns: Namespace) -> Response:
        """``POST /responses`` (plain, ``stream``, ``background``; chained or in a conversation).

        A response continues a chain (``previous_response_id``) or a conversation, never
        both. With ``store: false`` it is answered but kept nowhere: it cannot be retrieved,
        listed or continued, and so it cannot run in the background either.
        """
        body = await json_body(request)
        require(body, "model")
        body["metadata"] = metadata(body.get("metadata"))
        body["store"] = _stored(body)
        conv = self._target(ns, body)
        chain = self._chain(ns, body)
        inputs = self._items(body.get("input"), "input")
        if not inputs:
            raise invalid(
                "Missing required parameter: 'input'.", "input", code="missing_required_parameter"
            )
        _answered_calls(inputs, chain, conv.items if conv else ())
        conv_id = conv.obj["id"] if conv else None
        obj = objects.response(self.emu.ids.new("resp"), body, conv_id, objects.now())
        rec = ResponseRec(obj, input_items=[*chain, *inputs], inherited=len(chain))
        if body["store"]:
            ns.responses[obj["id"]] = rec
        if conv is not None:
            for item in inputs:
                conv.items.add(item)
        engine = ResponseEngine(self.emu, rec, conv, body)
        rec.task = self.emu.spawn(engine.drive())
        streams = parse_bool(body.get("stream")) and not self.emu.config.no_stream
        if streams:
            return self._stream(rec, 0)
        if not obj["background"]:
            await rec.task
        return JSONResponse(obj)

    def _target(self, ns: Namespace, body: Obj) -> ConversationRec | None:
        conv = body.get("conversation")
        if conv is None:
            return None
        conv_id = conv.get("id") if isinstance(conv, dict) else conv
        if not isinstance(conv_id, str):
            raise invalid("Invalid 'conversation'.", "conversation")
        if body.get("previous_response_id"):
            raise invalid(
                "Mutually exclusive parameters: Ensure you are only providing one of: "
                "'previous_response_id' or 'conversation'.",
                "conversation",
                code="mutually_exclusive_parameters",
            )
        return self._conversation(ns, conv_id)

    def _chain(self, ns: Namespace, body: Obj) -> list[Obj]:
        """The items a chained response starts from (none without ``previous_response_id``)."""
        previous_id = body.get("previous_response_id")
        if previous_id is None:
            return []
        previous = ns.responses.get(previous_id) if isinstance(previous_id, str) else None
        if previous is None:
            raise invalid(
                f"Previous response with id '{previous_id}' not found.",
                "previous_response_id",
                code="previous_response_not_found",
            )
        return previous.context()

    def _stream(self, rec: ResponseRec, start: int) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            async for event, data in rec.log.follow(start):
                yield sse(event, data)

        return StreamingResponse(body(), media_type="text/event-stream")

    def _response(self, request: Request, ns: Namespace) -> ResponseRec:
        resp_id = request.path_params["response_id"]
        rec = ns.responses.get(resp_id)
        if rec is None:
            raise _missing("Response", resp_id)
        return rec

    async def get_response(self, request: Request, ns: Namespace) -> Response:
        """``GET /responses/{id}`` (``stream=true&starting_after=N`` resumes a background one)."""
        rec = self._response(request, ns)
        if parse_bool(request.query_params.get("stream")):
            if not rec.obj["background"]:
                raise invalid(
                    "This response cannot be streamed because it was not created with "
                    "background=true.",
                    "stream",
                )
            return self._stream(rec, _starting_after(request) + 1)
        return JSONResponse(rec.obj)

    async def delete_response(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /responses/{id}``."""
        rec = self._response(request, ns)
        del ns.responses[rec.obj["id"]]
        return JSONResponse({"id": rec.obj["id"], "object": "response", "deleted": True})

    async def cancel_response(self, request: Request, ns: Namespace) -> Response:
        """``POST /responses/{id}/cancel`` (background responses only)."""
        rec = self._response(request, ns)
        if not rec.obj["background"]:
            raise invalid("Only responses created with background=true can be cancelled.")
        if rec.obj["status"] == "cancelled":
            return JSONResponse(rec.obj)  # cancelling twice is idempotent
        if rec.obj["status"] not in ("queued", "in_progress"):
            raise invalid(f"Cannot cancel a response with status '{rec.obj['status']}'.")
        rec.cancel_requested = True
        rec.obj["status"] = "cancelled"
        return JSONResponse(rec.obj)

    async def list_input_items(self, request: Request, ns: Namespace) -> Response:
        """``GET /responses/{id}/input_items``."""
        rec = self._response(request, ns)
        store = OrderedStore()
        for item in rec.new_input if self.emu.config.own_inputs else rec.input_items:
            store.add(item)
        page = store.page(**list_params(request, before=False))
        return JSONResponse(page.body(conversation_style=True))
