"""Edit the function tools offered with a conversation's messages."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

from tui.tools_spec import ToolsError, describe_tools, parse_tools


class ToolsDialog(ModalScreen[list[dict[str, Any]] | None]):
    """A JSON list of function tools, or one function name per line; ctrl+s saves."""

    DEFAULT_CSS = """
    ToolsDialog { align: center middle; }
    ToolsDialog > Vertical { width: 90; height: 24; border: thick $primary;
        background: $surface; padding: 1 2; }
    ToolsDialog Label.title { text-style: bold; }
    ToolsDialog Label.hint { color: $text-muted; }
    ToolsDialog Label.problem { color: $error; }
    ToolsDialog TextArea { height: 1fr; }
    ToolsDialog Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, item_id: str, tools: tuple[dict[str, Any], ...]) -> None:
        super().__init__()
        self.item_id = item_id
        self.tools = tools

    def compose(self) -> ComposeResult:
        """Title, hint, editor, problem line, buttons."""
        with Vertical():
            yield Label(
                f"Function tools offered with messages to {self.item_id}",
                classes="title",
                markup=False,
            )
            yield Label(
                "A JSON list of Responses function tools, or one function name per "
                "line. Empty: no tools. ctrl+s saves.",
                classes="hint",
            )
            yield TextArea(describe_tools(self.tools), id="tools", language=None)
            yield Label("", classes="problem", id="problem", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", variant="primary", id="save")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Save or cancel."""
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        """Check the tools; keep the dialog open with the reason when they are wrong."""
        try:
            tools = parse_tools(self.query_one(TextArea).text)
        except ToolsError as exc:
            self.query_one("#problem", Label).update(str(exc))
            return
        self.dismiss(tools)

    def action_cancel(self) -> None:
        """Change nothing."""
        self.dismiss(None)
