"""The ``?`` screen: every key."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("/", "filter: words, or key=value for metadata"),
    ("j / k, ↑ / ↓", "move in the list"),
    ("enter", "open the highlighted item"),
    ("tab", "switch between the list and the messages"),
    ("n", "new thread or conversation"),
    ("i", "import IDs from pasted text"),
    ("I", "discover: track what the server lists (stored completions and more)"),
    ("r", "refresh the item from the server"),
    ("c", "write a message (ctrl+s sends, enter is a new line, escape leaves)"),
    ("", "a stored completion goes on in a new one, with its whole history"),
    ("ctrl+b", "in the composer: send as a background response (conversations)"),
    ("x", "cancel the running reply"),
    ("a", "choose the assistant or model replies come from"),
    ("o", "function tools offered with a conversation's messages"),
    ("y / Y", "copy the ID / the whole history as Markdown"),
    ("e", "export the item to a file"),
    ("t", "rename (local title, or metadata.title)"),
    ("m", "edit metadata"),
    ("space", "mark or unmark the highlighted item (and move down)"),
    ("*", "mark every item the filter matches"),
    ("u", "unmark everything"),
    ("d", "delete the marked items (or the highlighted one), after asking"),
    ("A", "show or hide deleted items (read-only, from the archive)"),
    ("M", "migrate the highlighted thread into a new conversation"),
    ("ctrl+p", "command palette"),
    ("?", "this help"),
    ("q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    """Lists the keys."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-height: 80%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        """The key table."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        with VerticalScroll():
            yield Static("[b]Thread Browser[/b] — keys\n")
            yield Static(table)
            yield Static("\n[dim]escape closes this help[/dim]")

    def action_dismiss(self) -> None:  # type: ignore[override]  # Escape's action: no result
        """Close."""
        self.dismiss(None)
