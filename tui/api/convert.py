"""SDK objects in, plain ``tui.model`` dataclasses out."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from tui.model import (
    HistoryPage,
    Kind,
    Part,
    RemoteItem,
    RunStatus,
    ToolCall,
    Turn,
    TurnKind,
    Usage,
)
from tui.text import scrub

P = ParamSpec("P")
R = TypeVar("R")


def scrubbed(value: Any) -> Any:
    """``value`` (strings, containers, model dataclasses) with every string scrubbed.

    What holds nothing to scrub is returned as it is (the same object).
    """
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, tuple | list):
        items = [scrubbed(v) for v in value]
        same = all(a is b for a, b in zip(items, value, strict=True))
        return value if same else type(value)(items)
    if isinstance(value, dict):
        pairs = {scrubbed(k): scrubbed(v) for k, v in value.items()}
        same = all(a is b for a, b in zip(pairs.values(), value.values(), strict=True))
        return value if same and list(pairs) == list(value) else pairs
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        changes = {k: new for k, v in fields.items() if (new := scrubbed(v)) is not v}
        return dataclasses.replace(value, **changes) if changes else value
    return value


def valid_text(convert: Callable[P, R]) -> Callable[P, R]:
    """A converter whose result holds only text UTF-8 can encode (see :func:`scrub`)."""

    @functools.wraps(convert)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return scrubbed(convert(*args, **kwargs))  # type: ignore[no-any-return]

    return wrapper


def timestamp(value: float | int | None) -> datetime | None:
    """A Unix time as an aware UTC datetime."""
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def str_metadata(value: object) -> dict[str, str]:
    """Metadata as ``str -> str`` (conversations type it as a bare object)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


@valid_text
def remote_item(obj: Any, kind: Kind) -> RemoteItem:
    """A thread or conversation object as a :class:`RemoteItem`."""
    return RemoteItem(
        id=obj.id,
        kind=kind,
        created_at=timestamp(obj.created_at) or datetime.now(UTC),
        metadata=str_metadata(obj.metadata),
    )


def _annotation(annotation: Any) -> str:
    kind = getattr(annotation, "type", "annotation")
    if kind == "file_citation":
        ref = getattr(annotation, "file_citation", None)
        file_id = getattr(ref, "file_id", None) or getattr(annotation, "file_id", "")
        return f"file_citation {file_id}".strip()
    if kind == "file_path":
        return f"file_path {annotation.file_path.file_id}"
    if kind == "url_citation":
        return f"url_citation {getattr(annotation, 'url', '')}".strip()
    return str(kind)


def _thread_part(block: Any) -> Part:
    kind = block.type
    if kind == "text":
        notes = tuple(_annotation(a) for a in block.text.annotations)
        return Part("text", block.text.value, annotations=notes)
    if kind == "image_file":
        return Part("image", ref=block.image_file.file_id)
    if kind == "image_url":
        return Part("image", ref=block.image_url.url)
    if kind == "refusal":
        return Part("refusal", block.refusal)
    return Part(str(kind))


@valid_text
def thread_message(msg: Any) -> Turn:
    """A ``thread.message`` as a :class:`Turn`."""
    return Turn(
        id=msg.id,
        role=msg.role,
        created_at=timestamp(msg.created_at),
        parts=tuple(_thread_part(b) for b in msg.content),
        run_id=msg.run_id,
        status=msg.status,
        attachments=tuple(a.file_id for a in msg.attachments or [] if a.file_id),
        metadata=str_metadata(msg.metadata),
    )


def _item_part(part: Any) -> Part:
    kind = getattr(part, "type", "")
    if kind in ("input_text", "output_text", "text", "summary_text", "reasoning_text"):
        notes = tuple(_annotation(a) for a in getattr(part, "annotations", None) or [])
        return Part("text", part.text, annotations=notes)
    if kind == "refusal":
        return Part("refusal", part.refusal)
    if kind == "input_image":
        return Part("image", ref=getattr(part, "image_url", None) or getattr(part, "file_id", None))
    if kind == "input_file":
        ref = getattr(part, "file_id", None) or getattr(part, "filename", None)
        return Part("file", ref=ref)
    return Part(str(kind))


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    return "\n".join(str(getattr(p, "text", "") or getattr(p, "type", "")) for p in output)


