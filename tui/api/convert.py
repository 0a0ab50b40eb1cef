"""What a server sent (JSON objects, or SDK objects) in, plain ``tui.model`` dataclasses out.

Reading is lenient: null, missing and extra fields, string or list content, and times in
seconds, milliseconds or ISO-8601 are all accepted. What cannot be read at all raises
:class:`~tui.api.errors.BadShape` naming the field; the adapter turns it into one clear
error for that reply only.

This is where what a server says enters the app, so it is made safe here, once: every ID
must be an ID of the kind expected (:func:`tui.ids.server_id_problem`; otherwise
:class:`~tui.api.errors.BadId`), and every string that is not message content (titles,
metadata, roles, statuses, tool names, annotations, run errors) is cleaned of terminal
control sequences (:func:`tui.text.clean`). Message text and tool arguments and outputs
are data: they are kept exactly as sent and cleaned where they are shown.

Sizes are capped: a message keeps at most ``MAX_PARTS`` parts and ``MAX_TEXT``
characters of text, and a note says what was left out.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from tui.api.errors import BadId, BadShape
from tui.ids import other_than_asked, server_id_problem
from tui.model import (
    Choice,
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
from tui.text import clean, scrub
from tui.timestamps import moment

P = ParamSpec("P")
R = TypeVar("R")

MAX_PARTS = 1_000  # content parts kept per message
MAX_TEXT = 4_000_000  # characters of text kept per message (and per tool call field)
CUT = "cut"  # the type of the part that says what of a message was left out
_TEXT_KINDS = ("input_text", "output_text", "text", "summary_text", "reasoning_text")


MAX_CHOICES = 1000  # assistants or models offered in the picker


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
        return scrubbed(convert(*args, **kwargs))

    return wrapper


def is_model(value: object) -> bool:
    """True for an SDK object (a pydantic model; pydantic is not loaded before the SDK)."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def is_object(value: object) -> bool:
    """True for a JSON object or an SDK object (something with named fields)."""
    return isinstance(value, Mapping) or is_model(value)


def get(obj: object, name: str) -> Any:
    """The field ``name`` of a JSON or SDK object; ``None`` when absent or not an object."""
    if type(obj) is dict or isinstance(obj, Mapping):  # a plain dict first: the most read
        return obj.get(name)
    if is_model(obj):
        try:
            return getattr(obj, name, None)
        except Exception:  # a constructed model may hold anything
            return None
    return None


def text(value: object) -> str | None:
    """A string field: strings as they are, numbers as text, anything else ``None``."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def ident(obj: object, name: str = "id", prefix: str | None = None) -> str:
    """A required ID field, of ``prefix`` when given (``thread``, ``conv``, ``msg``…).

    :class:`BadShape` when it is missing or not a string; :class:`BadId` when it is not
    an ID of that kind (path characters, spaces, control sequences, another prefix).
    """
    value = get(obj, name)
    if not isinstance(value, str) or not value:
        problem = "missing" if value is None else f"{type(value).__name__} instead of a string"
        raise BadShape(name, problem)
    refused = server_id_problem(value, prefix)
    if refused is not None:
        raise BadId(name, refused)
    return value


def optional_ident(obj: object, name: str, prefix: str | None = None) -> str | None:
    """An ID field that may be absent (null, missing or ``""`` is ``None``), as :func:`ident`."""
    value = get(obj, name)
    if value is None or value == "":
        return None
    return ident(obj, name, prefix)


def label(value: object) -> str | None:
    """A string a server sends that is not message content, cleaned; ``None`` when absent.

    Titles, names, roles, statuses and the like: shown on one line among the app's own
    words, so no control sequence or format character of the server's may stay in them.
    """
    found = text(value)
    return None if found is None else clean(found)


def obj_of(value: object, what: str) -> object:
    """``value`` when it is an object; :class:`BadShape` naming ``what`` otherwise."""
    if not is_object(value):
        raise BadShape(what, f"{type(value).__name__} instead of an object")
    return value


def items_of(value: object, what: str) -> Sequence[Any]:
    """A list field (null is empty); :class:`BadShape` naming ``what`` for anything else."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return value
    raise BadShape(what, f"{type(value).__name__} instead of a list")


def timestamp(value: object) -> datetime | None:
    """A time in seconds, milliseconds or ISO-8601 as an aware UTC datetime, or ``None``."""
    return moment(value)


