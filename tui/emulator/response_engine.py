"""The engine that moves a response through its statuses and streams its events.

What the model does follows the request: reasoning models (o-series, gpt-5) think first
(a ``reasoning`` item, with a summary when ``reasoning.summary`` asks for one); function
tools are called as ``tool_choice`` and ``parallel_tool_calls`` allow, with arguments
generated from each tool's schema; an offered web search tool is used before the answer,
which then cites its pages; ``text.format`` makes the answer JSON.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from tui.emulator import arguments, objects, replies, tools
from tui.emulator.state import ConversationRec, ResponseRec

if TYPE_CHECKING:
    from tui.emulator.app import Emulator

Obj = dict[str, Any]
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)(?!.*-chat)")
_SUMMARIES = ("auto", "concise", "detailed")

_log = logging.getLogger(__name__)
SERVER_ERROR = {
    "code": "server_error",
    "message": "The server had an error processing your request. Sorry about that! You can "
    "retry your request.",
}


def item_text(item: Obj) -> str:
    """The text of a message item."""
    if item.get("type") != "message":
        return ""
    return "".join(str(p.get("text", "")) for p in item["content"] if "text" in p)


def latest_turn(items: list[Obj]) -> tuple[str, list[str]]:
    """The prompt (the last user message) and the tool outputs sent after it.

    Items of a chain come first: outputs answered in an earlier turn do not count.
    """
    last_user = max(
        (n for n, i in enumerate(items) if i.get("type") == "message" and i.get("role") == "user"),
        default=-1,
    )
    texts = [item_text(i) for i in items[last_user:] if item_text(i)] if last_user >= 0 else []
    if not texts:
        texts = [item_text(i) for i in items if item_text(i)][-1:]
    after = items[last_user + 1 :]
    outputs = [str(i.get("output", "")) for i in after if i.get("type") == "function_call_output"]
    return (texts[0] if texts else ""), outputs


def reasons(model: Any) -> bool:
    """Whether ``model`` is a reasoning model (o-series, gpt-5 family)."""
    return isinstance(model, str) and _REASONING_MODEL.match(model) is not None


def _object(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


class ResponseEngine:
    """Moves one response to a terminal status, emitting the Responses stream events.

    ``body`` is the create request; the response object is shaped from it at once (the
    tools as the API echoes them, ``text``, ``reasoning``), before anyone sees it.
    """

    def __init__(
        self,
        emulator: Emulator,
        rec: ResponseRec,
        conv: ConversationRec | None,
        body: Obj | None = None,
    ) -> None:
        self.emu = emulator
        self.rec = rec
        self.conv = conv
        self.resp = rec.obj
        self.body = body or {}
        self.delay = emulator.config.token_delay
        self.reasoning_tokens = 0
        self._shape()

    def _shape(self) -> None:
        resp = self.resp
        resp["tools"] = [tools.echoed_tool(t) for t in resp.get("tools") or []]
        text = _object(self.body.get("text"))
        if text:
            resp["text"] = {**_object(resp.get("text")), **text}
        asked = _object(self.body.get("reasoning"))
        if reasons(resp.get("model")):
            resp["reasoning"] = {
                "effort": asked.get("effort") or "medium",
                "summary": asked.get("summary") or asked.get("generate_summary"),
            }

    def emit(self, event: str, **payload: Any) -> None:
        """Emit an event with the next sequence number."""
        data = {"type": event, "sequence_number": self.rec.sequence, **payload}
        self.rec.sequence += 1
        self.rec.log.emit(event, data)

    def _id(self, prefix: str) -> str:
        """An output item ID with the Responses shape (48 hex digits)."""
        return f"{prefix}_{self.emu.ids.new('item').partition('_')[2]}"

    def _rng(self, *parts: Any) -> Any:
        return arguments.seeded(self.emu.config.seed, self.resp.get("model"), *parts)

    async def drive(self) -> None:
        """The whole life of the response; if the emulator itself fails, the response fails.

        As the real API's ``server_error``: the stream ends with ``response.failed`` and the
        response is retrievable as failed, never left in progress.
        """
        try:
            await self._drive()
        except Exception:
            _log.exception("the emulator failed while answering %s", self.resp.get("id"))
            if self.resp.get("status") in ("queued", "in_progress"):
                self.resp.update(status="failed", error=SERVER_ERROR)
                self.emit("response.failed", response=self.resp)
                self.rec.log.close()

    async def _drive(self) -> None:
        self.emit("response.created", response=self.resp)
        if self.resp["status"] == "queued":
            self.emit("response.queued", response=self.resp)
            await asyncio.sleep(self.delay)
        if self._cancelled():
            return
        self.resp["status"] = "in_progress"
        self.emit("response.in_progress", response=self.resp)
        prompt, outputs = latest_turn(self.rec.input_items)
        calls = self._plan(prompt, answered=bool(outputs))
        search = not calls and self._searches(answered=bool(outputs))
        if self._thinks():
            plan = "call a tool" if calls else "search the web" if search else "answer"
            await self._reason(prompt, plan)
            if self._cancelled():
                return
        if calls:
            for call in calls:
                await self._call_tool(call, prompt)
                if self._cancelled():
                    return
            self._complete(prompt)
            return
        sources = await self._web_search(prompt) if search else []
        text = self._answer(prompt, outputs)
        cited = [] if self._format() in ("json_schema", "json_object") else sources
        await self._reply(text, replies.directive(prompt), prompt, cited)

    # what the model does

    def _plan(self, prompt: str, *, answered: bool) -> list[tools.Call]:
        functions = [
            tools.Function(t["name"], t.get("parameters"), t.get("description") or "")
            for t in self.resp["tools"]
            if isinstance(t, dict) and t.get("type") == "function" and t.get("name")
        ]
        return tools.plan_calls(
            functions,
            self.resp.get("tool_choice", "auto"),
            parallel=self.resp.get("parallel_tool_calls") is not False,
            prompt=prompt,
            answered=answered,
        )

    def _searches(self, *, answered: bool) -> bool:
        offered = any(
            isinstance(t, dict) and str(t.get("type", "")).startswith("web_search")
            for t in self.resp["tools"]
        )
        choice = self.resp.get("tool_choice", "auto")
        forced = tools.forced_hosted(choice)
        if forced is not None:
            return offered and forced.startswith("web_search")
        mode = tools.choice_mode(choice)
        return offered and mode != "none" and not (mode == "auto" and answered)

    def _thinks(self) -> bool:
        effort = _object(self.resp.get("reasoning")).get("effort")
        return reasons(self.resp.get("model")) and effort != "none"

    def _format(self) -> str:
        return str(_object(_object(self.resp.get("text")).get("format")).get("type", "text"))

    def _answer(self, prompt: str, outputs: list[str]) -> str:
        fmt = _object(_object(self.resp.get("text")).get("format"))
        if fmt.get("type") == "json_schema":
            schema = fmt.get("schema")
            if fmt.get("strict") is not False:
                schema = tools.strict_schema(schema)
            value = arguments.generate(schema, self._rng("format", prompt), prompt)
            return json.dumps(value, ensure_ascii=False)
        if fmt.get("type") == "json_object":
            reply = replies.tool_reply(outputs) if outputs else replies.reply_text(prompt, 0)
            return json.dumps({"answer": reply}, ensure_ascii=False)
        if outputs:
            return replies.tool_reply(outputs)
        turn = len(self.conv.items) if self.conv else 0
        return replies.reply_text(prompt, turn)

    def _cancelled(self) -> bool:
        if not self.rec.cancel_requested:
            return False
        self.resp["status"] = "cancelled"
        self.rec.log.close()
        return True

    # output items

    def _included(self, what: str) -> bool:
        include = self.body.get("include")
        return isinstance(include, list) and what in include

    async def _reason(self, prompt: str, plan: str) -> None:
        index = len(self.resp["output"])
        summary = replies.reasoning_summary(prompt, plan)
        self.reasoning_tokens = 4 * replies.count_tokens(summary)
        item: Obj = {"id": self._id("rs"), "type": "reasoning", "summary": []}
        digest = hashlib.sha256(f"{self.emu.config.seed}|{prompt}|{plan}".encode()).digest()
        item["encrypted_content"] = "gAAAAA" + base64.urlsafe_b64encode(digest * 3).decode()
        self.emit("response.output_item.added", output_index=index, item=item)
        if _object(self.resp.get("reasoning")).get("summary") in _SUMMARIES:
            item["summary"].append(await self._summary(item["id"], index, summary))
        await asyncio.sleep(self.delay)
        self.emit("response.output_item.done", output_index=index, item=item)
        self.resp["output"].append(item)

    async def _summary(self, item_id: str, index: int, text: str) -> Obj:
        where = {"item_id": item_id, "output_index": index, "summary_index": 0}
        part = {"type": "summary_text", "text": ""}
        self.emit("response.reasoning_summary_part.added", **where, part=dict(part))
        for piece in replies.tokens(text):
            self.emit("response.reasoning_summary_text.delta", **where, delta=piece)
            await asyncio.sleep(self.delay)
        part["text"] = text
        self.emit("response.reasoning_summary_text.done", **where, text=text)
        self.emit("response.reasoning_summary_part.done", **where, part=part)
        return part

    async def _call_tool(self, call: tools.Call, prompt: str) -> None:
        index = len(self.resp["output"])
        name = call.function.name
        rng = self._rng("call", name, prompt, call.subject, index)
        args = arguments.call_arguments(call.function.parameters, rng, prompt, call.subject)
        item = objects.function_call(self._id("fc"), self.emu.ids.new("call"), name, args)
        item["status"] = "in_progress"
        self.emit("response.output_item.added", output_index=index, item=dict(item, arguments=""))
        await asyncio.sleep(self.delay)
        where = {"item_id": item["id"], "output_index": index}
        self.emit("response.function_call_arguments.delta", **where, delta=args)
        self.emit("response.function_call_arguments.done", **where, arguments=args, name=name)
        item["status"] = "completed"
        self.emit("response.output_item.done", output_index=index, item=item)
        self.resp["output"].append(item)

    async def _web_search(self, prompt: str) -> list[tuple[str, str]]:
        index = len(self.resp["output"])
        found = replies.search_sources(prompt)
        query = prompt[:200] or "latest news"
        action: Obj = {"type": "search", "query": query, "queries": [query]}
        if self._included("web_search_call.action.sources"):
            action["sources"] = [{"type": "url", "url": url} for _, url in found]
        item: Obj = {
            "id": self._id("ws"),
            "type": "web_search_call",
            "status": "in_progress",
            "action": {"type": "search"},
        }
        self.emit("response.output_item.added", output_index=index, item=dict(item))
        where = {"item_id": item["id"], "output_index": index}
        self.emit("response.web_search_call.in_progress", **where)
        self.emit("response.web_search_call.searching", **where)
        await asyncio.sleep(self.delay)
        self.emit("response.web_search_call.completed", **where)
        item.update(status="completed", action=action)
        self.emit("response.output_item.done", output_index=index, item=item)
        self.resp["output"].append(item)
        return found

    async def _reply(
        self, text: str, mode: str | None, prompt: str, sources: list[tuple[str, str]]
    ) -> None:
        index = len(self.resp["output"])
        text, notes = _cite(text, sources)
        item = objects.input_message(self.emu.ids.conversation_message(), "assistant", [])
        item["status"] = "in_progress"
        self.emit("response.output_item.added", output_index=index, item=item)
        part = objects.output_text("")
        where = {"item_id": item["id"], "output_index": index, "content_index": 0}
        self.emit("response.content_part.added", **where, part=dict(part))
        pieces = replies.tokens(text)
        stop_at = len(pieces) // 3 if mode in ("fail", "incomplete") else len(pieces)
        for piece in pieces[:stop_at]:
            if self._cancelled():
                return
            part["text"] += piece
            self.emit("response.output_text.delta", **where, delta=piece, logprobs=[])
            await asyncio.sleep(self.delay)
        if self._cancelled():
            return
        item["content"].append(part)
        if mode == "fail":
            self._fail(prompt)
            return
        if mode == "incomplete":
            item["status"] = "incomplete"
            self.resp["output"].append(item)
            self._finish("incomplete", prompt, incomplete_details={"reason": "max_output_tokens"})
            return
        for number, note in enumerate(notes):
            part["annotations"].append(note)
            self.emit(
                "response.output_text.annotation.added",
                **where,
                annotation_index=number,
                annotation=note,
            )
        self.emit("response.output_text.done", **where, text=part["text"], logprobs=[])
        self.emit("response.content_part.done", **where, part=part)
        item["status"] = "completed"
        self.emit("response.output_item.done", output_index=index, item=item)
        self.resp["output"].append(item)
        self._complete(prompt)

    # endings

    def _usage(self, prompt: str) -> Obj:
        answer = "".join(item_text(i) or i.get("arguments", "") for i in self.resp["output"])
        use = objects.response_usage(replies.count_tokens(prompt), replies.count_tokens(answer))
        if self.reasoning_tokens:
            use["output_tokens"] += self.reasoning_tokens
            use["total_tokens"] += self.reasoning_tokens
            use["output_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
        return use

    def _complete(self, prompt: str) -> None:
        if self.conv is not None:
            for item in self.resp["output"]:
                self.conv.items.add(item)
        self._finish("completed", prompt, completed_at=objects.now())

    def _fail(self, prompt: str) -> None:
        error = {
            "code": "server_error",
            "message": "The model produced invalid output and the response failed.",
        }
        self._finish("failed", prompt, error=error)

    def _finish(self, status: str, prompt: str, **fields: Any) -> None:
        self.resp.update(status=status, usage=self._usage(prompt), **fields)
        self.emit(f"response.{status}", response=self.resp)
        self.rec.log.close()


def _cite(text: str, sources: list[tuple[str, str]]) -> tuple[str, list[Obj]]:
    """``text`` with a Markdown link to each source, and the ``url_citation`` of each link."""
    notes: list[Obj] = []
    for title, url in sources:
        link = f"[{title}]({url})"
        text += f"\n\nSource: {link}"
        end = len(text)
        notes.append(
            {
                "type": "url_citation",
                "start_index": end - len(link),
                "end_index": end,
                "url": url,
                "title": title,
            }
        )
    return text, notes
