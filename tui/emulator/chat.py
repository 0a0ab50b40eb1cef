"""Chat Completions: create (plain or streamed) and the stored ones' list, get, update, delete.

Only a completion created with ``store: true`` is kept; its input messages are listed by
``GET /chat/completions/{id}/messages``. Replies come from ``replies``; a function tool
offered with a ``tool_choice`` other than ``none`` is called instead, and the answer after
``tool`` messages reports their output.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tui.emulator import models, objects, replies, tokens, tools
from tui.emulator.arguments import call_arguments, generate, seeded, subjects
from tui.emulator.errors import invalid, not_found
from tui.emulator.http import JSONResponse, dumps
from tui.emulator.paging import OrderedStore
from tui.emulator.validate import json_body, list_params, metadata, parse_bool, require

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec
    from tui.emulator.state import Namespace

Obj = dict[str, Any]
FINGERPRINT = "fp_e1f0a2b3c4"
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_ROLE_LIST = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'"
MAX_N = 128


@dataclass
class ChatStore:
    """The stored completions of one API key, and the input messages of each."""

    completions: OrderedStore = field(default_factory=OrderedStore)
    messages: dict[str, OrderedStore] = field(default_factory=dict)


_STORES: dict[int, ChatStore] = {}


def chat_store(ns: Namespace) -> ChatStore:
    """The stored completions of a namespace (dropped with the namespace)."""
    store = _STORES.get(id(ns))
    if store is None:
        store = _STORES[id(ns)] = ChatStore()
        weakref.finalize(ns, _STORES.pop, id(ns), None)
    return store


@dataclass(frozen=True)
class Answer:
    """What the model says: text, or tool calls, and why it stopped."""

    text: str | None
    calls: list[Obj]
    finish: str


def usage(prompt: int, completion: int) -> Obj:
    """Chat usage with its detail objects."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def assistant_message(answer: Answer) -> Obj:
    """The ``message`` of a choice."""
    message: Obj = {
        "role": "assistant",
        "content": answer.text,
        "refusal": None,
        "annotations": [],
    }
    if answer.calls:
        message["tool_calls"] = answer.calls
    return message


def stored_message(msg_id: str, message: Obj) -> Obj:
    """An input message as ``GET /chat/completions/{id}/messages`` lists it."""
    content = message.get("content")
    stored: Obj = {
        "id": msg_id,
        "role": message["role"],
        "content": tokens.content_text(content) if content is not None else None,
        "refusal": None,
        "name": message.get("name"),
        "content_parts": content if isinstance(content, list) else None,
    }
    if message.get("tool_calls"):
        stored["tool_calls"] = message["tool_calls"]
    return stored


