"""Create an assistant: name, model, instructions."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


@dataclass(frozen=True)
class NewAssistant:
    """What the user filled in."""

    name: str
    model: str
    instructions: str


class NewAssistantDialog(ModalScreen[NewAssistant | None]):
    """Three boxes; enter in the last one (or OK) creates, escape cancels."""

    DEFAULT_CSS = """
    NewAssistantDialog { align: center middle; }
    NewAssistantDialog > Vertical { width: 76; height: auto; border: thick $primary;
        background: $surface; padding: 1 2; }
    NewAssistantDialog Label.title { text-style: bold; margin-bottom: 1; }
    NewAssistantDialog Label.problem { color: $error; }
    NewAssistantDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """The three boxes and the buttons."""
        with Vertical():
            yield Label("New assistant", classes="title")
            yield Input(placeholder="name", id="name")
            yield Input("gpt-4.1", placeholder="model", id="model")
            yield Input(placeholder="instructions (optional)", id="instructions")
            yield Label("", classes="problem", id="problem")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Create", variant="primary", id="ok")

    def on_input_submitted(self) -> None:
        """Enter moves on; in the last box it creates."""
        if self.focused is self.query_one("#instructions"):
            self._accept()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Create or cancel."""
        if event.button.id == "ok":
            self._accept()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Create nothing."""
        self.dismiss(None)

    def _accept(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        model = self.query_one("#model", Input).value.strip()
        if not name or not model:
            self.query_one("#problem", Label).update("A name and a model are needed.")
            return
        self.dismiss(NewAssistant(name, model, self.query_one("#instructions", Input).value))
