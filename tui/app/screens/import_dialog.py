"""``i``: paste any text; every ID in it is checked and tracked, with a result per ID."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RichLog, TextArea

from tui.app.failures import advice, describe, record
from tui.ops.importing import ImportResult, Outcome

Importer = Callable[[str], Awaitable[list[ImportResult]]]
STYLES = {
    Outcome.ADDED: "green",
    Outcome.ALREADY: "cyan",
    Outcome.NOT_FOUND: "yellow",
    Outcome.WRONG_KIND: "yellow",
    Outcome.MALFORMED: "yellow",
    Outcome.ERROR: "red",
}
MAX_PASTE = 20_000_000


class ImportDialog(ModalScreen[int]):
    """Returns how many items were added."""

    DEFAULT_CSS = """
    ImportDialog { align: center middle; }
    ImportDialog > Vertical { width: 100; height: 90%; border: thick $primary;
        background: $surface; padding: 1 2; }
    ImportDialog TextArea { height: 1fr; }
    ImportDialog RichLog { height: 1fr; border: round $primary 50%; }
    ImportDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "close", "Close"), Binding("ctrl+s", "run", "Import")]

    def __init__(self, importer: Importer) -> None:
        super().__init__()
        self.importer = importer
        self.added = 0

    def compose(self) -> ComposeResult:
        """Paste area, results, buttons."""
        with Vertical():
            yield Label(
                "Import: paste logs, JSON, CSV or a traceback; every ID is checked.",
                classes="title",
            )
            yield TextArea(id="paste")
            yield RichLog(id="results", wrap=True, markup=False)
            with Horizontal():
                yield Button("Close", id="close")
                yield Button("Import (ctrl+s)", variant="primary", id="run")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Import or close."""
        if event.button.id == "run":
            self.action_run()
        else:
            self.action_close()

    def action_run(self) -> None:
        """Import what was pasted."""
        text = self.query_one("#paste", TextArea).text
        log = self.query_one("#results", RichLog)
        if len(text) > MAX_PASTE:
            log.write(
                Text(
                    f"The paste has {len(text):,} characters; import a file of that "
                    "size with `thread-browser import FILE`.",
                    style="red",
                )
            )
            return
        log.write(Text("checking…", style="dim"))
        self._import(text)

    # The description names no argument: the paste may hold a key (Textual logs workers).
    @work(exclusive=True, group="import", exit_on_error=False, description="import pasted text")
    async def _import(self, text: str) -> None:
        log = self.query_one("#results", RichLog)
        try:
            results = await self.importer(text)
        except Exception as exc:  # every failure becomes a line, never a crash
            record("importing", exc)
            todo = "Press ctrl+s to try again (an ID tracked already is not added twice)."
            log.write(Text(f"{describe(exc)} {advice(exc, todo)}", style="red"))
            return
        if not results:
            log.write(Text("No thread_… or conv_… IDs in that text.", style="yellow"))
        for result in results:
            line = Text(f"{result.outcome.value:<15} ", style=STYLES[result.outcome])
            line.append(result.id)
            detail = result.title if result.ok else result.message
            if detail:
                line.append("  " + detail, style="dim" if result.ok else "")
            log.write(line)
        added = sum(r.outcome is Outcome.ADDED for r in results)
        self.added += added
        log.write(Text(f"{len(results)} IDs, {added} added.", style="bold"))

    def action_close(self) -> None:
        """Close, reporting how many were added."""
        self.dismiss(self.added)
