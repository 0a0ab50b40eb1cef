"""Assistants v2 runs: routes, and the engine that moves a run through its statuses."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tui.emulator import arguments, objects, replies, tools
from tui.emulator.assistants import AssistantsApi, find_thread
from tui.emulator.errors import invalid, not_found
from tui.emulator.events import EventLog, sse
from tui.emulator.http import JSONResponse
from tui.emulator.state import Namespace, RunRec, ThreadRec
from tui.emulator.validate import json_body, list_params, metadata, parse_bool, require

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec

Obj = dict[str, Any]
ACTIVE = ("queued", "in_progress", "requires_action", "cancelling")

_log = logging.getLogger(__name__)
TERMINAL = frozenset({"completed", "failed", "cancelled", "expired", "incomplete"})
SERVER_ERROR = {
    "code": "server_error",
    "message": "Sorry, something went wrong.",
}


def run_functions(run: Obj) -> list[tools.Function]:
    """The function tools a run may call."""
    found = []
    for tool in run.get("tools") or []:
        spec = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") == "function" and isinstance(spec, dict) and spec.get("name"):
            found.append(
                tools.Function(spec["name"], spec.get("parameters"), spec.get("description") or "")
            )
    return found


def message_text(msg: Obj) -> str:
    """The text of a thread message's text blocks."""
    return "".join(b["text"]["value"] for b in msg["content"] if b["type"] == "text")


def stream_response(log: EventLog) -> StreamingResponse:
    """Serve an event log as ``text/event-stream``."""

    async def body() -> AsyncIterator[bytes]:
        async for event, data in log.follow():
            yield sse(event, data)

    return StreamingResponse(body(), media_type="text/event-stream")


