"""Carry a thread's history into a new conversation (the Assistants API is gone).

The history is read whole (from the API, else from the archive) and converted item by
item: text stays text, images go by reference (a user's as ``input_image``, an
assistant's as a note), annotations and attachments become notes in the text, and a run's
function calls with their outputs become ``function_call`` / ``function_call_output``
items before the reply they led to. What cannot be carried is said, per kind.

The conversation is linked to the thread as soon as it exists; each batch of items added
is recorded; a re-run after a failure counts what the conversation holds and goes on from
there, so nothing is added twice. A finished migration is not run again (unless its
conversation was deleted since).

Nothing that creates is sent again blindly. The create is recorded as an attempt, with a
token that also goes into the conversation's metadata, before it is sent: when its answer
never comes, the conversation is looked up by that marker where the server lists
conversations (and tracked), else the output says what to look for. A batch whose answer
never comes is counted on the server, and the carrying goes on from what is there. At the
end the conversation's items are counted again; a count that differs from what was carried
is stored for ``doctor`` and said.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.api.errors import ApiError
from tui.api.paging import Walk
from tui.api.protocol import ConversationApi
from tui.api.sending import may_have_been_done
from tui.model import HistoryPage, ItemState, Kind, RemoteItem, Tracked, Turn, TurnKind
from tui.ops.exporting import load_history
from tui.store import Registry

if TYPE_CHECKING:
    from tui.api.conversations import ConversationsAdapter

BATCH = 20  # items per create call (the API's limit)
MARKER = "migrated_from"  # metadata: the thread a conversation was carried from
ATTEMPT = "migration_attempt"  # metadata: the create that made it
MIGRATED = (Kind.THREAD, Kind.RESPONSE)  # the kinds carried into conversations
UNANSWERED = 3  # unanswered sends of one batch (each counted back) before giving up
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
    found: int | None = None  # items the conversation held when counted at the end

    @property
    def mismatch(self) -> bool:
        """True when the conversation was counted and holds another number than carried."""
        return self.found is not None and self.found != self.items


def convert(turns: Sequence[Turn]) -> Converted:
    """A thread's turns (oldest first) as conversation input items."""
    items: list[Item] = []
    dropped: Counter[str] = Counter()
    for turn in turns:
        if turn.kind in (TurnKind.TOOL_CALL, TurnKind.TOOL_OUTPUT):
            items += _tool_items(turn, dropped)
            continue
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


def _tool_items(turn: Turn, dropped: Counter[str]) -> list[Item]:
    """A response chain's function call or output entry, as the item it was."""
    out: list[Item] = []
    for call in turn.tool_calls:
        if not call.call_id or call.type != "function":
            dropped[f"{call.type} tool calls"] += 1
        elif turn.kind is TurnKind.TOOL_OUTPUT:
            out.append(
                {
                    "type": "function_call_output",
                    "call_id": call.call_id,
                    "output": call.output or "",
                }
            )
        else:
            args = {"call_id": call.call_id, "name": call.name, "arguments": call.arguments}
            out.append({"type": "function_call", **args})
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


def migrated_metadata(thread: Tracked, token: str) -> dict[str, str]:
    """The thread's metadata plus the markers ``migrated_from`` and ``migration_attempt``.

    Within the API's limit of 16 keys (the thread's first 14 are kept).
    """
    meta = {k: v for k, v in list(thread.metadata.items())[:14] if k not in (MARKER, ATTEMPT)}
    meta[MARKER] = thread.id
    meta[ATTEMPT] = token
    return meta


def conversations_of(api: ConversationApi) -> ConversationsAdapter:
    """``api`` as the conversations adapter a migration writes through, or a clear error."""
    from tui.api.conversations import ConversationsAdapter

    if not isinstance(api, ConversationsAdapter):
        raise ApiError(
            f"Cannot migrate into {api.connection.label}: threads are carried into "
            "conversations, and this connection was opened for threads."
        )
    return api


