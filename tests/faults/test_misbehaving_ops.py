"""History, older pages and chat through the adapters, x every fault of the kit.

The app's own calls, in this process: the newest page (with its runs' details) archived
as the message pane does, older pages until there are none, and one message sent with
its reply followed to the end. Each cell must end within its budget with a reply or one
clear :class:`~tui.api.errors.ApiError`, send a bounded number of requests, read what the
server sent as it was meant, and leave a registry that lists and passes ``doctor``.
Each cell prints ``MATRIX <operation> <fault> <outcome> <requests>``.
"""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from tests.conftest import TEST_KEY
from tests.kit.fixtures import (
    Cli,
    Served,
    no_traceback,
    registry_sound,
)
from tests.kit.misbehave import DETAIL, SIZE
from tests.kit.streams import REPLY
from tests.kit.switches import FAULT_NAMES, Faults
from tests.kit.wire import ASSISTANT, MODEL, Holder, dashed
from tui.api import adapter_for
from tui.api.client import make_client
from tui.api.errors import ApiError
from tui.api.polling import Backoff
from tui.api.protocol import MESSAGE_PAGE, ConversationApi
from tui.model import HistoryPage, Kind, RunStatus, StatusChanged, TextDelta, Tracked, Turn
from tui.store import Registry

try:
    from tui.api.paging import Walk
except ImportError:  # before verified walks: the pane followed each page's cursor
    Walk = None  # type: ignore[assignment,misc]

STREAM_FAULTS = ("sse_no_event", "sse_endless", "huge_event", "unknown_events")
PAGING = ("cursor_ignored", "paging_ignored", "has_more_false", "has_more_true", "same_last_id")
UNUSED = ("retry_after", "metadata_dropped")  # no delete and no update here: the CLI matrix's
PAGE_BUDGET = 12  # requests one walk of older pages may make: 140 messages need 3-6
BUDGET = 20.0  # seconds one operation may take
STREAM_BUDGET = 5.0  # seconds one reply (streamed or polled) may take before it is given up
MAX_REQUESTS = 40
MAX_RSS_GROWTH_MB = 1024.0
SENT = "hello kit"


@dataclass
class Outcome:
    """What an operation ended with, and what it read."""

    word: str
    turns: list[Turn] = field(default_factory=list)
    error: ApiError | None = None
    text: str = ""  # the reply's text, for chat


Operation = Callable[[ConversationApi, Tracked, Registry], Awaitable[Outcome]]


async def op_history(api: ConversationApi, item: Tracked, registry: Registry) -> Outcome:
    page = await api.history(item.id, limit=MESSAGE_PAGE)
    turns = await api.enrich(item.id, page.turns)
    await registry.archive.store(item, turns, complete=not page.has_older)
    return Outcome(f"ok:{len(turns)}", list(turns))


async def op_older(api: ConversationApi, item: Tracked, registry: Registry) -> Outcome:
    """Older pages as the message pane reads them: a verified walk, archived step by step."""
    if Walk is None:
        return await _older_by_cursor(api, item, registry)

    async def fetch(cursor: str | None, limit: int) -> HistoryPage:
        return await api.history(item.id, before=cursor, limit=limit)

    async def oldest(limit: int) -> tuple[Turn, ...]:
        return await api.oldest(item.id, limit=limit)  # type: ignore[attr-defined]

    walk = Walk(fetch, limit=MESSAGE_PAGE, oldest=oldest if hasattr(api, "oldest") else None)
    turns: list[Turn] = []
    async for step in walk:
        item = await registry.archive.store(
            item, step.turns, older_than=step.older_than, complete=False
        )
        turns = [*step.turns, *turns]
        if walk.requests > PAGE_BUDGET:
            return Outcome(f"endless:{walk.requests}pages", turns)
    if walk.complete and len(turns) == SIZE:
        return Outcome("complete", turns)
    return Outcome(f"{'said' if walk.doubt else 'silent'}-partial:{len(turns)}", turns)