class RunsApi:
    """Handlers for runs and run steps, and the run engine."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.threads = AssistantsApi(emulator)

    def routes(self) -> list[RouteSpec]:
        """Path, methods and handler of every route."""
        base = "/threads/{thread_id}/runs"
        one = base + "/{run_id}"
        return [
            ("/threads/runs", ["POST"], self.create_thread_and_run),
            (base, ["POST"], self.create_run),
            (base, ["GET"], self.list_runs),
            (one, ["GET"], self.get_run),
            (one, ["POST"], self.update_run),
            (one + "/cancel", ["POST"], self.cancel_run),
            (one + "/submit_tool_outputs", ["POST"], self.submit_tool_outputs),
            (one + "/steps", ["GET"], self.list_steps),
            (one + "/steps/{step_id}", ["GET"], self.get_step),
        ]

    # routes

    async def create_thread_and_run(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads/runs``."""
        body = await json_body(request)
        asst = self._assistant(ns, require(body, "assistant_id"))
        thread_body = body.get("thread") or {}
        if not isinstance(thread_body, dict):
            raise invalid("Invalid 'thread': expected an object.", "thread")
        thread = self.threads.new_thread(ns, thread_body)
        rec = self._start(ns, thread, asst, body)
        if self._streams(body):
            log = EventLog()
            log.emit("thread.created", thread.obj)
            return self._chain(log, rec)
        return self._run_json(rec)

    async def create_run(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads/{id}/runs``."""
        thread = find_thread(ns, request.path_params["thread_id"])
        body = await json_body(request)
        asst = self._assistant(ns, require(body, "assistant_id"))
        active = thread.active_run()
        if active is not None:
            raise invalid(
                f"Thread {thread.obj['id']} already has an active run {active.obj['id']}."
            )
        for index, extra in enumerate(body.get("additional_messages") or []):
            self.threads._add_message(
                ns, thread, extra, objects.now(), param=f"additional_messages[{index}]"
            )
        rec = self._start(ns, thread, asst, body)
        if self._streams(body):
            return stream_response(rec.log)
        return self._run_json(rec)

    async def list_runs(self, request: Request, ns: Namespace) -> Response:
        """``GET /threads/{id}/runs``."""
        thread = find_thread(ns, request.path_params["thread_id"])
        return JSONResponse(thread.run_order.page(**list_params(request)).body())

    async def get_run(self, request: Request, ns: Namespace) -> Response:
        """``GET /threads/{id}/runs/{run_id}``."""
        return self._run_json(self._run(request, ns)[1])

    async def update_run(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads/{id}/runs/{run_id}`` (metadata)."""
        _, rec = self._run(request, ns)
        body = await json_body(request)
        if "metadata" in body:
            rec.obj["metadata"] = metadata(body["metadata"])
        return self._run_json(rec)

    async def cancel_run(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads/{id}/runs/{run_id}/cancel``."""
        _, rec = self._run(request, ns)
        run = rec.obj
        if run["status"] not in ("queued", "in_progress", "requires_action"):
            raise invalid(f"Cannot cancel run with status '{run['status']}'.")
        rec.cancel_requested = True
        run["status"] = "cancelling"
        rec.log.emit("thread.run.cancelling", run)
        rec.resumed.set()
        return self._run_json(rec)

    async def submit_tool_outputs(self, request: Request, ns: Namespace) -> Response:
        """``POST /threads/{id}/runs/{run_id}/submit_tool_outputs``."""
        _, rec = self._run(request, ns)
        body = await json_body(request)
        if rec.obj["status"] != "requires_action":
            raise invalid(f'Runs in status "{rec.obj["status"]}" do not accept tool outputs.')
        outputs = body.get("tool_outputs")
        expected = {
            c["id"] for c in rec.obj["required_action"]["submit_tool_outputs"]["tool_calls"]
        }
        given = {str(o.get("tool_call_id")) for o in outputs or [] if isinstance(o, dict)}
        if not outputs or given != expected:
            missing = ", ".join(sorted(expected - given)) or "none"
            raise invalid(
                f"Expected tool outputs for call_ids {sorted(expected)}, got {sorted(given)}; "
                f"missing: {missing}.",
                "tool_outputs",
            )
        rec.tool_outputs = outputs
        rec.log = EventLog()
        rec.obj["status"] = "queued"
        rec.obj["required_action"] = None
        rec.resumed.set()
        if self._streams(body):
            return stream_response(rec.log)
        return self._run_json(rec)

    async def list_steps(self, request: Request, ns: Namespace) -> Response:
        """``GET /threads/{id}/runs/{run_id}/steps``."""
        _, rec = self._run(request, ns)
        return JSONResponse(rec.steps.page(**list_params(request)).body())

    async def get_step(self, request: Request, ns: Namespace) -> Response:
        """``GET /threads/{id}/runs/{run_id}/steps/{step_id}``."""
        _, rec = self._run(request, ns)
        step_id = request.path_params["step_id"]
        step = rec.steps.get(step_id)
        if step is None:
            raise not_found("run step", step_id)
        return JSONResponse(step)

    # helpers

    def _streams(self, body: Obj) -> bool:
        return parse_bool(body.get("stream")) and not self.emu.config.no_stream

    def _assistant(self, ns: Namespace, assistant_id: str) -> Obj:
        asst = ns.assistants.get(assistant_id)
        if asst is None:
            raise not_found("assistant", assistant_id)
        return asst

    def _run(self, request: Request, ns: Namespace) -> tuple[ThreadRec, RunRec]:
        thread = find_thread(ns, request.path_params["thread_id"])
        run_id = request.path_params["run_id"]
        rec = thread.runs.get(run_id)
        if rec is None:
            raise not_found("run", run_id)
        return thread, rec

    def _run_json(self, rec: RunRec) -> Response:
        poll_ms = max(50, int(self.emu.config.token_delay_ms * 5))
        return JSONResponse(rec.obj, headers={"openai-poll-after-ms": str(poll_ms)})

    def _start(self, ns: Namespace, thread: ThreadRec, asst: Obj, body: Obj) -> RunRec:
        body["metadata"] = metadata(body.get("metadata"))
        run = objects.run(self.emu.ids.new("run"), thread.obj["id"], asst, body, objects.now())
        asked = body.get("response_format") or asst.get("response_format")
        run["response_format"] = asked or "auto"
        rec = RunRec(run)
        thread.runs[run["id"]] = rec
        thread.run_order.add(run)
        rec.task = self.emu.spawn(RunEngine(self.emu, thread, rec).drive())
        return rec

    def _chain(self, first: EventLog, rec: RunRec) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for event, data in first.events:
                yield sse(event, data)
            async for event, data in rec.log.follow():
                yield sse(event, data)

        return StreamingResponse(body(), media_type="text/event-stream")


class RunEngine:
    """Moves one run from ``queued`` to a terminal status, emitting stream events."""

    def __init__(self, emulator: Emulator, thread: ThreadRec, rec: RunRec) -> None:
        self.emu = emulator
        self.thread = thread
        self.rec = rec
        self.run = rec.obj
        self.delay = emulator.config.token_delay

    def emit(self, event: str, data: Any) -> None:
        """Emit on the run's current log."""
        self.rec.log.emit(event, data)

    def finish(self, status: str, **fields: Any) -> None:
        """Move the run to a terminal status and end the stream (it no longer expires)."""
        self.run["status"] = status
        self.run.update(fields, expires_at=None)
        self.emit(f"thread.run.{status}", self.run)
        self.emit("done", "[DONE]")
        self.rec.log.close()

    async def drive(self) -> None:
        """The whole life of the run; if the emulator itself fails, the run fails.

        As the real API's ``server_error``: never left in progress, so the thread takes
        new runs again.
        """
        try:
            await self._drive()
        except Exception:
            _log.exception("the emulator failed while running %s", self.run.get("id"))
            if self.run.get("status") not in TERMINAL:
                self.finish("failed", failed_at=objects.now(), last_error=SERVER_ERROR)

    async def _drive(self) -> None:
        self.emit("thread.run.created", self.run)
        self.emit("thread.run.queued", self.run)
        await asyncio.sleep(self.delay)
        if self._cancelled():
            return
        self._start()
        prompt = self._prompt()
        mode = replies.directive(prompt)
        if mode == "expire":
            self.finish("expired")
            return
        calls = tools.plan_calls(
            run_functions(self.run),
            self.run.get("tool_choice") or "auto",
            parallel=self.run.get("parallel_tool_calls") is not False,
            prompt=prompt,
            answered=self.rec.tool_outputs is not None,
        )
        outputs: list[str] | None = None
        if calls:
            outputs = await self._call_tools(calls, prompt)
            if outputs is None:
                return
        await self._reply(self._answer(prompt, outputs), mode, prompt)

    def _answer(self, prompt: str, outputs: list[str] | None) -> str:
        """The reply: JSON when ``response_format`` asks for it, else text."""
        fmt = self.run.get("response_format")
        fmt = fmt if isinstance(fmt, dict) else {}
        kind = fmt.get("type")
        if kind == "json_schema":
            spec = fmt.get("json_schema") or {}
            schema = spec.get("schema") or {}
            if spec.get("strict"):
                schema = tools.strict_schema(schema)
            rng = arguments.seeded(self.emu.config.seed, self.run["model"], "format", prompt)
            return json.dumps(arguments.generate(schema, rng, prompt), ensure_ascii=False)
        text = (
            replies.tool_reply(outputs)
            if outputs is not None
            else replies.reply_text(prompt, len(self.thread.runs) - 1)
        )
        return json.dumps({"answer": text}, ensure_ascii=False) if kind == "json_object" else text

    def _start(self) -> None:
        self.run["status"] = "in_progress"
        self.run["started_at"] = self.run["started_at"] or objects.now()
        self.emit("thread.run.in_progress", self.run)

    def _cancelled(self, msg: Obj | None = None, step: Obj | None = None) -> bool:
        if not self.rec.cancel_requested:
            return False
        stamp = objects.now()
        if msg is not None:
            msg.update(
                status="incomplete",
                incomplete_at=stamp,
                incomplete_details={"reason": "run_cancelled"},
            )
            self.emit("thread.message.incomplete", msg)
        if step is not None:
            step.update(status="cancelled", cancelled_at=stamp)
            self.emit("thread.run.step.cancelled", step)
        self.finish("cancelled", cancelled_at=stamp)
        return True

    def _prompt(self) -> str:
        last = self.thread.messages.last()
        return message_text(last) if last and last["role"] == "user" else ""

    def _new_step(self, step_type: str, details: Obj) -> Obj:
        step = objects.step(self.emu.ids.new("step"), self.run, step_type, details, objects.now())
        self.rec.steps.add(step)
        self.emit("thread.run.step.created", step)
        self.emit("thread.run.step.in_progress", step)
        return step

    def _tool_call(self, call: tools.Call, prompt: str, index: int) -> Obj:
        name = call.function.name
        rng = arguments.seeded(
            self.emu.config.seed, self.run["model"], "call", name, prompt, call.subject, index
        )
        args = arguments.call_arguments(call.function.parameters, rng, prompt, call.subject)
        return {
            "id": self.emu.ids.new("call"),
            "type": "function",
            "function": {"name": name, "arguments": args, "output": None},
        }

    async def _call_tools(self, planned: list[tools.Call], prompt: str) -> list[str] | None:
        """Ask for the planned calls; wait for their outputs. ``None`` when cancelled."""
        calls = [self._tool_call(c, prompt, n) for n, c in enumerate(planned)]
        step = self._new_step("tool_calls", {"type": "tool_calls", "tool_calls": calls})
        delta = {
            "step_details": {
                "type": "tool_calls",
                "tool_calls": [{"index": n, **c} for n, c in enumerate(calls)],
            }
        }
        self.emit(
            "thread.run.step.delta",
            {"id": step["id"], "object": "thread.run.step.delta", "delta": delta},
        )
        asked = [
            {**c, "function": {k: v for k, v in c["function"].items() if k != "output"}}
            for c in calls
        ]
        self.run["status"] = "requires_action"
        self.run["required_action"] = {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {"tool_calls": asked},
        }
        self.emit("thread.run.requires_action", self.run)
        self.emit("done", "[DONE]")
        self.rec.log.close()
        await self.rec.resumed.wait()
        if self._cancelled(step=step):
            return None
        given = {
            str(o.get("tool_call_id")): str(o.get("output", ""))
            for o in self.rec.tool_outputs or []
        }
        for call in calls:
            call["function"]["output"] = given.get(call["id"], "")
        self.emit("thread.run.queued", self.run)
        self._start()
        step.update(status="completed", completed_at=objects.now())
        self.emit("thread.run.step.completed", step)
        return [given.get(c["id"], "") for c in calls]

    async def _reply(self, text: str, mode: str | None, prompt: str) -> None:
        msg = objects.message(
            self.emu.ids.new("msg"),
            self.thread.obj["id"],
            "assistant",
            [],
            objects.now(),
            run_id=self.run["id"],
            assistant_id=self.run["assistant_id"],
            status="in_progress",
        )
        step = self._new_step(
            "message_creation",
            {"type": "message_creation", "message_creation": {"message_id": msg["id"]}},
        )
        self.thread.messages.add(msg)
        self.emit("thread.message.created", msg)
        self.emit("thread.message.in_progress", msg)
        pieces = replies.tokens(text)
        stop_at = len(pieces) // 3 if mode in ("fail", "incomplete") else len(pieces)
        block = objects.text_block("")
        msg["content"].append(block)
        for piece in pieces[:stop_at]:
            if self._cancelled(msg, step):
                return
            block["text"]["value"] += piece
            self.emit(
                "thread.message.delta",
                {
                    "id": msg["id"],
                    "object": "thread.message.delta",
                    "delta": {
                        "content": [
                            {
                                "index": 0,
                                "type": "text",
                                "text": {"value": piece, "annotations": []},
                            }
                        ]
                    },
                },
            )
            await asyncio.sleep(self.delay)
        if self._cancelled(msg, step):
            return
        self._conclude(msg, step, mode, prompt)

    def _conclude(self, msg: Obj, step: Obj, mode: str | None, prompt: str) -> None:
        stamp = objects.now()
        answer = message_text(msg)
        use = objects.usage(replies.count_tokens(prompt), replies.count_tokens(answer))
        if mode == "fail":
            msg.update(
                status="incomplete",
                incomplete_at=stamp,
                incomplete_details={"reason": "run_failed"},
            )
            self.emit("thread.message.incomplete", msg)
            error = {
                "code": "server_error",
                "message": "The model produced invalid output and the run failed.",
            }
            step.update(status="failed", failed_at=stamp, last_error=error)
            self.emit("thread.run.step.failed", step)
            self.finish("failed", failed_at=stamp, last_error=error, usage=use)
            return
        if mode == "incomplete":
            msg.update(
                status="incomplete",
                incomplete_at=stamp,
                incomplete_details={"reason": "max_tokens"},
            )
            self.emit("thread.message.incomplete", msg)
            step.update(status="completed", completed_at=stamp, usage=use)
            self.emit("thread.run.step.completed", step)
            self.finish(
                "incomplete", incomplete_details={"reason": "max_completion_tokens"}, usage=use
            )
            return
        msg.update(status="completed", completed_at=stamp)
        self.emit("thread.message.completed", msg)
        step.update(status="completed", completed_at=stamp, usage=use)
        self.emit("thread.run.step.completed", step)
        self.finish("completed", completed_at=stamp, usage=use)
