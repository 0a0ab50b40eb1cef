"""The composer: a multi-line box under the message pane; ctrl+s sends."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea


class Composer(TextArea):
    """Where a message is written. Enter is a new line; ctrl+s sends; escape leaves.

    The text stays until the server has accepted the message, so a failed send loses
    nothing.
    """

    DEFAULT_CSS = """
    Composer { height: auto; min-height: 3; max-height: 10; border: tall $accent 50%; }
    Composer:focus { border: tall $accent; }
    """
    BINDINGS = [
        Binding("ctrl+s", "send", "Send"),
        Binding("ctrl+b", "send_background", "Send (background)", show=False),
        Binding("escape", "leave", "Leave"),
    ]

    class Send(Message):
        """The user asked to send the text."""

        def __init__(self, text: str, background: bool = False) -> None:
            super().__init__()
            self.text = text
            self.background = background

    class Left(Message):
        """The user left the composer."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.border_title = "message · ctrl+s send · enter new line · esc leave"

    def action_send(self) -> None:
        """Send what is written (nothing happens for blank text)."""
        if self.text.strip():
            self.post_message(self.Send(self.text))

    def action_send_background(self) -> None:
        """Send, asking for a background response (conversations)."""
        if self.text.strip():
            self.post_message(self.Send(self.text, background=True))

    def action_leave(self) -> None:
        """Give the focus back to the message pane."""
        self.post_message(self.Left())
