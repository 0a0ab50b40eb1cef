"""The engine that moves a response through its statuses and streams its events."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from tui.emulator import objects, replies
from tui.emulator.state import ConversationRec, ResponseRec

if TYPE_CHECKING:
    from tui.emulator.app import Emulator

Obj = dict[str, Any]


def item_text(item: Obj) -> str:
    """The text of a message item."""
    if item.get("type") != "message":
        return ""
    return "".join(str(p.get("text", "")) for p in item["content"] if "text" in p)


class ResponseEngine:
    """Moves one response to a terminal status, emitting the Responses stream events."""

    def __init__(self, emulator: Emulator, rec: ResponseRec, conv: ConversationRec | None) -> None:
        self.emu = emulator
        self.rec = rec
        self.conv = conv
        self.resp = rec.obj
        self.delay = emulator.config.token_delay

    def emit(self, event: str, **payload: Any) -> None:
        """Emit an event with the next sequence number."""
        data = {"type": event, "sequence_number": self.rec.sequence, **payload}
        self.rec.sequence += 1
        self.rec.log.emit(event, data)

    async def drive(self) -> None:
        """The whole life of the response."""
        self.emit("response.created", response=self.resp)
        if self.resp["status"] == "queued":
            self.emit("response.queued", response=self.resp)
            await asyncio.sleep(self.delay)
        if self._cancelled():
            return
        self.resp["status"] = "in_progress"
        self.emit("response.in_progress", response=self.resp)
        inputs = self.rec.input_items
        outputs = [i["output"] for i in inputs if i["type"] == "function_call_output"]
        prompt = next((item_text(i) for i in reversed(inputs) if item_text(i)), "")
        functions = [t for t in self.resp["tools"] if t.get("type") == "function"]
        if functions and not outputs:
            await self._call_tool(functions[0], prompt)
            if not self._cancelled():
                self._complete(prompt)
            return
        turn = len(self.conv.items) if self.conv else 0
        text = replies.tool_reply(outputs) if outputs else replies.reply_text(prompt, turn)
        await self._reply(text, replies.directive(prompt), prompt)

    def _cancelled(self) -> bool:
        if not self.rec.cancel_requested:
            return False
        self.resp["status"] = "cancelled"
        self.rec.log.close()
        return True

    async def _call_tool(self, tool: Obj, prompt: str) -> None:
        args = json.dumps({"query": prompt[:200]}, ensure_ascii=False)
        item = objects.function_call(
            self.emu.ids.new("fc"), self.emu.ids.new("call"), tool["name"], args
        )
        item["status"] = "in_progress"
        self.emit("response.output_item.added", output_index=0, item=dict(item, arguments=""))
        await asyncio.sleep(self.delay)
        self.emit(
            "response.function_call_arguments.delta", item_id=item["id"], output_index=0, delta=args
        )
        self.emit(
            "response.function_call_arguments.done",
            item_id=item["id"],
            output_index=0,
            arguments=args,
            name=tool["name"],
        )
        item["status"] = "completed"
        self.emit("response.output_item.done", output_index=0, item=item)
        self.resp["output"].append(item)

    async def _reply(self, text: str, mode: str | None, prompt: str) -> None:
        item = objects.input_message(self.emu.ids.conversation_message(), "assistant", [])
        item["status"] = "in_progress"
        self.emit("response.output_item.added", output_index=0, item=item)
        part = objects.output_text("")
        self.emit(
            "response.content_part.added",
            item_id=item["id"],
            output_index=0,
            content_index=0,
            part=dict(part),
        )
        pieces = replies.tokens(text)
        stop_at = len(pieces) // 3 if mode in ("fail", "incomplete") else len(pieces)
        for piece in pieces[:stop_at]:
            if self._cancelled():
                return
            part["text"] += piece
            self.emit(
                "response.output_text.delta",
                item_id=item["id"],
                output_index=0,
                content_index=0,
                delta=piece,
                logprobs=[],
            )
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
        self.emit(
            "response.output_text.done",
            item_id=item["id"],
            output_index=0,
            content_index=0,
            text=part["text"],
            logprobs=[],
        )
        self.emit(
            "response.content_part.done",
            item_id=item["id"],
            output_index=0,
            content_index=0,
            part=part,
        )
        item["status"] = "completed"
        self.emit("response.output_item.done", output_index=0, item=item)
        self.resp["output"].append(item)
        self._complete(prompt)

    def _usage(self, prompt: str) -> Obj:
        answer = "".join(item_text(i) or i.get("arguments", "") for i in self.resp["output"])
        return objects.response_usage(replies.count_tokens(prompt), replies.count_tokens(answer))

    def _complete(self, prompt: str) -> None:
        if self.conv is not None:
            for item in self.resp["output"]:
                self.conv.items.add(item)
        self._finish("completed", prompt, completed_at=time.time())

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