class ChatApi:
    """Handlers for ``/chat/completions``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[RouteSpec]:
        """Path, methods and handler of every route."""
        one = "/chat/completions/{completion_id}"
        return [
            ("/chat/completions", ["POST"], self.create),
            ("/chat/completions", ["GET"], self.list_completions),
            (one, ["GET"], self.retrieve),
            (one, ["POST"], self.update),
            (one, ["DELETE"], self.delete),
            (one + "/messages", ["GET"], self.list_messages),
        ]

    # create

    async def create(self, request: Request, ns: Namespace) -> Response:
        """``POST /chat/completions``."""
        body = await json_body(request)
        messages = self._check(body)
        store = body.get("store") is True
        meta = metadata(body.get("metadata"))
        if meta and not store:
            raise invalid(
                "The 'metadata' parameter is only allowed when 'store' is enabled.", "metadata"
            )
        answer = self._answer(body, messages)
        obj = self._made(body, messages, answer, objects.now())
        if store:
            self._keep(ns, obj, body, meta, messages)
        if parse_bool(body.get("stream")) and not self.emu.config.no_stream:
            return self._stream(obj, answer, body)
        return JSONResponse(obj)

    def _made(self, body: Obj, messages: list[Obj], answer: Answer, created: int) -> Obj:
        """The completion object of ``answer``: one choice per ``n``."""
        count = body.get("n") or 1
        return {
            "id": self._new_id(),
            "object": "chat.completion",
            "created": created,
            "model": body["model"],
            "choices": [
                {
                    "index": i,
                    "message": assistant_message(answer),
                    "logprobs": None,
                    "finish_reason": answer.finish,
                }
                for i in range(count)
            ],
            "usage": self._usage(body, messages, answer, count),
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
        }

    def stored_at(
        self, ns: Namespace, body: Obj, created: int, answer: Answer | None = None
    ) -> Obj:
        """Store what ``POST /chat/completions`` with ``body`` would, made at ``created``.

        For demo data: the body is trusted (``store: true`` is implied); ``answer`` replaces
        the generated reply (seeding many at once).
        """
        messages = self._check(body)
        reply = answer or self._answer(body, messages)
        obj = self._made(body, messages, reply, created)
        self._keep(ns, obj, body, metadata(body.get("metadata")), messages)
        return obj

    def _check(self, body: Obj) -> list[Obj]:
        model = require(body, "model")
        if not models.is_known(model):
            raise models.chat_model_not_found(str(model))
        messages = require(body, "messages")
        if not isinstance(messages, list) or not messages:
            raise invalid(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                "but got an empty array instead.",
                "messages",
                code="empty_array",
            )
        for i, message in enumerate(messages):
            self._check_message(messages, i, message)
        self._check_options(body)
        return messages

    def _check_options(self, body: Obj) -> None:
        n = body.get("n") or 1
        if not isinstance(n, int) or not 1 <= n <= MAX_N:
            raise invalid(
                f"Invalid 'n': expected an integer between 1 and {MAX_N}.", "n", "invalid_value"
            )
        if body.get("stream_options") is not None and not parse_bool(body.get("stream")):
            raise invalid(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                "stream_options",
            )
        choice = body.get("tool_choice")
        if choice is not None and not body.get("tools"):
            raise invalid(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' "
                "are specified.",
                "tool_choice",
            )
        named = isinstance(choice, dict) and isinstance(choice.get("function"), dict)
        if choice is not None and not named and choice not in ("none", "auto", "required"):
            raise invalid(
                "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or "
                "an object naming a function.",
                "tool_choice",
                code="invalid_value",
            )
        _functions(body.get("tools"))

    def _check_message(self, messages: list[Any], i: int, message: Any) -> None:
        param = f"messages[{i}]"
        if not isinstance(message, dict):
            raise invalid(
                f"Invalid type for '{param}': expected an object, but got "
                f"{type(message).__name__} instead.",
                param,
                code="invalid_type",
            )
        role = message.get("role")
        if role not in ROLES:
            raise invalid(
                f"Invalid value: '{role}'. Supported values are: {_ROLE_LIST}.",
                f"{param}.role",
                code="invalid_value",
            )
        if "content" not in message and role != "assistant":
            raise invalid(
                f"Missing required parameter: '{param}.content'.",
                f"{param}.content",
                code="missing_required_parameter",
            )
        if role == "tool" and not any(
            isinstance(m, dict) and m.get("tool_calls") for m in messages[:i]
        ):
            raise invalid(
                "Invalid parameter: messages with role 'tool' must be a response to a "
                "preceeding message with 'tool_calls'.",
                f"{param}.role",
            )

    def _answer(self, body: Obj, messages: list[Obj]) -> Answer:
        outputs: list[str] = []
        for message in reversed(messages):
            if message["role"] != "tool":
                break
            outputs.insert(0, tokens.content_text(message.get("content")))
        prompt = next((tokens.item_text(m) for m in reversed(messages) if m["role"] == "user"), "")
        formatted = self._formatted(body, messages, prompt, outputs)
        if outputs:
            return self._limit(body, formatted or replies.tool_reply(outputs))
        tool = self._tool(body)
        if tool is not None:
            found = subjects(prompt)
            rng = seeded(self.emu.config.seed, body["model"], messages, tool)
            args = call_arguments(tool.get("parameters"), rng, prompt, found[0] if found else None)
            call = {
                "id": self.emu.ids.new("call"),
                "type": "function",
                "function": {"name": tool["name"], "arguments": args},
            }
            return Answer(None, [call], "tool_calls")
        if formatted is not None:
            return self._limit(body, formatted)
        turn = sum(1 for m in messages if m["role"] == "assistant")
        return self._limit(body, replies.reply_text(prompt, turn))

    def _formatted(
        self, body: Obj, messages: list[Obj], prompt: str, outputs: list[str]
    ) -> str | None:
        """JSON as ``response_format`` asks (``json_schema``: valid against it), else ``None``."""
        found = body.get("response_format")
        fmt: dict[str, Any] = found if isinstance(found, dict) else {}
        kind = fmt.get("type")
        if kind == "json_schema":
            named = fmt.get("json_schema")
            spec: dict[str, Any] = named if isinstance(named, dict) else {}
            schema = spec.get("schema") or {"type": "object"}
            if spec.get("strict") is not False:
                schema = tools.strict_schema(schema)
            rng = seeded(self.emu.config.seed, body["model"], messages, spec)
            return json.dumps(generate(schema, rng, prompt), ensure_ascii=False)
        if kind == "json_object":
            reply = replies.tool_reply(outputs) if outputs else replies.reply_text(prompt, 0)
            return json.dumps({"answer": reply}, ensure_ascii=False)
        return None

    def _tool(self, body: Obj) -> Obj | None:
        functions = _functions(body.get("tools"))
        choice = body.get("tool_choice", "auto")
        if not functions or choice == "none":
            return None
        if isinstance(choice, dict):
            name = choice["function"].get("name")
            return next((f for f in functions if f["name"] == name), functions[0])
        return functions[0]

    def _limit(self, body: Obj, text: str) -> Answer:
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        pieces = replies.tokens(text)
        if isinstance(limit, int) and 0 < limit < len(pieces):
            return Answer("".join(pieces[:limit]), [], "length")
        return Answer(text, [], "stop")

    def _usage(self, body: Obj, messages: list[Obj], answer: Answer, count: int) -> Obj:
        prompt = tokens.count_items(messages) + tokens.count_tools(body.get("tools"))
        completion = tokens.count_text(answer.text or "") + sum(
            tokens.count_text(c["function"]["arguments"]) for c in answer.calls
        )
        return usage(prompt, completion * count)

    def _new_id(self) -> str:
        # 29 base-62 characters, like chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT
        ids = self.emu.ids
        return "chatcmpl-" + ids.new("call")[5:] + ids.new("call")[5:10]

    def _keep(self, ns: Namespace, obj: Obj, body: Obj, meta: Obj, messages: list[Obj]) -> None:
        kept = {
            **obj,
            "metadata": meta,
            "tool_choice": body.get("tool_choice"),
            "tools": body.get("tools"),
            "seed": body.get("seed"),
            "temperature": body.get("temperature", 1.0),
            "top_p": body.get("top_p", 1.0),
            "presence_penalty": body.get("presence_penalty", 0.0),
            "frequency_penalty": body.get("frequency_penalty", 0.0),
            "input_user": body.get("user"),
            "response_format": body.get("response_format"),
        }
        store = chat_store(ns)
        store.completions.add(kept)
        listed = store.messages[obj["id"]] = OrderedStore()
        for i, message in enumerate(messages):
            listed.add(stored_message(f"{obj['id']}-{i}", message))

    def _stream(self, obj: Obj, answer: Answer, body: Obj) -> StreamingResponse:
        options = body.get("stream_options") or {}
        with_usage = isinstance(options, dict) and options.get("include_usage") is True
        head = {k: obj[k] for k in ("id", "created", "model", "service_tier")}
        head |= {"object": "chat.completion.chunk", "system_fingerprint": FINGERPRINT}
        if with_usage:
            head["usage"] = None
        delay = self.emu.config.token_delay

        async def events() -> AsyncIterator[bytes]:
            for choice in obj["choices"]:
                for delta, finish in _deltas(answer):
                    row = {"index": choice["index"], "delta": delta, "logprobs": None}
                    yield _data({**head, "choices": [{**row, "finish_reason": finish}]})
                    await asyncio.sleep(delay)
            if with_usage:
                yield _data({**head, "choices": [], "usage": obj["usage"]})
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    # stored completions

    def _stored(self, request: Request, ns: Namespace) -> Obj:
        completion_id = request.path_params["completion_id"]
        found = chat_store(ns).completions.get(completion_id)
        if found is None:
            raise not_found("chat completion", completion_id)
        return found

    async def list_completions(self, request: Request, ns: Namespace) -> Response:
        """``GET /chat/completions`` (stored only; ``metadata[k]=v`` and ``model`` filters)."""
        query = request.query_params
        wanted = {
            key[len("metadata[") : -1]: value
            for key, value in query.multi_items()
            if key.startswith("metadata[") and key.endswith("]")
        }
        model = query.get("model")
        if not wanted and model is None:  # no filter: page the store itself
            page = chat_store(ns).completions.page(**_asc_params(request))
            return JSONResponse(page.body(conversation_style=True))
        chosen = OrderedStore()
        for obj in chat_store(ns).completions:
            meta = obj["metadata"]
            if (model is None or obj["model"] == model) and all(
                meta.get(k) == v for k, v in wanted.items()
            ):
                chosen.add(obj)
        page = chosen.page(**_asc_params(request))
        return JSONResponse(page.body(conversation_style=True))

    async def retrieve(self, request: Request, ns: Namespace) -> Response:
        """``GET /chat/completions/{id}``."""
        return JSONResponse(self._stored(request, ns))

    async def update(self, request: Request, ns: Namespace) -> Response:
        """``POST /chat/completions/{id}``: only ``metadata`` can change."""
        obj = self._stored(request, ns)
        body = await json_body(request)
        if "metadata" not in body:
            raise invalid(
                "Missing required parameter: 'metadata'.",
                "metadata",
                code="missing_required_parameter",
            )
        obj["metadata"] = metadata(body["metadata"])
        return JSONResponse(obj)

    async def delete(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /chat/completions/{id}``."""
        obj = self._stored(request, ns)
        store = chat_store(ns)
        store.completions.remove(obj["id"])
        store.messages.pop(obj["id"], None)
        return JSONResponse({"object": "chat.completion.deleted", "id": obj["id"], "deleted": True})

    async def list_messages(self, request: Request, ns: Namespace) -> Response:
        """``GET /chat/completions/{id}/messages``: the stored input messages."""
        obj = self._stored(request, ns)
        page = chat_store(ns).messages[obj["id"]].page(**_asc_params(request))
        return JSONResponse(page.body(conversation_style=True))