def _json(value: object) -> str:
    """``value`` as JSON text, at most ``MAX_TEXT`` characters (whatever it holds)."""
    if is_model(value):
        value = value.model_dump()  # type: ignore[attr-defined]  # a pydantic model
    try:
        return json.dumps(value, default=str, ensure_ascii=False)[:MAX_TEXT]
    except (ValueError, RecursionError):
        return "(not readable as JSON)"


def str_metadata(value: object) -> dict[str, str]:
    """Metadata as cleaned ``str -> str`` (null, or anything not an object, is empty)."""
    if is_model(value):
        value = value.model_dump()  # type: ignore[attr-defined]  # a pydantic model
    if not isinstance(value, Mapping):
        return {}
    return {clean(str(k)): clean(v if isinstance(v, str) else _json(v)) for k, v in value.items()}


def _capped(value: object) -> str:
    """A text field as a string of at most ``MAX_TEXT`` characters (other values as JSON)."""
    if value is None:
        return ""
    found = text(value)
    return (found if found is not None else _json(value))[:MAX_TEXT]


@valid_text
def remote_item(obj: Any, kind: Kind, asked: str | None = None) -> RemoteItem:
    """A thread or conversation object as a :class:`RemoteItem`.

    Its ID must be one of ``kind``, and the one ``asked`` for when the reply answers a
    request for one item (a retrieve or an update): :class:`BadId` otherwise, so nothing
    is recorded under an ID the user did not ask for.
    """
    obj_of(obj, kind.value)
    return RemoteItem(
        id=_item_id(obj, kind, asked),
        kind=kind,
        created_at=timestamp(get(obj, "created_at")) or datetime.now(UTC),
        metadata=str_metadata(get(obj, "metadata")),
    )


def response_item(body: Any, asked: str | None = None) -> RemoteItem:
    """A response as the :class:`RemoteItem` of the chain it ends (with the one before it).

    A response made in a conversation names it too.
    """
    found = remote_item(body, Kind.RESPONSE, asked)
    return dataclasses.replace(
        found, previous=previous_of(body), conversation=conversation_of(body)
    )


def conversation_of(body: Any) -> str | None:
    """The conversation a response wrote into (``{"id": "conv_…"}``), if it names a usable one.

    Anything else is no conversation: what a response is stays readable without it.
    """
    conv = get(body, "conversation")
    found = get(conv, "id") if is_object(conv) else conv
    if not isinstance(found, str) or server_id_problem(found, Kind.CONVERSATION.stem):
        return None
    return found


def previous_of(body: Any) -> str | None:
    """The response a response continues, if any."""
    return optional_ident(body, "previous_response_id", prefix=Kind.RESPONSE.stem)


def _item_id(obj: object, kind: Kind, asked: str | None) -> str:
    """The ID of a thread or conversation object, checked (see :func:`remote_item`)."""
    found = ident(obj, prefix=kind.stem)
    if asked is not None and found != asked:
        raise BadId("id", other_than_asked(found, asked, kind.noun))
    return found


def _annotation(annotation: Any) -> str:
    return clean(_annotation_text(annotation))


def _annotation_text(annotation: Any) -> str:
    kind = text(get(annotation, "type")) or "annotation"
    if kind == "file_citation":
        ref = get(annotation, "file_citation")
        file_id = text(get(ref, "file_id")) or text(get(annotation, "file_id")) or ""
        return f"file_citation {file_id}".strip()
    if kind == "file_path":
        file_id = text(get(get(annotation, "file_path"), "file_id")) or ""
        return f"file_path {file_id}".strip()
    if kind == "url_citation":
        return f"url_citation {text(get(annotation, 'url')) or ''}".strip()
    return kind


