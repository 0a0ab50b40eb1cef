"""Inline chat: the message pane, the run status line and the composer, and what they do.

Send from the composer, follow the run live, answer tool calls, cancel. The screen says
which item is open (:attr:`ChatPanel.opened`); after a run the panel posts
:class:`ChatPanel.Changed` so the screen moves the item up its list.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.worker import Worker

from tui.api.errors import ApiError, Conflict, ServerError
from tui.api.protocol import ConversationApi
from tui.app.failures import NOTICE_SECONDS, advice, describe, guarded, record, report
from tui.app.sent_check import Before, kept_turn, may_have_arrived
from tui.app.services import Services
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.run_status import RunStatusLine
from tui.model import (
    Continued,
    ItemState,
    Kind,
    Part,
    RunStatus,
    StatusChanged,
    StreamEvent,
    TextDelta,
    ToolCallsRequested,
    Tracked,
    Turn,
    TurnCompleted,
    UsageReported,
)
from tui.ops import chat
from tui.ops.items import set_choice, set_tools, unbroken

if TYPE_CHECKING:
    from tui.app.widgets.composer import Composer
    from tui.app.widgets.live_reply import LiveReply

# The Assistants API takes at most 256,000 characters in one message; the same limit keeps
# a runaway paste from being sent to a conversation by accident.
MAX_MESSAGE_CHARS = 256_000


@dataclass
class ActiveRun:
    """A send in progress on one item."""

    item: Tracked
    api: ConversationApi
    background: bool
    text: str
    run_id: str | None = None
    worker: Worker[None] | None = None
    live: LiveReply | None = None
    shown: set[str] = field(default_factory=set)
    interrupted: bool = False  # the reply's stream broke off: what arrived stays on screen
    before: Before = field(default_factory=Before)  # the history known when the send began
    requested: bool = False  # the message was sent (it may have reached the server)
    found: bool = False  # the server was found to hold the message after a failure
    ended: bool = False  # the run reached a final status (completed, failed, cancelled…)
    continued: Tracked | None = None  # the new stored completion the reply went into


class ChatPanel(Vertical):
    """The opened item's history, its run's status, and the composer."""

    class Changed(Message):
        """A run changed the item (its archive, its place in the list).

        ``previous`` is the item it continues, when the reply went into a new one.
        """

        def __init__(self, item: Tracked, previous: Tracked | None = None) -> None:
            super().__init__()
            self.item = item
            self.previous = previous

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services: Services | None = None  # set once the registry is open
        self.opened: Tracked | None = None  # the item the keys and the composer act on
        self._runs: dict[int, ActiveRun] = {}
        self._conflicts: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        """The message pane and the run status line; the composer is mounted by the first c."""
        yield MessagePane(id="messages")
        yield RunStatusLine(id="run-status")

    @property
    def composer(self) -> Composer | None:
        """The composer, once the first c mounted it (a text area the first frame lacks)."""
        found = self.query("#composer")
        return cast("Composer", found.first()) if found else None

    async def _mounted_composer(self) -> Composer:
        from tui.app.widgets.composer import Composer

        composer = self.composer
        if composer is None:
            composer = Composer(id="composer")
            await self.mount(composer)
        return composer

    @property
    def svc(self) -> Services:
        """The services (open once the screen mounted)."""
        assert self.services is not None, "the registry is not open yet"
        return self.services

    @property
    def running(self) -> bool:
        """Whether a reply is running on any item."""
        return bool(self._runs)

    # actions

    async def start_chat(self) -> None:
        """Open the composer under the pane of the opened item."""
        if self.opened is None:
            self.notify("Open a thread or conversation first (enter on the list).")
            return
        if self.opened.state is ItemState.DELETED:
            self.notify(
                "This item was deleted on its server: its archive is read-only here, and "
                "nothing can be written to it. Export it (e), or start a new item (n).",
                severity="warning",
                markup=False,
            )
            return
        composer = await self._mounted_composer()
        composer.display = True
        composer.focus()

    def on_composer_left(self, event: Composer.Left) -> None:
        """Escape: hide an empty composer, give the focus to the pane."""
        composer = self.composer
        if composer is not None and not composer.text.strip():
            composer.display = False
        self.query_one(MessagePane).focus()

    def on_composer_send(self, event: Composer.Send) -> None:
        """Send the composer's text to the opened item."""
        item = self.opened
        if item is None:
            return
        refusal = self._refusal(item, event.text)
        if refusal:
            self.notify(refusal, severity="warning", markup=False)
            return
        self.send(item, event.text, event.background)

    def _refusal(self, item: Tracked, text: str) -> str | None:
        """Why this text cannot be sent now, if it cannot."""
        if item.pk in self._runs:
            return "A reply is still running on this item: wait for it, or press x to cancel it."
        if len(text) > MAX_MESSAGE_CHARS:
            return (
                f"The message is {len(text):,} characters; one message can hold at most "
                f"{MAX_MESSAGE_CHARS:,}. Shorten it or send it in parts (nothing was sent)."
            )
        if item.state is ItemState.DELETED:
            return "This item was deleted; its archive is read-only."
        return None

    async def cancel_run(self) -> None:
        """Cancel the opened item's run (or the active run a conflict named)."""
        item = self.opened
        if item is None:
            return
        run = self._runs.get(item.pk)
        run_id = run.run_id if run else self._conflicts.get(item.pk)
        api = run.api if run else self.svc.api_for(item)[0]
        if run is not None and item.kind.responds and not run.background:
            if run.worker is not None:
                run.worker.cancel()  # a streamed response stops when we stop reading it
            return
        if api is None or not run_id:
            self.notify("No run to cancel here.", markup=False)
            return
        self.query_one(RunStatusLine).set_status(RunStatus.CANCELLING)
        try:
            await chat.cancel(api, item, run_id)
        except Exception as exc:
            report(self, "cancelling the run", exc, "Press x to try again.")
            return
        self._conflicts.pop(item.pk, None)
        if run is None:
            self.notify(f"Asked the server to cancel {run_id}.", markup=False)

    def edit_tools(self) -> None:
        """Edit the function tools offered with the opened conversation's messages."""
        item = self.opened
        if item is None:
            return
        if item.kind is Kind.THREAD:
            self.notify(
                "A thread's tools are its assistant's: press a to choose or create another "
                "assistant.",
                markup=False,
            )
            return
        self._edit_tools(item)

    @work(exclusive=True, group="tools", exit_on_error=False, description="editing tools")
    @guarded("saving the tools", "The tools are unchanged; try again.")
    async def _edit_tools(self, item: Tracked) -> None:
        from tui.app.screens.tools import ToolsDialog  # dialogs load on first use

        tools = await self.app.push_screen_wait(ToolsDialog(item.id, item.tools))
        if tools is None:
            return
        updated = await unbroken(set_tools(self.svc.registry, item, tools))
        if self.opened is not None and self.opened.pk == item.pk:
            self.opened = updated
        names = ", ".join(t["name"] for t in tools) or "no tools"
        self.notify(f"Replies on {item.id} may call: {names}.", markup=False)

    def choose(self) -> None:
        """Choose the assistant or model replies on the opened item come from."""
        if self.opened is not None:
            self._choose(self.opened)

    @work(exclusive=True, group="choose", exit_on_error=False, description="choosing")
    @guarded("choosing what replies", "Nothing was changed; press a to try again.")
    async def _choose(self, item: Tracked) -> None:
        api, why = self.svc.api_for(item)
        if api is None:
            self.notify(why, severity="warning", markup=False)
            return
        choice = await self._pick(item, api)
        if choice is not None:
            self.notify(f"Replies on {item.id} come from {choice}.", markup=False)

    async def _pick(self, item: Tracked, api: ConversationApi) -> str | None:
        """Ask for a choice (creating an assistant on request) and remember it."""
        from tui.app.screens.choice import ChoiceDialog
        from tui.app.screens.new_assistant import NewAssistantDialog

        dialog = ChoiceDialog(item.kind, api.list_choices, item.choice)
        choice = await self.app.push_screen_wait(dialog)
        if choice == "+new":
            new = await self.app.push_screen_wait(NewAssistantDialog())
            if new is None:
                return None
            try:
                made = await chat.create_assistant(api, new.name, new.model, new.instructions)
                choice = made.id
            except ApiError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return None
        if not choice:
            return None
        updated = await unbroken(set_choice(self.svc.registry, item, choice))
        if self.opened is not None and self.opened.pk == item.pk:
            self.opened = updated
        return choice

    # the send

    def send(self, item: Tracked, text: str, background: bool = False) -> None:
        """Send ``text`` to ``item`` and follow the reply."""
        api, why = self.svc.api_for(item)
        if api is None:
            self.notify(why, severity="error", markup=False)
            return
        run = ActiveRun(item, api, background and item.kind.responds, text)
        pane = self.query_one(MessagePane)
        if pane.item is not None and pane.item.pk == item.pk:
            run.before = Before.of(pane.turns)
        self._runs[item.pk] = run
        run.worker = self._converse(run, text)

    @work(group="chat", exit_on_error=False, description="send a message")
    async def _converse(self, run: ActiveRun, text: str) -> None:
        try:
            await self._send_and_follow(run, text)
        except Exception as exc:  # a failure while saying how the send failed
            self._runs.pop(run.item.pk, None)
            message = report(self, "sending a message", exc, "Press r to see what the server has.")
            self.query_one(RunStatusLine).fail(message)

    async def _send_and_follow(self, run: ActiveRun, text: str) -> None:
        """Send, follow the reply, and end with the outcome on the status line."""
        status = self.query_one(RunStatusLine)
        try:
            # a local item (an Agents session) answers through its own program: its adapter
            # says so on send, without asking for a model first
            local = run.item.kind.local
            choice = run.item.choice or ("" if local else await self._pick(run.item, run.api))
            if choice is None or (not choice and not local):
                return
            status.begin("sending")
            events = chat.send(run.api, run.item, text, choice=choice, background=run.background)
            run.requested = True
            await self._follow(run, events, text, choice)
            if not run.ended:
                raise ServerError(
                    f"{run.api.connection.base_url} ended the reply without saying it "
                    "finished. Press r to load what the server kept."
                )
        except asyncio.CancelledError:
            if run.live is not None:
                await run.live.stop("Stopped: you cancelled it. The server may finish it anyway.")
                run.live = None
            status.set_status(RunStatus.CANCELLED, "stopped reading the reply")
            self._runs.pop(run.item.pk, None)
            raise
        except Conflict as exc:
            await self._explain_conflict(run, exc)
        except Exception as exc:
            await self._failed(run, exc)
        finally:
            self._runs.pop(run.item.pk, None)
        if run.live is not None:  # the run ended without completing the message
            await run.live.stop(f"Ended {status.status or 'early'}: this part arrived.")
            run.live = None
        try:
            await self._after_run(run)
        except Exception as exc:
            report(self, "saving the reply", exc, "The server has it: press r to load it.")

    async def _failed(self, run: ActiveRun, exc: Exception) -> None:
        """A send failed: check what the server kept, stop the spinner, say what to do."""
        record("sending a message", exc)
        status = self.query_one(RunStatusLine)
        unchecked = ""
        if not run.shown and run.requested and may_have_arrived(exc):
            status.fail(f"{describe(exc)} Checking whether the server kept the message…")
            unchecked = await self._check_kept(run)
        title, message = _how_far(run, exc, unchecked)
        status.fail(message)
        if run.live is not None:
            await run.live.stop(
                "Interrupted: the part above is what arrived. Press r to load what the server kept."
            )
            run.live = None
            run.interrupted = True
        self.notify(message, title=title, severity="error", timeout=NOTICE_SECONDS, markup=False)

    async def _check_kept(self, run: ActiveRun) -> str:
        """Whether the server kept the message: shown as sent when it did.

        Returns why it could not be checked, or an empty string once it was.
        """
        try:
            page = await chat.newest_page(run.api, run.item)
        except Exception as exc:
            record("checking a failed send", exc)
            return describe(exc)
        turn = kept_turn(page.turns, run.text, run.before)
        if turn is not None:
            run.found = True
            await self._sent(run, turn)
        return ""

    async def _follow(
        self, run: ActiveRun, events: AsyncIterator[StreamEvent], text: str, choice: str
    ) -> None:
        pane = self.query_one(MessagePane)
        status = self.query_one(RunStatusLine)
        while True:
            requested: ToolCallsRequested | None = None
            async for event in events:
                if isinstance(event, TurnCompleted) and not event.run_id:
                    await self._sent(run, event.turn)
                elif isinstance(event, StatusChanged):
                    if event.run_id and event.run_id != run.run_id:
                        await self._responded(run, event.run_id)
                    run.run_id = event.run_id or run.run_id
                    if not run.shown and run.item.kind.responds:
                        await self._sent(run, _local_turn(text))
                    status.set_status(event.status, event.detail, event.run_id)
                    run.ended = event.status.is_terminal
                elif isinstance(event, TextDelta):
                    if run.live is None:
                        run.live = await pane.start_live()
                    status.token()
                    await run.live.write(event.text)
                elif isinstance(event, TurnCompleted):
                    await self._completed(run, event.turn)
                elif isinstance(event, UsageReported):
                    status.set_usage(event.usage)
                elif isinstance(event, Continued):
                    run.continued = await chat.continued(self.svc.registry, run.item, event)
                elif isinstance(event, ToolCallsRequested):
                    requested = event
            if requested is None:
                return
            from tui.app.screens.tool_outputs import ToolOutputsDialog

            outputs = await self.app.push_screen_wait(ToolOutputsDialog(requested.calls))
            if outputs is None:
                if run.item.kind is Kind.THREAD:
                    status.set_status(RunStatus.CANCELLING)
                    await chat.cancel(run.api, run.item, requested.run_id)
                    status.set_status(RunStatus.CANCELLED)
                else:
                    status.set_status(RunStatus.CANCELLED, "tool outputs not given")
                run.ended = True
                return
            status.begin("sending tool outputs")
            events = chat.answer_tools(run.api, run.item, requested.run_id, outputs, choice=choice)

    async def _responded(self, run: ActiveRun, response_id: str) -> None:
        """Note the response the reply is (a conversation's); a failure is only logged.

        The reply goes on whatever becomes of the note: the server has the response.
        """
        try:
            await chat.responded(self.svc.registry, run.item, response_id)
        except Exception as exc:
            record("noting the reply's response", exc)

    async def _sent(self, run: ActiveRun, turn: Turn) -> None:
        """The server accepted the message: clear the composer, show the message."""
        composer = self.composer
        if composer is not None and composer.text == run.text:
            composer.clear()
        run.shown.add(turn.id)
        await self.query_one(MessagePane).add_turn(turn)

    async def _completed(self, run: ActiveRun, turn: Turn) -> None:
        """A message or tool call of the reply is complete: it replaces the live text."""
        pane = self.query_one(MessagePane)
        if turn.id in run.shown:
            return
        run.shown.add(turn.id)
        if run.live is not None and turn.role == "assistant" and turn.text:
            await run.live.finish(turn)  # its text is on screen already: no second render
            run.live = None
            pane.turns = [*pane.turns, turn]
            return
        await pane.add_turn(turn)

    async def _explain_conflict(self, run: ActiveRun, exc: Conflict) -> None:
        status = self.query_one(RunStatusLine)
        try:
            active = await chat.active_run(run.api, run.item)
        except Exception as exc:  # the refusal is explained without the run's ID
            record("finding the active run", exc)
            active = None
        if active:
            self._conflicts[run.item.pk] = active
        what = f" ({active})" if active else ""
        message = (
            f"Another run{what} is still active on this thread, so the server refused the "
            "message (kept in the composer). Wait for it to finish, or press x to cancel it."
        )
        status.fail(message)
        self.notify(message, title="Run already active", severity="warning", markup=False)

    async def _after_run(self, run: ActiveRun) -> None:
        """Archive what the server now holds; move the item up the list; redraw the pane.

        After an interrupted reply the pane is left as it is: the part that arrived and
        the note saying so stay on screen until the user loads the rest (r).
        """
        from tui.ops.history import archive_after_run  # loaded by the first open already

        if not run.shown:
            return
        target = run.continued or run.item
        done = await unbroken(
            archive_after_run(self.svc.registry, run.api, target, self.svc.clock())
        )
        if done is None:
            return
        item = done.item
        if run.continued is not None:  # the screen opens it in place of the one it continues
            self.post_message(self.Changed(item, run.item))
            return
        self.post_message(self.Changed(item))
        if self.opened is not None and self.opened.pk == item.pk:
            self.opened = item
            if not run.interrupted:
                await self.query_one(MessagePane).settle(item, done.turns)