async def _older_by_cursor(api: ConversationApi, item: Tracked, registry: Registry) -> Outcome:
    """Older pages by the cursor each page gives (the pane before verified walks)."""
    page = await api.history(item.id, limit=MESSAGE_PAGE)
    turns = list(page.turns)
    item = await registry.archive.store(item, page.turns, complete=not page.has_older)
    pages = 1
    while page.older_cursor is not None and pages < PAGE_BUDGET:
        cursor = page.older_cursor
        page = await api.history(item.id, before=cursor, limit=MESSAGE_PAGE)
        item = await registry.archive.store(
            item, page.turns, older_than=cursor, complete=not page.has_older
        )
        turns = [*page.turns, *turns]
        pages += 1
    word = "complete" if len(turns) == SIZE else f"silent-partial:{len(turns)}"
    if page.older_cursor is not None:
        word = f"endless:{pages}pages"
    return Outcome(word, turns)


async def op_chat(api: ConversationApi, item: Tracked, registry: Registry) -> Outcome:
    choice = ASSISTANT["id"] if item.kind is Kind.THREAD else MODEL
    status: RunStatus | None = None
    text = ""
    async for event in api.send(item.id, SENT, choice=choice):
        if isinstance(event, TextDelta):
            text += event.text
        if isinstance(event, StatusChanged):
            status = event.status
    word = status.value if status is not None else "no-status"
    return Outcome(word, text=text)


OPERATIONS: dict[str, Operation] = {
    "history": op_history,
    "older": op_older,
    "chat": op_chat,
}


def _faults_of(operation: str) -> list[str]:
    """Faults an operation meets: streams only in chat, lying pages only in history."""
    skip = (*UNUSED, *(PAGING if operation == "chat" else STREAM_FAULTS))
    return ["none", *(f for f in FAULT_NAMES if f not in skip)]


CELLS = [
    (f"{op}:{kind}", fault)
    for op in OPERATIONS
    for kind in ("thread", "conv")
    for fault in _faults_of(op)
]


async def attempt(operation: Operation, api: ConversationApi, item: Tracked, db: str) -> Outcome:
    """Run one operation within its budget; an error is named, never raised."""
    async with await Registry.open(db) as registry:
        try:
            return await asyncio.wait_for(operation(api, item, registry), BUDGET)
        except ApiError as exc:
            return Outcome(f"error:{type(exc).__name__}", error=exc)
        except TimeoutError:
            return Outcome("timeout")
        except Exception as exc:
            return Outcome(f"crash:{type(exc).__name__}:{exc}"[:200])


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(("cell", "fault"), CELLS)
async def test_operation_ends_with_a_reply_or_one_clear_error(
    cell: str, fault: str, served: Served, kit_cli: Cli
) -> None:
    cli = kit_cli
    name, _, kind_name = cell.partition(":")
    kit = served.kit
    kind = Kind.THREAD if kind_name == "thread" else Kind.CONVERSATION
    holder = kit.thread if kind is Kind.THREAD else kit.conversation
    await cli.track_seeded()
    async with await Registry.open(cli.db) as reg:
        item = await reg.get(served.connection, holder.id)
    assert item is not None
    client = make_client(served.connection, TEST_KEY, max_retries=0)
    api = adapter_for(kind, client, served.connection)
    api.backoff = Backoff(total=STREAM_BUDGET)  # what a reply may take, here well under BUDGET
    if fault != "none":
        served.switch(fault)
    faults = kit.faults.copy()
    served.reset_counts()
    before = _peak_mb()
    outcome = await attempt(OPERATIONS[name], api, item, str(cli.db))
    growth = _peak_mb() - before
    requests = served.requests
    kit.faults.clear()
    await client.close()
    print(f"MATRIX {cell} {fault} {outcome.word.replace(' ', '_')} {requests}")
    assert not outcome.word.startswith(("crash", "timeout", "endless")), outcome.word
    assert requests <= MAX_REQUESTS, f"{requests} requests"
    assert growth < MAX_RSS_GROWTH_MB, f"memory grew {growth:.0f} MB"
    if outcome.error is not None:
        no_traceback(str(outcome.error))
        assert str(outcome.error).strip(), "an error without a message"
    await asyncio.to_thread(registry_sound, cli)
    if name == "chat":
        assert [e.text for e in holder.entries].count(SENT) <= 1, "the message was sent twice"
    if fault == "redirect_to":
        assert TEST_KEY not in served.other().keys_seen, "the key went to another host"
    EXPECT.get(fault, _nothing)(name, outcome, holder, faults)


