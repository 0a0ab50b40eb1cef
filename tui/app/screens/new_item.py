"""``n``: a new thread or conversation, with a title, metadata and a first message."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static, TextArea

from tui.metadata import parse
from tui.model import Kind


@dataclass(frozen=True)
class NewItem:
    """What to create."""

    kind: Kind
    metadata: dict[str, str]
    first_message: str | None


class NewItemDialog(ModalScreen[NewItem | None]):
    """Asks for the kind, title, metadata and an optional first message."""

    DEFAULT_CSS = """
    NewItemDialog { align: center middle; }
    NewItemDialog > Vertical { width: 80; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 1 2; }
    NewItemDialog TextArea { height: 5; }
    NewItemDialog RadioSet { layout: horizontal; height: auto; }
    NewItemDialog #problems { color: $error; height: auto; }
    NewItemDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "create", "Create")]

    def __init__(self, default_kind: Kind = Kind.CONVERSATION) -> None:
        super().__init__()
        self.default_kind = default_kind

    def compose(self) -> ComposeResult:
        """Kind, title, metadata, first message, buttons."""
        with Vertical():
            yield Label("New", classes="title")
            with RadioSet(id="kind"):
                yield RadioButton(
                    "conversation (Responses)",
                    id="conversation",
                    value=self.default_kind is Kind.CONVERSATION,
                )
                yield RadioButton(
                    "thread (Assistants v2)", id="thread", value=self.default_kind is Kind.THREAD
                )
            yield Label("Title (stored as metadata.title)")
            yield Input(id="title")
            yield Label("More metadata: key = value per line")
            yield TextArea(id="metadata")
            yield Label("First message (optional)")
            yield TextArea(id="first")
            yield Static("", id="problems", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Create (ctrl+s)", variant="primary", id="create")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Create or cancel."""
        if event.button.id == "create":
            self.action_create()
        else:
            self.dismiss(None)

    def action_create(self) -> None:
        """Check the metadata limits, then hand back what to create."""
        data, problems = parse(self.query_one("#metadata", TextArea).text)
        title = self.query_one("#title", Input).value.strip()
        if title:
            data = {"title": title, **data}
        from tui.metadata import check

        problems = problems or check(data)
        if problems:
            self.query_one("#problems", Static).update("\n".join(problems))
            return
        pressed = self.query_one("#kind", RadioSet).pressed_button
        kind = Kind.THREAD if pressed is not None and pressed.id == "thread" else Kind.CONVERSATION
        first = self.query_one("#first", TextArea).text.strip() or None
        self.dismiss(NewItem(kind, data, first))

    def action_cancel(self) -> None:
        """Escape cancels."""
        self.dismiss(None)
