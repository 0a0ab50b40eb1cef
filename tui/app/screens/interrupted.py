"""Deletions a crash or a kill left unfinished: resume them, put them back, or later."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.ops.resume import Pending
from tui.text import clean

SAMPLES = 5


class InterruptedDeletions(ModalScreen[str | None]):
    """Returns ``"resume"``, ``"put back"`` or ``None`` (decide later)."""

    DEFAULT_CSS = """
    InterruptedDeletions { align: center middle; }
    InterruptedDeletions > Vertical { width: 84; height: auto; border: thick $warning;
        background: $surface; padding: 1 2; }
    InterruptedDeletions .title { text-style: bold; color: $warning; margin-bottom: 1; }
    InterruptedDeletions .hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("r", "choose('resume')", "Resume"),
        Binding("p", "choose('put back')", "Put back"),
        Binding("escape,l", "choose('')", "Later"),
    ]

    def __init__(self, pending: Sequence[Pending]) -> None:
        super().__init__()
        self.pending = list(pending)

    def compose(self) -> ComposeResult:
        """What was left, and the three choices."""
        count = len(self.pending)
        lines = [
            f"{count:,} confirmed deletions did not finish: Thread Browser stopped while "
            "they ran. Each was either deleted on its server or not sent yet; resuming "
            "finds out (a 404 counts as deleted).",
            "",
        ]
        lines += [f"  - {p.item.id}  {clean(p.item.title)[:56]}" for p in self.pending[:SAMPLES]]
        if count > SAMPLES:
            lines.append(f"  … and {count - SAMPLES:,} more")
        with Vertical():
            yield Label("Interrupted deletions", classes="title")
            yield Static("\n".join(lines), markup=False)
            yield Static(
                "r resumes them · p puts them back as they were · escape decides later",
                classes="hint",
            )

    def action_choose(self, choice: str) -> None:
        """Close with the choice."""
        self.dismiss(choice or None)
