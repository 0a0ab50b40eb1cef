"""The ``thread-browser`` command line."""

from __future__ import annotations

import os
import sys

import click

from tui import __version__
from tui.commands.context import Options
from tui.redact import redact


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(__version__, prog_name="thread-browser")
@click.option(
    "--db",
    default=None,
    type=click.Path(dir_okay=False),
    help="Registry file (default: THREAD_BROWSER_DB or the user data dir).",
)
@click.option(
    "--config", default=None, type=click.Path(dir_okay=False), help="Config file of profiles."
)
@click.option("--profile", default=None, help="Connection profile to use.")
@click.option(
    "--demo",
    is_flag=True,
    help="Open the app on the built-in emulator with demo data (no key, no network).",
)
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, config: str | None, profile: str | None, demo: bool
) -> None:
    """Browse, search, continue and clean up OpenAI-style threads and conversations.

    Without a command, opens the app.
    """
    ctx.obj = Options(db, config, profile)
    if ctx.invoked_subcommand is not None:
        return
    from tui.app.launch import run
    from tui.commands.context import USER_ERRORS

    try:
        run(db, ctx.obj.settings(), profile, demo)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from None


def _register() -> None:
    from tui.commands.deleting import delete, prune
    from tui.commands.doctor import doctor
    from tui.commands.emulator import emulator
    from tui.commands.exporting import export
    from tui.commands.importing import import_ids
    from tui.commands.listing import list_items
    from tui.commands.migrating import migrate_threads

    commands = (emulator, list_items, import_ids, export, delete, prune, migrate_threads, doctor)
    for command in commands:
        cli.add_command(command)


_register()


def main() -> None:
    """Entry point: no traceback reaches the user unless THREAD_BROWSER_DEBUG is set."""
    try:
        cli.main(prog_name="thread-browser")
    except Exception as exc:
        if os.environ.get("THREAD_BROWSER_DEBUG"):
            raise
        message = redact(f"{type(exc).__name__}: {exc}")
        click.echo(
            f"Error: unexpected failure ({message}). Set THREAD_BROWSER_DEBUG=1 "
            "for details and please report it.",
            err=True,
        )
        sys.exit(1)
