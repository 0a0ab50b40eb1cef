"""The Assistants v2 adapter: threads, messages and runs."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Sequence
from typing import Any

from openai import AsyncOpenAI
from openai.types.beta.threads import Run

from tui.api import convert
from tui.api.errors import translate
from tui.api.polling import DEFAULT_BACKOFF, Backoff, parsed, poll
from tui.api.protocol import DEFAULT_PAGE, Tool
from tui.model import (
    Choice,
    Connection,
    HistoryPage,
    Kind,
    RemoteItem,
    RunStatus,
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

MAX_CHOICES = 1000
ENRICH_CONCURRENCY = 8

# The SDK marks every Assistants call deprecated; talking to them is this module's job.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=__name__)


def _run_events(run: Any) -> list[StreamEvent]:
    status = convert.run_status(run.status)
    events: list[StreamEvent] = []
    if status is RunStatus.REQUIRES_ACTION:
        events.append(ToolCallsRequested(run.id, convert.required_calls(run)))
    usage = convert.run_usage(run.usage)
    if status.is_terminal and usage is not None:
        events.append(UsageReported(run.id, usage))
    events.append(StatusChanged(run.id, status, convert.run_detail(run)))
    return events


def _settled(run: Any) -> bool:
    return convert.run_status(run.status).is_settled


def _event(event: Any, run_id: str) -> list[StreamEvent]:
    name: str = event.event
    data = event.data
    if name.startswith("thread.run.") and not name.startswith("thread.run.step"):
        return _run_events(data)
    if name == "thread.message.delta":
        return [
            TextDelta(run_id, data.id, part.text.value or "")
            for part in data.delta.content or []
            if part.type == "text" and part.text is not None
        ]
    if name in ("thread.message.completed", "thread.message.incomplete"):
        return [TurnCompleted(run_id, convert.thread_message(data))]
    return []


class ThreadsAdapter:
    """:class:`~tui.api.protocol.ConversationApi` over Assistants v2 threads."""

    kind = Kind.THREAD

    def __init__(
        self, client: AsyncOpenAI, connection: Connection, backoff: Backoff = DEFAULT_BACKOFF
    ) -> None:
        self.client = client
        self.connection = connection
        self.backoff = backoff
        self._threads = client.beta.threads

    def _errors(self, item_id: str | None = None) -> Any:
        return translate(self.connection, self.kind, item_id)

    async def retrieve(self, item_id: str) -> RemoteItem:
        """The thread as the server has it."""
        with self._errors(item_id):
            thread = await self._threads.retrieve(item_id)
        return convert.remote_item(thread, self.kind)

    async def create(
        self, *, metadata: dict[str, str] | None = None, first_message: str | None = None
    ) -> RemoteItem:
        """Create a thread, optionally with a first user message."""
        messages: list[Any] = []
        if first_message:
            messages.append({"role": "user", "content": first_message})
        with self._errors():
            thread = await self._threads.create(messages=messages, metadata=metadata or {})
        return convert.remote_item(thread, self.kind)

    async def update_metadata(self, item_id: str, metadata: dict[str, str]) -> RemoteItem:
        """Replace the thread's metadata."""
        with self._errors(item_id):
            thread = await self._threads.update(item_id, metadata=metadata)
        return convert.remote_item(thread, self.kind)

    async def delete(self, item_id: str) -> None:
        """Delete the thread."""
        with self._errors(item_id):
            await self._threads.delete(item_id)

    async def history(
        self, item_id: str, *, before: str | None = None, limit: int = DEFAULT_PAGE
    ) -> HistoryPage:
        """A page of messages, oldest first, with the cursor of the page before it."""
        kwargs: dict[str, Any] = {"order": "desc", "limit": limit}
        if before:
            kwargs["after"] = before
        with self._errors(item_id):
            page = await self._threads.messages.list(item_id, **kwargs)
        return convert.history_page(page, convert.thread_message)

    async def enrich(self, item_id: str, turns: Sequence[Turn]) -> list[Turn]:
        """Add each run's usage and tool calls (with outputs) to its assistant messages."""
        runs = list(dict.fromkeys(t.run_id for t in turns if t.role == "assistant" and t.run_id))
        gate = asyncio.Semaphore(ENRICH_CONCURRENCY)

        async def details(run_id: str) -> tuple[str, Usage | None, tuple[ToolCall, ...]]:
            async with gate:
                with self._errors(item_id):
                    run = await self._threads.runs.retrieve(run_id, thread_id=item_id)
                    steps = await self._threads.runs.steps.list(
                        run_id, thread_id=item_id, limit=100, order="asc"
                    )
            return run_id, convert.run_usage(run.usage), convert.step_calls(steps.data)

        found = {r: (u, c) for r, u, c in await asyncio.gather(*(details(r) for r in runs))}
        return convert.attach_runs(list(turns), found)

    async def first_turn(self, item_id: str) -> Turn | None:
        """The oldest entry of the history."""
        with self._errors(item_id):
            page = await self._threads.messages.list(item_id, order="asc", limit=1)
        return convert.thread_message(page.data[0]) if page.data else None

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
        with self._errors(item_id):
            message = await self._threads.messages.create(item_id, role="user", content=text)
        yield TurnCompleted("", convert.thread_message(message))
        with self._errors(item_id):
            raw = await self._threads.runs.with_raw_response.create(
                item_id, assistant_id=choice, stream=True
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
            raw = await self._threads.runs.with_raw_response.submit_tool_outputs(
                run_id, thread_id=item_id, tool_outputs=payload, stream=True
            )
        async for event in self._stream_or_poll(item_id, raw):
            yield event

    async def _stream_or_poll(self, item_id: str, raw: Any) -> AsyncIterator[StreamEvent]:
        """Follow the run's event stream, or poll the run when the server sent plain JSON."""
        if "event-stream" in raw.headers.get("content-type", ""):
            with self._errors(item_id):
                stream = await parsed(raw)
            async for event in self._follow(item_id, stream):
                yield event
            return
        with self._errors(item_id):
            run = Run.model_validate_json(await raw.http_response.aread())
        async for event in self._poll_run(item_id, run, raw.headers):
            yield event

    async def _poll_run(self, item_id: str, run: Any, headers: Any) -> AsyncIterator[StreamEvent]:
        """Poll ``runs.retrieve`` with backoff until the run settles; then its messages."""
        for event in _run_events(run):
            yield event
        last = run.status

        async def fetch() -> Any:
            with self._errors(item_id):
                return await self._threads.runs.with_raw_response.retrieve(
                    run.id, thread_id=item_id
                )

        if not convert.run_status(run.status).is_settled:
            async for current in poll(fetch, _settled, self.backoff, headers):
                if current.status != last:
                    last = current.status
                    for event in _run_events(current):
                        yield event
        with self._errors(item_id):
            page = await self._threads.messages.list(item_id, run_id=run.id, order="asc")
        for message in page.data:
            yield TurnCompleted(run.id, convert.thread_message(message))

    async def _follow(self, item_id: str, stream: Any) -> AsyncIterator[StreamEvent]:
        run_id = ""
        last: StatusChanged | None = None
        with translate(self.connection, self.kind, item_id, midstream=True):
            async for raw in stream:
                if raw.event == "thread.run.created":
                    run_id = raw.data.id
                for event in _event(raw, run_id):
                    if isinstance(event, StatusChanged):
                        last = event
                    yield event
        if run_id and (last is None or not last.status.is_settled):
            with self._errors(item_id):
                run = await self._threads.runs.retrieve(run_id, thread_id=item_id)
            for event in _run_events(run):
                yield event

    async def cancel(self, item_id: str, run_id: str) -> RunStatus:
        """Ask the server to cancel the run."""
        with self._errors(item_id):
            run = await self._threads.runs.cancel(run_id, thread_id=item_id)
        return convert.run_status(run.status)

    async def list_choices(self) -> list[Choice]:
        """Every assistant of the key (up to 1,000)."""
        choices: list[Choice] = []
        with self._errors():
            async for asst in self.client.beta.assistants.list(limit=100):
                choices.append(Choice(asst.id, asst.name or asst.id, asst.model, asst.description))
                if len(choices) >= MAX_CHOICES:
                    break
        return choices

    async def create_choice(self, name: str, model: str, instructions: str) -> Choice:
        """Create an assistant."""
        with self._errors():
            asst = await self.client.beta.assistants.create(
                name=name, model=model, instructions=instructions or None
            )
        return Choice(asst.id, asst.name or asst.id, asst.model, asst.description)

    async def active_run(self, item_id: str) -> str | None:
        """The newest run of the thread that has not ended."""
        with self._errors(item_id):
            page = await self._threads.runs.list(item_id, limit=5)
        active = [r for r in page.data if not convert.run_status(r.status).is_terminal]
        return active[0].id if active else None