def _annotations(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(_annotation(a) for a in value[:MAX_PARTS])


def _text_part(value: object, annotations: object = None) -> Part:
    """A text part from a string, or from an object holding ``value`` (threads)."""
    if is_object(value):
        return Part(
            "text",
            text(get(value, "value")) or "",
            annotations=_annotations(get(value, "annotations")),
        )
    return Part("text", text(value) or "", annotations=_annotations(annotations))


def _thread_part(block: Any) -> Part:
    if isinstance(block, str):
        return Part("text", block)
    kind = text(get(block, "type")) or ""
    if kind == "text":
        return _text_part(get(block, "text"), get(block, "annotations"))
    if kind == "image_file":
        return Part("image", ref=label(get(get(block, "image_file"), "file_id")))
    if kind == "image_url":
        return Part("image", ref=label(get(get(block, "image_url"), "url")))
    if kind == "refusal":
        return Part("refusal", text(get(block, "refusal")) or "")
    return Part(clean(kind) or "unknown")


def _blocks(content: object) -> Sequence[Any]:
    """Content as a list of blocks: a plain string (or one object) is one block."""
    if content is None:
        return ()
    if isinstance(content, str) or is_object(content):
        return (content,)
    if isinstance(content, list | tuple):
        return content
    raise BadShape("content", f"{type(content).__name__} instead of text or a list of parts")


def content_parts(content: object, read: Callable[[Any], Part]) -> tuple[Part, ...]:
    """The parts of a message's content, at most ``MAX_PARTS`` and ``MAX_TEXT`` characters.

    What is left out is said in a closing ``note`` part, so it shows and is exported.
    """
    blocks = _blocks(content)
    parts: list[Part] = []
    room = MAX_TEXT
    for block in blocks[:MAX_PARTS]:
        part = read(block)
        if len(part.text) > room:
            parts.append(dataclasses.replace(part, text=part.text[:room]))
            return (*parts, _note_cut())
        room -= len(part.text)
        parts.append(part)
    if len(blocks) > MAX_PARTS:
        more = len(blocks) - MAX_PARTS
        parts.append(
            Part(
                CUT,
                f"[{more:,} more parts of this message were left out: the app keeps "
                f"{MAX_PARTS:,} parts per message.]",
            )
        )
    return tuple(parts)


def _note_cut() -> Part:
    return Part(
        CUT,
        f"[The text of this message was cut at {MAX_TEXT:,} characters: the app keeps no "
        "more per message; the server holds the rest.]",
    )


def _attachments(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    found = (label(get(a, "file_id")) for a in value[:MAX_PARTS])
    return tuple(f for f in found if f)


def _role(value: object) -> str:
    return label(value) or "unknown"


@valid_text
def thread_message(msg: Any) -> Turn:
    """A ``thread.message`` as a :class:`Turn`."""
    obj_of(msg, "message")
    return Turn(
        id=ident(msg, prefix="msg"),
        role=_role(get(msg, "role")),
        created_at=timestamp(get(msg, "created_at")),
        parts=content_parts(get(msg, "content"), _thread_part),
        run_id=optional_ident(msg, "run_id", "run"),
        status=label(get(msg, "status")),
        attachments=_attachments(get(msg, "attachments")),
        metadata=str_metadata(get(msg, "metadata")),
    )


def _item_part(part: Any) -> Part:
    if isinstance(part, str):
        return Part("text", part)
    kind = text(get(part, "type")) or ""
    if kind in _TEXT_KINDS:
        return _text_part(get(part, "text"), get(part, "annotations"))
    if kind == "refusal":
        return Part("refusal", text(get(part, "refusal")) or "")
    if kind == "input_image":
        ref = label(get(part, "image_url")) or label(get(part, "file_id"))
        return Part("image", ref=ref)
    if kind == "input_file":
        return Part("file", ref=label(get(part, "file_id")) or label(get(part, "filename")))
    return Part(clean(kind) or "unknown")


def _output_text(output: object) -> str:
    if isinstance(output, list | tuple):
        pieces = (text(get(p, "text")) or text(get(p, "type")) or "" for p in output[:MAX_PARTS])
        return "\n".join(pieces)[:MAX_TEXT]
    return _capped(output)


@valid_text
def conversation_item(item: Any) -> Turn:
    """A conversation item (message, function call or output, or other) as a :class:`Turn`."""
    obj_of(item, "item")
    kind = text(get(item, "type")) or ""
    common: dict[str, Any] = {
        "id": optional_ident(item, "id") or "",
        "created_at": timestamp(get(item, "created_at")),
        "status": label(get(item, "status")),
    }
    if kind == "message" or (not kind and get(item, "role") is not None):
        role = _role(get(item, "role"))
        return Turn(role=role, parts=content_parts(get(item, "content"), _item_part), **common)
    if kind == "function_call":
        call = ToolCall(
            optional_ident(item, "call_id") or "",
            label(get(item, "name")) or "",
            _capped(get(item, "arguments")),
        )
        return Turn(role="assistant", kind=TurnKind.TOOL_CALL, tool_calls=(call,), **common)
    if kind == "function_call_output":
        call = ToolCall(
            optional_ident(item, "call_id") or "", "", output=_output_text(get(item, "output"))
        )
        return Turn(role="tool", kind=TurnKind.TOOL_OUTPUT, tool_calls=(call,), **common)
    other = Part(clean(kind) or "unknown")
    return Turn(role="system", kind=TurnKind.OTHER, parts=(other,), **common)


def chat_part(part: Any) -> Part:
    """One part of a chat message's content (``text``, ``image_url``, ``file``, audio)."""
    if isinstance(part, str):
        return Part("text", part)
    kind = text(get(part, "type")) or ""
    if kind == "image_url":
        return Part("image", ref=label(get(get(part, "image_url"), "url")))
    if kind == "file":
        found = get(part, "file")
        return Part("file", ref=label(get(found, "file_id")) or label(get(found, "filename")))
    return _item_part(part)


def _chat_call(call: Any) -> ToolCall:
    function = get(call, "function")
    return ToolCall(
        optional_ident(call, "id") or "",
        label(get(function, "name")) or "",
        _capped(get(function, "arguments")),
        type=label(get(call, "type")) or "function",
    )


@valid_text
def chat_message(msg: Any, turn_id: str | None = None, created: object = None) -> Turn:
    """A chat message (a stored completion's input, or its choice) as a :class:`Turn`.

    ``turn_id`` names a message that has no ID of its own (a choice's), ``created`` is the
    completion's time (chat messages carry none).
    """
    obj_of(msg, "message")
    role = _role(get(msg, "role"))
    parts_of = get(msg, "content_parts")
    content = parts_of if isinstance(parts_of, list) and parts_of else get(msg, "content")
    common: dict[str, Any] = {
        "id": turn_id or optional_ident(msg, "id") or "",
        "role": role,
        "created_at": timestamp(created),
    }
    if role == "tool":
        call_id = optional_ident(msg, "tool_call_id") or ""
        output = ToolCall(call_id, "", output=_output_text(content))
        return Turn(kind=TurnKind.TOOL_OUTPUT, tool_calls=(output,), **common)
    calls = tuple(_chat_call(c) for c in items_of(get(msg, "tool_calls"), "tool_calls"))
    parts = content_parts(content, chat_part)
    refusal = text(get(msg, "refusal"))
    if refusal:
        parts = (*parts, Part("refusal", refusal))
    if calls and not parts:
        return Turn(kind=TurnKind.TOOL_CALL, tool_calls=calls[:MAX_PARTS], **common)
    return Turn(parts=parts, tool_calls=calls[:MAX_PARTS], **common)


def completion_replies(completion: Any) -> tuple[Turn, ...]:
    """The reply of a stored completion: each choice's message, with its usage on the last."""
    cid = ident(completion, prefix=Kind.COMPLETION.stem)
    created = get(completion, "created")
    turns = [
        chat_message(get(c, "message"), f"{cid}-choice-{n}", created)
        for n, c in enumerate(items_of(get(completion, "choices"), "choices")[:MAX_PARTS])
    ]
    usage = run_usage(get(completion, "usage"))
    if turns and usage is not None:
        turns[-1] = dataclasses.replace(turns[-1], usage=usage)
    return tuple(turns)


def completion_item(obj: Any, asked: str | None = None) -> RemoteItem:
    """A stored chat completion as a :class:`RemoteItem` (its ``created`` is its time)."""
    obj_of(obj, Kind.COMPLETION.noun)
    return RemoteItem(
        id=_item_id(obj, Kind.COMPLETION, asked),
        kind=Kind.COMPLETION,
        created_at=timestamp(get(obj, "created")) or datetime.now(UTC),
        metadata=str_metadata(get(obj, "metadata")),
    )


def run_status(value: object) -> RunStatus:
    """A run or response status; unknown values read as ``in_progress``."""
    try:
        return RunStatus(text(value) or "in_progress")
    except ValueError:
        return RunStatus.IN_PROGRESS


def run_detail(run: Any) -> str | None:
    """Why a run or response ended badly, in the server's words (cleaned)."""
    found = _run_detail(run)
    return None if found is None else clean(found)


def _run_detail(run: Any) -> str | None:
    error = get(run, "last_error") or get(run, "error")
    if isinstance(error, str):
        return error[:MAX_TEXT]
    if error is not None:
        message = text(get(error, "message")) or "no message"
        code = text(get(error, "code"))
        return f"{message} ({code})" if code else message
    reason = text(get(get(run, "incomplete_details"), "reason"))
    return f"incomplete: {reason}" if reason else None


def _tokens(usage: object, *names: str) -> int:
    for name in names:
        value = get(usage, name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return max(0, int(value))
    return 0


def run_usage(usage: Any) -> Usage | None:
    """Usage of a run (prompt/completion) or a response (input/output)."""
    if not is_object(usage):
        return None
    return Usage(
        _tokens(usage, "prompt_tokens", "input_tokens"),
        _tokens(usage, "completion_tokens", "output_tokens"),
    )


@valid_text
def required_calls(run: Any) -> tuple[ToolCall, ...]:
    """The tool calls a ``requires_action`` run waits for."""
    calls = get(get(get(run, "required_action"), "submit_tool_outputs"), "tool_calls")
    return tuple(
        ToolCall(
            optional_ident(c, "id") or "",
            label(get(get(c, "function"), "name")) or "",
            _capped(get(get(c, "function"), "arguments")),
        )
        for c in items_of(calls, "required_action.submit_tool_outputs.tool_calls")[:MAX_PARTS]
    )


def _step_call(call: Any) -> ToolCall:
    kind = label(get(call, "type")) or "unknown"
    call_id = optional_ident(call, "id") or ""
    if kind == "function":
        fn = get(call, "function")
        output = get(fn, "output")
        return ToolCall(
            call_id,
            label(get(fn, "name")) or "",
            _capped(get(fn, "arguments")),
            output=None if output is None else _capped(output),
        )
    if kind == "code_interpreter":
        code = get(call, "code_interpreter")
        outputs = get(code, "outputs")
        logs = "\n".join(
            text(get(o, "logs")) or "" for o in items_of(outputs, "outputs")[:MAX_PARTS]
        )
        return ToolCall(
            call_id,
            "code_interpreter",
            _capped(get(code, "input")),
            type=kind,
            output=logs[:MAX_TEXT] or None,
        )
    return ToolCall(call_id, kind, type=kind)


def _step_tool_calls(step: Any) -> Iterable[Any]:
    details = get(step, "step_details")
    if text(get(details, "type")) != "tool_calls":
        return ()
    return items_of(get(details, "tool_calls"), "step_details.tool_calls")[:MAX_PARTS]


@valid_text
def step_calls(steps: Any) -> tuple[ToolCall, ...]:
    """The tool calls of a run's steps, in order."""
    return tuple(
        _step_call(call)
        for step in items_of(steps, "data")[:MAX_PARTS]
        for call in _step_tool_calls(step)
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


def list_data(page: Any) -> Sequence[Any]:
    """The ``data`` of a list page (a JSON or SDK object)."""
    return items_of(get(obj_of(page, "page"), "data"), "data")


def history_page(page: Any, to_turn: Callable[[Any], Turn]) -> HistoryPage:
    """A newest-first list page as a :class:`HistoryPage` (oldest first, older cursor).

    The older cursor is the ID of the page's last entry while ``has_more`` says so.
    """
    data = list_data(page)
    turns = tuple(to_turn(entry) for entry in reversed(data))
    older = None
    if get(page, "has_more") in (True, "true") and data:
        older = optional_ident(data[-1], "id") or optional_ident(page, "last_id")
    return HistoryPage(turns, older)


@valid_text
def choice(asst: Any) -> Choice:
    """An assistant as a :class:`Choice`: its ID checked, its name and model cleaned."""
    asst_id = ident(asst, prefix="asst")
    return Choice(
        asst_id,
        label(get(asst, "name")) or asst_id,
        label(get(asst, "model")),
        label(get(asst, "description")),
    )


@valid_text
def model_choice(model: Any) -> Choice | None:
    """A model of a models list as a :class:`Choice` (its ID cleaned); ``None`` without one.

    Model IDs are names, not IDs of this app's kinds (``org/model:tag`` is common), so
    they are cleaned rather than checked.
    """
    model_id = label(get(model, "id"))
    return Choice(model_id, model_id, model_id) if model_id else None


def model_choices(page: Any) -> list[Choice]:
    """The models of a models list, as choices, at most ``MAX_CHOICES``."""
    found = (model_choice(m) for m in list_data(page))
    return [choice for choice in found if choice is not None][:MAX_CHOICES]
