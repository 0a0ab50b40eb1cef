"""What the kit holds, and how it renders it on the wire with the faults switched on."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.kit.switches import Faults
from tui.emulator import objects
from tui.emulator.ids import IdFactory

Obj = dict[str, Any]
EPOCH = 1_704_067_200  # 2024-01-01 00:00 UTC: seeded items are old enough to prune
WRONG_AT = 3  # index of the message whose content has the wrong type
MODEL = "kit-model"
ASSISTANT = {"id": "asst_" + "K" * 24, "model": MODEL, "tools": [], "instructions": ""}
HUGE_MARK = "@kit-huge-parts:"  # stands for the huge array until the body is encoded
_TIME_FIELDS = ("created_at", "completed_at", "started_at", "expires_at")


@dataclass
class Entry:
    """One message (thread) or message item (conversation)."""

    id: str
    role: str
    text: str
    created_at: int
    run_id: str | None = None


@dataclass
class Holder:
    """A thread or a conversation and its entries, oldest first."""

    id: str
    kind: str  # "thread" or "conversation"
    created_at: int
    metadata: dict[str, str] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    huge_at: int | None = None  # the entry ``huge_parts`` applies to (the newest seeded)

    def index(self, entry_id: str) -> int | None:
        """Where the entry is, or ``None``."""
        for at, entry in enumerate(self.entries):
            if entry.id == entry_id:
                return at
        return None


def dashed(value: str | None, faults: Faults) -> str | None:
    """The ID as the server shows it: with a ``-`` in its body when ``dash_ids`` is on."""
    if value is None or not faults.dash_ids or "_" not in value:
        return value
    prefix, body = value.split("_", 1)
    return f"{prefix}_{body[:4]}-{body[4:]}"


def undashed(value: str | None) -> str | None:
    """The stored ID of an ID the server showed."""
    if value is None or "_" not in value:
        return value
    prefix, body = value.split("_", 1)
    return f"{prefix}_{body.replace('-', '')}"


def stamp(value: object, faults: Faults) -> object:
    """A Unix time as the server shows it: seconds, milliseconds or ISO-8601."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    if faults.ms_times:
        return int(value * 1000)
    if faults.iso_times:
        return datetime.fromtimestamp(value, UTC).isoformat()
    return value


def times(obj: Obj, faults: Faults) -> Obj:
    """``obj`` with its timestamps shown as the faults say."""
    for name in _TIME_FIELDS:
        if name in obj:
            obj[name] = stamp(obj[name], faults)
    return obj


def seed(ids: IdFactory, kind: str, count: int) -> Holder:
    """A thread or conversation of ``count`` messages, user and assistant in turn."""
    prefix = "thread" if kind == "thread" else "conv"
    holder = Holder(ids.new(prefix), kind, EPOCH, {"title": f"Kit {kind}"})
    for n in range(count):
        role = "user" if n % 2 == 0 else "assistant"
        msg_id = ids.new("msg") if kind == "thread" else ids.conversation_message()
        run_id = f"run_kit{n // 20:020d}" if kind == "thread" and role == "assistant" else None
        holder.entries.append(Entry(msg_id, role, f"{role} says {n}", EPOCH + 60 * n, run_id))
    holder.huge_at = count - 1
    return holder


def _block(kind: str, role: str, text: str) -> Obj:
    if kind == "thread":
        return objects.text_block(text)
    if role == "user":
        return {"type": "input_text", "text": text}
    return objects.output_text(text)


def _parts(entry: Entry, kind: str, faults: Faults, huge: bool, wrong: bool) -> object:
    if wrong:
        return 42
    if faults.string_content:
        return entry.text
    if huge:
        return f"{HUGE_MARK}{kind}:{entry.role}:{faults.huge_parts}"
    return [_block(kind, entry.role, entry.text)]


@functools.cache
def _huge_array(kind: str, role: str, count: int) -> bytes:
    """``count`` one-word parts as a JSON array, encoded once."""
    piece = json.dumps(_block(kind, role, "w "), separators=(",", ":")).encode()
    return b"[" + b",".join([piece] * count) + b"]"