@valid_text
def conversation_item(item: Any) -> Turn:
    """A conversation item (message, function call or output, or other) as a :class:`Turn`."""
    kind = item.type
    item_id = getattr(item, "id", None) or ""
    if kind == "message":
        return Turn(
            id=item_id,
            role=item.role,
            parts=tuple(_item_part(p) for p in item.content),
            status=item.status,
        )
    if kind == "function_call":
        call = ToolCall(item.call_id, item.name, item.arguments)
        return Turn(
            id=item_id,
            role="assistant",
            kind=TurnKind.TOOL_CALL,
            tool_calls=(call,),
            status=getattr(item, "status", None),
        )
    if kind == "function_call_output":
        call = ToolCall(item.call_id, "", output=_output_text(item.output))
        return Turn(
            id=item_id,
            role="tool",
            kind=TurnKind.TOOL_OUTPUT,
            tool_calls=(call,),
            status=getattr(item, "status", None),
        )
    return Turn(
        id=item_id,
        role="system",
        kind=TurnKind.OTHER,
        parts=(Part(str(kind)),),
        status=getattr(item, "status", None),
    )


def run_status(value: str | None) -> RunStatus:
    """A run or response status; unknown values read as ``in_progress``."""
    try:
        return RunStatus(value or "in_progress")
    except ValueError:
        return RunStatus.IN_PROGRESS


def run_detail(run: Any) -> str | None:
    """Why a run or response ended badly, in the server's words."""
    error = getattr(run, "last_error", None) or getattr(run, "error", None)
    if error is not None:
        return f"{error.message} ({error.code})" if getattr(error, "code", None) else error.message
    details = getattr(run, "incomplete_details", None)
    if details is not None and getattr(details, "reason", None):
        return f"incomplete: {details.reason}"
    return None


def run_usage(usage: Any) -> Usage | None:
    """Usage of a run (prompt/completion) or a response (input/output)."""
    if usage is None:
        return None
    if hasattr(usage, "prompt_tokens"):
        return Usage(usage.prompt_tokens, usage.completion_tokens)
    return Usage(usage.input_tokens, usage.output_tokens)


@valid_text
def required_calls(run: Any) -> tuple[ToolCall, ...]:
    """The tool calls a ``requires_action`` run waits for."""
    action = getattr(run, "required_action", None)
    if action is None:
        return ()
    return tuple(
        ToolCall(c.id, c.function.name, c.function.arguments)
        for c in action.submit_tool_outputs.tool_calls
    )


def _step_call(call: Any) -> ToolCall:
    kind = call.type
    if kind == "function":
        fn = call.function
        return ToolCall(call.id, fn.name, fn.arguments, output=fn.output)
    if kind == "code_interpreter":
        code = call.code_interpreter
        logs = "\n".join(getattr(o, "logs", "") or "" for o in code.outputs or [])
        return ToolCall(call.id, "code_interpreter", code.input, type=kind, output=logs or None)
    return ToolCall(call.id, str(kind), type=str(kind))


@valid_text
def step_calls(steps: Any) -> tuple[ToolCall, ...]:
    """The tool calls of a run's steps, in order."""
    return tuple(
        _step_call(call)
        for step in steps
        if step.step_details.type == "tool_calls"
        for call in step.step_details.tool_calls
    )


def attach_runs(
    turns: list[Turn], runs: dict[str, tuple[Usage | None, tuple[ToolCall, ...]]]
) -> list[Turn]:
    """Give a run's tool calls to its first assistant message and its usage to its last."""
    from dataclasses import replace

    firsts: dict[str, int] = {}
    lasts: dict[str, int] = {}
    for index, turn in enumerate(turns):
        if turn.role == "assistant" and turn.run_id in runs:
            firsts.setdefault(turn.run_id, index)
            lasts[turn.run_id] = index
    out = list(turns)
    for run_id, (usage, calls) in runs.items():
        if run_id in firsts:
            out[firsts[run_id]] = replace(out[firsts[run_id]], tool_calls=calls)
            out[lasts[run_id]] = replace(out[lasts[run_id]], usage=usage)
    return out


def carry_runs(fresh: Sequence[Turn], known: Mapping[str, Turn]) -> tuple[Turn, ...]:
    """The server's turns with the run usage and tool calls already archived for them.

    A thread's messages do not carry their run's details; once fetched they are kept, so
    a refresh neither loses them nor has to fetch them again.
    """
    out = []
    for turn in fresh:
        old = known.get(turn.id)
        bare = turn.usage is None and not turn.tool_calls
        if bare and old is not None and old.run_id == turn.run_id:
            turn = dataclasses.replace(turn, usage=old.usage, tool_calls=old.tool_calls)
        out.append(turn)
    return tuple(out)


def history_page(page: Any, to_turn: Any) -> HistoryPage:
    """A newest-first list page as a :class:`HistoryPage` (oldest first, older cursor)."""
    turns = tuple(to_turn(entry) for entry in reversed(page.data))
    older = page.data[-1].id if page.has_more and page.data else None
    return HistoryPage(turns, older)
