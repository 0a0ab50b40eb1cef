"""A reply arriving: its text streams into a Markdown widget, appended, never re-rendered whole."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static
from textual.widgets._markdown import MarkdownStream

from tui.text import clean


class LiveReply(Vertical):
    """The assistant's reply while it streams."""

    DEFAULT_CSS = """
    LiveReply { height: auto; padding: 0 1 1 1; }
    LiveReply > .header { color: $success; text-style: bold; }
    LiveReply > .note { color: $warning; text-style: italic; }
    LiveReply Markdown { margin: 0; padding: 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        """Header and the growing Markdown."""
        yield Static(Text("assistant  (replying…)"), classes="header")
        yield Markdown("", open_links=False)

    async def write(self, delta: str) -> None:
        """Append a piece of the reply (control characters removed; Markdown, not markup)."""
        piece = clean(delta)
        self.text += piece
        if self._stream is None:
            self._stream = Markdown.get_stream(self.query_one(Markdown))
        await self._stream.write(piece)

    async def stop(self, note: str | None = None) -> None:
        """No more pieces; ``note`` says why when the reply was cut short."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if note:
            await self.mount(Static(Text(note), classes="note"))
