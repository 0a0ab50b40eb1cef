"""A run asks for tool outputs: show each call, let the user type its output."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.model import ToolCall, ToolOutput
from tui.text import clean

MAX_ARGUMENTS_SHOWN = 2_000


class ToolOutputsDialog(ModalScreen[list[ToolOutput] | None]):
    """One input per requested call; ctrl+s submits, escape cancels the run."""

    DEFAULT_CSS = """
    ToolOutputsDialog { align: center middle; }
    ToolOutputsDialog > VerticalScroll { width: 90; max-height: 90%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2; }
    ToolOutputsDialog Label.title { text-style: bold; }
    ToolOutputsDialog Static.args { color: $text-muted; margin-bottom: 1; }
    ToolOutputsDialog Horizontal { height: auto; align-horizontal: right; }
    ToolOutputsDialog #refused { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit outputs"),
        Binding("escape", "cancel_run", "Cancel the run"),
    ]

    def __init__(self, calls: tuple[ToolCall, ...]) -> None:
        super().__init__()
        self.calls = calls

    def compose(self) -> ComposeResult:
        """Each call's name, arguments and an output box; then the buttons."""
        with VerticalScroll():
            yield Label(
                f"The run asks for {len(self.calls)} tool output(s). Type each one "
                "(ctrl+s submits, escape cancels the run).",
                classes="title",
                markup=False,
            )
            for n, call in enumerate(self.calls):
                args = clean(call.arguments or "{}")
                if len(args) > MAX_ARGUMENTS_SHOWN:
                    args = args[:MAX_ARGUMENTS_SHOWN] + f"… ({len(args):,} characters)"
                yield Label(Text(f"{clean(call.name)}  {call.call_id}"))
                yield Static(Text(args), classes="args")
                yield Input(placeholder="output (text or JSON)", id=f"out{n}")
            yield Static("", id="refused", markup=False)
            with Horizontal():
                yield Button("Cancel the run", id="cancel")
                yield Button("Submit", variant="primary", id="submit")

    def on_mount(self) -> None:
        """The first output box takes the keyboard (tab walks the calls)."""
        self.query(Input).first().focus()

    def on_input_submitted(self) -> None:
        """Enter in the last box submits; elsewhere it moves on."""
        if self.focused is self.query(Input).last():
            self.action_submit()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Submit, or cancel the run."""
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel_run()

    def action_submit(self) -> None:
        """Send every output; an empty one is refused, and its box takes the keyboard."""
        boxes = list(self.query(Input))
        empty = [n for n, box in enumerate(boxes) if not box.value.strip()]
        if empty:
            call = self.calls[empty[0]]
            self.query_one("#refused", Static).update(
                f"Nothing was sent: the output of {clean(call.name)} ({call.call_id}) is "
                "empty. Type what the tool returned, or press escape to cancel the run."
            )
            boxes[empty[0]].focus()
            return
        self.dismiss(
            [ToolOutput(c.call_id, box.value) for c, box in zip(self.calls, boxes, strict=True)]
        )

    def action_cancel_run(self) -> None:
        """Answer nothing: the caller cancels the run."""
        self.dismiss(None)