def _nothing(name: str, outcome: Outcome, holder: Holder, faults: Faults) -> None:
    """No more than what every cell holds."""


def _read_as_sent(name: str, outcome: Outcome, holder: Holder, faults: Faults) -> None:
    """Lenient reading: IDs whole, text as the server had it, times in the right year."""
    assert outcome.error is None, str(outcome.error)
    if name == "chat":
        assert outcome.word == RunStatus.COMPLETED.value, outcome.word
        assert outcome.text == "".join(REPLY)
        return
    entries = {dashed(e.id, faults): e for e in holder.entries}
    assert outcome.turns, "nothing read"
    for turn in outcome.turns:
        assert turn.id in entries, f"{turn.id} is not an ID the server sent"
        assert turn.text == entries[turn.id].text, (turn.text[:80], entries[turn.id].text)
        assert turn.created_at is None or turn.created_at.year == 2024, turn.created_at
    if name == "older":
        assert outcome.word == "complete", outcome.word


def _no_repeats(name: str, outcome: Outcome, holder: Holder, faults: Faults) -> None:
    """A server that pages wrongly: never the same message twice, never an endless loop."""
    ids = [t.id for t in outcome.turns]
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} messages read twice"
    if name == "older":
        assert not outcome.word.startswith("silent"), "a partial history was not said partial"


def _says_server_words(*words: str) -> Callable[..., None]:
    def check(name: str, outcome: Outcome, holder: Holder, faults: Faults) -> None:
        """What the server said reaches the user."""
        assert outcome.error is not None, outcome.word
        for word in words:
            assert word in str(outcome.error), f"{word!r} not said: {outcome.error}"

    return check


def _not_supported(name: str, outcome: Outcome, holder: Holder, faults: Faults) -> None:
    """405 on runs: the history still reads; a thread's chat says it is not supported."""
    if name != "chat":
        assert outcome.error is None, str(outcome.error)
    elif holder.kind == "thread":
        message = str(outcome.error).lower()
        assert "not support" in message and "try again" not in message, message


def _said_for_the_item(name: str, outcome: Outcome, holder: Holder, faults: Faults) -> None:
    """A field of the wrong type: read around it, or one clear error naming the field."""
    if outcome.error is not None:
        assert "content" in str(outcome.error), str(outcome.error)


def _stream_ends(name: str, outcome: Outcome, holder: Holder, faults: Faults) -> None:
    """Odd streams: the reply completes, or one clear error says why it stopped."""
    if name == "chat":
        assert outcome.word == RunStatus.COMPLETED.value or outcome.error is not None


EXPECT: dict[str, Callable[[str, Outcome, Holder, Faults], None]] = {
    "none": _read_as_sent,
    **dict.fromkeys(("string_content", "iso_times", "ms_times", "dash_ids"), _read_as_sent),
    **dict.fromkeys(("tool_choice_null", "sse_no_event", "unknown_events"), _read_as_sent),
    **dict.fromkeys(PAGING, _no_repeats),
    "html_502": _says_server_words("502", "Bad Gateway"),
    "detail_errors": _says_server_words(DETAIL),
    "not_allowed": _not_supported,
    "wrong_shape": _said_for_the_item,
    "sse_endless": _stream_ends,
    "huge_event": _stream_ends,
}
