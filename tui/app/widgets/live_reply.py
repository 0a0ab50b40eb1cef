"""A reply arriving: its text streams into Markdown widgets, appended, never re-rendered whole.

Textual's ``Markdown.append`` costs more as its document grows, so a long reply is split
at a paragraph boundary (outside code fences) every few thousand characters into a fresh
``Markdown`` widget: each piece then costs the same, however long the reply gets.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static
from textual.widgets._markdown import MarkdownStream

from tui.app.widgets.message_view import header
from tui.model import Turn
from tui.text import clean

CHUNK_CHARS = 2_000


class LiveReply(Vertical):
    """The assistant's reply while it streams; afterwards it stays as that reply's view."""

    DEFAULT_CSS = """
    LiveReply { height: auto; padding: 0 1 1 1; }
    LiveReply > .header { color: $success; text-style: bold; }
    LiveReply > .note { color: $warning; text-style: italic; }
    LiveReply Markdown { margin: 0; padding: 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.turn: Turn | None = None
        self._chunk = ""
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        """Header and the first Markdown piece."""
        yield Static(Text("assistant  (replying…)"), classes="header")
        yield Markdown("", open_links=False)

    async def write(self, delta: str) -> None:
        """Append a piece of the reply (control characters removed; Markdown, not markup)."""
        piece = clean(delta)
        self.text += piece
        cut = self._boundary(piece)
        if cut is None:
            await self._append(piece)
            return
        await self._append(piece[:cut])
        await self._next_chunk()
        if piece[cut:]:
            await self._append(piece[cut:])

    def _boundary(self, piece: str) -> int | None:
        """Where in ``piece`` a new chunk may start (after a blank line, outside fences)."""
        if len(self._chunk) < CHUNK_CHARS:
            return None
        at = piece.find("\n\n")
        if at < 0:
            return None
        before = self._chunk + piece[:at]
        if before.count("```") % 2:
            return None
        return at + 2

    async def _append(self, text: str) -> None:
        if not text:
            return
        self._chunk += text
        if self._stream is None:
            self._stream = Markdown.get_stream(self.query(Markdown).last())
        await self._stream.write(text)

    async def _next_chunk(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self._chunk = ""
        await self.mount(Markdown("", open_links=False))

    async def stop(self, note: str | None = None) -> None:
        """No more pieces; ``note`` says why when the reply was cut short."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if note:
            await self.mount(Static(Text(note), classes="note"))

    async def finish(self, turn: Turn) -> None:
        """The reply is complete: keep the text on screen, show the message's header."""
        await self.stop()
        self.turn = turn
        self.query_one(".header", Static).update(header(turn))
