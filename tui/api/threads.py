"""The Assistants v2 adapter: threads, messages and runs."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from typing import Any, TypeVar

from openai import AsyncOpenAI

from tui.api import attached, convert
from tui.api.convert import get
from tui.api.errors import (
    ApiError,
    ApiGone,
    BadShape,
    NotFound,
    ServerError,
    Unreadable,
    Unsupported,
    readable,
    translate,
)
from tui.api.learning import PLAIN_REPLY, RUN_STEPS, STREAMING, Learned, family
from tui.api.objects import ObjectCalls, Route
from tui.api.paging import WIDEST, every_entry
from tui.api.polling import (
    DEFAULT_BACKOFF,
    Backoff,
    Reply,
    poll,
    reply,
    route_of,
    stream_events,
)
from tui.api.protocol import MESSAGE_PAGE, Tool
from tui.api.sending import send_refused_again, sending_once
from tui.model import (
    Choice,
    Connection,
    HistoryPage,
    Kind,
    ObjectKind,
    RemoteItem,
    RunStatus,
    ServerObject,
    StatusChanged,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolOutput,
    Turn,
    TurnCompleted,
    Usage,
    UsageReported,
)

T = TypeVar("T")
API = "threads"  # the API family of this adapter's requests, in ``learned``
ENRICH_CONCURRENCY = 8
ASSISTANT_PAGES = 100  # pages of 100 assistants read to find what uses an object, at most
USABLE = (ObjectKind.FILE, ObjectKind.VECTOR_STORE)  # what an assistant's tools may use
# A run's details are optional: these say they are not there, never that the thread is not.
_NO_DETAILS = (NotFound, Unsupported, ApiGone, Unreadable)

# The SDK marks every Assistants call deprecated; talking to them is this module's job.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=__name__)


def _run_events(run: Any) -> list[StreamEvent]:
    run_id = convert.ident(run)
    status = convert.run_status(get(run, "status"))
    events: list[StreamEvent] = []
    if status is RunStatus.REQUIRES_ACTION:
        events.append(ToolCallsRequested(run_id, convert.required_calls(run)))
    usage = convert.run_usage(get(run, "usage"))
    if status.is_terminal and usage is not None:
        events.append(UsageReported(run_id, usage))
    events.append(StatusChanged(run_id, status, convert.run_detail(run)))
    return events


def _settled(run: Any) -> bool:
    return convert.run_status(get(run, "status")).is_settled


def _deltas(data: Any, run_id: str) -> list[StreamEvent]:
    content = get(get(data, "delta"), "content")
    if isinstance(content, str):
        return [TextDelta(run_id, convert.ident(data), content)]
    events: list[StreamEvent] = []
    for part in convert.items_of(content, "delta.content"):
        if get(part, "type") == "text":
            piece = get(part, "text")
            value = convert.text(get(piece, "value") if convert.is_object(piece) else piece)
            if value:
                events.append(TextDelta(run_id, convert.ident(data), value))
    return events


def _event(name: str, data: Any, run_id: str) -> list[StreamEvent]:
    """The events one named stream event stands for; unknown or unreadable ones are none."""
    try:
        if name.startswith("thread.run.") and not name.startswith("thread.run.step"):
            return _run_events(data)
        if name == "thread.message.delta":
            return _deltas(data, run_id)
        if name in ("thread.message.completed", "thread.message.incomplete"):
            return [TurnCompleted(run_id, convert.thread_message(data))]
    except BadShape:
        pass  # the run's final status is fetched when the stream does not give it
    return []


def _run_of(name: str, data: Any) -> str | None:
    """The run an event belongs to: a run event's ID, or a message's ``run_id``."""
    run_event = name.startswith("thread.run.") and not name.startswith("thread.run.step")
    try:
        return convert.optional_ident(data, "id" if run_event else "run_id", "run")
    except BadShape:
        return None  # not a run ID: the event is not followed (see ``_event``)


class ThreadsAdapter:
    """:class:`~tui.api.protocol.ConversationApi` over Assistants v2 threads."""

    kind = Kind.THREAD

    def __init__(
        self, client: AsyncOpenAI, connection: Connection, backoff: Backoff = DEFAULT_BACKOFF
    ) -> None:
        self.client = client
        self.connection = connection
        self.learned: Learned = {}  # what this server was found to offer or refuse
        self.backoff = backoff
        self._threads = client.beta.threads
        self._raw = client.beta.threads.with_raw_response
        self._once_client = sending_once(client)  # what creates is never resent blindly
        self._create = self._once_client.beta.threads.with_raw_response
        self._resends = client.max_retries
        self.skipped = 0  # references the last ``parts`` or ``users`` could not read
        self._objects = ObjectCalls(
            connection, self._object_routes(), holder="Threads", learned=self.learned
        )

    def _object_routes(self) -> dict[ObjectKind, Route]:
        """How a thread, a file and a vector store are deleted and fetched."""
        files = self.client.files.with_raw_response
        stores = self.client.vector_stores.with_raw_response  # sends OpenAI-Beta: assistants=v2
        return {
            ObjectKind.THREAD: Route(
                lambda o: self._raw.delete(o.id), lambda o: self._raw.retrieve(o.id), API
            ),
            ObjectKind.FILE: Route(lambda o: files.delete(o.id), lambda o: files.retrieve(o.id)),
            ObjectKind.VECTOR_STORE: Route(
                lambda o: stores.delete(o.id), lambda o: stores.retrieve(o.id)
            ),
        }

    async def _once(self, call: Callable[[], Awaitable[T]]) -> T:
        """A creating call, sent again only when the server refused it unprocessed."""
        return await send_refused_again(call, self._resends)

    def _errors(self, item_id: str | None = None) -> Any:
        return translate(self.connection, self.kind, item_id)

    async def _reply(self, call: Callable[[], Awaitable[Any]], item_id: str | None) -> Reply:
        with family(self.learned, API):
            return await reply(call, self._errors(item_id), self.connection)

    def _item(self, body: Any) -> RemoteItem:
        return convert.remote_item(body, self.kind)

    async def retrieve(self, item_id: str) -> RemoteItem:
        """The thread as the server has it."""
        found = await self._reply(lambda: self._raw.retrieve(item_id), item_id)
        return found.read(lambda body: convert.remote_item(body, self.kind, item_id))

    async def create(
        self, *, metadata: dict[str, str] | None = None, first_message: str | None = None
    ) -> RemoteItem:
        """Create a thread, optionally with a first user message."""
        messages: list[Any] = []
        if first_message:
            messages.append({"role": "user", "content": first_message})
        made = await self._reply(
            lambda: self._once(
                lambda: self._create.create(messages=messages, metadata=metadata or {})
            ),
            None,
        )
        return made.read(self._item)

    async def update_metadata(self, item_id: str, metadata: dict[str, str]) -> RemoteItem:
        """Replace the thread's metadata."""
        done = await self._reply(lambda: self._raw.update(item_id, metadata=metadata), item_id)
        return done.read(lambda body: convert.remote_item(body, self.kind, item_id))

    async def delete(
        self, item_id: str, *, standing: Collection[str] = (), older: Collection[str] = ()
    ) -> None:
        """Delete the thread."""
        with self._errors(item_id):
            await self._raw.delete(item_id)

    async def parts(
        self, item_id: str, *, keep: Collection[str] = (), files: bool = False
    ) -> list[ServerObject]:
        """With ``files``: the files and vector stores the thread names, each once.

        The files attached to its messages (every page) and shown in them, then those of
        its ``tool_resources``: code interpreter files, file search vector stores. A
        reference that cannot be read is left out and counted in :attr:`skipped`.
        Without ``files``, nothing (its messages go with the thread). ``NotFound`` when
        the thread is gone (asked only with ``files``).
        """
        self.skipped = 0
        if not files:
            return []
        thread = await self._reply(lambda: self._raw.retrieve(item_id), item_id)
        own = thread.read(attached.resources)

        async def page(after: str | None) -> Reply:
            params: dict[str, Any] = {"order": "asc", "limit": WIDEST}
            if after is not None:
                params["after"] = after
            return await self._reply(lambda: self._raw.messages.list(item_id, **params), item_id)

        listed = await every_entry(page, attached.message_files)
        found = sum(listed.found, attached.Found()) + own
        self.skipped = listed.unreadable + found.unreadable
        return attached.unique(found.objects)

    async def remove(self, obj: ServerObject) -> None:
        """Delete a thread, a file or a vector store."""
        await self._objects.remove(obj)

    async def exists(self, obj: ServerObject) -> bool:
        """Whether the server still gives the thread, file or vector store (404: no)."""
        return await self._objects.exists(obj)

    async def users(self, objects: Sequence[ServerObject]) -> dict[str, str]:
        """The files and vector stores among ``objects`` an assistant's tools still use.

        Object ID -> ``"assistant asst_… (name)"``, from every assistant of the key (up
        to ``ASSISTANT_PAGES`` pages); an assistant that cannot be read is left out and
        counted in :attr:`skipped`. Files inside an assistant's vector store are not
        looked into. Listing errors are raised: who uses what is then unknown.
        """
        self.skipped = 0
        if not any(o.kind in USABLE for o in objects):
            return {}
        assistants = self.client.beta.assistants.with_raw_response

        async def page(after: str | None) -> Reply:
            params: dict[str, Any] = {"order": "asc", "limit": WIDEST}
            if after is not None:
                params["after"] = after
            return await self._reply(lambda: assistants.list(**params), None)

        listed = await every_entry(page, attached.assistant_uses, max_pages=ASSISTANT_PAGES)
        self.skipped = listed.unreadable + sum(uses.unreadable for _, uses in listed.found)
        return attached.users_of(objects, listed.found)

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = MESSAGE_PAGE
    ) -> HistoryPage:
        """A page of messages, oldest first, with the cursor of the page before it."""
        kwargs: dict[str, Any] = {"order": "desc", "limit": limit}
        if before:
            kwargs["after"] = before
        page = await self._reply(lambda: self._raw.messages.list(item_id, **kwargs), item_id)
        return page.read(lambda body: convert.history_page(body, convert.thread_message))

    async def enrich(self, item_id: str, turns: Sequence[Turn]) -> list[Turn]:
        """Add each run's usage and tool calls (with outputs) to its assistant messages.

        A run or its steps the server does not have or offer (404, 405, 501, or a reply
        that cannot be read) leave those messages as they are: details are optional.
        """
        runs = list(dict.fromkeys(t.run_id for t in turns if t.role == "assistant" and t.run_id))
        gate = asyncio.Semaphore(ENRICH_CONCURRENCY)

        async def details(run_id: str) -> tuple[str, Usage | None, tuple[ToolCall, ...]] | None:
            async with gate:
                return await self._run_details(item_id, run_id)

        found = {
            r[0]: (r[1], r[2])
            for r in await asyncio.gather(*(details(r) for r in runs))
            if r is not None
        }
        return convert.attach_runs(list(turns), found)

    async def _run_details(
        self, item_id: str, run_id: str
    ) -> tuple[str, Usage | None, tuple[ToolCall, ...]] | None:
        """A run's usage and tool calls; ``None`` when the run cannot be had."""
        try:
            run = await self._reply(
                lambda: self._raw.runs.retrieve(run_id, thread_id=item_id), item_id
            )
            usage = run.read(lambda body: convert.run_usage(get(body, "usage")))
        except _NO_DETAILS:
            return None
        try:
            steps = await self._reply(
                lambda: self._raw.runs.steps.list(
                    run_id, thread_id=item_id, limit=100, order="asc"
                ),
                item_id,
            )
            calls = steps.read(lambda body: convert.step_calls(convert.list_data(body)))
            self.learned[RUN_STEPS] = (True, "")
        except _NO_DETAILS as exc:
            self.learned[RUN_STEPS] = (False, str(exc))
            calls = ()
        return run_id, usage, calls

    async def first_turn(self, item_id: str) -> Turn | None:
        """The oldest entry of the history."""
        first = await self.oldest(item_id, limit=1)
        return first[0] if first else None

    async def oldest(self, item_id: str, *, limit: int = MESSAGE_PAGE) -> tuple[Turn, ...]:
        """The oldest ``limit`` entries, in the order the server sent them (asked oldest first)."""
        page = await self._reply(
            lambda: self._raw.messages.list(item_id, order="asc", limit=limit), item_id
        )
        data = page.read(convert.list_data)
        return page.read(lambda _: tuple(convert.thread_message(entry) for entry in data))

    async def send(
        self,
        item_id: str,
        text: str,
        *,
        choice: str,
        tools: Sequence[Tool] = (),
        background: bool = False,
    ) -> AsyncIterator[StreamEvent]:
        """Add the message (confirmed first), then run ``choice`` and stream the run."""
        message = await self._reply(
            lambda: self._once(
                lambda: self._create.messages.create(item_id, role="user", content=text)
            ),
            item_id,
        )
        yield TurnCompleted("", message.read(convert.thread_message))
        with self._errors(item_id):
            raw = await self._once(
                lambda: self._create.runs.create(item_id, assistant_id=choice, stream=True)
            )
        async for event in self._stream_or_poll(item_id, raw):
            yield event

    async def submit_tool_outputs(
        self,
        item_id: str,
        run_id: str,
        outputs: Sequence[ToolOutput],
        *,
        choice: str,
        tools: Sequence[Tool] = (),
    ) -> AsyncIterator[StreamEvent]:
        """Submit the outputs and stream the rest of the run."""
        payload: list[Any] = [{"tool_call_id": o.call_id, "output": o.output} for o in outputs]
        with self._errors(item_id):
            raw = await self._once(
                lambda: self._create.runs.submit_tool_outputs(
                    run_id, thread_id=item_id, tool_outputs=payload, stream=True
                )
            )
        async for event in self._stream_or_poll(item_id, raw):
            yield event

    async def _stream_or_poll(self, item_id: str, raw: Any) -> AsyncIterator[StreamEvent]:
        """Follow the run's event stream, or poll the run when the server sent plain JSON."""
        streamed = "event-stream" in raw.headers.get("content-type", "")
        self.learned[STREAMING] = (streamed, "" if streamed else PLAIN_REPLY)
        if streamed:
            async for event in self._follow(item_id, raw):
                yield event
            return
        with self._errors(item_id):
            content = await raw.http_response.aread()
        found = Reply(self.connection, route_of(raw), raw.headers, content)
        async for event in self._poll_run(item_id, found.parse(), found):
            yield event

    async def _poll_run(
        self, item_id: str, run: Any, first: Reply, *, messages: bool = True
    ) -> AsyncIterator[StreamEvent]:
        """Poll ``runs.retrieve`` with backoff until the run settles; then its messages."""
        with readable(self.connection, first.route):
            run_id = convert.ident(run)
            events = _run_events(run)
        for event in events:
            yield event
        last = get(run, "status")

        async def fetch() -> Reply:
            return await self._reply(
                lambda: self._raw.runs.retrieve(run_id, thread_id=item_id), item_id
            )

        if not _settled(run):
            async for current in poll(fetch, _settled, self.backoff, first.headers):
                if get(current, "status") != last:
                    last = get(current, "status")
                    with readable(self.connection, f"GET /threads/{item_id}/runs/{run_id}"):
                        events = _run_events(current)
                    for event in events:
                        yield event
        if messages:
            async for event in self._run_messages(item_id, run_id):
                yield event

    async def _run_messages(self, item_id: str, run_id: str) -> AsyncIterator[StreamEvent]:
        page = await self._reply(
            lambda: self._raw.messages.list(item_id, run_id=run_id, order="asc"), item_id
        )
        turns = page.read(lambda body: [convert.thread_message(m) for m in convert.list_data(body)])
        for turn in turns:
            yield TurnCompleted(run_id, turn)

    async def _follow(self, item_id: str, raw: Any) -> AsyncIterator[StreamEvent]:
        """The run's events as they stream.

        A stream that ends before the run settles ends with the run's status, fetched
        (and polled while it runs), or with a clear error when no run was named.
        """
        run_id = ""
        last: StatusChanged | None = None
        completed = False
        with translate(self.connection, self.kind, item_id, midstream=True):
            async for name, data in stream_events(raw, self.connection, self.backoff.total):
                run_id = run_id or _run_of(name, data) or ""
                for event in _event(name, data, run_id):
                    if isinstance(event, StatusChanged):
                        last = event
                    completed = completed or isinstance(event, TurnCompleted)
                    yield event
        if last is not None and last.status.is_settled:
            return
        run_id = run_id or await self._active_or_none(item_id)
        if not run_id:
            raise ServerError(
                f"{self.connection.base_url} ended the reply's event stream before it said "
                "which run it was. The reply may still be on its way: press r in a moment to "
                "load what the server kept."
            )
        async for event in self._settle(item_id, run_id, messages=not completed):
            yield event

    async def _active_or_none(self, item_id: str) -> str:
        """The thread's active run, or ``""`` when the server cannot say."""
        try:
            return await self.active_run(item_id) or ""
        except ApiError:
            return ""

    async def _settle(
        self, item_id: str, run_id: str, *, messages: bool
    ) -> AsyncIterator[StreamEvent]:
        """Fetch a run whose stream ended early, and poll it until it settles."""
        found = await self._reply(
            lambda: self._raw.runs.retrieve(run_id, thread_id=item_id), item_id
        )
        async for event in self._poll_run(item_id, found.parse(), found, messages=messages):
            yield event

    async def cancel(self, item_id: str, run_id: str) -> RunStatus:
        """Ask the server to cancel the run."""
        done = await self._reply(lambda: self._raw.runs.cancel(run_id, thread_id=item_id), item_id)
        return done.read(lambda body: convert.run_status(get(body, "status")))

    async def list_choices(self) -> list[Choice]:
        """Every assistant of the key (up to 1,000)."""
        choices: list[Choice] = []
        with self._errors():
            async for asst in self.client.beta.assistants.list(limit=100):
                choices.append(convert.choice(asst))
                if len(choices) >= convert.MAX_CHOICES:
                    break
        return choices

    async def create_choice(self, name: str, model: str, instructions: str) -> Choice:
        """Create an assistant."""
        made = await self._reply(
            lambda: self._once(
                lambda: self._once_client.beta.assistants.with_raw_response.create(
                    name=name, model=model, instructions=instructions or None
                )
            ),
            None,
        )
        return made.read(convert.choice)

    async def active_run(self, item_id: str) -> str | None:
        """The newest run of the thread that has not ended."""
        page = await self._reply(lambda: self._raw.runs.list(item_id, limit=5), item_id)
        runs = page.read(convert.list_data)
        active = [r for r in runs if not convert.run_status(get(r, "status")).is_terminal]
        return page.read(lambda _: convert.ident(active[0], prefix="run")) if active else None
