"""A line on the terminal that says how far a command has come, cleared when it is done."""

from __future__ import annotations

import click


class ProgressLine:
    """One line on standard error, rewritten in place; :meth:`clear` removes it."""

    def __init__(self) -> None:
        self.shown = False

    def show(self, text: str) -> None:
        """Replace the line with ``text``."""
        click.echo(f"\r{text}", err=True, nl=False)
        self.shown = True

    def clear(self) -> None:
        """Remove the line."""
        if self.shown:
            click.echo("\r\x1b[K", err=True, nl=False)
