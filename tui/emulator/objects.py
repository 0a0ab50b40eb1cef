"""JSON shapes of the API's objects, as the SDK's types describe them."""

from __future__ import annotations

import time
from typing import Any

Obj = dict[str, Any]

DEFAULT_INSTRUCTIONS = "You are a helpful assistant."


def now() -> int:
    """The current Unix time in whole seconds."""
    return int(time.time())


def assistant(asst_id: str, body: Obj, created_at: int) -> Obj:
    """An ``assistant`` object from a create body."""
    return {
        "id": asst_id,
        "object": "assistant",
        "created_at": created_at,
        "name": body.get("name"),
        "description": body.get("description"),
        "model": body["model"],
        "instructions": body.get("instructions"),
        "tools": list(body.get("tools") or []),
        "tool_resources": body.get("tool_resources") or {},
        "metadata": dict(body.get("metadata") or {}),
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
        "response_format": body.get("response_format", "auto"),
    }


def thread(thread_id: str, metadata: Obj | None, created_at: int) -> Obj:
    """A ``thread`` object."""
    return {
        "id": thread_id,
        "object": "thread",
        "created_at": created_at,
        "metadata": dict(metadata or {}),
        "tool_resources": {},
    }


def text_block(value: str, annotations: list[Obj] | None = None) -> Obj:
    """A ``text`` content block of a thread message."""
    return {"type": "text", "text": {"value": value, "annotations": annotations or []}}


def message(
    msg_id: str,
    thread_id: str,
    role: str,
    content: list[Obj],
    created_at: int,
    *,
    run_id: str | None = None,
    assistant_id: str | None = None,
    status: str = "completed",
    attachments: list[Obj] | None = None,
    metadata: Obj | None = None,
) -> Obj:
    """A ``thread.message`` object."""
    return {
        "id": msg_id,
        "object": "thread.message",
        "created_at": created_at,
        "thread_id": thread_id,
        "status": status,
        "incomplete_details": None,
        "completed_at": created_at if status == "completed" else None,
        "incomplete_at": None,
        "role": role,
        "content": content,
        "assistant_id": assistant_id,
        "run_id": run_id,
        "attachments": attachments or [],
        "metadata": dict(metadata or {}),
    }


def run(run_id: str, thread_id: str, asst: Obj, body: Obj, created_at: int) -> Obj:
    """A ``thread.run`` object in status ``queued``."""
    return {
        "id": run_id,
        "object": "thread.run",
        "created_at": created_at,
        "thread_id": thread_id,
        "assistant_id": asst["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": created_at + 600,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": body.get("model") or asst["model"],
        "instructions": body.get("instructions") or asst.get("instructions") or "",
        "tools": list(body.get("tools") or asst["tools"]),
        "metadata": dict(body.get("metadata") or {}),
        "usage": None,
        "temperature": asst.get("temperature", 1.0),
        "top_p": asst.get("top_p", 1.0),
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "response_format": "auto",
        "tool_choice": body.get("tool_choice", "auto"),
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
    }


def step(step_id: str, run_obj: Obj, step_type: str, details: Obj, created_at: int) -> Obj:
    """A ``thread.run.step`` object in status ``in_progress``."""
    return {
        "id": step_id,
        "object": "thread.run.step",
        "created_at": created_at,
        "run_id": run_obj["id"],
        "assistant_id": run_obj["assistant_id"],
        "thread_id": run_obj["thread_id"],
        "type": step_type,
        "status": "in_progress",
        "cancelled_at": None,
        "completed_at": None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
        "metadata": {},
    }


def usage(prompt: int, completion: int) -> Obj:
    """Run usage (``prompt_tokens``/``completion_tokens``/``total_tokens``)."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def conversation(conv_id: str, metadata: Obj | None, created_at: int) -> Obj:
    """A ``conversation`` object."""
    return {
        "id": conv_id,
        "object": "conversation",
        "created_at": created_at,
        "metadata": dict(metadata or {}),
    }


def input_message(item_id: str, role: str, content: list[Obj]) -> Obj:
    """A conversation ``message`` item."""
    return {
        "type": "message",
        "id": item_id,
        "status": "completed",
        "role": role,
        "content": content,
    }


def output_text(text: str) -> Obj:
    """An ``output_text`` content part."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def function_call(item_id: str, call_id: str, name: str, arguments: str) -> Obj:
    """A ``function_call`` item."""
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def function_call_output(item_id: str, call_id: str, output: str) -> Obj:
    """A ``function_call_output`` item."""
    return {
        "type": "function_call_output",
        "id": item_id,
        "call_id": call_id,
        "output": output,
        "status": "completed",
    }


def response(resp_id: str, body: Obj, conv_id: str | None, created_at: float) -> Obj:
    """A ``response`` object in status ``queued`` or ``in_progress``."""
    return {
        "id": resp_id,
        "object": "response",
        "created_at": created_at,
        "status": "queued" if body.get("background") else "in_progress",
        "background": bool(body.get("background")),
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": body.get("model") or "gpt-4.1",
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "conversation": {"id": conv_id} if conv_id else None,
        "reasoning": {"effort": None, "summary": None},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": list(body.get("tools") or []),
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None,
        "user": None,
        "metadata": dict(body.get("metadata") or {}),
    }


def response_usage(input_tokens: int, output_tokens: int) -> Obj:
    """Response usage with its detail objects."""
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