def _how_far(run: ActiveRun, exc: Exception, unchecked: str = "") -> tuple[str, str]:
    """A title and a message saying how far a failed send got, and what to do next.

    ``unchecked`` says why it could not be checked whether the server kept a message
    the app did not see arrive.
    """
    reason = describe(exc)
    whole = run.item.kind.value
    if unchecked:
        return "Send unconfirmed", (
            f"{reason} Whether the server kept the message could not be checked "
            f"({unchecked}). It is still in the composer: press r to load the history and "
            "send it again only if it is not there, or it will be added twice."
        )
    if not run.shown:
        checked = ""
        if run.requested and may_have_arrived(exc):
            checked = " The server does not have it (checked after the failure)."
        return "Not sent", advice(exc, f"{reason}{checked} The message is still in the composer.")
    if run.run_id is None and run.live is None:
        found, meanwhile = "", ""
        if run.found:
            found = " (the server has it: sending it again would add it twice)"
            meanwhile = " Press r to see whether a reply came meanwhile."
        return "No reply started", advice(
            exc,
            f"The message was added{found}, but its reply did not start: {reason} Send "
            f"another message for a reply (it answers the whole {whole}).{meanwhile}",
        )
    return "The reply stopped", advice(exc, reason)


def _local_turn(text: str) -> Turn:
    """The user's message as sent (a conversation's input item is not streamed back)."""
    return Turn("local-input", "user", parts=(Part("text", text),))
