"""Plain dataclasses shared by every layer.

The API adapters turn SDK objects into these, the registry stores them and the
widgets render them, so threads and conversations look the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tui.redact import remember, url_secrets, without_credentials


class Kind(StrEnum):
    """The kinds of server-side conversation state the app browses."""

    THREAD = "thread"
    CONVERSATION = "conversation"
    COMPLETION = "completion"  # a stored chat completion (``store: true``)
    RESPONSE = "response"  # a response chain, named by its newest response
    SESSION = "session"  # an Agents SDK session in a local SQLiteSession file

    @property
    def responds(self) -> bool:
        """True when its replies are Responses API responses (conversations, chains)."""
        return self in (Kind.CONVERSATION, Kind.RESPONSE)

    @property
    def stem(self) -> str:
        """The word an ID of this kind starts with (``thread``, ``conv``, ``chatcmpl``).

        Empty for a kind whose IDs have no shape of their own (a session is named by its
        program): such IDs are never looked for in text.
        """
        return _STEMS[self]

    @property
    def prefix(self) -> str:
        """The ID prefix of this kind (``thread_``, ``conv_``, ``chatcmpl-``; or none)."""
        if not self.stem:
            return ""
        return self.stem + ("-" if self is Kind.COMPLETION else "_")

    @property
    def local(self) -> bool:
        """True for a kind read from a local file, never from a server."""
        return self is Kind.SESSION

    @property
    def noun(self) -> str:
        """What a user calls an item of this kind."""
        return _NOUNS[self]


_STEMS = {
    Kind.THREAD: "thread",
    Kind.CONVERSATION: "conv",
    Kind.COMPLETION: "chatcmpl",
    Kind.RESPONSE: "resp",
    Kind.SESSION: "",
}
_NOUNS = {
    Kind.THREAD: "thread",
    Kind.CONVERSATION: "conversation",
    Kind.COMPLETION: "stored completion",
    Kind.RESPONSE: "response chain",
    Kind.SESSION: "Agents session",
}


@dataclass(frozen=True, slots=True)
class Connection:
    """Where an item lives: base URL, organization and project. Never a key.

    A base URL given with credentials (``https://user:pass@host/v1``, ``?api-key=…``) is
    kept without them, so they are never stored or shown; redaction learns their values.
    The client that talks to the server gets them from the profile's full URL.
    """

    base_url: str
    organization: str | None = None
    project: str | None = None

    def __post_init__(self) -> None:
        clean = without_credentials(self.base_url)
        if clean != self.base_url:
            remember(*url_secrets(self.base_url))
        object.__setattr__(self, "base_url", clean.rstrip("/"))

    @property
    def key(self) -> str:
        """A stable string that identifies the connection in the registry."""
        return f"{self.base_url}|{self.organization or ''}|{self.project or ''}"

    @property
    def label(self) -> str:
        """A short human-readable description of the connection."""
        parts = [self.base_url]
        if self.organization:
            parts.append(f"org {self.organization}")
        if self.project:
            parts.append(f"project {self.project}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class RemoteItem:
    """A thread or conversation as the server describes it."""

    id: str
    kind: Kind
    created_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)
    previous: str | None = None  # the response a chain's newest response continues
    conversation: str | None = None  # the conversation a response wrote into

    @property
    def title(self) -> str | None:
        """The ``metadata.title`` of the item, if any."""
        return self.metadata.get("title") or None


class RunStatus(StrEnum):
    """Every status a run (threads) or response (conversations) can have."""

    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    REQUIRES_ACTION = "requires_action"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    FAILED = "failed"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """True when the run will not change any more on its own."""
        return self in _TERMINAL

    @property
    def is_settled(self) -> bool:
        """True when nothing more happens without the user (terminal or waiting for tools)."""
        return self.is_terminal or self is RunStatus.REQUIRES_ACTION

    @property
    def is_active(self) -> bool:
        """True while a run blocks new messages and runs on its thread."""
        return not self.is_terminal


_TERMINAL = frozenset(
    {
        RunStatus.CANCELLED,
        RunStatus.FAILED,
        RunStatus.COMPLETED,
        RunStatus.INCOMPLETE,
        RunStatus.EXPIRED,
    }
)


class TurnKind(StrEnum):
    """What a history entry is."""

    MESSAGE = "message"
    TOOL_CALL = "tool_call"
    TOOL_OUTPUT = "tool_output"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of message content: text, an image or a file, by reference."""

    type: str
    text: str = ""
    ref: str | None = None
    annotations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call made by the assistant, and its output when known."""

    call_id: str
    name: str
    arguments: str = ""
    type: str = "function"
    output: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage reported by a run or response."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class Turn:
    """One entry of a history: a message, a tool call or a tool output."""

    id: str
    role: str
    kind: TurnKind = TurnKind.MESSAGE
    created_at: datetime | None = None
    parts: tuple[Part, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    run_id: str | None = None
    status: str | None = None
    attachments: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    usage: Usage | None = None

    @property
    def text(self) -> str:
        """The text parts joined by blank lines."""
        return "\n\n".join(p.text for p in self.parts if p.text)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """A page of history, oldest first, with a cursor to the page before it."""

    turns: tuple[Turn, ...]
    older_cursor: str | None

    @property
    def has_older(self) -> bool:
        """True when older turns exist before this page."""
        return self.older_cursor is not None


@dataclass(frozen=True, slots=True)
class Choice:
    """Something a reply can come from: an assistant (threads) or a model."""

    id: str
    name: str
    model: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """The user's answer to one tool call."""

    call_id: str
    output: str


# Stream events: what send-and-stream yields, in the order the server sent it.


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The run or response moved to a new status."""

    run_id: str
    status: RunStatus
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the reply's text."""

    run_id: str
    turn_id: str
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallsRequested:
    """The run waits for the outputs of these tool calls."""

    run_id: str
    calls: tuple[ToolCall, ...]


@dataclass(frozen=True, slots=True)
class TurnCompleted:
    """A whole new history entry, as the server finished it."""

    run_id: str
    turn: Turn


@dataclass(frozen=True, slots=True)
class UsageReported:
    """Token usage of the finished run or response."""

    run_id: str
    usage: Usage


@dataclass(frozen=True, slots=True)
class Continued:
    """The reply goes into another item, or the item takes another ID.

    A stored completion continued as a new one; a response chain whose newest response is
    now the reply's.
    """

    run_id: str
    item: RemoteItem
    previous: str  # the ID of the item it continues


StreamEvent = (
    StatusChanged | TextDelta | ToolCallsRequested | TurnCompleted | UsageReported | Continued
)


class ObjectKind(StrEnum):
    """The kinds of server object a deep delete covers (an item is made of one or more)."""

    THREAD = "thread"
    CONVERSATION = "conversation"
    CONVERSATION_ITEM = "conversation item"
    RESPONSE = "response"
    COMPLETION = "chat completion"
    FILE = "file"
    VECTOR_STORE = "vector store"


@dataclass(frozen=True, slots=True)
class ServerObject:
    """One object on a server that a deletion deletes and then verifies gone.

    ``parent`` is the object it lives in when its route needs it (a conversation item's
    conversation); empty otherwise.
    """

    kind: ObjectKind
    id: str
    parent: str = ""


class ObjectState(StrEnum):
    """Where one object of a deletion stands; recorded before its request and after."""

    PLANNED = "planned"  # confirmed; no request sent yet
    REQUESTED = "requested"  # its DELETE was sent: the answer may never have come
    DELETED = "deleted"  # the server answered the DELETE (or 404: it had no such object)
    VERIFIED = "verified"  # fetched again after the delete: 404
    STILL_THERE = "still there"  # fetched again after the delete: still readable
    FAILED = "failed"  # the DELETE or the check failed (the reason is kept)
    KEPT = "kept"  # left on purpose: another tracked item or assistant still uses it


class ItemState(StrEnum):
    """Where a tracked item stands."""

    ACTIVE = "active"
    MISSING = "missing"
    DELETING = "deleting"
    DELETED = "deleted"


class TitleSource(StrEnum):
    """Where a tracked item's title came from (a user's title is never replaced)."""

    METADATA = "metadata"
    MESSAGE = "message"
    ID = "id"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Tracked:
    """An item the registry knows, with where it lives and what happened to it."""

    pk: int
    id: str
    kind: Kind
    connection: Connection
    title: str
    title_source: TitleSource
    created_at: datetime | None
    last_activity: datetime
    metadata: dict[str, str]
    message_count: int
    history_complete: bool
    state: ItemState
    tags: tuple[str, ...]
    notes: str
    source: str
    choice: str | None = None  # the assistant or model the user last chose for replies
    tools: tuple[dict[str, Any], ...] = ()  # function tools offered with a conversation's turns
    migrated_to: str | None = None  # the conversation this thread was carried into
    history_doubt: str | None = None  # why the archived history may be incomplete


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One change a user would care about."""

    at: datetime
    item_id: str | None
    event: str
    source: str
    detail: str = ""
