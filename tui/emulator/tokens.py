"""Input token counts: ``POST /responses/input_tokens`` and the prompt side of usage.

The count is deterministic and approximate: a token is what the emulator streams as one
delta (a run of up to six non-space characters with the spaces before it, see
``replies.tokens``); each message or item adds ``ITEM_OVERHEAD`` tokens of framing, as the
real chat format does, and tools count by their JSON definition.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tui.emulator import models, replies
from tui.emulator.errors import HttpError, invalid
from tui.emulator.http import JSONResponse
from tui.emulator.validate import json_body

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec
    from tui.emulator.state import Namespace

Obj = dict[str, Any]
ITEM_OVERHEAD = 3


def count_text(text: str) -> int:
    """Tokens in a text (none in an empty one)."""
    return len(replies.tokens(text)) if text else 0


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or the ``text`` of each of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def item_text(item: Any) -> str:
    """The text a message, tool call or tool output carries."""
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return ""
    text = content_text(item.get("content"))
    for key in ("arguments", "output"):
        if isinstance(item.get(key), str):
            text += item[key]
    for call in item.get("tool_calls") or []:
        if isinstance(call, dict) and isinstance(call.get("function"), dict):
            text += str(call["function"].get("arguments", ""))
    return text


def count_items(items: list[Any]) -> int:
    """Tokens of messages or items, each with its framing."""
    return sum(ITEM_OVERHEAD + count_text(item_text(item)) for item in items)


def count_tools(tools: Any) -> int:
    """Tokens of tool definitions."""
    return count_text(json.dumps(tools, sort_keys=True)) if tools else 0


class TokensApi:
    """Handler for ``POST /responses/input_tokens``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[RouteSpec]:
        """Path, methods and handler of every route."""
        return [("/responses/input_tokens", ["POST"], self.count)]

    async def count(self, request: Request, ns: Namespace) -> Response:
        """``POST /responses/input_tokens``."""
        body = await json_body(request)
        model = body.get("model")
        if model is not None and not models.is_known(model):
            raise models.requested_model_missing(str(model))
        items = self._history(ns, body) + self._input(body.get("input"))
        total = count_items(items) + count_tools(body.get("tools"))
        instructions = body.get("instructions")
        if isinstance(instructions, str) and instructions:
            total += ITEM_OVERHEAD + count_text(instructions)
        return JSONResponse({"object": "response.input_tokens", "input_tokens": total})

    def _input(self, value: Any) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, str):
            return [{"role": "user", "content": value}]
        if isinstance(value, list):
            return value
        raise invalid(
            "Invalid type for 'input': expected a string or an array of input items.",
            "input",
            code="invalid_type",
        )

    def _history(self, ns: Namespace, body: Obj) -> list[Any]:
        conv = body.get("conversation")
        previous = body.get("previous_response_id")
        if conv is not None and previous is not None:
            raise invalid(
                "Mutually exclusive parameters: Ensure you are only providing one of: "
                "'previous_response_id' or 'conversation'.",
                "conversation",
                code="mutually_exclusive_parameters",
            )
        if conv is not None:
            return self._conversation(ns, conv)
        if previous is not None:
            return self._chain(ns, previous)
        return []

    def _conversation(self, ns: Namespace, conv: Any) -> list[Any]:
        conv_id = conv.get("id") if isinstance(conv, dict) else conv
        if not isinstance(conv_id, str):
            raise invalid("Invalid 'conversation': expected an ID or an object with an 'id'.")
        rec = ns.conversations.get(conv_id)
        if rec is None:
            raise HttpError(404, f"Conversation with id '{conv_id}' not found.")
        return list(rec.items)

    def _chain(self, ns: Namespace, response_id: Any) -> list[Any]:
        """What a response chained to ``response_id`` reads: that one's input, then its output.

        A stored response's input already holds the chain it continued.
        """
        rec = ns.responses.get(response_id) if isinstance(response_id, str) else None
        if rec is None:
            raise invalid(
                f"Previous response with id '{response_id}' not found.",
                "previous_response_id",
                code="previous_response_not_found",
            )
        return [*rec.input_items, *rec.obj.get("output", [])]