async def migrate(
    registry: Registry,
    thread: Tracked,
    source: ConversationApi | None,
    to: ConversationApi,
    *,
    dry_run: bool = False,
    why_no_source: str = "",
) -> Migration:
    """Carry ``thread`` into a conversation on ``to``'s connection (or resume that)."""
    target = conversations_of(to)
    if thread.kind not in MIGRATED:
        raise ApiError(
            f"{thread.id} is a {thread.kind.noun}; only threads and response chains are "
            "migrated to conversations."
        )
    link = await registry.migrations.link(thread)
    if link is not None and link.conversation.state in (ItemState.DELETED, ItemState.MISSING):
        link = None  # its conversation is gone: carry the thread again
    if link is not None and link.complete:
        known = Migration(thread, link.conversation, link.total, 0, [], "registry", already=True)
        return _with_found(known, link.found)
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
        conversation, done, added = await _created(registry, thread, target, items, notes)
    else:
        conversation = link.conversation
        done, added = await _count(target, conversation.id), 0  # the server's count rules
    added += await _carry(registry, thread, target, conversation.id, items, done)
    found = await _recount(target, conversation.id, notes)
    await registry.migrations.progress(thread, len(items), complete=True)
    if found is not None:
        await registry.migrations.counted(thread, found)
    fresh = await registry.get_pk(thread.pk)
    done_ = Migration(fresh or thread, conversation, len(items), added, notes, history.source)
    return _with_found(done_, found)


def _with_found(done: Migration, found: int | None) -> Migration:
    """``done`` with the count found at the end, and a note when it differs."""
    done = dataclasses.replace(done, found=found)
    if done.mismatch and found is not None:
        done.notes.append(mismatch_note(done.items, found, done.conversation))
    return done


def mismatch_note(carried: int, found: int, conversation: Tracked | None) -> str:
    """What a conversation holding ``found`` items where ``carried`` went in means."""
    name = conversation.id if conversation else "the conversation"
    if found > carried:
        what = f"{found - carried} more than were carried: duplicates"
    else:
        what = f"{carried - found} fewer than were carried: messages missing"
    return (
        f"{name} holds {found} items where {carried} were carried ({what}, from requests "
        f"whose answers never came). Check it; to carry the thread again, delete it "
        f"(`thread-browser delete {name}`) and run migrate again."
    )


async def _created(
    registry: Registry,
    thread: Tracked,
    target: ConversationsAdapter,
    items: list[Item],
    notes: list[str],
) -> tuple[Tracked, int, int]:
    """The thread's new conversation, how many items it holds, and how many were added.

    A conversation an earlier unanswered create made is looked up by its marker first.
    """
    earlier = [a.token for a in await registry.migrations.attempts(thread, target.connection)]
    if earlier:
        found = await _find(target, thread, earlier)
        if found:
            adopted = await _adopt(registry, thread, target, found, earlier, items, notes)
            return adopted, await _count(target, adopted.id), 0
        for token in earlier:
            if found is None:
                notes.append(_unlisted(thread, target, token))
            outcome = "given up: not listable" if found is None else "none listed"
            await registry.migrations.settle(thread, token, outcome)
    token = secrets.token_hex(8)
    wanted = migrated_metadata(thread, token)
    await registry.migrations.attempt(thread, target.connection, token)
    try:
        remote = await target.create_with_items(wanted, items[:BATCH])
    except ApiError as exc:
        if not may_have_been_done(exc):
            await registry.migrations.settle(thread, token, "refused")
            raise
        found = await _find(target, thread, [token], quiet=True)
        if not found:
            raise _orphan(thread, target, token, exc, listable=found is not None) from exc
        adopted = await _adopt(registry, thread, target, found, [token], items, notes)
        count = await _count(target, adopted.id)
        return adopted, count, count
    notes += await _metadata_kept(registry, target, wanted, remote.metadata)
    conversation = await _link(registry, thread, target, remote, items)
    await registry.migrations.settle(thread, token, f"created {remote.id}")
    return conversation, min(BATCH, len(items)), min(BATCH, len(items))


async def _find(
    target: ConversationsAdapter, thread: Tracked, tokens: list[str], *, quiet: bool = False
) -> list[RemoteItem] | None:
    """The thread's conversations the creates marked ``tokens`` made, newest first.

    ``None`` when the server cannot list conversations (or, ``quiet``, failed to).
    """
    try:
        listed = await target.find_by_metadata(ATTEMPT, set(tokens))
    except ApiError:
        if not quiet:
            raise
        return None
    if listed is None:
        return None
    return [r for r in listed if r.metadata.get(MARKER) == thread.id]


async def _link(
    registry: Registry,
    thread: Tracked,
    target: ConversationsAdapter,
    remote: RemoteItem,
    items: list[Item],
) -> Tracked:
    """Track the conversation and link it to the thread (before anything else is sent)."""
    conversation, _ = await registry.track_remote(
        remote, target.connection, source="migrate", first_user_text=_first_user(items)
    )
    await registry.migrations.start(thread, conversation, len(items))
    return conversation


