"""The one interface both API kinds are used through (no SDK here: it is cheap to import)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any, Protocol

from tui.model import (
    Choice,
    Connection,
    HistoryPage,
    Kind,
    RemoteItem,
    RunStatus,
    ServerObject,
    StreamEvent,
    ToolOutput,
    Turn,
)

MESSAGE_PAGE = 50  # messages asked for in one page, by the pane and the adapters
Tool = dict[str, Any]


class ConversationApi(Protocol):
    """Threads (Assistants v2) and conversations (Responses) behind one interface.

    Every method raises only :mod:`tui.api.errors` errors: what a server sent in a shape
    that cannot be read is ``Unreadable`` (for that reply only), an operation the server
    does not offer is ``Unsupported``, and an API the server lacks altogether is
    ``RouteMissing`` (an ``ApiGone``: it concerns every item of the kind on the connection).
    """

    kind: Kind
    connection: Connection

    async def retrieve(self, item_id: str) -> RemoteItem:
        """The item as the server has it."""
        ...

    async def create(
        self, *, metadata: dict[str, str] | None = None, first_message: str | None = None
    ) -> RemoteItem:
        """Create an item, optionally with a first user message."""
        ...

    async def update_metadata(self, item_id: str, metadata: dict[str, str]) -> RemoteItem:
        """Replace the item's metadata."""
        ...

    async def delete(
        self, item_id: str, *, standing: Collection[str] = (), older: Collection[str] = ()
    ) -> None:
        """Delete the item (raises ``NotFound`` when it is already gone).

        ``standing``: responses other tracked chains stand on, which a response chain's
        deletion leaves on the server with everything before them; ``older``: the chain's
        older responses the registry knows, deleted too (other kinds ignore both).
        """
        ...

    async def parts(
        self, item_id: str, *, keep: Collection[str] = (), files: bool = False
    ) -> list[ServerObject]:
        """What a deep delete of the item deletes before the item itself, as the server has it.

        A conversation: its items (listed, every page). A response chain: its stored
        responses older than the newest, walked back through ``previous_response_id`` and
        stopping at one in ``keep`` (another tracked chain stands on it, so it and all
        before it stay). A thread: with ``files``, the files attached to its messages and
        the vector stores of its ``tool_resources``; otherwise nothing. A stored
        completion: nothing. Raises ``NotFound`` when the item itself is gone.
        """
        ...

    async def remove(self, obj: ServerObject) -> None:
        """Delete one object (``NotFound`` when the server has no such object)."""
        ...

    async def exists(self, obj: ServerObject) -> bool:
        """Whether the server still gives the object when asked for it (404: ``False``).

        What verifies a deletion: any other answer than a 404 raises its error.
        """
        ...

    async def users(self, objects: Sequence[ServerObject]) -> dict[str, str]:
        """Which of ``objects`` something else on the server still uses, and what.

        Object ID -> a short name of its user (``"assistant asst_… (Support bot)"``), for
        the objects a deep delete should keep. A thread's files and vector stores are
        checked against every assistant's ``tool_resources``; other kinds have nothing
        that uses their objects (``{}``, nothing asked). Raises the errors of what it
        reads: when the server cannot say, what uses the objects is unknown.
        """
        ...

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = MESSAGE_PAGE
    ) -> HistoryPage:
        """The newest page of history, or the page older than the cursor ``before``."""
        ...

    async def enrich(self, item_id: str, turns: Sequence[Turn]) -> list[Turn]:
        """The turns completed with what their list call leaves out.

        For a thread: each run's usage and tool calls, from its run and run steps.
        Conversations return them unchanged. Details are optional: a run or its steps
        that the server does not have or offer leave those turns as they are (never
        ``NotFound``).
        """
        ...

    async def first_turn(self, item_id: str) -> Turn | None:
        """The oldest entry of the history (its first user message gives the title)."""
        ...

    async def oldest(self, item_id: str, *, limit: int = MESSAGE_PAGE) -> tuple[Turn, ...]:
        """The oldest ``limit`` entries, in the order the server sent them (asked ``asc``).

        A second road into a history whose server ignores the paging cursor.
        """
        ...

    def send(
        self,
        item_id: str,
        text: str,
        *,
        choice: str,
        tools: Sequence[Tool] = (),
        background: bool = False,
    ) -> AsyncIterator[StreamEvent]:
        """Add a user message and stream the reply from ``choice`` (assistant or model).

        ``tools`` are function tools offered with this message (conversations; a thread's
        tools are its assistant's). ``background`` runs a response in the background and
        polls it (conversations; a thread's run is polled whenever the server will not
        stream). A thread's own message comes first, as ``TurnCompleted`` with no run.
        A stream that ends before the reply settles ends with its status fetched (and
        polled while it runs), or with an ``ApiError`` when the stream named no run.
        """
        ...

    def submit_tool_outputs(
        self,
        item_id: str,
        run_id: str,
        outputs: Sequence[ToolOutput],
        *,
        choice: str,
        tools: Sequence[Tool] = (),
    ) -> AsyncIterator[StreamEvent]:
        """Answer the tool calls of a run and stream what follows."""
        ...

    async def cancel(self, item_id: str, run_id: str) -> RunStatus:
        """Ask the server to cancel a run or background response."""
        ...

    async def list_choices(self) -> list[Choice]:
        """Assistants (threads) or models (conversations) a reply can come from."""
        ...

    async def create_choice(self, name: str, model: str, instructions: str) -> Choice:
        """Create an assistant (threads); conversations raise ``Invalid`` (models exist)."""
        ...

    async def active_run(self, item_id: str) -> str | None:
        """The ID of a run still active on the item, if any (threads; else ``None``)."""
        ...
