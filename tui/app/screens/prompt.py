"""A small dialog: one line of text, and optionally one checkbox."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label


@dataclass(frozen=True)
class PromptResult:
    """What the user entered."""

    text: str
    flag: bool = False


class PromptDialog(ModalScreen[PromptResult | None]):
    """Asks for one value; enter accepts, escape cancels."""

    DEFAULT_CSS = """
    PromptDialog { align: center middle; }
    PromptDialog > Vertical { width: 76; height: auto; border: thick $primary;
        background: $surface; padding: 1 2; }
    PromptDialog Label.title { text-style: bold; margin-bottom: 1; }
    PromptDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, label: str, value: str = "", *, flag_label: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.label = label
        self.value = value
        self.flag_label = flag_label

    def compose(self) -> ComposeResult:
        """Title, label, input, optional checkbox, buttons."""
        with Vertical():
            yield Label(self.title_text, classes="title", markup=False)
            yield Label(self.label, markup=False)
            yield Input(self.value, id="value")
            if self.flag_label:
                yield Checkbox(self.flag_label, id="flag")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("OK", variant="primary", id="ok")

    def on_input_submitted(self) -> None:
        """Enter accepts."""
        self._accept()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """OK accepts, Cancel cancels."""
        if event.button.id == "ok":
            self._accept()
        else:
            self.dismiss(None)

    def _accept(self) -> None:
        flag = self.query_one("#flag", Checkbox).value if self.flag_label else False
        self.dismiss(PromptResult(self.query_one("#value", Input).value, flag))

    def action_cancel(self) -> None:
        """Escape cancels."""
        self.dismiss(None)
