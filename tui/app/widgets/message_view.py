"""One history entry, rendered once as rich Markdown (content is data, never markup)."""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual, visualize
from textual.widget import Widget

from tui.model import Turn, TurnKind
from tui.text import clean

MAX_RENDERED = 100_000
MAX_NESTING = 12  # quote or list levels that still leave room for the text at 80 columns
_LEADS = re.compile(r"^[ \t>]+", re.MULTILINE)
ROLE_STYLES = {
    "user": "bold cyan",
    "assistant": "bold green",
    "tool": "bold magenta",
    "system": "bold yellow",
    "developer": "bold yellow",
}


def header(turn: Turn) -> Text:
    """The first line of a turn: role, time, IDs, usage, status."""
    header = Text(no_wrap=True, overflow="ellipsis")
    header.append(turn.role, style=ROLE_STYLES.get(turn.role, "bold"))
    if turn.created_at is not None:
        header.append("  " + turn.created_at.strftime("%Y-%m-%d %H:%M"), style="dim")
    header.append("  " + turn.id, style="dim")
    if turn.run_id:
        header.append("  " + turn.run_id, style="dim")
    if turn.usage is not None:
        header.append(
            f"  {turn.usage.input_tokens} in / {turn.usage.output_tokens} out tokens", style="dim"
        )
    if turn.status and turn.status != "completed":
        header.append(f"  [{turn.status}]", style="bold yellow")
    return header


def nesting(text: str) -> int:
    """How deep the text's quotes and lists go (quote markers, plus indentation / 2)."""
    deepest = 0
    for lead in _LEADS.findall(text):
        quotes = lead.count(">")
        deepest = max(deepest, quotes + (len(lead) - quotes) // 2)
    return deepest


def _text(text: str) -> list[RenderableType]:
    depth = nesting(text)
    if depth <= MAX_NESTING:
        from rich.markdown import Markdown  # loaded with the first message, not at start

        return [Markdown(text, hyperlinks=False)]
    note = f"(shown as plain text: its quotes or lists nest {depth} levels deep)"
    return [Text(text), Text(note, style="italic dim")]


def _body(turn: Turn) -> list[RenderableType]:
    parts: list[RenderableType] = []
    text = clean(turn.text)
    if len(text) > MAX_RENDERED:
        cut = len(text) - MAX_RENDERED
        text = text[:MAX_RENDERED]
        parts += _text(text)
        parts.append(
            Text(
                f"… {cut:,} more characters: export the thread to read them all.",
                style="italic dim",
            )
        )
    elif text:
        parts += _text(text)
    for part in turn.parts:
        if part.ref:
            parts.append(Text(f"{part.type}: {clean(part.ref)}", style="italic"))
        for note in part.annotations:
            parts.append(Text(f"↳ {clean(note)}", style="dim italic"))
    for file_id in turn.attachments:
        parts.append(Text(f"📎 {clean(file_id)}", style="dim"))
    return parts


def _tools(turn: Turn) -> list[RenderableType]:
    panels: list[RenderableType] = []
    for call in turn.tool_calls:
        if turn.kind is TurnKind.TOOL_OUTPUT:
            panels.append(
                Panel(
                    Text(clean(call.output or "")),
                    title=f"output of {call.call_id}",
                    title_align="left",
                    border_style="magenta",
                )
            )
            continue
        from rich.syntax import Syntax  # loaded with the first tool call shown

        body: RenderableType = Syntax(
            clean(call.arguments) or "{}", "json", word_wrap=True, background_color="default"
        )
        title = f"{clean(call.name)}  {call.call_id}"
        items: list[RenderableType] = [body]
        if call.output is not None:
            items.append(Text("→ " + clean(call.output), style="magenta"))
        panels.append(Panel(Group(*items), title=title, title_align="left", border_style="blue"))
    return panels


def estimated_height(turn: Turn, width: int) -> int:
    """Lines ``turn`` takes at ``width`` cells, roughly (without rendering it)."""
    text = turn.text[:MAX_RENDERED]
    lines = sum(1 + len(line) // width for line in text.splitlines())
    return 2 + lines + 4 * len(turn.tool_calls) + len(turn.parts) + len(turn.attachments)


def render_turn(turn: Turn) -> RenderableType:
    """The renderable of a turn: header, the tool calls that led to it, text, references."""
    return Group(header(turn), *_tools(turn), *_body(turn))


class MessageView(Widget):
    """A history entry, rendered once per width: layout and scrolling reuse the lines.

    Textual would render a Rich renderable once to measure its height and again to paint
    it, and again after every reflow; a page of Markdown made each frame cost tens of
    milliseconds.
    """

    DEFAULT_CSS = """
    MessageView { padding: 0 1 1 1; height: auto; }
    MessageView.-user { background: $boost; }
    """

    def __init__(self, turn: Turn) -> None:
        super().__init__(classes=f"-{turn.role}")
        self.turn = turn
        self._lines: tuple[tuple[int, Style], list[Strip]] | None = None

    def set_turn(self, turn: Turn) -> None:
        """Show a newer version of the same turn."""
        self.turn = turn
        self._lines = None
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        """The turn's renderable (what the cached lines are made of)."""
        return render_turn(self.turn)

    def lines(self, width: int) -> list[Strip]:
        """The turn rendered at ``width`` cells (cached while width and style stay)."""
        key = (width, self.visual_style)
        if self._lines is None or self._lines[0] != key or self.text_selection is not None:
            visual = visualize(self, self.render())
            self._lines = (key, Visual.to_strips(self, visual, width, None, self.visual_style))
        return self._lines[1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The height of the cached lines."""
        return len(self.lines(width)) if width else 0

    def render_line(self, y: int) -> Strip:
        """One cached line."""
        lines = self.lines(self.size.width)
        if y < len(lines):
            return lines[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)
