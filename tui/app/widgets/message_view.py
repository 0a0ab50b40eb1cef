"""One history entry, rendered once as rich Markdown (content is data, never markup)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text
from textual.widgets import Static

from tui.model import Turn, TurnKind
from tui.text import clean

MAX_RENDERED = 100_000
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


def _body(turn: Turn) -> list[RenderableType]:
    parts: list[RenderableType] = []
    text = clean(turn.text)
    if len(text) > MAX_RENDERED:
        cut = len(text) - MAX_RENDERED
        text = text[:MAX_RENDERED]
        parts.append(Markdown(text, hyperlinks=False))
        parts.append(
            Text(
                f"… {cut:,} more characters: export the thread to read them all.",
                style="italic dim",
            )
        )
    elif text:
        parts.append(Markdown(text, hyperlinks=False))
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
        body: RenderableType = Syntax(
            clean(call.arguments) or "{}", "json", word_wrap=True, background_color="default"
        )
        title = f"{clean(call.name)}  {call.call_id}"
        items: list[RenderableType] = [body]
        if call.output is not None:
            items.append(Text("→ " + clean(call.output), style="magenta"))
        panels.append(Panel(Group(*items), title=title, title_align="left", border_style="blue"))
    return panels


def render_turn(turn: Turn) -> RenderableType:
    """The renderable of a turn: header, Markdown text, references, tool calls."""
    return Group(header(turn), *_body(turn), *_tools(turn))


class MessageView(Static):
    """A history entry; rendered once, so scrolling costs nothing."""

    DEFAULT_CSS = """
    MessageView { padding: 0 1 1 1; height: auto; }
    MessageView.-user { background: $boost; }
    """

    def __init__(self, turn: Turn) -> None:
        super().__init__(render_turn(turn), classes=f"-{turn.role}")
        self.turn = turn

    def set_turn(self, turn: Turn) -> None:
        """Show a newer version of the same turn."""
        self.turn = turn
        self.update(render_turn(turn))
