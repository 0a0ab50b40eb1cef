"""``I``: discover: track what the server lists, with a line per list as it ends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static

from tui.app.failures import advice, describe, record
from tui.model import Kind
from tui.ops.discovering import Heard, Listing, Outcome

Discoverer = Callable[[Heard], Awaitable[list[Listing]]]
STYLES = {
    Outcome.LISTED: "green",
    Outcome.STOPPED: "yellow",
    Outcome.REFUSED: "red",
    Outcome.NOT_OFFERED: "dim",
}


class DiscoverDialog(ModalScreen[int]):
    """Walks the server's lists at once; returns how many items were added."""

    DEFAULT_CSS = """
    DiscoverDialog { align: center middle; }
    DiscoverDialog > Vertical { width: 100; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2; }
    DiscoverDialog Label { width: 1fr; }
    DiscoverDialog ProgressBar { margin: 1 0; }
    DiscoverDialog #results { height: auto; border: round $primary 50%; padding: 0 1; }
    DiscoverDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, discoverer: Discoverer) -> None:
        super().__init__()
        self.discoverer = discoverer
        self.added = 0

    def compose(self) -> ComposeResult:
        """Title, progress, one line per list, a button."""
        with Vertical():
            yield Label(
                "Discover: track what the server lists (stored completions; threads, "
                "conversations and responses where it lists them). Escape stops; the next "
                "run resumes.",
                classes="title",
            )
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="bar")
            yield Label("asking the server…", id="status")
            yield Static(id="results", markup=False)
            with Horizontal():
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        """Start at once: there is nothing to ask first."""
        self._discover()

    def heard(self, kind: Kind, listed: int) -> None:
        """Show how far the list being walked has come."""
        self.query_one("#status", Label).update(f"listing {kind.noun}s: {listed:,}")

    @work(exclusive=True, group="discover", exit_on_error=False, description="discover")
    async def _discover(self) -> None:
        log = self.query_one("#results", Static)
        status = self.query_one("#status", Label)
        try:
            results = await self.discoverer(self.heard)
        except Exception as exc:  # every failure becomes a line, never a crash
            record("discovering", exc)
            todo = "Press I to try again: what was kept stays, and the next run resumes."
            log.update(Text(f"{describe(exc)} {advice(exc, todo)}", style="red"))
            status.update("stopped")
            return
        finally:
            self.query_one("#bar", ProgressBar).update(total=1, progress=1)
        lines = [Text(r.line(), style=STYLES[r.outcome]) for r in results]
        log.update(Text("\n").join(lines))
        self.added = sum(r.added for r in results)
        status.update(f"done: {self.added:,} new items tracked")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close."""
        self.action_close()

    def action_close(self) -> None:
        """Stop (what was kept stays kept) and close, reporting how many were added."""
        self.workers.cancel_group(self, "discover")
        self.dismiss(self.added)
