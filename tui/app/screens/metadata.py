"""Edit metadata as ``key = value`` lines; limits are checked before anything is sent."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from tui.metadata import format_lines, parse


class MetadataDialog(ModalScreen[dict[str, str] | None]):
    """Returns the new metadata, or ``None`` when cancelled."""

    DEFAULT_CSS = """
    MetadataDialog { align: center middle; }
    MetadataDialog > Vertical { width: 80; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2; }
    MetadataDialog TextArea { height: 12; }
    MetadataDialog #problems { color: $error; height: auto; }
    MetadataDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, item_label: str, metadata: dict[str, str]) -> None:
        super().__init__()
        self.item_label = item_label
        self.metadata = metadata

    def compose(self) -> ComposeResult:
        """Editor, problems, buttons."""
        with Vertical():
            yield Label(f"Metadata of {self.item_label}", classes="title", markup=False)
            yield Label(
                "One key = value per line; at most 16 keys, 64/512 characters. A key or "
                'value with "=", "#", line breaks or edge spaces goes in JSON quotes.'
            )
            yield TextArea(format_lines(self.metadata), id="editor")
            yield Static("", id="problems", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save (ctrl+s)", variant="primary", id="save")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Save or cancel."""
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        """Check the limits; save only when all is well."""
        data, problems = parse(self.query_one("#editor", TextArea).text)
        if problems:
            self.query_one("#problems", Static).update("\n".join(problems))
            return
        self.dismiss(data)

    def action_cancel(self) -> None:
        """Escape cancels."""
        self.dismiss(None)
