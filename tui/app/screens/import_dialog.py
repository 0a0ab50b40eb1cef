"""``i``: track the IDs of a paste, a traces file, a session file or a database.

Every ID is checked and tracked, with a result per ID. The road is chosen at the top:
pasted text (the default), an OTLP JSON traces file, an Agents SDK session file, or a
database (its URL and a query); the CLI's ``import`` takes the same roads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, RichLog, TextArea

from tui.app.failures import advice, describe, record
from tui.ops.importing import Outcome
from tui.ops.roads import Road, RoadResult

Importer = Callable[[Road, str, str], Awaitable[RoadResult]]  # road, source, query
ROADS = (
    (Road.TEXT, "Pasted text"),
    (Road.TRACES, "OTLP traces"),
    (Road.SESSIONS, "Agents session"),
    (Road.DATABASE, "Database"),
)
PLACEHOLDERS = {
    Road.TRACES: "path of an OTLP JSON file (JSON Lines or one document)",
    Road.SESSIONS: "path of an Agents SDK SQLiteSession file (read, never written)",
    Road.DATABASE: "a SQLite file, sqlite:///path or postgresql://user@host/db",
}
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
    ImportDialog > Vertical { width: 100; max-width: 100%; height: 90%; border: thick $primary;
        background: $surface; padding: 1 2; }
    ImportDialog RadioSet { layout: horizontal; height: auto; width: 100%; }
    ImportDialog RadioButton { width: auto; }
    ImportDialog TextArea { height: 1fr; }
    ImportDialog Input { margin-bottom: 1; }
    ImportDialog .hidden { display: none; }
    ImportDialog RichLog { height: 1fr; border: round $primary 50%; }
    ImportDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "close", "Close"), Binding("ctrl+s", "run", "Import")]

    def __init__(self, importer: Importer) -> None:
        super().__init__()
        self.importer = importer
        self.added = 0
        self.road = Road.TEXT

    def compose(self) -> ComposeResult:
        """The road, what it reads (a paste, a path, a URL and query), results, buttons."""
        with Vertical():
            yield Label(
                "Import: paste logs, JSON, CSV or a traceback, or read a file or database; "
                "every ID is checked.",
                classes="title",
            )
            with RadioSet(id="road"):
                for road, label in ROADS:
                    yield RadioButton(label, value=road is Road.TEXT, id=f"road-{road.value}")
            yield Input(id="source", classes="hidden")
            yield Input(
                id="query", placeholder="SELECT … (the first column with IDs)", classes="hidden"
            )
            yield TextArea(id="paste")
            yield RichLog(id="results", wrap=True, markup=False)
            with Horizontal():
                yield Button("Close", id="close")
                yield Button("Import (ctrl+s)", variant="primary", id="run")

    def on_mount(self) -> None:
        """The paste area takes the keys first."""
        self.query_one("#paste", TextArea).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """Show what the chosen road reads."""
        self.road = Road(str(event.pressed.id).removeprefix("road-"))
        text = self.road is Road.TEXT
        self.query_one("#paste").set_class(not text, "hidden")
        source = self.query_one("#source", Input)
        source.set_class(text, "hidden")
        source.placeholder = PLACEHOLDERS.get(self.road, "")
        self.query_one("#query").set_class(self.road is not Road.DATABASE, "hidden")
        (self.query_one("#paste") if text else source).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Import or close."""
        if event.button.id == "run":
            self.action_run()
        else:
            self.action_close()

    def action_run(self) -> None:
        """Import from the chosen road."""
        log = self.query_one("#results", RichLog)
        if self.road is Road.TEXT:
            source, query = self.query_one("#paste", TextArea).text, ""
        else:
            source = self.query_one("#source", Input).value.strip()
            query = self.query_one("#query", Input).value.strip()
        if len(source) > MAX_PASTE:
            log.write(
                Text(
                    f"The paste has {len(source):,} characters; import a file of that "
                    "size with `thread-browser import FILE`.",
                    style="red",
                )
            )
            return
        missing = _missing(self.road, source, query)
        if missing:
            log.write(Text(missing, style="yellow"))
            return
        log.write(Text("checking…", style="dim"))
        self._import(self.road, source, query)

    # The description names no argument: the paste may hold a key (Textual logs workers).
    @work(exclusive=True, group="import", exit_on_error=False, description="import")
    async def _import(self, road: Road, source: str, query: str) -> None:
        log = self.query_one("#results", RichLog)
        try:
            done = await self.importer(road, source, query)
        except Exception as exc:  # every failure becomes a line, never a crash
            record("importing", exc)
            todo = "Press ctrl+s to try again (an ID tracked already is not added twice)."
            log.write(Text(f"{describe(exc)} {advice(exc, todo)}", style="red"))
            return
        for note in done.notes:
            log.write(Text(note, style="yellow"))
        if not done.total:
            log.write(Text("No IDs the app opens were found.", style="yellow"))
        for result in done.shown:
            line = Text(f"{result.outcome.value:<15} ", style=STYLES[result.outcome])
            line.append(result.id)
            detail = result.title if result.ok else result.message
            if detail:
                line.append("  " + detail, style="dim" if result.ok else "")
            log.write(line)
        if done.total > len(done.shown):
            log.write(Text(f"… and {done.total - len(done.shown):,} more", style="dim"))
        self.added += done.added
        log.write(Text(f"{done.total:,} IDs, {done.added:,} added.", style="bold"))

    def action_close(self) -> None:
        """Close, reporting how many were added."""
        self.dismiss(self.added)


def _missing(road: Road, source: str, query: str) -> str:
    """What the road still needs before it can be read, if anything."""
    if road is Road.TEXT:
        return "" if source.strip() else "Paste some text first."
    if not source:
        return f"Give the {'URL' if road is Road.DATABASE else 'path'} to read first."
    if road is Road.DATABASE and not query:
        return "Give the query (a SELECT) whose rows hold the IDs."
    return ""