async def _adopt(
    registry: Registry,
    thread: Tracked,
    target: ConversationsAdapter,
    found: list[RemoteItem],
    tokens: list[str],
    items: list[Item],
    notes: list[str],
) -> Tracked:
    """Link the newest conversation unanswered creates made; track the others as duplicates."""
    keep, *others = found
    conversation = await _link(registry, thread, target, keep, items)
    for other in others:
        extra, _ = await registry.track_remote(other, target.connection, source="migrate")
        notes.append(_duplicate(extra, keep.id))
    for token in tokens:
        await registry.migrations.settle(thread, token, f"found: {keep.id}")
    notes.append(
        f"The server made {keep.id} for a create whose answer never came: it was found by "
        "its marker, and is tracked and carried into."
    )
    return conversation


def _duplicate(extra: Tracked, kept: str) -> str:
    return (
        f"{extra.id} was also made for this thread by a create whose answer never came: it is "
        f"tracked now (the thread went into {kept}). Delete it if it is not wanted: "
        f"`thread-browser delete {extra.id}`."
    )


def _unlisted(thread: Tracked, target: ConversationsAdapter, token: str) -> str:
    return (
        f"An earlier create of the conversation for {thread.id} got no answer, and "
        f"{target.connection.base_url} cannot list conversations: if it made one, that one "
        f"is tracked nowhere. Look there for a conversation whose metadata has "
        f"{ATTEMPT}={token}, and delete it."
    )


def _orphan(
    thread: Tracked, target: ConversationsAdapter, token: str, exc: ApiError, *, listable: bool
) -> ApiError:
    """The error of a create whose answer never came and whose outcome is unknown."""
    where = target.connection.base_url
    if listable:
        then = (
            "no conversation with that marker is listed yet. Run migrate again in a moment: it "
            "looks for that conversation first and tracks it, and creates one only if none is "
            "listed"
        )
    else:
        then = (
            f"{where} cannot list conversations, so look for it there (and delete it if it "
            "is there) before you run migrate again, which creates a new one"
        )
    return ApiError(
        f"{where} did not answer the request that creates the conversation for {thread.id} "
        f"({exc}). It may have made it anyway, with {ATTEMPT}={token} in its metadata: "
        f"{then}. `thread-browser doctor` lists creates whose answers never came."
    )


async def _carry(
    registry: Registry,
    thread: Tracked,
    target: ConversationsAdapter,
    conversation_id: str,
    items: list[Item],
    done: int,
) -> int:
    """Add the items from ``done`` on, batch by batch; how many were added.

    A batch whose answer never came is not sent again blindly: the conversation is counted
    and the carrying goes on from what it holds (at most ``UNANSWERED`` times a batch).
    """
    added = 0
    unanswered = 0
    while done < len(items):
        batch = items[done : done + BATCH]
        try:
            await target.add_items(conversation_id, batch)
            held = done + len(batch)
        except ApiError as exc:
            unanswered += 1
            if not may_have_been_done(exc) or unanswered > UNANSWERED:
                raise
            held = await _read_back(target, conversation_id, exc, done, len(batch))
        unanswered = 0 if held > done else unanswered
        added += held - done
        done = held
        await registry.migrations.progress(thread, done, complete=False)
    return added


async def _read_back(
    target: ConversationsAdapter, conversation_id: str, exc: ApiError, done: int, size: int
) -> int:
    """How many items the conversation holds after a batch whose answer never came."""
    try:
        held = await _count(target, conversation_id)
    except ApiError as failed:
        raise exc from failed  # the add's own error says what happened and what to do
    if not done <= held <= done + size:
        raise ApiError(
            f"{conversation_id} holds {held} items after a batch whose answer never came, "
            f"where {done} to {done + size} were expected: something else changed it. Check "
            "it on the server; to carry the thread again, delete it and run migrate again."
        ) from exc
    return held


async def _recount(
    target: ConversationsAdapter, conversation_id: str, notes: list[str]
) -> int | None:
    """The conversation's items, counted after the last batch (``None``: not countable)."""
    try:
        return await _count(target, conversation_id)
    except ApiError as exc:
        notes.append(
            f"{conversation_id} could not be counted after the last batch, so duplicates or "
            f"gaps cannot be ruled out: check it on the server. ({exc})"
        )
        return None


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
