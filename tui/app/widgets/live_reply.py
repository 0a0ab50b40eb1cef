"""A reply arriving: its text streams into Markdown widgets, appended, never re-rendered whole.

Textual's ``Markdown`` makes a widget of every block, and every frame lays out every
widget on screen, so a long reply would get slower with each paragraph. The reply is cut
at a paragraph boundary (outside code fences) every couple of thousand characters: the
finished piece becomes one static Rich rendering, and streaming goes on into a fresh
``Markdown`` (through ``Markdown.get_stream``). Each delta then costs the same, however
long the reply gets.
"""

from __future__ import annotations

import asyncio

from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Markdown, Static
from textual.widgets._markdown import MarkdownStream

from tui.app.widgets.message_view import header
from tui.model import Turn
from tui.text import clean

CHUNK_CHARS = 2_000
FLUSH_S = 1 / 60  # pieces are handed to Markdown at most this often (a frame's worth)


class LiveReply(Vertical):
    """The assistant's reply while it streams; afterwards it stays as that reply's view."""

    DEFAULT_CSS = """
    LiveReply { height: auto; padding: 0 1 1 1; }
    LiveReply > .header { color: $success; text-style: bold; }
    LiveReply > .note { color: $warning; text-style: italic; }
    LiveReply Markdown { margin: 0; padding: 0; }
    LiveReply > .frozen { margin: 0 0 1 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.turn: Turn | None = None
        self._chunk = ""
        self._pending = ""
        self._flush_timer: Timer | None = None
        self._lock = asyncio.Lock()
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        """Header and the first Markdown piece."""
        yield Static(Text("assistant  (replying…)"), classes="header")
        yield Markdown("", open_links=False)

    async def write(self, delta: str) -> None:
        """Append a piece of the reply (control characters removed; Markdown, not markup).

        Pieces are gathered and handed to the Markdown once per frame: a burst of deltas
        costs one update, not one each.
        """
        piece = clean(delta)
        self.text += piece
        self._pending += piece
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(FLUSH_S, self._flush)

    async def _flush(self) -> None:
        self._flush_timer = None
        async with self._lock:
            piece, self._pending = self._pending, ""
            await self._feed(piece)
        follow = getattr(self.parent, "follow", None)
        if follow is not None:
            follow()  # keep the bottom in view, once per frame rather than per delta

    async def _feed(self, piece: str) -> None:
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
        """Freeze the finished piece into one static renderable; stream into a new one."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        done = self.query(Markdown).last()
        frozen = Static(RichMarkdown(self._chunk, hyperlinks=False), classes="frozen")
        await self.mount(frozen, before=done)
        await done.remove()  # one widget instead of a widget per block: layout stays cheap
        self._chunk = ""
        await self.mount(Markdown("", open_links=False))

    async def stop(self, note: str | None = None) -> None:
        """No more pieces; ``note`` says why when the reply was cut short."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        async with self._lock:
            piece, self._pending = self._pending, ""
            await self._feed(piece)
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