def _functions(tools: Any) -> list[Obj]:
    """The function definitions among ``tools``, each checked for a name."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid(
            f"Invalid type for 'tools': expected an array, but got {type(tools).__name__} instead.",
            "tools",
            code="invalid_type",
        )
    functions: list[Obj] = []
    for i, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind not in ("function", "custom"):
            raise invalid(
                f"Invalid value: '{kind}'. Supported values are: 'function' and 'custom'.",
                f"tools[{i}].type",
                code="invalid_value",
            )
        if kind == "custom":
            continue
        fn = tool.get("function")
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            name = f"tools[{i}].function" + (".name" if isinstance(fn, dict) else "")
            raise invalid(
                f"Missing required parameter: '{name}'.", name, code="missing_required_parameter"
            )
        functions.append(fn)
    return functions


def _asc_params(request: Request) -> Obj:
    """``limit``, ``order`` (``asc`` unless given) and ``after``."""
    params = list_params(request, before=False)
    if "order" not in request.query_params:
        params["order"] = "asc"
    return params


def _deltas(answer: Answer) -> list[tuple[Obj, str | None]]:
    """The deltas of one streamed choice, then its finish."""
    first: Obj = {"role": "assistant", "content": "" if answer.text is not None else None}
    first["refusal"] = None
    out: list[tuple[Obj, str | None]] = []
    if answer.text is not None:
        out.append((first, None))
        out += [({"content": piece}, None) for piece in replies.tokens(answer.text)]
    for index, call in enumerate(answer.calls):
        fn = call["function"]
        header = {"index": index, "id": call["id"], "type": "function"}
        header["function"] = {"name": fn["name"], "arguments": ""}
        opening = first if index == 0 else {}
        out.append(({**opening, "tool_calls": [header]}, None))
        out += [
            ({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, None)
            for piece in replies.tokens(fn["arguments"])
        ]
    out.append(({}, answer.finish))
    return out


def _data(payload: Obj) -> bytes:
    return f"data: {dumps(payload)}\n\n".encode()
