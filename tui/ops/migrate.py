"""Carry a thread's history into a new conversation (the Assistants API is gone).

The history is read whole (from the API, else from the archive) and converted item by
item: text stays text, images go by reference (a user's as ``input_image``, an
assistant's as a note), annotations and attachments become notes in the text, and a run's
function calls with their outputs become ``function_call`` / ``function_call_output``
items before the reply they led to. What cannot be carried is said, per kind.

The conversation is linked to the thread as soon as it exists; each batch of items added
is recorded; a re-run after a failure counts what the conversation holds and goes on from
there, so nothing is added twice. A finished migration is not run again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.api.conversations import ConversationsAdapter
from tui.api.errors import ApiError
from tui.api.paging import Walk
from tui.api.protocol import ConversationApi
from tui.model import HistoryPage, Kind, Tracked, Turn, TurnKind
from tui.ops.export import load_history
from tui.store import Registry

BATCH = 20  # items per create call (the API's limit)
Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Converted:
    """A history as conversation input items, and what was left behind (kind: count)."""

    items: list[Item]
    dropped: dict[str, int] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """The dropped kinds, as sentences."""
        return [f"{n} {what} could not be carried over" for what, n in self.dropped.items()]


@dataclass(frozen=True, slots=True)
class Migration:
    """What a migration did (or, in a dry run, would do)."""

    thread: Tracked
    conversation: Tracked | None
    items: int
    added: int
    notes: list[str]
    source: str  # "api" or "archive"
    already: bool = False
    dry_run: bool = False


def convert(turns: Sequence[Turn]) -> Converted:
    """A thread's turns (oldest first) as conversation input items."""
    items: list[Item] = []
    dropped: Counter[str] = Counter()
    for turn in turns:
        if turn.kind is not TurnKind.MESSAGE:
            dropped[f"{turn.kind.value} entries"] += 1
            continue
        items += _calls(turn, dropped)
        message = _message(turn, dropped)
        if message is not None:
            items.append(message)
    return Converted(items, dict(dropped))


def _calls(turn: Turn, dropped: Counter[str]) -> list[Item]:
    out: list[Item] = []
    for call in turn.tool_calls:
        if call.type != "function":
            dropped[f"{call.type} tool calls"] += 1
        elif call.output is None:
            dropped["assistant tool calls without outputs"] += 1
        else:
            args = {"call_id": call.call_id, "name": call.name, "arguments": call.arguments}
            out.append({"type": "function_call", **args})
            out.append(
                {"type": "function_call_output", "call_id": call.call_id, "output": call.output}
            )
    return out


def _message(turn: Turn, dropped: Counter[str]) -> Item | None:
    role = turn.role if turn.role in ("user", "assistant", "system", "developer") else "user"
    text_type = "output_text" if role == "assistant" else "input_text"
    content: list[Item] = []
    notes: list[str] = []
    for part in turn.parts:
        if part.type == "text" and part.text:
            content.append({"type": text_type, "text": part.text})
            notes += [f"[annotation: {a}]" for a in part.annotations]
        elif part.type == "image" and part.ref:
            if role == "user":
                key = (
                    "image_url"
                    if part.ref.startswith(("http://", "https://", "data:"))
                    else "file_id"
                )
                content.append({"type": "input_image", key: part.ref, "detail": "auto"})
            else:
                notes.append(f"[image: {part.ref}]")
        elif part.type == "refusal" and part.text:
            notes.append(f"[refusal: {part.text}]")
        elif part.type not in ("text", "image"):
            dropped[f"{part.type} content parts"] += 1
    notes += [f"[attachment: {file_id}]" for file_id in turn.attachments]
    if notes:
        content.append({"type": text_type, "text": "\n".join(notes)})
    if not content:
        dropped["empty messages"] += 1
        return None
    return {"type": "message", "role": role, "content": content}


