"""The one interface both API kinds are used through, and how requests that create are sent.

A request that creates something (a thread, conversation, message, items, run, response,
tool outputs) is sent once: the SDK's automatic retries are off for it, because a server
that did the work but answered after the timeout would get it twice. It is sent again
only when the server stated it did not process it (a 429, ``x-should-retry: true``) or
the connection was never made. After any other failure the work may have been done:
:func:`may_have_been_done` says so, and the caller reads the state back before anything
is sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

import httpx2
import openai
from openai import AsyncOpenAI

from tui.api.errors import ApiError, retry_after
from tui.model import (
    Choice,
    Connection,
    HistoryPage,
    Kind,
    RemoteItem,
    RunStatus,
    StreamEvent,
    ToolOutput,
    Turn,
)

DEFAULT_PAGE = 50
Tool = dict[str, Any]
T = TypeVar("T")
MAX_RESEND_WAIT = 20.0  # seconds a server may ask to wait before a request is sent again
FIRST_BACKOFF = 0.5  # seconds before the first resend the server did not time
REQUEST_TIMEOUT = 408
NEVER_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout)


def sending_once(client: AsyncOpenAI) -> AsyncOpenAI:
    """The client for requests that create: the same connection pool, no SDK retries."""
    strict = {"_strict_response_validation": client._strict_response_validation}
    return client.with_options(max_retries=0, _extra_kwargs=strict)


def _never_sent(exc: BaseException) -> bool:
    """True when the connection was never made (the request cannot have arrived)."""
    seen: BaseException | None = exc
    for _ in range(8):  # the cause chain: domain error, SDK error, transport error
        if seen is None:
            return False
        if isinstance(seen, NEVER_SENT):
            return True
        seen = seen.__cause__
    return False


def _refused_wait(exc: Exception, tries: int) -> float | None:
    """Seconds to wait before sending again, or ``None`` when it must not be sent again."""
    if _never_sent(exc):
        return FIRST_BACKOFF * 2**tries
    if not isinstance(exc, openai.APIStatusError):
        return None
    said = exc.response.headers.get("x-should-retry")
    if said == "false" or (exc.status_code != 429 and said != "true"):
        return None
    wait = retry_after(exc.response.headers)
    if wait is None:
        return FIRST_BACKOFF * 2**tries
    return wait if wait <= MAX_RESEND_WAIT else None


async def send_refused_again(call: Callable[[], Awaitable[T]], resends: int) -> T:
    """Make a creating SDK call; send it again (at most ``resends`` times) only when refused.

    Refused means the server cannot have done it: a 429 (whose wait is short enough), a
    reply marked ``x-should-retry: true``, or a connection that was never made. Timeouts,
    dropped connections and 5xx are raised as they are: the work may have been done.
    """
    tries = 0
    while True:
        try:
            return await call()
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            wait = _refused_wait(exc, tries) if tries < resends else None
            if wait is None:
                raise
        tries += 1
        await asyncio.sleep(wait)


def may_have_been_done(exc: BaseException) -> bool:
    """False only when a failed creating request cannot have been carried out.

    That is: the server answered that it refused it (a 4xx but 408), or the connection
    was never made. A timeout, a dropped connection, a 5xx or an unreadable reply may
    follow work that was done: read the state back before sending it again.
    """
    if _never_sent(exc):
        return False
    if not isinstance(exc, ApiError) or exc.status is None:
        return True
    return not 400 <= exc.status < 500 or exc.status == REQUEST_TIMEOUT


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

    async def delete(self, item_id: str) -> None:
        """Delete the item (raises ``NotFound`` when it is already gone)."""
        ...

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = DEFAULT_PAGE
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

    async def oldest(self, item_id: str, *, limit: int = DEFAULT_PAGE) -> tuple[Turn, ...]:
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
