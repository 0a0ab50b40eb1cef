"""A click group that imports a subcommand only when it runs (a fast ``--help``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True, slots=True)
class Lazy:
    """Where a subcommand lives (``module:attribute``) and the first sentence of its help."""

    target: str
    summary: str


class LazyGroup(click.Group):
    """A group whose subcommands are imported by name, on first use.

    ``--help`` lists them from their stated one-line help, so it imports none.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, Lazy] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand name, loaded or not, sorted."""
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand, imported now if it was not yet."""
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        return self.load(cmd_name)

    def load(self, name: str) -> click.Command:
        """Import the subcommand ``name`` and register it."""
        module_name, attribute = self.lazy[name].target.split(":")
        # ``__import__`` rather than ``importlib.import_module``: only the former is timed by
        # ``python -X importtime``, so the subcommand's own cost shows where it is measured.
        module = __import__(module_name, fromlist=[attribute])
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[name].target} is not a click command")
        self.add_command(command, name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of ``--help``, without importing a subcommand."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self.summary_line(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def summary_line(self, name: str, limit: int) -> str:
        """The subcommand's line in ``--help``, as click would cut it."""
        if name in self.commands:
            return self.commands[name].get_short_help_str(limit)
        # a bare command cuts its help as click cuts every command's (public API)
        return click.Command(name, help=self.lazy[name].summary).get_short_help_str(limit)