def migrated_metadata(thread: Tracked) -> dict[str, str]:
    """The thread's metadata plus ``migrated_from`` (within the 16-key limit)."""
    meta = dict(list(thread.metadata.items())[:15])
    meta["migrated_from"] = thread.id
    return meta


async def migrate(
    registry: Registry,
    thread: Tracked,
    source: ConversationApi | None,
    target: ConversationsAdapter,
    *,
    dry_run: bool = False,
    why_no_source: str = "",
) -> Migration:
    """Carry ``thread`` into a conversation on ``target``'s connection (or resume that)."""
    if thread.kind is not Kind.THREAD:
        raise ApiError(f"{thread.id} is a conversation already; only threads are migrated.")
    link = await registry.migrations.link(thread)
    if link is not None and link.complete:
        return Migration(thread, link.conversation, link.total, 0, [], "registry", already=True)
    history = await load_history(registry, thread, source, why_no_api=why_no_source)
    if history.source == "archive" and not history.turns:
        raise ApiError(
            f"Nothing to carry from {thread.id}: its server cannot serve it and nothing of "
            f"it is archived here. {history.note}"
        )
    converted = convert(history.turns)
    notes = converted.notes() + ([history.note] if history.note else [])
    items = converted.items
    if dry_run:
        return Migration(thread, None, len(items), 0, notes, history.source, dry_run=True)
    if link is None:
        wanted = migrated_metadata(thread)
        remote = await target.create_with_items(wanted, items[:BATCH])
        notes += await _metadata_kept(registry, target, wanted, remote.metadata)
        conversation, _ = await registry.track_remote(
            remote, target.connection, source="migrate", first_user_text=_first_user(items)
        )
        await registry.migrations.start(thread, conversation, len(items))
        done = added = min(BATCH, len(items))
        await registry.migrations.progress(thread, done, complete=False)
    else:
        conversation = link.conversation
        done, added = await _count(target, conversation.id), 0  # the server's count rules
    while done < len(items):
        batch = items[done : done + BATCH]
        await target.add_items(conversation.id, batch)
        done += len(batch)
        added += len(batch)
        await registry.migrations.progress(thread, done, complete=False)
    await registry.migrations.progress(thread, done, complete=True)
    fresh = await registry.get_pk(thread.pk)
    return Migration(fresh or thread, conversation, len(items), added, notes, history.source)


async def _metadata_kept(
    registry: Registry,
    target: ConversationsAdapter,
    wanted: dict[str, str],
    kept: dict[str, str],
) -> list[str]:
    """A note when the server did not keep the conversation's metadata (and learn it)."""
    dropped = [k for k, v in wanted.items() if kept.get(k) != v]
    await registry.capabilities.learn(
        target.connection, "metadata", offered=not dropped, detail=", ".join(dropped)[:300]
    )
    if not dropped:
        return []
    return [
        f"The server did not keep the conversation's metadata ({', '.join(dropped[:5])}): "
        "the link to the thread is kept in this registry only."
    ]


async def _count(target: ConversationsAdapter, conversation_id: str) -> int:
    """How many items the conversation holds, by a verified walk (resuming must not guess)."""

    async def fetch(cursor: str | None, limit: int) -> HistoryPage:
        return await target.history(conversation_id, before=cursor, limit=limit)

    async def oldest(limit: int) -> tuple[Turn, ...]:
        return await target.oldest(conversation_id, limit=limit)

    walk = Walk(fetch, oldest=oldest)
    async for _ in walk:
        pass
    if not walk.complete:
        raise ApiError(
            f"Cannot resume the migration into {conversation_id}: its items cannot be counted "
            f"reliably ({walk.doubt}), and guessing could add messages twice. Check the "
            "conversation on the server, or delete it and migrate again."
        )
    return len(walk.seen)


def _first_user(items: list[Item]) -> str | None:
    for item in items:
        if item.get("type") == "message" and item.get("role") == "user":
            texts = [c.get("text", "") for c in item["content"] if c.get("type") == "input_text"]
            return "\n".join(t for t in texts if t) or None
    return None
