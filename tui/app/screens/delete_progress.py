"""A deletion running: progress, rate, ETA, failures; then its summary."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static

from tui.app.failures import report
from tui.model import ObjectState, Tracked
from tui.ops.deleting import Progress, Result
from tui.ops.pacing import Pacer
from tui.text import clean

SHOWN_FAILURES = 8


def summary_lines(progress: Progress) -> list[str]:
    """What became of every item, with the reasons of failures."""
    out = [
        f"Deleted: {progress.count(Result.DELETED):,}",
        f"Already gone (404, counted as deleted): {progress.count(Result.GONE):,}",
        f"Still on the server after the delete: {progress.count(Result.STILL_THERE):,}",
        f"Failed: {progress.count(Result.FAILED):,}",
        f"Skipped (no credentials here): {progress.count(Result.SKIPPED):,}",
    ]
    if progress.objects():
        out.append(
            f"Server objects: {progress.requested:,} requested · "
            f"{progress.objects(ObjectState.VERIFIED):,} verified gone · "
            f"{progress.objects(ObjectState.STILL_THERE):,} still there · "
            f"{progress.objects(ObjectState.KEPT):,} kept (in use)"
        )
    if progress.count(Result.STOPPED):
        out.append(f"Not sent (stopped): {progress.count(Result.STOPPED):,}, left as they were")
    troubles = (Result.FAILED, Result.STILL_THERE, Result.SKIPPED)
    problems = [o for o in progress.outcomes if o.result in troubles]
    for outcome in problems[:SHOWN_FAILURES]:
        out.append(f"  {outcome.item.id}: {clean(outcome.reason)}")
    if len(problems) > SHOWN_FAILURES:
        out.append(f"  … and {len(problems) - SHOWN_FAILURES:,} more (see the journal)")
    return out


class Engine(Protocol):
    """What runs a deletion: :class:`~tui.ops.deleting.BulkDelete`, or an erase around one."""

    @property
    def pacer(self) -> Pacer:
        """The pacer of its requests (429 waits)."""
        ...

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        ...

    def stop(self) -> None:
        """Send no new request."""

    async def run(
        self,
        items: Sequence[Tracked],
        *,
        confirmed: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> Progress:
        """Delete ``items``."""
        ...


class DeleteProgress(ModalScreen[Progress]):
    """Runs a deletion (an :class:`Engine`); ``escape`` stops it (requests in flight finish).

    ``title`` names what runs; ``after`` gives lines shown under the summary once it ends
    (what an erase erased and kept).
    """

    DEFAULT_CSS = """
    DeleteProgress { align: center middle; }
    DeleteProgress > Vertical { width: 84; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2; }
    DeleteProgress .title { text-style: bold; margin-bottom: 1; }
    DeleteProgress ProgressBar { margin-bottom: 1; }
    DeleteProgress .hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "stop_or_close", "Stop"),
        Binding("enter", "close", "Close", show=False),
    ]

    def __init__(
        self,
        engine: Engine,
        items: Sequence[Tracked],
        *,
        resumed: bool = False,
        title: str = "Deleting",
        after: Callable[[], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.title_text = title
        self.after = after
        self.items = list(items)
        self.resumed = resumed
        self.progress = Progress(len(self.items))
        self.finished = False
        self.failure = ""  # why the deletion stopped early, when it failed as a whole

    def compose(self) -> ComposeResult:
        """Title, bar, figures, hint."""
        with Vertical():
            yield Label(f"{self.title_text} {len(self.items):,} items", classes="title", id="title")
            yield ProgressBar(total=max(1, len(self.items)), show_eta=False, id="bar")
            yield Static("Starting…", id="figures", markup=False)
            yield Static("escape stops sending; requests in flight finish", classes="hint")

    def on_mount(self) -> None:
        """Start the deletion and redraw its figures ten times a second."""
        self.set_interval(0.1, self._show)
        self.run_worker(
            self._run(),
            group="delete",
            exit_on_error=False,
            description="deleting the confirmed set",
        )

    async def _run(self) -> None:
        def seen(progress: Progress) -> None:
            self.progress = progress

        try:
            self.progress = await self.engine.run(
                self.items, confirmed=self.resumed, on_progress=seen
            )
        except Exception as exc:
            self.failure = report(
                self,
                "deleting",
                exc,
                "Items not deleted stay as they were (an interrupted one is offered again "
                "on the next start); press d to try again.",
            )
        finally:
            self.finished = True
            self._show()

    def _show(self) -> None:
        progress = self.progress
        self.query_one("#bar", ProgressBar).update(progress=progress.done)
        if self.finished:
            title = "Deletion stopped" if self.failure else "Deletion finished"
            self.query_one("#title", Label).update(title)
            lines = ([self.failure] if self.failure else []) + summary_lines(progress)
            if self.after is not None and not self.failure:
                lines += self.after()
            self.query_one("#figures", Static).update("\n".join(lines))
            self.query_one(".hint", Static).update("enter or escape closes")
            return
        now = time.monotonic()
        eta = progress.eta(now)
        lines = [
            f"{progress.done:,} of {progress.total:,} · {progress.rate(now):.1f}/s"
            + (f" · about {eta:.0f} s left" if eta is not None else ""),
            f"deleted {progress.count(Result.DELETED, Result.GONE):,} · "
            f"still there {progress.count(Result.STILL_THERE):,} · "
            f"failed {progress.count(Result.FAILED):,} · "
            f"skipped {progress.count(Result.SKIPPED):,}",
        ]
        waiting = self.engine.pacer.waiting()
        if waiting >= 0.5:
            lines.append(f"The server asked to wait (429): {waiting:.0f} s…")
        if progress.stopping or self.engine.stopped:
            lines.append("Stopping: no new requests; those in flight finish.")
        lines += [f"  {o.item.id}: {clean(o.reason)}" for o in progress.failures[-3:]]
        self.query_one("#figures", Static).update("\n".join(lines))

    def action_stop_or_close(self) -> None:
        """Stop while running; close once finished."""
        if self.finished:
            self.dismiss(self.progress)
        else:
            self.engine.stop()
            self._show()

    def action_close(self) -> None:
        """Close once finished."""
        if self.finished:
            self.dismiss(self.progress)
