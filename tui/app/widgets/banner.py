"""A one-line banner for what stops the app from reaching the server."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class Banner(Static):
    """Hidden when all is well; says what is wrong and what to do otherwise."""

    DEFAULT_CSS = """
    Banner { display: none; background: $warning 30%; color: $text; padding: 0 1; }
    Banner.-shown { display: block; }
    Banner.-error { background: $error 40%; }
    """

    def say(self, text: str | None, *, error: bool = False) -> None:
        """Show ``text`` as it is, never as markup (``None`` hides the banner)."""
        self.set_class(text is not None, "-shown")
        self.set_class(error, "-error")
        self.update(Text(text or ""))