def _splice_huge(body: bytes) -> bytes:
    """The body with each huge-content mark replaced by its array of parts."""
    mark = f'"{HUGE_MARK}'.encode()
    while (start := body.find(mark)) >= 0:
        end = body.index(b'"', start + 1)
        kind, role, count = body[start + len(mark) : end].decode().split(":")
        body = body[:start] + _huge_array(kind, role, int(count)) + body[end + 1 :]
    return body


def message(holder: Holder, at: int, faults: Faults) -> Obj:
    """Entry ``at`` of ``holder`` as a thread message or a conversation message item."""
    entry = holder.entries[at]
    huge = faults.huge_parts > 0 and at == holder.huge_at
    content = _parts(entry, holder.kind, faults, huge, faults.wrong_shape and at == WRONG_AT)
    msg_id = dashed(entry.id, faults)
    if holder.kind == "conversation":
        return objects.input_message(msg_id or "", entry.role, content)  # type: ignore[arg-type]
    obj = objects.message(
        msg_id or "",
        holder.id,
        entry.role,
        content,  # type: ignore[arg-type]
        entry.created_at,
        run_id=dashed(entry.run_id, faults),
        assistant_id=ASSISTANT["id"] if entry.role == "assistant" else None,
    )
    return times(obj, faults)


def container(holder: Holder, faults: Faults) -> Obj:
    """The thread or conversation object."""
    make = objects.thread if holder.kind == "thread" else objects.conversation
    obj = make(holder.id, holder.metadata, holder.created_at)
    if faults.wrong_shape:
        obj["metadata"] = ["not", "a", "mapping"]
    return times(obj, faults)


def listing(data: list[Obj], has_more: bool) -> Obj:
    """A list envelope."""
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


def _limit(params: dict[str, str]) -> int:
    try:
        return max(1, min(100, int(params.get("limit", "20"))))
    except ValueError:
        return 20


def page(holder: Holder, params: dict[str, str], faults: Faults) -> tuple[list[int], bool]:
    """Which entries (indexes) a list call gets, and what ``has_more`` says."""
    every = list(range(len(holder.entries)))
    run_id = undashed(params.get("run_id"))
    if run_id:
        every = [i for i in every if holder.entries[i].run_id == run_id]
    if faults.paging_ignored:
        return every, True
    view = every if params.get("order", "desc") == "asc" else every[::-1]
    limit = _limit(params)
    after = None if faults.cursor_ignored or faults.same_last_id else undashed(params.get("after"))
    start = 0
    if after is not None:
        at = holder.index(after)
        start = view.index(at) + 1 if at in view else len(view)
    chosen = view[start : start + limit]
    more = start + limit < len(view)
    if faults.cursor_ignored or faults.has_more_false:
        more = False
    if faults.has_more_true or faults.same_last_id:
        more = True
    return chosen, more


def run_object(run_id: str, thread_id: str, status: str, faults: Faults) -> Obj:
    """A run of the kit's assistant in ``status``."""
    obj = objects.run(run_id, thread_id, ASSISTANT, {}, EPOCH)
    obj["status"] = status
    if status in ("completed", "cancelled", "failed"):
        obj["completed_at"] = EPOCH + 1
        obj["usage"] = objects.usage(5, 7)
    obj["id"] = dashed(run_id, faults)
    if faults.tool_choice_null:
        obj["tool_choice"] = None
    return times(obj, faults)


def response_object(resp_id: str, conv_id: str | None, status: str, faults: Faults) -> Obj:
    """A response of the kit's model in ``status``."""
    obj = objects.response(resp_id, {"model": MODEL}, conv_id, EPOCH)
    obj["status"] = status
    obj["id"] = dashed(resp_id, faults)
    if faults.tool_choice_null:
        obj["tool_choice"] = None
    return times(obj, faults)


def encode(obj: object, faults: Faults) -> bytes:
    """A JSON body; cut in half when ``truncated_json`` is on."""
    body = json.dumps(obj, separators=(",", ":")).encode()
    if faults.huge_parts:
        body = _splice_huge(body)
    return body[: len(body) // 2] if faults.truncated_json else body
